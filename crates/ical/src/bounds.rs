//! The UTC span an object's occurrences (and alarms) can touch, for the
//! store's SQL pre-filter of time-range queries.
//!
//! The span must never be narrower than the truth (RFC 4791 §9.9: a
//! filter that skips a matching object is a wrong answer, one that keeps
//! a non-matching object only costs a closer look). So every doubt widens
//! it, and `None` means "no bound on this side".

use crate::kind::ComponentKind;
use crate::parse::{Component, Property};
use crate::rrule::{parse_rrule, Extent};
use crate::value::date_of;
use crate::value::{
    list, parse_date_value, parse_duration, parse_period, DateKind, DateValue, PeriodEnd,
};
use crate::zones::{to_span, Span, Zone, Zones};

const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub first: Option<i64>,
    pub last: Option<i64>,
}

/// The union of two spans; an open side stays open.
pub(crate) fn merge(a: Bounds, b: Bounds) -> Bounds {
    Bounds {
        first: a.first.zip(b.first).map(|(x, y)| x.min(y)),
        last: a.last.zip(b.last).map(|(x, y)| x.max(y)),
    }
}

/// One instance: where it starts and ends, plus what recurrence needs.
struct Instance {
    start: Span,
    end: Span,
    /// DTSTART as written, anchoring RRULE and giving RDATE its duration.
    anchor: Option<(DateValue, Zone)>,
}

pub(crate) fn component_bounds(
    c: &Component,
    kind: ComponentKind,
    zones: &Zones,
) -> Result<Bounds, String> {
    let span_of = |p: &Property| -> Result<(DateValue, Zone, Span), String> {
        let v = date_of(p)?;
        let z = zones.zone_of(p, v);
        Ok((v, z, to_span(v.naive(), z)))
    };
    let dtstart = c.property("DTSTART").map(span_of).transpose()?;
    let dtend = c.property("DTEND").map(span_of).transpose()?;
    let due = c.property("DUE").map(span_of).transpose()?;
    let duration = c
        .property("DURATION")
        .map(|p| parse_duration(&p.value))
        .transpose()?;

    let instance = match kind {
        // RFC 4791 §9.9, VEVENT: DTEND, else DTSTART+DURATION, else one
        // day for a DATE and zero length for a DATE-TIME.
        ComponentKind::Event | ComponentKind::Journal => dtstart.map(|(v, z, start)| {
            let end = match (dtend, duration) {
                (Some((_, _, e)), _) if kind == ComponentKind::Event => e,
                (_, Some(d)) if kind == ComponentKind::Event => start.shift(d.max(0)),
                _ if v.is_date() => start.shift(DAY),
                _ => start,
            };
            Instance {
                start,
                end,
                anchor: Some((v, z)),
            }
        }),
        ComponentKind::Todo => return todo_bounds(c, dtstart, due, duration, zones),
        ComponentKind::FreeBusy => return freebusy_bounds(c, dtstart, dtend),
    };
    let Some(inst) = instance else {
        // No DTSTART: a VJOURNAL without dates matches every range.
        return Ok(Bounds {
            first: None,
            last: None,
        });
    };
    let mut b = recur(c, &inst, zones)?;
    widen_for_alarms(c, &mut b)?;
    Ok(b)
}

/// RFC 4791 §9.9, the VTODO table.
fn todo_bounds(
    c: &Component,
    dtstart: Option<(DateValue, Zone, Span)>,
    due: Option<(DateValue, Zone, Span)>,
    duration: Option<i64>,
    zones: &Zones,
) -> Result<Bounds, String> {
    let created = c
        .property("CREATED")
        .map(|p| date_span(p, zones))
        .transpose()?;
    let completed = c
        .property("COMPLETED")
        .map(|p| date_span(p, zones))
        .transpose()?;
    let inst = match (dtstart, due) {
        (Some((v, z, s)), due) => {
            let end = match (due, duration) {
                (Some((_, _, d)), _) => d,
                (None, Some(d)) => s.shift(d.max(0)),
                (None, None) => s,
            };
            // A DUE before DTSTART is refused earlier; min/max keeps this
            // safe anyway.
            Instance {
                start: Span {
                    lo: s.lo.min(end.lo),
                    ..s
                },
                end: Span {
                    hi: end.hi.max(s.hi),
                    ..end
                },
                anchor: Some((v, z)),
            }
        }
        (None, Some((_, _, d))) => Instance {
            start: d,
            end: d,
            anchor: None,
        },
        (None, None) => {
            let b = match (created, completed) {
                (Some(cr), Some(co)) => Bounds {
                    first: Some(cr.lo.min(co.lo)),
                    last: Some(cr.hi.max(co.hi)),
                },
                (None, Some(co)) => Bounds {
                    first: Some(co.lo),
                    last: Some(co.hi),
                },
                // "end > CREATED": anything after creation matches.
                (Some(cr), None) => Bounds {
                    first: Some(cr.lo),
                    last: None,
                },
                (None, None) => Bounds {
                    first: None,
                    last: None,
                },
            };
            return Ok(b);
        }
    };
    let mut b = recur(c, &inst, zones)?;
    widen_for_alarms(c, &mut b)?;
    Ok(b)
}

