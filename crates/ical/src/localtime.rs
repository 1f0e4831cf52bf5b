//! Exact wall-clock to UTC conversion for expansion and filtering.
//!
//! Unlike [`crate::zones`], which answers "which UTC seconds could this
//! be" for the index, this picks the one instant RFC 5545 means:
//!
//! * the object's own VTIMEZONE wins over any database, even for a
//!   well-known name (RFC 5545 §3.2.19: the client defined it); its
//!   STANDARD/DAYLIGHT observances are expanded with [`crate::recur`];
//! * otherwise the TZID is resolved by [`crate::tz::resolve_tzid`];
//! * floating times, DATEs and unknown TZIDs use the calendar's time zone
//!   (RFC 4791 §9.9, CALDAV:calendar-timezone), UTC when there is none;
//! * a time skipped by a DST jump is read with the offset before the
//!   jump, which moves it forward by the gap; a time that happens twice
//!   means the first one (RFC 5545 §3.3.5).

use std::cell::OnceCell;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;

use crate::parse::{Component, Property};
use crate::recur::{walk, Window};
use crate::rrule::parse_rrule;
use crate::value::{list, parse_date_value, parse_utc_offset, unescape_text, DateKind, DateValue};

/// Observance onsets are computed up to this year; later times keep the
/// offset of the last onset.
const HORIZON_YEAR: i32 = 2200;

/// At most this many onsets per observance (a yearly rule from 1601 to
/// the horizon needs 600).
const MAX_ONSETS: usize = 2000;

/// Where a value's wall-clock time lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZoneRef {
    Utc,
    /// Floating time or DATE: the calendar's zone.
    Floating,
    Iana(Tz),
    /// Index into the object's VTIMEZONEs.
    Custom(usize),
}

/// UTC offset changes of one VTIMEZONE, sorted by instant.
struct Transitions {
    /// (UTC instant of the onset, offset after it, seconds east of UTC).
    onsets: Vec<(i64, i32)>,
    /// The offset before the first onset.
    initial: i32,
}

struct Custom<'a> {
    tzid: String,
    vtimezone: &'a Component,
    /// Computed on first use: most objects never need the rules.
    rules: OnceCell<Option<Arc<Transitions>>>,
}

/// Converts wall-clock values of one calendar object to UTC.
pub(crate) struct Clock<'a> {
    floating: Option<Tz>,
    custom: Vec<Custom<'a>>,
}

