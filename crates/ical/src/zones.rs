//! Wall-clock values to UTC intervals, using the VTIMEZONEs of the object
//! first and [`crate::tz::resolve_tzid`] second.
//!
//! Every conversion yields a [`Span`]: the UTC seconds the value may denote.
//! It is one instant for UTC and IANA zones, and wider when the value is
//! floating or its zone is only known from a VTIMEZONE, because the index
//! built from it must never be narrower than the truth (RFC 4791 §9.9).

use chrono::{NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use crate::parse::{Component, Property};
use crate::value::{parse_utc_offset, unescape_text, DateValue};

/// Floating times and DATEs are read later in the calendar's own time zone
/// (RFC 4791 §9.9), which can be anything from UTC-12 to UTC+14.
pub(crate) const FLOATING_SLACK: i64 = 14 * 3600;

/// Where a value's wall-clock time lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    Utc,
    Floating,
    Iana(Tz),
    /// A VTIMEZONE of the object, reduced to the range of its offsets
    /// (seconds east of UTC).
    Custom {
        min: i32,
        max: i32,
    },
}

/// The UTC seconds a value may denote: `lo..=hi`, `nominal` being the best
/// single guess (used for min/max-date-time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub lo: i64,
    pub hi: i64,
    pub nominal: i64,
}

impl Span {
    pub(crate) fn shift(self, secs: i64) -> Span {
        Span {
            lo: self.lo.saturating_add(secs),
            hi: self.hi.saturating_add(secs),
            nominal: self.nominal.saturating_add(secs),
        }
    }
}

/// The time zones defined by one VCALENDAR.
pub(crate) struct Zones {
    custom: Vec<(String, Zone)>,
}

impl Zones {
    /// Reads the VTIMEZONEs of `root`, checking what bounds depend on: a
    /// TZID, and well-formed TZOFFSETFROM/TZOFFSETTO (RFC 5545 §3.6.5).
    pub(crate) fn from_calendar(root: &Component) -> Result<Zones, String> {
        let mut custom = Vec::new();
        for vtz in root.components_named("VTIMEZONE") {
            let tzid = vtz
                .property("TZID")
                .map(|p| unescape_text(&p.value))
                .ok_or("VTIMEZONE without TZID")?;
            let mut offsets = Vec::new();
            for obs in &vtz.components {
                if obs.name != "STANDARD" && obs.name != "DAYLIGHT" {
                    continue;
                }
                for name in ["TZOFFSETFROM", "TZOFFSETTO"] {
                    let p = obs.property(name).ok_or_else(|| {
                        format!("{} in VTIMEZONE {tzid:?} has no {name}", obs.name)
                    })?;
                    let off = parse_utc_offset(&p.value)
                        .map_err(|e| format!("{name} in VTIMEZONE {tzid:?}: {e}"))?;
                    offsets.push(off);
                }
            }
            // Without observances the definition says nothing usable.
            let zone = match (offsets.iter().min(), offsets.iter().max()) {
                (Some(&min), Some(&max)) => Zone::Custom { min, max },
                _ => Zone::Floating,
            };
            custom.push((tzid, zone));
        }
        Ok(Zones { custom })
    }

    /// The zone of a date property's value. The object's own VTIMEZONE
    /// wins over any database, even for a well-known name, because the
    /// client defined it (RFC 5545 §3.2.19).
    pub(crate) fn zone_of(&self, prop: &Property, value: DateValue) -> Zone {
        match value {
            DateValue::Date(_) => Zone::Floating,
            DateValue::DateTime { utc: true, .. } => Zone::Utc,
            DateValue::DateTime { utc: false, .. } => match prop.param("TZID") {
                Some(tzid) => self.named(tzid),
                None => Zone::Floating,
            },
        }
    }

