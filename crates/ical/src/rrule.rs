//! RECUR values (RFC 5545 §3.3.10): validation, and a conservative answer
//! to "when can the last occurrence start?" without expanding the set.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use crate::value::{parse_date_value, DateKind, DateValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Freq {
    Secondly,
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// A parsed recurrence rule. Bounds use only a few parts; expansion
/// ([`crate::recur`]) uses all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub freq: Freq,
    pub interval: u32,
    pub count: Option<u32>,
    pub until: Option<DateValue>,
    /// BYDAY entries as (ordinal, weekday index 0 = MO).
    pub byday: Vec<(Option<i32>, u8)>,
    pub bymonthday: Vec<i32>,
    pub bysecond: Vec<i32>,
    pub byminute: Vec<i32>,
    pub byhour: Vec<i32>,
    pub byyearday: Vec<i32>,
    pub byweekno: Vec<i32>,
    /// Gregorian months 1..=12 (leap months only exist with RSCALE).
    pub bymonth: Vec<u32>,
    pub bysetpos: Vec<i32>,
    /// Week start, 0 = MO (the default, RFC 5545 §3.3.10).
    pub wkst: u8,
    /// RSCALE (RFC 7529) other than GREGORIAN: a calendar system this
    /// crate cannot expand.
    pub non_gregorian: bool,
    /// Names of the BYxxx parts present (upper case).
    parts: Vec<String>,
}

/// How far a rule's occurrences reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extent {
    /// No COUNT and no UNTIL, or a COUNT we cannot bound cheaply.
    Unbounded,
    /// Occurrences start at or before this UNTIL (RFC 5545: inclusive).
    Until(DateValue),
    /// Occurrences start at or before this local (wall-clock) time.
    LastLocal(NaiveDateTime),
}

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

