//! `limit-recurrence-set` and `limit-freebusy-set` (RFC 4791 §9.6.6, §9.6.7): the stored
//! object with only the parts that matter for a time range, written from the original lines.

use crate::expand::{instances, EvalContext, TimeRange};
use crate::localtime::Clock;
use crate::parse::{parse, Component};
use crate::select::write_folded;
use crate::value::{list, parse_date_value, parse_period, DateKind, PeriodEnd};
use crate::ExpandError;

/// The master components and only those overrides (RECURRENCE-ID components) that supply an
/// instance inside the range or whose original instance lies inside it.
pub fn limit_recurrence_set(
    text: &str,
    range: TimeRange,
    ctx: &EvalContext,
) -> Result<String, ExpandError> {
    let root = parse(text)?;
    let supplied = instances(&root, None, range, ctx)?;
    let clock = Clock::new(&root, ctx.floating_tz);
    let keep = |c: &Component| {
        let Some(rid) = c.property("RECURRENCE-ID") else {
            return true;
        };
        if supplied.iter().any(|i| std::ptr::eq(i.component, c)) {
            return true;
        }
        parse_date_value(&rid.value, DateKind::from_param(rid.param("VALUE")))
            .map(|v| {
                let t = clock.value_to_utc(rid, v);
                range.start.is_none_or(|s| t >= s) && range.end.is_none_or(|e| t < e)
            })
            .unwrap_or(true)
    };
    let mut out = String::with_capacity(text.len());
    write_where(&root, &keep, &|_, _| true, &mut out);
    Ok(out)
}

/// Every component, with only the FREEBUSY properties that have a period overlapping the
/// range (RFC 4791 §9.6.7).
pub fn limit_freebusy_set(text: &str, range: TimeRange) -> Result<String, ExpandError> {
    let root = parse(text)?;
    let clock = Clock::new(&root, None);
    let keep_prop = |c: &Component, p: &crate::Property| {
        if c.name != "VFREEBUSY" || p.name != "FREEBUSY" {
            return true;
        }
        list(&p.value).any(|period| match parse_period(period) {
            Ok((s, e)) => {
                let start = clock.value_to_utc(p, s);
                let end = match e {
                    PeriodEnd::End(v) => clock.value_to_utc(p, v),
                    PeriodEnd::Duration(d) => start.saturating_add(d),
                };
                range.overlaps(start, end)
            }
            Err(_) => true,
        })
    };
    let mut out = String::with_capacity(text.len());
    write_where(&root, &|_| true, &keep_prop, &mut out);
    Ok(out)
}

fn write_where(
    c: &Component,
    keep_comp: &dyn Fn(&Component) -> bool,
    keep_prop: &dyn Fn(&Component, &crate::Property) -> bool,
    out: &mut String,
) {
    write_folded(&format!("BEGIN:{}", c.name), out);
    for p in c.properties.iter().filter(|p| keep_prop(c, p)) {
        write_folded(&p.line, out);
    }
    for child in c.components.iter().filter(|child| keep_comp(child)) {
        write_where(child, keep_comp, keep_prop, out);
    }
    write_folded(&format!("END:{}", c.name), out);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const CTX: EvalContext = EvalContext {
        floating_tz: None,
        max_instances: 1000,
    };

    // 2026-03-01T00:00:00Z
    const MARCH: i64 = 1_772_323_200;
    const DAY: i64 = 86_400;

    const WEEKLY: &str = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:w\r\nDTSTART:20260302T090000Z\r\n\
        DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=6\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:w\r\n\
        RECURRENCE-ID:20260309T090000Z\r\nDTSTART:20260310T090000Z\r\nDURATION:PT1H\r\n\
        SUMMARY:second\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID:20260330T090000Z\r\n\
        DTSTART:20260330T100000Z\r\nDURATION:PT1H\r\nSUMMARY:fifth\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn only_overrides_touching_the_range_are_kept() {
        let first_week = TimeRange::new(Some(MARCH), Some(MARCH + 7 * DAY));
        let out = limit_recurrence_set(WEEKLY, first_week, &CTX).unwrap();
        assert!(out.contains("RRULE:FREQ=WEEKLY"));
        assert!(!out.contains("second") && !out.contains("fifth"), "{out}");
        let second_week = TimeRange::new(Some(MARCH + 8 * DAY), Some(MARCH + 14 * DAY));
        let out = limit_recurrence_set(WEEKLY, second_week, &CTX).unwrap();
        assert!(out.contains("second") && !out.contains("fifth"), "{out}");
    }

    #[test]
    fn freebusy_periods_outside_the_range_are_dropped() {
        let fb = "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nUID:f\r\n\
                  FREEBUSY:20260302T090000Z/PT1H\r\nFREEBUSY:20260320T090000Z/PT1H\r\n\
                  END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
        let out =
            limit_freebusy_set(fb, TimeRange::new(Some(MARCH), Some(MARCH + 7 * DAY))).unwrap();
        assert!(
            out.contains("20260302T090000Z") && !out.contains("20260320T090000Z"),
            "{out}"
        );
    }
}
