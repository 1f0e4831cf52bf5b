//! Free-busy time (RFC 4791 §7.10, RFC 5545 §3.6.4): the busy periods events and stored
//! VFREEBUSY components contribute to a time range, merged per busy type.

use crate::expand::{instances, EvalContext, TimeRange};
use crate::localtime::Clock;
use crate::parse::Component;
use crate::value::{list, parse_period, PeriodEnd};
use crate::{ComponentKind, ExpandError};

/// RFC 5545 §3.2.9 FBTYPE values that count as busy, in the order they are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BusyType {
    Busy,
    BusyUnavailable,
    BusyTentative,
}

impl BusyType {
    pub fn name(self) -> &'static str {
        match self {
            BusyType::Busy => "BUSY",
            BusyType::BusyUnavailable => "BUSY-UNAVAILABLE",
            BusyType::BusyTentative => "BUSY-TENTATIVE",
        }
    }
}

/// A busy interval in UTC seconds, `start < end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BusyPeriod {
    pub kind: BusyType,
    pub start: i64,
    pub end: i64,
}

/// The busy periods of one calendar object inside `[start, end)`, clipped to it.
///
/// RFC 4791 §7.10: events marked TRANSPARENT or CANCELLED take no time, TENTATIVE ones are
/// BUSY-TENTATIVE; stored VFREEBUSY components contribute their FREEBUSY periods (FBTYPE FREE
/// is not busy).
pub fn busy_periods(
    root: &Component,
    start: i64,
    end: i64,
    ctx: &EvalContext,
) -> Result<Vec<BusyPeriod>, ExpandError> {
    let range = TimeRange::new(Some(start), Some(end));
    let mut out = Vec::new();
    let mut push = |kind, s: i64, e: i64| {
        let (s, e) = (s.max(start), e.min(end));
        if s < e {
            out.push(BusyPeriod {
                kind,
                start: s,
                end: e,
            });
        }
    };
    for instance in instances(root, Some(ComponentKind::Event), range, ctx)? {
        let c = instance.component;
        let value = |name: &str| {
            c.property(name)
                .map(|p| p.value.trim().to_ascii_uppercase())
                .unwrap_or_default()
        };
        if value("TRANSP") == "TRANSPARENT" || value("STATUS") == "CANCELLED" {
            continue;
        }
        let kind = if value("STATUS") == "TENTATIVE" {
            BusyType::BusyTentative
        } else {
            BusyType::Busy
        };
        push(kind, instance.start, instance.end);
    }
    let clock = Clock::new(root, ctx.floating_tz);
    for fb in root.components.iter().filter(|c| c.name == "VFREEBUSY") {
        for prop in fb.properties_named("FREEBUSY") {
            let kind = match prop.param("FBTYPE").map(str::to_ascii_uppercase).as_deref() {
                None | Some("BUSY") => BusyType::Busy,
                Some("BUSY-TENTATIVE") => BusyType::BusyTentative,
                Some("BUSY-UNAVAILABLE") => BusyType::BusyUnavailable,
                // FREE, and unknown types, which RFC 5545 says to treat as BUSY... except
                // that FREE is explicitly not busy.
                Some("FREE") => continue,
                Some(_) => BusyType::Busy,
            };
            for period in list(&prop.value) {
                let Ok((s, e)) = parse_period(period) else {
                    continue;
                };
                let s_utc = clock.value_to_utc(prop, s);
                let e_utc = match e {
                    PeriodEnd::End(v) => clock.value_to_utc(prop, v),
                    PeriodEnd::Duration(d) => s_utc.saturating_add(d),
                };
                push(kind, s_utc, e_utc);
            }
        }
    }
    Ok(out)
}

/// Sorts and merges overlapping or touching periods of the same busy type.
pub fn merge(mut periods: Vec<BusyPeriod>) -> Vec<BusyPeriod> {
    periods.sort();
    let mut out: Vec<BusyPeriod> = Vec::with_capacity(periods.len());
    for p in periods {
        match out.last_mut() {
            Some(last) if last.kind == p.kind && p.start <= last.end => {
                last.end = last.end.max(p.end);
            }
            _ => out.push(p),
        }
    }
    out
}