pub(crate) fn parse_rrule(value: &str) -> Result<Rule, String> {
    let mut freq = None;
    let mut interval = 1u32;
    let mut count = None;
    let mut until = None;
    let mut byday = Vec::new();
    let mut bymonthday = Vec::new();
    let mut bysecond = Vec::new();
    let mut byminute = Vec::new();
    let mut byhour = Vec::new();
    let mut byyearday = Vec::new();
    let mut byweekno = Vec::new();
    let mut bymonth = Vec::new();
    let mut bysetpos = Vec::new();
    let mut wkst = 0u8;
    let mut non_gregorian = false;
    let mut parts: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut rscale = false;
    let mut bymonth_beyond_12 = false;

    for part in value.trim().split(';').filter(|p| !p.is_empty()) {
        let (name, val) = part
            .split_once('=')
            .ok_or_else(|| format!("RRULE part {part:?} is not NAME=VALUE"))?;
        let name = name.to_ascii_uppercase();
        if seen.contains(&name) {
            return Err(format!("RRULE has {name} twice"));
        }
        seen.push(name.clone());
        let bad = || format!("RRULE {name}={val:?} is not valid");
        match name.as_str() {
            "FREQ" => {
                freq = Some(match val.to_ascii_uppercase().as_str() {
                    "SECONDLY" => Freq::Secondly,
                    "MINUTELY" => Freq::Minutely,
                    "HOURLY" => Freq::Hourly,
                    "DAILY" => Freq::Daily,
                    "WEEKLY" => Freq::Weekly,
                    "MONTHLY" => Freq::Monthly,
                    "YEARLY" => Freq::Yearly,
                    _ => return Err(bad()),
                })
            }
            "INTERVAL" => {
                interval = val.parse().ok().filter(|&n: &u32| n > 0).ok_or_else(bad)?;
            }
            "COUNT" => count = Some(val.parse().ok().filter(|&n: &u32| n > 0).ok_or_else(bad)?),
            "UNTIL" => until = Some(parse_date_value(val, DateKind::Either)?),
            "WKST" => {
                wkst = weekday(val).ok_or_else(bad)?;
            }
            "BYDAY" => {
                for item in val.split(',') {
                    byday.push(parse_byday(item).ok_or_else(bad)?);
                }
                parts.push(name);
            }
            "BYMONTHDAY" => {
                bymonthday = int_list(val, 1, 31, true).ok_or_else(bad)?;
                parts.push(name);
            }
            "BYSECOND" | "BYMINUTE" | "BYHOUR" => {
                let max = match name.as_str() {
                    "BYSECOND" => 60,
                    "BYMINUTE" => 59,
                    _ => 23,
                };
                let values = int_list(val, 0, max, false).ok_or_else(bad)?;
                match name.as_str() {
                    "BYSECOND" => bysecond = values,
                    "BYMINUTE" => byminute = values,
                    _ => byhour = values,
                }
                parts.push(name);
            }
            "BYYEARDAY" | "BYSETPOS" => {
                let values = int_list(val, 1, 366, true).ok_or_else(bad)?;
                if name == "BYYEARDAY" {
                    byyearday = values;
                } else {
                    bysetpos = values;
                }
                parts.push(name);
            }
            "BYWEEKNO" => {
                byweekno = int_list(val, 1, 53, true).ok_or_else(bad)?;
                parts.push(name);
            }
            "BYMONTH" => {
                // RFC 7529 §4.2: with RSCALE a leap month is written "5L".
                let ok = val.split(',').all(|m| {
                    let plain = m.strip_suffix(['L', 'l']);
                    bymonth_beyond_12 |= plain.is_some();
                    let m = plain.unwrap_or(m);
                    bymonth_beyond_12 |= m == "13";
                    match m.parse::<u32>() {
                        Ok(m) if (1..=13).contains(&m) => {
                            if m <= 12 && plain.is_none() {
                                bymonth.push(m);
                            }
                            true
                        }
                        _ => false,
                    }
                });
                if !ok {
                    return Err(bad());
                }
                parts.push(name);
            }
            // RFC 7529 non-Gregorian rules: valid, but beyond what the
            // bounds below understand.
            "RSCALE" | "SKIP" => {
                rscale = true;
                non_gregorian |= name == "RSCALE" && !val.eq_ignore_ascii_case("GREGORIAN");
                parts.push(name);
            }
            n if n.starts_with("X-") => parts.push(name),
            _ => return Err(format!("RRULE has an unknown part {name}")),
        }
    }
    let freq = freq.ok_or_else(|| "RRULE has no FREQ".to_string())?;
    if count.is_some() && until.is_some() {
        return Err("RRULE has both COUNT and UNTIL (RFC 5545 §3.3.10)".to_string());
    }
    // Without RSCALE only the twelve Gregorian months exist.
    if !rscale && bymonth_beyond_12 {
        return Err("RRULE BYMONTH must be 1..12 without RSCALE (RFC 7529)".to_string());
    }
    Ok(Rule {
        freq,
        interval,
        count,
        until,
        byday,
        bymonthday,
        bysecond,
        byminute,
        byhour,
        byyearday,
        byweekno,
        bymonth,
        bysetpos,
        wkst,
        non_gregorian,
        parts,
    })
}

fn weekday(s: &str) -> Option<u8> {
    WEEKDAYS
        .iter()
        .position(|d| d.eq_ignore_ascii_case(s))
        .map(|i| i as u8)
}

fn parse_byday(item: &str) -> Option<(Option<i32>, u8)> {
    let item = item.trim();
    if item.len() < 2 || !item.is_ascii() {
        return None;
    }
    let (num, day) = item.split_at(item.len() - 2);
    let day = weekday(day)?;
    if num.is_empty() {
        return Some((None, day));
    }
    let n: i32 = num.parse().ok()?;
    if n == 0 || n.abs() > 53 {
        return None;
    }
    Some((Some(n), day))
}

fn int_list(val: &str, min: i32, max: i32, signed: bool) -> Option<Vec<i32>> {
    val.split(',')
        .map(|s| {
            let n: i32 = s.trim().parse().ok()?;
            let a = if signed { n.abs() } else { n };
            (n >= 0 || signed).then_some(())?;
            (min..=max).contains(&a).then_some(n)
        })
        .collect()
}

impl Rule {
    fn has(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }

    /// How far the occurrences of this rule, anchored at `dtstart` (local
    /// wall-clock time), can reach.
    ///
    /// For COUNT the answer is only given when every period of the rule
    /// is sure to hold at least one occurrence: then `COUNT` occurrences
    /// fit in `(COUNT-1)*INTERVAL+1` periods starting at DTSTART's period
    /// (DTSTART itself counts as the first, RFC 5545 §3.3.10). Rules that
    /// can leave periods empty (Friday the 13th, BYSETPOS, the 31st of
    /// each month...) get `Unbounded`, which is always safe for a filter.
    pub(crate) fn extent(&self, dtstart: NaiveDateTime) -> Extent {
        if let Some(until) = self.until {
            return Extent::Until(until);
        }
        let Some(count) = self.count else {
            return Extent::Unbounded;
        };
        if !self.every_period_has_an_occurrence(dtstart) {
            return Extent::Unbounded;
        }
        let periods = u64::from(count - 1)
            .saturating_mul(u64::from(self.interval))
            .saturating_add(1);
        let Ok(periods) = i64::try_from(periods) else {
            return Extent::Unbounded;
        };
        let day = dtstart.date();
        let end = match self.freq {
            Freq::Secondly => dtstart.checked_add_signed(seconds(periods, 1)),
            Freq::Minutely => dtstart
                .with_second(0)
                .and_then(|t| t.checked_add_signed(seconds(periods, 60))),
            Freq::Hourly => dtstart
                .with_second(0)
                .and_then(|t| t.with_minute(0))
                .and_then(|t| t.checked_add_signed(seconds(periods, 3600))),
            Freq::Daily => midnight(day).checked_add_signed(seconds(periods, 86_400)),
            // Whatever WKST is, DTSTART's week started at most six days
            // before it; one extra week covers that.
            Freq::Weekly => {
                midnight(day).checked_add_signed(seconds(periods.saturating_add(1), 604_800))
            }
            Freq::Monthly => add_months(day.with_day(1), periods),
            Freq::Yearly => add_months(
                day.with_day(1).and_then(|d| d.with_month(1)),
                periods.saturating_mul(12),
            ),
        };
        end.map_or(Extent::Unbounded, Extent::LastLocal)
    }