impl<'a> Clock<'a> {
    pub(crate) fn new(root: &'a Component, floating: Option<Tz>) -> Clock<'a> {
        let custom = root
            .components_named("VTIMEZONE")
            .filter_map(|vtz| {
                let tzid = unescape_text(&vtz.property("TZID")?.value);
                Some(Custom {
                    tzid,
                    vtimezone: vtz,
                    rules: OnceCell::new(),
                })
            })
            .collect();
        Clock { floating, custom }
    }

    /// The zone of a date property's value.
    pub(crate) fn zone_of(&self, prop: &Property, value: DateValue) -> ZoneRef {
        match value {
            DateValue::Date(_) => ZoneRef::Floating,
            DateValue::DateTime { utc: true, .. } => ZoneRef::Utc,
            DateValue::DateTime { utc: false, .. } => match prop.param("TZID") {
                Some(tzid) => self.named(tzid),
                None => ZoneRef::Floating,
            },
        }
    }

    pub(crate) fn named(&self, tzid: &str) -> ZoneRef {
        let exact = self.custom.iter().position(|c| c.tzid == tzid);
        let loose = || {
            self.custom
                .iter()
                .position(|c| c.tzid.trim().eq_ignore_ascii_case(tzid.trim()))
        };
        if let Some(i) = exact.or_else(loose) {
            if self.transitions(i).is_some() {
                return ZoneRef::Custom(i);
            }
        }
        crate::tz::resolve_tzid(tzid).map_or(ZoneRef::Floating, ZoneRef::Iana)
    }

    /// UTC seconds of a wall-clock time in `zone`.
    pub(crate) fn to_utc(&self, local: NaiveDateTime, zone: ZoneRef) -> i64 {
        let t = local.and_utc().timestamp();
        match zone {
            ZoneRef::Utc => t,
            ZoneRef::Floating => match self.floating {
                Some(tz) => iana_to_utc(local, tz),
                None => t,
            },
            ZoneRef::Iana(tz) => iana_to_utc(local, tz),
            ZoneRef::Custom(i) => match self.transitions(i) {
                Some(tr) => tr.to_utc(t),
                None => t,
            },
        }
    }

    /// The smallest and largest UTC offset (seconds east) of `zone` within
    /// a day of `utc`: enough to turn a UTC bound into a wall-clock bound
    /// for the walker, DST changes included.
    pub(crate) fn offset_bounds(&self, utc: i64, zone: ZoneRef) -> (i64, i64) {
        let probes = [utc.saturating_sub(86_400), utc, utc.saturating_add(86_400)];
        let offsets: Vec<i64> = match zone {
            ZoneRef::Utc => vec![0],
            ZoneRef::Floating => match self.floating {
                Some(tz) => probes.iter().map(|&u| iana_offset(tz, u)).collect(),
                None => vec![0],
            },
            ZoneRef::Iana(tz) => probes.iter().map(|&u| iana_offset(tz, u)).collect(),
            ZoneRef::Custom(i) => match self.transitions(i) {
                Some(tr) => probes.iter().map(|&u| i64::from(tr.offset_at(u))).collect(),
                None => vec![0],
            },
        };
        let lo = offsets.iter().copied().min().unwrap_or(0);
        let hi = offsets.iter().copied().max().unwrap_or(0);
        (lo, hi)
    }

    /// UTC seconds of a DATE or DATE-TIME value of `prop`.
    pub(crate) fn value_to_utc(&self, prop: &Property, value: DateValue) -> i64 {
        self.to_utc(value.naive(), self.zone_of(prop, value))
    }

    fn transitions(&self, i: usize) -> Option<&Transitions> {
        let c = self.custom.get(i)?;
        c.rules
            .get_or_init(|| shared_transitions(c.vtimezone))
            .as_deref()
    }
}

fn iana_to_utc(local: NaiveDateTime, tz: Tz) -> i64 {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(dt) => dt.timestamp(),
        // RFC 5545 §3.3.5: the first of the two.
        chrono::LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
        // RFC 5545 §3.3.5: "interpreted using the UTC offset before the
        // gap", i.e. the offset in force a day earlier.
        chrono::LocalResult::None => {
            let t = local.and_utc().timestamp();
            let before = chrono::DateTime::from_timestamp(t.saturating_sub(86_400), 0)
                .map(|u| {
                    tz.offset_from_utc_datetime(&u.naive_utc())
                        .fix()
                        .local_minus_utc()
                })
                .unwrap_or(0);
            t.saturating_sub(i64::from(before))
        }
    }
}

fn iana_offset(tz: Tz, utc: i64) -> i64 {
    chrono::DateTime::from_timestamp(utc, 0)
        .map(|u| {
            i64::from(
                tz.offset_from_utc_datetime(&u.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        })
        .unwrap_or(0)
}

/// Distinct VTIMEZONE texts kept in the cache; past this it starts over.
const TRANSITION_CACHE_SIZE: usize = 512;

/// Transitions of a VTIMEZONE, computed once per distinct text for the whole process.
///
/// Every object of a calendar repeats the same few VTIMEZONEs, and unrolling their yearly
/// rules up to the last supported year costs far more than evaluating a query on the
/// object; keyed by the exact lines, so any difference in a definition is its own entry.
fn shared_transitions(vtz: &Component) -> Option<Arc<Transitions>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<Transitions>>>>> = OnceLock::new();
    let mut key = String::new();
    component_text(vtz, &mut key);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return hit;
    }
    let computed = Transitions::of(vtz).map(Arc::new);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= TRANSITION_CACHE_SIZE {
            c.clear();
        }
        c.insert(key, computed.clone());
    }
    computed
}

fn component_text(c: &Component, out: &mut String) {
    out.push_str(&c.name);
    out.push('\n');
    for p in &c.properties {
        out.push_str(&p.line);
        out.push('\n');
    }
    for child in &c.components {
        component_text(child, out);
    }
    out.push_str("END\n");
}