fn utc_text(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

/// The RFC 4791 §7.10 answer: a VCALENDAR holding one VFREEBUSY for the range, with one
/// FREEBUSY line per busy type.
pub fn write_vfreebusy(start: i64, end: i64, periods: &[BusyPeriod], now: i64) -> String {
    let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault//EN\r\n");
    out.push_str("BEGIN:VFREEBUSY\r\n");
    write_periods(start, end, periods, now, &mut out);
    out.push_str("END:VFREEBUSY\r\nEND:VCALENDAR\r\n");
    out
}

/// A VFREEBUSY's DTSTAMP, range and FREEBUSY lines (one per busy type), for this answer
/// and a scheduling REPLY (`crate::itip::freebusy`).
pub(crate) fn write_periods(
    start: i64,
    end: i64,
    periods: &[BusyPeriod],
    now: i64,
    out: &mut String,
) {
    for (name, t) in [("DTSTAMP", now), ("DTSTART", start), ("DTEND", end)] {
        out.push_str(&format!("{name}:{}\r\n", utc_text(t)));
    }
    for kind in [
        BusyType::Busy,
        BusyType::BusyUnavailable,
        BusyType::BusyTentative,
    ] {
        let values: Vec<String> = periods
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| format!("{}/{}", utc_text(p.start), utc_text(p.end)))
            .collect();
        if !values.is_empty() {
            let line = format!("FREEBUSY;FBTYPE={}:{}", kind.name(), values.join(","));
            crate::select::write_folded(&line, out);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const CTX: EvalContext = EvalContext {
        floating_tz: None,
        max_instances: 1000,
    };

    fn periods(text: &str, start: i64, end: i64) -> Vec<BusyPeriod> {
        busy_periods(&crate::parse(text).unwrap(), start, end, &CTX).unwrap()
    }

    // 2026-03-02T00:00:00Z
    const MONDAY: i64 = 1_772_409_600;

    #[test]
    fn events_count_unless_transparent_or_cancelled_and_tentative_is_its_own_type() {
        let ev = |extra: &str| {
            format!(
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260302T090000Z\r\n\
                 DTEND:20260302T100000Z\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
            )
        };
        let day = (MONDAY, MONDAY + 86_400);
        assert_eq!(
            periods(&ev(""), day.0, day.1),
            [BusyPeriod {
                kind: BusyType::Busy,
                start: MONDAY + 9 * 3600,
                end: MONDAY + 10 * 3600
            }]
        );
        assert!(periods(&ev("TRANSP:TRANSPARENT\r\n"), day.0, day.1).is_empty());
        assert!(periods(&ev("STATUS:CANCELLED\r\n"), day.0, day.1).is_empty());
        assert_eq!(
            periods(&ev("STATUS:TENTATIVE\r\n"), day.0, day.1)[0].kind,
            BusyType::BusyTentative
        );
        // Clipped to the range.
        let clipped = periods(&ev(""), MONDAY + 9 * 3600 + 1800, day.1);
        assert_eq!(clipped[0].start, MONDAY + 9 * 3600 + 1800);
    }

    #[test]
    fn recurring_events_and_stored_vfreebusy_contribute() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260302T090000Z\r\n\
                    DURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(periods(text, MONDAY, MONDAY + 7 * 86_400).len(), 3);
        let fb = "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nUID:f\r\nDTSTART:20260302T000000Z\r\n\
                  DTEND:20260303T000000Z\r\nFREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260302T120000Z/PT2H,\
                  20260302T150000Z/20260302T160000Z\r\nFREEBUSY;FBTYPE=FREE:20260302T170000Z/PT1H\r\n\
                  END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
        let got = periods(fb, MONDAY, MONDAY + 86_400);
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|p| p.kind == BusyType::BusyUnavailable));
        assert_eq!(got[0].end - got[0].start, 7200);
    }

    #[test]
    fn merging_joins_overlapping_and_touching_periods_of_one_type() {
        let p = |kind, start, end| BusyPeriod { kind, start, end };
        let merged = merge(vec![
            p(BusyType::Busy, 10, 20),
            p(BusyType::BusyTentative, 15, 25),
            p(BusyType::Busy, 20, 30),
            p(BusyType::Busy, 5, 12),
            p(BusyType::Busy, 40, 50),
        ]);
        assert_eq!(
            merged,
            [
                p(BusyType::Busy, 5, 30),
                p(BusyType::Busy, 40, 50),
                p(BusyType::BusyTentative, 15, 25)
            ]
        );
        let text = write_vfreebusy(MONDAY, MONDAY + 86_400, &merged, MONDAY);
        assert!(text.contains("FREEBUSY;FBTYPE=BUSY:"));
        assert!(text.contains("FREEBUSY;FBTYPE=BUSY-TENTATIVE:"));
        assert!(crate::parse(&text).is_ok());
    }
}