    pub(crate) fn named(&self, tzid: &str) -> Zone {
        let exact = self.custom.iter().find(|(id, _)| id == tzid);
        let loose = || {
            self.custom
                .iter()
                .find(|(id, _)| id.trim().eq_ignore_ascii_case(tzid.trim()))
        };
        if let Some((_, zone)) = exact.or_else(loose) {
            return *zone;
        }
        crate::tz::resolve_tzid(tzid).map_or(Zone::Floating, Zone::Iana)
    }
}

/// Converts a wall-clock time in `zone` to the UTC seconds it may denote.
pub(crate) fn to_span(local: NaiveDateTime, zone: Zone) -> Span {
    let t = local.and_utc().timestamp();
    let exact = |u: i64| Span {
        lo: u,
        hi: u,
        nominal: u,
    };
    match zone {
        Zone::Utc => exact(t),
        Zone::Floating => Span {
            lo: t.saturating_sub(FLOATING_SLACK),
            hi: t.saturating_add(FLOATING_SLACK),
            nominal: t,
        },
        Zone::Custom { min, max } => Span {
            lo: t.saturating_sub(i64::from(max)),
            hi: t.saturating_sub(i64::from(min)),
            nominal: t.saturating_sub((i64::from(min) + i64::from(max)) / 2),
        },
        Zone::Iana(tz) => {
            let mut offsets: Vec<i64> = Vec::with_capacity(2);
            match tz.from_local_datetime(&local) {
                chrono::LocalResult::Single(dt) => offsets.push(offset_secs(&dt)),
                chrono::LocalResult::Ambiguous(a, b) => {
                    offsets.push(offset_secs(&a));
                    offsets.push(offset_secs(&b));
                }
                // A wall-clock time skipped by a DST jump: it lies between
                // the offsets in force around it.
                chrono::LocalResult::None => {
                    for probe in [t.saturating_sub(86_400), t.saturating_add(86_400)] {
                        if let Some(utc) = chrono::DateTime::from_timestamp(probe, 0) {
                            offsets.push(i64::from(
                                tz.offset_from_utc_datetime(&utc.naive_utc())
                                    .fix()
                                    .local_minus_utc(),
                            ));
                        }
                    }
                }
            }
            match (offsets.iter().min(), offsets.iter().max()) {
                (Some(&min), Some(&max)) => Span {
                    lo: t.saturating_sub(max),
                    hi: t.saturating_sub(min),
                    nominal: t.saturating_sub(max),
                },
                _ => to_span(local, Zone::Floating),
            }
        }
    }
}

fn offset_secs(dt: &chrono::DateTime<Tz>) -> i64 {
    i64::from(dt.offset().fix().local_minus_utc())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic: that is how they fail
mod tests {
    use super::*;
    use crate::value::{parse_date_value, DateKind};

    fn local(s: &str) -> NaiveDateTime {
        parse_date_value(s, DateKind::Either).unwrap().naive()
    }

    #[test]
    fn iana_single_gap_and_fold() {
        let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
        // 2024-01-15 10:00 CET = 09:00 UTC.
        let s = to_span(local("20240115T100000"), berlin);
        assert_eq!((s.lo, s.hi), (1_705_309_200, 1_705_309_200));
        // 2024-03-31 02:30 does not exist in Berlin: between +1 and +2.
        let s = to_span(local("20240331T023000"), berlin);
        assert_eq!(s.hi - s.lo, 3600);
        // 2024-10-27 02:30 happens twice.
        let s = to_span(local("20241027T023000"), berlin);
        assert_eq!(s.hi - s.lo, 3600);
    }

    #[test]
    fn floating_and_custom_widen() {
        let t = local("20240115T100000").and_utc().timestamp();
        let f = to_span(local("20240115T100000"), Zone::Floating);
        assert_eq!((f.lo, f.hi), (t - FLOATING_SLACK, t + FLOATING_SLACK));
        let c = to_span(
            local("20240115T100000"),
            Zone::Custom {
                min: 3600,
                max: 7200,
            },
        );
        assert_eq!((c.lo, c.hi), (t - 7200, t - 3600));
    }
}
