//! A VTIMEZONE (RFC 5545 §3.6.5) for an IANA zone, so that an event the pages write with
//! `TZID=Europe/Berlin` carries the definition its TZID names (§3.2.19). Built from the
//! zone's rules around the event's year: one STANDARD observance, and a DAYLIGHT one with
//! yearly rules (`BYDAY=-1SU` style) when the zone changes its clocks.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// The UTC offset of `zone` at `t` (seconds east).
fn offset_at(zone: Tz, t: i64) -> i32 {
    match chrono::DateTime::from_timestamp(t, 0) {
        Some(utc) => zone
            .offset_from_utc_datetime(&utc.naive_utc())
            .fix()
            .local_minus_utc(),
        None => 0,
    }
}

/// The instants in `year` where the zone's offset changes.
fn transitions(zone: Tz, year: i32) -> Vec<i64> {
    let Some(start) = NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0))
    else {
        return Vec::new();
    };
    let mut t = start.and_utc().timestamp();
    let end = t + 366 * 86_400;
    let mut out = Vec::new();
    let mut before = offset_at(zone, t);
    while t < end {
        let next = t + 86_400;
        let after = offset_at(zone, next);
        if after != before {
            // Narrow the change down to its second inside that day.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(zone, mid) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(hi);
            before = after;
        }
        t = next;
    }
    out
}

/// `+0100`, `-0530`
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let m = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", m / 60, m % 60)
}

/// One observance starting at the transition `at` (UTC), in the yearly-rule form.
fn observance(kind: &str, zone: Tz, at: i64, from: i32, to: i32) -> String {
    // DTSTART of an observance is local time in the offset before the change.
    let local = NaiveDateTime::default() + chrono::TimeDelta::seconds(at + i64::from(from));
    let day = local.day();
    let last_days = local
        .date()
        .with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .map(|d| (d - local.date()).num_days())
        .unwrap_or(8);
    let nth = if last_days <= 7 {
        "-1".to_owned()
    } else {
        ((day - 1) / 7 + 1).to_string()
    };
    let weekday =
        ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][local.weekday().num_days_from_monday() as usize];
    let name = zone
        .offset_from_utc_datetime(
            &chrono::DateTime::from_timestamp(at, 0)
                .map(|t| t.naive_utc())
                .unwrap_or_default(),
        )
        .to_string();
    format!(
        "BEGIN:{kind}\r\nDTSTART:{}\r\nRRULE:FREQ=YEARLY;BYMONTH={};BYDAY={nth}{weekday}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\nTZNAME:{name}\r\nEND:{kind}\r\n",
        local.format("%Y%m%dT%H%M%S"),
        local.month(),
        utc_offset(from),
        utc_offset(to),
    )
}

/// The VTIMEZONE of `zone` as it is in `year`.
pub fn vtimezone(zone: Tz, year: i32) -> String {
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", zone.name());
    let changes = transitions(zone, year);
    if changes.len() == 2 {
        for at in changes {
            let (from, to) = (offset_at(zone, at - 1), offset_at(zone, at));
            let kind = if to > from { "DAYLIGHT" } else { "STANDARD" };
            out.push_str(&observance(kind, zone, at, from, to));
        }
    } else {
        let jan = NaiveDate::from_ymd_opt(year, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp())
            .unwrap_or(0);
        let offset = utc_offset(offset_at(zone, jan));
        out.push_str(&format!(
            "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\nEND:STANDARD\r\n"
        ));
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn berlin_has_summer_time_rules_and_utc_has_none() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let text = vtimezone(berlin, 2026);
        assert!(text.contains("TZID:Europe/Berlin"), "{text}");
        assert!(text.contains("BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200"), "{text}");
        assert!(text.contains("BYMONTH=10;BYDAY=-1SU"), "{text}");
        let ny: Tz = "America/New_York".parse().unwrap();
        assert!(vtimezone(ny, 2026).contains("BYMONTH=3;BYDAY=2SU"));
        let utc = vtimezone(chrono_tz::UTC, 2026);
        assert!(utc.contains("TZOFFSETTO:+0000") && !utc.contains("DAYLIGHT"));
        // The engine reads it back as the zone it names.
        let event = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{}BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260701T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            vtimezone(berlin, 2026)
        );
        let root = ical::parse(&event).unwrap();
        let ctx = ical::EvalContext {
            floating_tz: None,
            max_instances: 10,
        };
        let i = ical::instances(&root, None, ical::TimeRange::UNBOUNDED, &ctx).unwrap();
        assert_eq!(i[0].start, 1_782_889_200, "07:00Z");
    }
}