    fn every_period_has_an_occurrence(&self, dtstart: NaiveDateTime) -> bool {
        let f = self.freq;
        let mut has_day_rule = false;
        for part in &self.parts {
            let ok = match part.as_str() {
                // Expanding parts add occurrences inside a period; they
                // are only limits when the period is shorter than them.
                "BYSECOND" => f >= Freq::Minutely,
                "BYMINUTE" => f >= Freq::Hourly,
                "BYHOUR" => f >= Freq::Daily,
                "BYMONTH" => f == Freq::Yearly,
                "BYDAY" => {
                    has_day_rule = true;
                    let max_ordinal = match f {
                        Freq::Weekly => 0,
                        Freq::Monthly => 4,
                        Freq::Yearly if self.has("BYMONTH") => 4,
                        Freq::Yearly => 52,
                        _ => return false,
                    };
                    !self.has("BYMONTHDAY")
                        && self
                            .byday
                            .iter()
                            .all(|(n, _)| n.is_none_or(|n| n.abs() <= max_ordinal))
                }
                "BYMONTHDAY" => {
                    has_day_rule = true;
                    matches!(f, Freq::Monthly | Freq::Yearly)
                        && self.bymonthday.iter().all(|d| d.abs() <= 28)
                }
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        // Without a day rule MONTHLY and YEARLY reuse DTSTART's day of the
        // month, which some months lack (the 31st, February 29).
        if matches!(f, Freq::Monthly | Freq::Yearly) && !has_day_rule {
            return dtstart.day() <= 28;
        }
        true
    }
}

fn seconds(n: i64, unit: i64) -> TimeDelta {
    TimeDelta::try_seconds(n.saturating_mul(unit)).unwrap_or(TimeDelta::MAX)
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(NaiveTime::MIN)
}

fn add_months(first: Option<NaiveDate>, months: i64) -> Option<NaiveDateTime> {
    let months = u32::try_from(months).ok()?;
    first?.checked_add_months(Months::new(months)).map(midnight)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic: that is how they fail
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        parse_date_value(s, DateKind::Either).unwrap().naive()
    }

    #[test]
    fn validation() {
        let ok = [
            "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20200101T000000Z;WKST=SU",
            "FREQ=MONTHLY;BYDAY=1FR,-1SU;BYSETPOS=-1",
            "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
            "RSCALE=CHINESE;FREQ=YEARLY;BYMONTH=5L;SKIP=FORWARD",
            "FREQ=DAILY;X-FOO=1",
        ];
        for r in ok {
            assert!(parse_rrule(r).is_ok(), "{r}");
        }
        let bad = [
            "",
            "INTERVAL=2",
            "RRULE:AnythingRandom;FREQ=WEEKLY",
            "FREQ=FORTNIGHTLY",
            "FREQ=DAILY;COUNT=0",
            "FREQ=DAILY;INTERVAL=0",
            "FREQ=DAILY;COUNT=3;UNTIL=20200101",
            "FREQ=DAILY;UNTIL=20123456T123456",
            "FREQ=DAILY;BYHOUR=24",
            "FREQ=MONTHLY;BYMONTHDAY=0",
            "FREQ=YEARLY;BYMONTH=13",
            "FREQ=WEEKLY;BYDAY=XX",
            "FREQ=DAILY;FREQ=DAILY",
            "FREQ=DAILY;BOGUS=1",
        ];
        for r in bad {
            assert!(parse_rrule(r).is_err(), "{r}");
        }
    }

    #[test]
    fn count_extent() {
        let cases = [
            // Exact-period rules: last start <= bound.
            (
                "FREQ=DAILY;COUNT=10",
                "20200101T100000",
                Some("2020-01-11 00:00:00"),
            ),
            (
                "FREQ=DAILY;INTERVAL=2;COUNT=3",
                "20200101T100000",
                Some("2020-01-06 00:00:00"),
            ),
            (
                "FREQ=WEEKLY;COUNT=2;BYDAY=MO,FR",
                "20200106T100000",
                Some("2020-01-27 00:00:00"),
            ),
            (
                "FREQ=MONTHLY;COUNT=3",
                "20200115T100000",
                Some("2020-04-01 00:00:00"),
            ),
            (
                "FREQ=YEARLY;COUNT=2",
                "20200115T100000",
                Some("2022-01-01 00:00:00"),
            ),
            (
                "FREQ=HOURLY;COUNT=3",
                "20200115T103000",
                Some("2020-01-15 13:00:00"),
            ),
            // Periods that may be empty: no cheap bound.
            ("FREQ=MONTHLY;COUNT=3", "20200131T100000", None),
            ("FREQ=YEARLY;COUNT=3", "20200229T100000", None),
            (
                "FREQ=MONTHLY;COUNT=3;BYDAY=FR;BYMONTHDAY=13",
                "20200313T100000",
                None,
            ),
            ("FREQ=MONTHLY;COUNT=3;BYDAY=5FR", "20200131T100000", None),
            ("FREQ=DAILY;COUNT=3;BYDAY=MO", "20200106T100000", None),
            (
                "FREQ=MONTHLY;COUNT=3;BYSETPOS=1;BYDAY=MO",
                "20200106T100000",
                None,
            ),
            ("FREQ=DAILY", "20200106T100000", None),
        ];
        for (r, start, want) in cases {
            let got = match parse_rrule(r).unwrap().extent(at(start)) {
                Extent::LastLocal(t) => Some(t.to_string()),
                Extent::Unbounded => None,
                Extent::Until(_) => panic!("no UNTIL in {r}"),
            };
            assert_eq!(got.as_deref(), want, "{r}");
        }
        assert!(matches!(
            parse_rrule("FREQ=DAILY;UNTIL=20200101")
                .unwrap()
                .extent(at("20190101")),
            Extent::Until(DateValue::Date(_))
        ));
        assert_eq!(
            parse_rrule("FREQ=SECONDLY;COUNT=4294967295;INTERVAL=4294967295")
                .unwrap()
                .extent(at("20200101T000000")),
            Extent::Unbounded
        );
    }
}