impl Transitions {
    /// Reads the observances of a VTIMEZONE (RFC 5545 §3.6.5). Malformed
    /// observances are skipped; `None` when nothing usable is left.
    fn of(vtz: &Component) -> Option<Transitions> {
        // (onset UTC, offset from, offset to)
        let mut all: Vec<(i64, i32, i32)> = Vec::new();
        for obs in &vtz.components {
            if obs.name != "STANDARD" && obs.name != "DAYLIGHT" {
                continue;
            }
            let offset = |name: &str| {
                obs.property(name)
                    .and_then(|p| parse_utc_offset(&p.value).ok())
            };
            let (Some(from), Some(to)) = (offset("TZOFFSETFROM"), offset("TZOFFSETTO")) else {
                continue;
            };
            let Some(start) = obs
                .property("DTSTART")
                .and_then(|p| parse_date_value(&p.value, DateKind::Either).ok())
            else {
                continue;
            };
            // Onsets are local times in the offset before them.
            let onset =
                |local: NaiveDateTime| local.and_utc().timestamp().saturating_sub(i64::from(from));
            let mut onsets = vec![onset(start.naive())];
            for p in obs.properties_named("RRULE") {
                let Ok(rule) = parse_rrule(&p.value) else {
                    continue;
                };
                let until = rule.until;
                let beyond = move |t: NaiveDateTime| match until {
                    Some(DateValue::DateTime { local, utc: true }) => {
                        onset(t) > local.and_utc().timestamp()
                    }
                    Some(DateValue::DateTime { local, utc: false }) => t > local,
                    Some(DateValue::Date(d)) => t.date() > d,
                    None => false,
                };
                let window = Window {
                    from: None,
                    to: NaiveDate::from_ymd_opt(HORIZON_YEAR, 1, 1)
                        .map(|d| d.and_time(NaiveTime::MIN)),
                };
                let _ = walk(&rule, start.naive(), window, &beyond, &mut |t| {
                    onsets.push(onset(t));
                    if onsets.len() >= MAX_ONSETS {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                });
            }
            for p in obs.properties_named("RDATE") {
                for v in list(&p.value) {
                    match parse_date_value(v, DateKind::Either) {
                        Ok(DateValue::DateTime { local, utc: true }) => {
                            onsets.push(local.and_utc().timestamp())
                        }
                        Ok(d) => onsets.push(onset(d.naive())),
                        Err(_) => {}
                    }
                }
            }
            all.extend(onsets.into_iter().map(|u| (u, from, to)));
        }
        all.sort_by_key(|&(u, _, _)| u);
        let initial = all.first()?.1;
        Some(Transitions {
            onsets: all.into_iter().map(|(u, _, to)| (u, to)).collect(),
            initial,
        })
    }

    fn offset_at(&self, utc: i64) -> i32 {
        let n = self.onsets.partition_point(|&(u, _)| u <= utc);
        match n.checked_sub(1).and_then(|i| self.onsets.get(i)) {
            Some(&(_, off)) => off,
            None => self.initial,
        }
    }

    /// `t` is the wall-clock time read as if it were UTC. Tries the
    /// offsets in force a day around it (transitions are months apart).
    fn to_utc(&self, t: i64) -> i64 {
        let before = self.offset_at(t.saturating_sub(86_400 + 14 * 3600));
        let after = self.offset_at(t.saturating_add(86_400 + 14 * 3600));
        let valid = |o: i32| {
            let u = t.saturating_sub(i64::from(o));
            (self.offset_at(u) == o).then_some(u)
        };
        match (valid(before), valid(after)) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            // In the gap: the offset before it (RFC 5545 §3.3.5).
            (None, None) => t.saturating_sub(i64::from(before)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic: that is how they fail
mod tests {
    use super::*;
    use crate::parse::parse;

    const VTZ: &str = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:My Zone\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:19810329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nDTSTART:19961027T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";

    fn local(s: &str) -> NaiveDateTime {
        parse_date_value(s, DateKind::Either).unwrap().naive()
    }

    #[test]
    fn custom_vtimezone_matches_iana() {
        let root = parse(VTZ).unwrap();
        let clock = Clock::new(&root, None);
        let zone = clock.named("My Zone");
        assert_eq!(zone, ZoneRef::Custom(0));
        let berlin = ZoneRef::Iana(chrono_tz::Europe::Berlin);
        for s in [
            "20240115T100000",
            "20240715T100000",
            "20240331T023000", // gap
            "20241027T023000", // fold
            "20241027T013000",
            "20240331T013000",
            "20240331T030000",
        ] {
            assert_eq!(
                clock.to_utc(local(s), zone),
                clock.to_utc(local(s), berlin),
                "{s}"
            );
        }
        // The gap moves forward: 02:30 is read as +01:00, i.e. 01:30Z.
        assert_eq!(
            clock.to_utc(local("20240331T023000"), berlin),
            local("20240331T013000").and_utc().timestamp()
        );
    }
}
