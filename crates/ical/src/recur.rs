//! RRULE expansion (RFC 5545 §3.3.10) in wall-clock time.
//!
//! The walker knows nothing about time zones: it yields local date-times in
//! the zone of DTSTART, and the caller converts each one to UTC. That is
//! what keeps a weekly 09:00 meeting at 09:00 across a DST change.
//!
//! Each period of FREQ (a year, a month, a week, a day, an hour...) is
//! turned into its candidate set: days first (BYMONTH, BYWEEKNO, BYYEARDAY,
//! BYMONTHDAY, BYDAY, with the values missing from the rule taken from
//! DTSTART), then times (BYHOUR, BYMINUTE, BYSECOND), then BYSETPOS. For
//! the periods a BYxxx part *expands* in the RFC's table, "expand" is the
//! same as "keep the days of the period that match", so one filter serves
//! both columns of the table.

use std::ops::ControlFlow;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use crate::rrule::{Freq, Rule};

/// The walk stops after this many periods whatever the rule says. A rule
/// whose parts (almost) never match, such as
/// `FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5`, would otherwise walk to
/// the end of the calendar.
const MAX_PERIODS: u64 = 1_000_000;

/// At most this many candidates are built for one period.
/// `FREQ=YEARLY;BYHOUR=0,...,23;BYMINUTE=0,...,59;BYSECOND=0,...,59` would
/// otherwise build 31 million date-times per year before the instance
/// limit could stop it; any period this full exceeds every sensible
/// `max_instances` anyway, so only BYSETPOS on such a set is affected.
const MAX_CANDIDATES: usize = 200_000;

/// Years past this are not walked (RFC 5545 dates have four digits).
const LAST_YEAR: i32 = 9999;

/// Where the caller wants occurrences, in DTSTART's wall-clock time.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Window {
    /// Periods ending before this may be skipped without counting them.
    /// Only honoured without COUNT, where skipping changes nothing.
    pub from: Option<NaiveDateTime>,
    /// No period starting after this is walked.
    pub to: Option<NaiveDateTime>,
}

/// The rule with the values RFC 5545 §3.3.10 takes from DTSTART filled in.
struct Plan<'a> {
    rule: &'a Rule,
    dtstart: NaiveDateTime,
    bymonth: Vec<u32>,
    bymonthday: Vec<i32>,
    byday: Vec<(Option<i32>, u8)>,
    hours: Vec<u32>,
    minutes: Vec<u32>,
    seconds: Vec<u32>,
}

/// Calls `emit` with every occurrence of `rule` after `dtstart`, in order.
///
/// DTSTART itself is not emitted (the caller adds it: RFC 5545 §3.8.5.3
/// makes it the first instance whether or not the rule matches it) but it
/// counts towards COUNT. `beyond_until` says whether a local time lies
/// after UNTIL; the caller knows in which zone UNTIL must be compared.
pub(crate) fn walk(
    rule: &Rule,
    dtstart: NaiveDateTime,
    window: Window,
    beyond_until: &dyn Fn(NaiveDateTime) -> bool,
    emit: &mut dyn FnMut(NaiveDateTime) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let plan = Plan::new(rule, dtstart);
    let mut left = rule.count.map(|c| c.saturating_sub(1));
    if left == Some(0) {
        return ControlFlow::Continue(());
    }
    let mut k: i64 = match (rule.count, window.from) {
        (None, Some(from)) => plan.fast_forward(from),
        _ => 0,
    };
    let mut walked: u64 = 0;
    while walked < MAX_PERIODS {
        walked += 1;
        let Some(start) = plan.period_start(k) else {
            break;
        };
        if start.year() > LAST_YEAR || window.to.is_some_and(|to| start > to) {
            break;
        }
        let (candidates, next) = plan.candidates(k, start);
        for c in candidates {
            if c <= dtstart {
                continue;
            }
            if beyond_until(c) {
                return ControlFlow::Continue(());
            }
            if let Some(n) = left.as_mut() {
                if *n == 0 {
                    return ControlFlow::Continue(());
                }
                *n -= 1;
            }
            emit(c)?;
        }
        if left == Some(0) {
            break;
        }
        k = next.max(k.saturating_add(1));
    }
    ControlFlow::Continue(())
}