/// VFREEBUSY: DTSTART/DTEND and every FREEBUSY period.
fn freebusy_bounds(
    c: &Component,
    dtstart: Option<(DateValue, Zone, Span)>,
    dtend: Option<(DateValue, Zone, Span)>,
) -> Result<Bounds, String> {
    let mut lo: Option<i64> = None;
    let mut hi: Option<i64> = None;
    let mut add = |a: i64, b: i64| {
        lo = Some(lo.map_or(a, |l| l.min(a)));
        hi = Some(hi.map_or(b, |h| h.max(b)));
    };
    if let Some((_, _, s)) = dtstart {
        add(s.lo, s.hi);
    }
    if let Some((_, _, e)) = dtend {
        add(e.lo, e.hi);
    }
    for p in c.properties_named("FREEBUSY") {
        for v in list(&p.value) {
            let (s, e) = period_span(v, Zone::Utc)?;
            add(s.lo.min(e.lo), s.hi.max(e.hi));
        }
    }
    Ok(Bounds {
        first: lo,
        last: hi,
    })
}

/// Extends an instance by its RRULEs, RDATEs and a RANGE=THISANDFUTURE
/// override.
fn recur(c: &Component, inst: &Instance, zones: &Zones) -> Result<Bounds, String> {
    let mut first = inst.start.lo;
    let mut last = Some(inst.end.hi.max(inst.start.hi));
    // How long one occurrence may last, measured conservatively.
    let length = inst.end.hi.saturating_sub(inst.start.lo).max(0);

    if let Some(rid) = c.property("RECURRENCE-ID") {
        if rid
            .param("RANGE")
            .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"))
        {
            // It moves every later instance too; by how much is not worth
            // computing here.
            last = None;
        }
    }

    for p in c.properties_named("RRULE") {
        let rule = parse_rrule(&p.value)?;
        let Some((anchor, zone)) = inst.anchor else {
            last = None;
            continue;
        };
        let end_of_last_start = match rule.extent(anchor.naive()) {
            Extent::Unbounded => None,
            Extent::Until(until) => Some(until_span(until, anchor, zone).hi),
            // A day of slack covers a DST change between DTSTART and the
            // last occurrence.
            Extent::LastLocal(t) => Some(to_span(t, zone).hi.saturating_add(DAY)),
        };
        last = last
            .zip(end_of_last_start)
            .map(|(l, e)| l.max(e.saturating_add(length)));
    }

    for p in c.properties_named("RDATE") {
        let is_period = p
            .param("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("PERIOD"));
        for v in list(&p.value) {
            let (s, e) = if is_period {
                let zone = p.param("TZID").map_or(Zone::Floating, |t| zones.named(t));
                period_span(v, zone)?
            } else {
                let d = parse_date_value(v, DateKind::from_param(p.param("VALUE")))?;
                let s = to_span(d.naive(), zones.zone_of(p, d));
                (s, s.shift(length))
            };
            first = first.min(s.lo);
            last = last.map(|l| l.max(e.hi));
        }
    }
    Ok(Bounds {
        first: Some(first),
        last,
    })
}

/// UNTIL in UTC seconds. RFC 5545 §3.3.10 wants it UTC when DTSTART has a
/// zone, and a DATE when DTSTART is one; clients mix these up, so a local
/// UNTIL is read in DTSTART's zone and a DATE UNTIL covers its whole day.
fn until_span(until: DateValue, anchor: DateValue, zone: Zone) -> Span {
    match until {
        DateValue::DateTime { utc: true, local } => to_span(local, Zone::Utc),
        DateValue::DateTime { utc: false, local } => to_span(local, zone),
        DateValue::Date(_) => {
            let zone = if anchor.is_date() {
                Zone::Floating
            } else {
                zone
            };
            to_span(until.naive(), zone).shift(DAY)
        }
    }
}

fn period_span(v: &str, zone: Zone) -> Result<(Span, Span), String> {
    let (start, end) = parse_period(v)?;
    let zone_for = |d: DateValue| match d {
        DateValue::DateTime { utc: true, .. } => Zone::Utc,
        _ => zone,
    };
    let s = to_span(start.naive(), zone_for(start));
    let e = match end {
        PeriodEnd::End(d) => to_span(d.naive(), zone_for(d)),
        PeriodEnd::Duration(d) => s.shift(d.max(0)),
    };
    Ok((s, e))
}

fn date_span(p: &Property, zones: &Zones) -> Result<Span, String> {
    let v = date_of(p)?;
    Ok(to_span(v.naive(), zones.zone_of(p, v)))
}

/// RFC 5545 §3.8.6.3: an alarm may fire before the start (negative
/// trigger), after the end, at an absolute time, and REPEAT times more.
fn widen_for_alarms(c: &Component, b: &mut Bounds) -> Result<(), String> {
    for alarm in c.components_named("VALARM") {
        let repeat: i64 = alarm
            .property("REPEAT")
            .and_then(|p| p.value.trim().parse().ok())
            .unwrap_or(0);
        let every = alarm
            .property("DURATION")
            .map(|p| parse_duration(&p.value))
            .transpose()?
            .unwrap_or(0)
            .max(0);
        let extra = repeat.max(0).saturating_mul(every);
        for t in alarm.properties_named("TRIGGER") {
            let absolute = t
                .param("VALUE")
                .is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"));
            if absolute {
                let v = parse_date_value(&t.value, DateKind::DateTime)?;
                let zone = match v {
                    DateValue::DateTime { utc: true, .. } => Zone::Utc,
                    _ => Zone::Floating,
                };
                let s = to_span(v.naive(), zone);
                b.first = b.first.map(|f| f.min(s.lo));
                b.last = b.last.map(|l| l.max(s.hi.saturating_add(extra)));
            } else {
                let d = parse_duration(&t.value)?;
                b.first = b.first.map(|f| f.saturating_add(d.min(0)));
                b.last = b
                    .last
                    .map(|l| l.saturating_add(d.saturating_add(extra).max(0)));
            }
        }
    }
    Ok(())
}