impl<'a> Plan<'a> {
    fn new(rule: &'a Rule, dtstart: NaiveDateTime) -> Plan<'a> {
        let mut bymonth = rule.bymonth.clone();
        let mut bymonthday = rule.bymonthday.clone();
        let mut byday = rule.byday.clone();
        let no_day_rule = rule.byweekno.is_empty()
            && rule.byyearday.is_empty()
            && rule.bymonthday.is_empty()
            && rule.byday.is_empty();
        let day = dtstart.day() as i32;
        let weekday = dtstart.weekday().num_days_from_monday() as u8;
        // RFC 5545 §3.3.10: "information necessary to calculate the
        // recurrence instances that is not provided by the rule parts is
        // obtained from DTSTART".
        match rule.freq {
            Freq::Yearly if no_day_rule => {
                bymonthday = vec![day];
                if bymonth.is_empty() {
                    bymonth = vec![dtstart.month()];
                }
            }
            Freq::Yearly
                if !rule.byweekno.is_empty()
                    && rule.byday.is_empty()
                    && rule.bymonthday.is_empty()
                    && rule.byyearday.is_empty() =>
            {
                byday = vec![(None, weekday)];
            }
            Freq::Monthly if no_day_rule => bymonthday = vec![day],
            Freq::Weekly if rule.byday.is_empty() => byday = vec![(None, weekday)],
            _ => {}
        }
        let list = |given: &[i32], from_start: u32, applies: bool| -> Vec<u32> {
            if given.is_empty() || !applies {
                vec![from_start]
            } else {
                // BYSECOND=60 (a leap second) has no chrono equivalent.
                let mut v: Vec<u32> = given
                    .iter()
                    .filter_map(|&n| u32::try_from(n).ok())
                    .filter(|&n| n < 60)
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            }
        };
        let f = rule.freq;
        Plan {
            rule,
            dtstart,
            bymonth,
            bymonthday,
            byday,
            // For HOURLY and shorter these are limits, checked on the
            // period itself; only the finer units expand.
            hours: list(&rule.byhour, dtstart.hour(), f >= Freq::Daily),
            minutes: list(&rule.byminute, dtstart.minute(), f >= Freq::Hourly),
            seconds: list(&rule.bysecond, dtstart.second(), f >= Freq::Minutely),
        }
    }

    fn step(&self) -> i64 {
        i64::from(self.rule.interval.max(1))
    }

    /// Length in seconds of the fixed-size periods (DAILY and shorter;
    /// WEEKLY is seven days).
    fn unit(&self) -> Option<i64> {
        match self.rule.freq {
            Freq::Secondly => Some(1),
            Freq::Minutely => Some(60),
            Freq::Hourly => Some(3600),
            Freq::Daily => Some(86_400),
            Freq::Weekly => Some(7 * 86_400),
            Freq::Monthly | Freq::Yearly => None,
        }
    }

    /// The start of the period holding DTSTART.
    fn base(&self) -> NaiveDateTime {
        let d = self.dtstart;
        let day = d.date();
        match self.rule.freq {
            Freq::Secondly => d,
            Freq::Minutely => {
                day.and_time(NaiveTime::MIN) + secs(i64::from(d.hour() * 3600 + d.minute() * 60))
            }
            Freq::Hourly => day.and_time(NaiveTime::MIN) + secs(i64::from(d.hour() * 3600)),
            Freq::Daily | Freq::Monthly | Freq::Yearly => day.and_time(NaiveTime::MIN),
            Freq::Weekly => {
                let back = (d.weekday().num_days_from_monday() + 7 - u32::from(self.rule.wkst)) % 7;
                day.and_time(NaiveTime::MIN) - secs(i64::from(back) * 86_400)
            }
        }
    }

    fn month_index(&self) -> i64 {
        i64::from(self.dtstart.year()) * 12 + i64::from(self.dtstart.month0())
    }

    /// The local start of period `k` (`k` periods of INTERVAL after the
    /// one holding DTSTART), or `None` outside chrono's calendar.
    fn period_start(&self, k: i64) -> Option<NaiveDateTime> {
        let n = k.checked_mul(self.step())?;
        if let Some(unit) = self.unit() {
            let delta = TimeDelta::try_seconds(n.checked_mul(unit)?)?;
            return self.base().checked_add_signed(delta);
        }
        let months = match self.rule.freq {
            Freq::Yearly => n.checked_mul(12)?,
            _ => n,
        };
        let idx = self.month_index().checked_add(months)?;
        let year = i32::try_from(idx.div_euclid(12)).ok()?;
        let month = u32::try_from(idx.rem_euclid(12)).ok()? + 1;
        let month = if self.rule.freq == Freq::Yearly {
            1
        } else {
            month
        };
        NaiveDate::from_ymd_opt(year, month, 1).map(|d| d.and_time(NaiveTime::MIN))
    }

    /// The first period that can hold an occurrence at or after `from`,
    /// less one for safety: every period before it ends before `from`.
    fn fast_forward(&self, from: NaiveDateTime) -> i64 {
        let base = self.base();
        let periods = match self.unit() {
            Some(unit) => (from - base).num_seconds() / unit.saturating_mul(self.step()),
            None => {
                let from_idx = i64::from(from.year()) * 12 + i64::from(from.month0());
                let diff = from_idx - self.month_index();
                match self.rule.freq {
                    Freq::Yearly => diff / 12 / self.step(),
                    _ => diff / self.step(),
                }
            }
        };
        periods.saturating_sub(1).max(0)
    }

    /// The sorted occurrences of period `k` (BYSETPOS applied), and the
    /// next period worth looking at.
    fn candidates(&self, k: i64, start: NaiveDateTime) -> (Vec<NaiveDateTime>, i64) {
        let next = k.saturating_add(1);
        let mut out = match self.rule.freq {
            Freq::Yearly | Freq::Monthly | Freq::Weekly | Freq::Daily => {
                let mut v = Vec::new();
                for day in self.days(start.date()) {
                    for &h in &self.hours {
                        for &m in &self.minutes {
                            for &s in &self.seconds {
                                if v.len() >= MAX_CANDIDATES {
                                    break;
                                }
                                if let Some(t) = NaiveTime::from_hms_opt(h, m, s) {
                                    v.push(day.and_time(t));
                                }
                            }
                        }
                    }
                }
                v
            }
            _ => {
                // Limits on the day, hour and minute: when the period fails
                // one, jump to the first period past that day/hour/minute
                // instead of testing every second of it.
                let r = self.rule;
                let skip_unit = if !self.day_matches(start.date()) {
                    Some(86_400)
                } else if r.freq < Freq::Hourly && !in_list(&r.byhour, start.hour()) {
                    Some(3600)
                } else if r.freq < Freq::Minutely && !in_list(&r.byminute, start.minute()) {
                    Some(60)
                } else if (r.freq == Freq::Hourly && !in_list(&r.byhour, start.hour()))
                    || (r.freq == Freq::Minutely && !in_list(&r.byminute, start.minute()))
                    || (r.freq == Freq::Secondly && !in_list(&r.bysecond, start.second()))
                {
                    // The period's own unit is limited: nothing here.
                    return (Vec::new(), next);
                } else {
                    None
                };
                if let Some(unit) = skip_unit {
                    return (
                        Vec::new(),
                        self.first_period_after(start, unit).unwrap_or(next),
                    );
                }
                let mut v = Vec::new();
                for &m in &self.minutes {
                    for &s in &self.seconds {
                        let (m, s) = match r.freq {
                            Freq::Hourly => (m, s),
                            Freq::Minutely => (start.minute(), s),
                            _ => (start.minute(), start.second()),
                        };
                        if let Some(t) = NaiveTime::from_hms_opt(start.hour(), m, s) {
                            v.push(start.date().and_time(t));
                        }
                    }
                }
                v
            }
        };
        out.sort_unstable();
        out.dedup();
        if !self.rule.bysetpos.is_empty() {
            out = self.set_positions(&out);
        }
        (out, next)
    }

    /// RFC 5545 §3.3.10 BYSETPOS: the n-th (or n-th from last) member of
    /// the period's set.
    fn set_positions(&self, set: &[NaiveDateTime]) -> Vec<NaiveDateTime> {
        let len = set.len() as i64;
        let mut v: Vec<NaiveDateTime> = self
            .rule
            .bysetpos
            .iter()
            .filter_map(|&p| {
                let i = if p > 0 {
                    i64::from(p) - 1
                } else {
                    len + i64::from(p)
                };
                usize::try_from(i).ok().and_then(|i| set.get(i)).copied()
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// For sub-daily rules: the first period starting at or after the
    /// next multiple of `unit` seconds (midnight, full hour, full minute).
    fn first_period_after(&self, start: NaiveDateTime, unit: i64) -> Option<i64> {
        let since_midnight = i64::from(start.num_seconds_from_midnight());
        let boundary = start + secs(unit - since_midnight % unit);
        let len = self.unit()?.checked_mul(self.step())?;
        let diff = (boundary - self.base()).num_seconds();
        Some(diff.checked_add(len - 1)? / len)
    }

    /// The days of the period starting on `first` that the rule keeps.
    fn days(&self, first: NaiveDate) -> Vec<NaiveDate> {
        let r = self.rule;
        let range = |from: NaiveDate, n: u32| -> Vec<NaiveDate> {
            from.iter_days().take(n as usize).collect()
        };
        let pool = match r.freq {
            Freq::Yearly if !r.byweekno.is_empty() => {
                let mut v = Vec::new();
                for &w in &r.byweekno {
                    if let Some(d) = week_start(first.year(), w, r.wkst) {
                        v.extend(range(d, 7));
                    }
                }
                v
            }
            Freq::Yearly if !self.bymonth.is_empty() => {
                let mut months = self.bymonth.clone();
                months.sort_unstable();
                months.dedup();
                months
                    .iter()
                    .filter_map(|&m| NaiveDate::from_ymd_opt(first.year(), m, 1))
                    .flat_map(|d| range(d, month_len(d)))
                    .collect()
            }
            Freq::Yearly => range(first, year_len(first.year())),
            Freq::Monthly => range(first, month_len(first)),
            Freq::Weekly => range(first, 7),
            _ => vec![first],
        };
        pool.into_iter().filter(|&d| self.day_matches(d)).collect()
    }

    fn day_matches(&self, d: NaiveDate) -> bool {
        let r = self.rule;
        if !self.bymonth.is_empty() && !self.bymonth.contains(&d.month()) {
            return false;
        }
        if !r.byyearday.is_empty() {
            let len = year_len(d.year()) as i32;
            let ord = d.ordinal() as i32;
            if !r.byyearday.iter().any(|&n| n == ord || n == ord - len - 1) {
                return false;
            }
        }
        if !self.bymonthday.is_empty() {
            let len = month_len(d) as i32;
            let day = d.day() as i32;
            if !self
                .bymonthday
                .iter()
                .any(|&n| n == day || n == day - len - 1)
            {
                return false;
            }
        }
        if !self.byday.is_empty() {
            let wd = d.weekday().num_days_from_monday() as u8;
            // Ordinals count within the month for MONTHLY (and YEARLY with
            // BYMONTH), within the year for plain YEARLY; elsewhere the RFC
            // gives them no meaning and they are ignored.
            let scope = match r.freq {
                Freq::Monthly => Some(true),
                Freq::Yearly if r.byweekno.is_empty() => Some(!r.bymonth.is_empty()),
                _ => None,
            };
            let ok = self.byday.iter().any(|&(n, day)| {
                if day != wd {
                    return false;
                }
                match (n, scope) {
                    (Some(n), Some(in_month)) => {
                        let (pos, len) = if in_month {
                            (d.day() as i32, month_len(d) as i32)
                        } else {
                            (d.ordinal() as i32, year_len(d.year()) as i32)
                        };
                        if n > 0 {
                            (pos - 1) / 7 + 1 == n
                        } else {
                            (len - pos) / 7 + 1 == -n
                        }
                    }
                    _ => true,
                }
            });
            if !ok {
                return false;
            }
        }
        true
    }
}

fn in_list(list: &[i32], v: u32) -> bool {
    list.is_empty() || list.iter().any(|&n| i64::from(n) == i64::from(v))
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::try_seconds(n).unwrap_or(TimeDelta::zero())
}

pub(crate) fn month_len(d: NaiveDate) -> u32 {
    let (y, m) = (d.year(), d.month());
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y.saturating_add(1), 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    match (next, NaiveDate::from_ymd_opt(y, m, 1)) {
        (Some(n), Some(f)) => (n - f).num_days() as u32,
        _ => 31,
    }
}

fn year_len(y: i32) -> u32 {
    if NaiveDate::from_ymd_opt(y, 2, 29).is_some() {
        366
    } else {
        365
    }
}

/// First day of week `w` of year `y` (RFC 5545 §3.3.10 BYWEEKNO: weeks
/// start on WKST, and week 1 is the first one with at least four days in
/// the year; negative numbers count from the last week). The week may
/// start in the previous year.
fn week_start(y: i32, w: i32, wkst: u8) -> Option<NaiveDate> {
    let week1 = |y: i32| -> Option<NaiveDate> {
        let jan1 = NaiveDate::from_ymd_opt(y, 1, 1)?;
        let offset = (jan1.weekday().num_days_from_monday() + 7 - u32::from(wkst)) % 7;
        if 7 - offset >= 4 {
            jan1.checked_sub_days(chrono::Days::new(u64::from(offset)))
        } else {
            jan1.checked_add_days(chrono::Days::new(u64::from(7 - offset)))
        }
    };
    let this = week1(y)?;
    let weeks = (week1(y.checked_add(1)?)? - this).num_days() / 7;
    let w = i64::from(w);
    let index = if w > 0 { w - 1 } else { weeks + w };
    if !(0..weeks).contains(&index) {
        return None;
    }
    this.checked_add_days(chrono::Days::new(u64::try_from(index * 7).ok()?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic: that is how they fail
mod tests {
    use super::*;
    use crate::rrule::parse_rrule;
    use crate::value::{parse_date_value, DateKind};

    fn at(s: &str) -> NaiveDateTime {
        parse_date_value(s, DateKind::Either).unwrap().naive()
    }

    fn run(rule: &str, start: &str, n: usize) -> Vec<String> {
        let rule = parse_rrule(rule).unwrap();
        let mut out = vec![at(start).format("%Y%m%dT%H%M%S").to_string()];
        let _ = walk(&rule, at(start), Window::default(), &|_| false, &mut |t| {
            out.push(t.format("%Y%m%dT%H%M%S").to_string());
            if out.len() >= n {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        out
    }

    #[test]
    fn rfc5545_examples() {
        // "Every other week on Monday, Wednesday, and Friday until
        // December 24, 1997, starting on Monday, September 1, 1997".
        assert_eq!(
            run(
                "FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=MO,WE,FR",
                "19970901T090000",
                7
            ),
            [
                "19970901T090000",
                "19970903T090000",
                "19970905T090000",
                "19970915T090000",
                "19970917T090000",
                "19970919T090000",
                "19970929T090000"
            ]
        );
        // "The third instance into the month of one of Tuesday,
        // Wednesday, or Thursday, for the next 3 months".
        assert_eq!(
            run(
                "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
                "19970904T090000",
                10
            ),
            ["19970904T090000", "19971007T090000", "19971106T090000"]
        );
        // "Monday of week number 20".
        assert_eq!(
            run("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "19970512T090000", 3),
            ["19970512T090000", "19980511T090000", "19990517T090000"]
        );
        // "Every 20th Monday of the year".
        assert_eq!(
            run("FREQ=YEARLY;BYDAY=20MO", "19970519T090000", 3),
            ["19970519T090000", "19980518T090000", "19990517T090000"]
        );
        // "Every 3 hours from 9:00 AM to 5:00 PM on a specific day".
        assert_eq!(
            run(
                "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z",
                "19970902T090000",
                5
            )[..3],
            ["19970902T090000", "19970902T120000", "19970902T150000"]
        );
        // "Every day in January, for 3 years" (the BYMONTH limit on DAILY).
        let v = run("FREQ=DAILY;BYMONTH=1", "19980101T090000", 33);
        assert_eq!(v[30], "19980131T090000");
        assert_eq!(v[31], "19990101T090000");
        // "Every 15 minutes for 6 occurrences".
        assert_eq!(
            run("FREQ=MINUTELY;INTERVAL=15;COUNT=6", "19970902T090000", 10).len(),
            6
        );
        // "Every 20 minutes from 9:00 AM to 4:40 PM every day".
        let v = run(
            "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16",
            "19970902T090000",
            26,
        );
        assert_eq!(v[23], "19970902T164000");
        assert_eq!(v[24], "19970903T090000");
    }

    #[test]
    fn week_numbers() {
        // ISO week 1 of 2025 starts on Monday 2024-12-30.
        assert_eq!(week_start(2025, 1, 0).unwrap().to_string(), "2024-12-30");
        assert_eq!(week_start(2020, -1, 0).unwrap().to_string(), "2020-12-28");
        assert_eq!(week_start(2020, 53, 0).unwrap().to_string(), "2020-12-28");
        assert!(week_start(2021, 53, 0).is_none());
    }
}
