//! The instance index of an event: every instance as a UTC span, computed
//! once when the object is written, so that the most common calendar-query
//! ("the events in this range", RFC 4791 §9.9) is answered from the store's
//! index without parsing or expanding anything at query time.
//!
//! A span `(start, end)` is written so that one rule decides a time range
//! for every VEVENT case of the §9.9 table: the instance matches
//! `[range_start, range_end)` exactly when `start < range_end && end >
//! range_start`. An interval (DTEND, or a positive duration) is its own
//! span; a point (a DATE-TIME alone, or DURATION zero) matches when
//! `range_start <= start < range_end`, which is the same rule with `end =
//! start + 1` on whole seconds.
//!
//! Times in a zone are indexed in UTC. Floating times and DATE values are
//! read in the calendar's or the query's time zone (RFC 4791 §9.9): an
//! object whose every value floats is indexed in wall-clock seconds (as if
//! UTC) and marked `floating`; the store shifts the range by the zone's
//! offset when that offset is constant around the range. An object mixing
//! both, or with instances longer than the store scans back over, is left
//! to exact evaluation.

use chrono_tz::Tz;

use crate::expand::{instances, EvalContext, Instance, TimeRange};
use crate::kind::ComponentKind;
use crate::parse::Component;
use crate::tz;

/// How far and how much an index may cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexLimits {
    /// An unbounded rule is indexed up to this instant (UTC seconds).
    pub horizon: i64,
    /// Objects with more instances before the horizon are not indexed.
    pub max_instances: u32,
    /// Objects with a longer instance (seconds) are not indexed: the store
    /// looks this far back from a range's start for instances reaching into
    /// it.
    pub max_span: i64,
}

/// The instances of an event object, complete for every instance that
/// starts before `complete_until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventIndex {
    /// `(start, end)` in UTC seconds, by start (see the module comment).
    pub spans: Vec<(i64, i64)>,
    /// `i64::MAX` when the recurrence set is finite.
    pub complete_until: i64,
    /// Spans and `complete_until` are wall-clock seconds of floating times.
    pub floating: bool,
}

/// Fourteen hours east: the farthest any zone is from UTC.
const FAR: i64 = 14 * 3600;

/// The index of the VEVENT object `root`, or `None` when it cannot be
/// indexed (not an event, floating or all-day times, too many or too long
/// instances, values expansion cannot read).
pub fn event_index(root: &Component, limits: &IndexLimits) -> Option<EventIndex> {
    if !root.components.iter().any(|c| c.name == "VEVENT") {
        return None;
    }
    let (spans, complete_until) = match spans_in(root, None, limits, None) {
        Ok(spans) => (spans, i64::MAX),
        Err(SpanError::Unbounded) => (
            spans_in(root, None, limits, Some(limits.horizon)).ok()?,
            limits.horizon,
        ),
        Err(_) => return None,
    };
    if spans.iter().any(|(s, e)| e - s > limits.max_span) {
        return None;
    }
    // Which instances exist can hang on any date value (UNTIL, EXDATE, a
    // RECURRENCE-ID), so the object must be all fixed or all floating by
    // what is written.
    let far_tz = Some(Tz::Etc__GMTMinus14);
    let bounded = |end: i64| (end != i64::MAX).then_some(end);
    let floating = match anchoring(root) {
        Anchoring::Fixed => false,
        Anchoring::Floating => true,
        Anchoring::Mixed => return None,
    };
    // Fixed values do not read the floating zone at all; floating ones are
    // confirmed to move as one (cheap insurance: floating objects are few).
    let confirmed = !floating || {
        let far_until = bounded(complete_until).map(|end| end - FAR);
        let far = spans_in(root, far_tz, limits, far_until).ok()?;
        far.len() == spans.len()
            && far
                .iter()
                .zip(&spans)
                .all(|(f, s)| f.0 == s.0 - FAR && f.1 == s.1 - FAR)
    };
    confirmed.then_some(EventIndex {
        spans,
        complete_until,
        floating,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anchoring {
    /// Every date value is UTC or in a known zone.
    Fixed,
    /// Every date value is a DATE or a local time without zone.
    Floating,
    Mixed,
}

/// How the date values of the object's VEVENTs are written.
fn anchoring(root: &Component) -> Anchoring {
    let defined: Vec<&str> = root
        .components
        .iter()
        .filter(|c| c.name == "VTIMEZONE")
        .filter_map(|c| c.property("TZID"))
        .map(|p| p.value.as_str())
        .collect();
    let (mut fixed, mut floating) = (false, false);
    let mut note = |is_fixed: bool| {
        if is_fixed {
            fixed = true;
        } else {
            floating = true;
        }
    };
    for c in root.components.iter().filter(|c| c.name == "VEVENT") {
        for p in &c.properties {
            match p.name.as_str() {
                "DTSTART" | "DTEND" | "RDATE" | "EXDATE" | "RECURRENCE-ID" => {
                    let zoned = p
                        .param("TZID")
                        .is_some_and(|t| defined.contains(&t) || tz::resolve_tzid(t).is_some());
                    for v in p.value.split(',') {
                        let start = v.split('/').next().unwrap_or("").trim();
                        // A DATE floats whatever TZID it carries.
                        let is_date = !start.contains(['T', 't'])
                            || p.param("VALUE")
                                .is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
                        note(!is_date && (zoned || start.ends_with(['Z', 'z'])));
                    }
                }
                "RRULE" => {
                    let rule = p.value.to_ascii_uppercase();
                    if let Some(until) =
                        rule.split(';').find_map(|part| part.strip_prefix("UNTIL="))
                    {
                        note(until.ends_with('Z'));
                    }
                }
                _ => {}
            }
        }
    }
    match (fixed, floating) {
        (true, true) => Anchoring::Mixed,
        (false, true) => Anchoring::Floating,
        _ => Anchoring::Fixed,
    }
}

enum SpanError {
    Unbounded,
    Other,
}

fn spans_in(
    root: &Component,
    floating_tz: Option<Tz>,
    limits: &IndexLimits,
    until: Option<i64>,
) -> Result<Vec<(i64, i64)>, SpanError> {
    let ctx = EvalContext {
        floating_tz,
        max_instances: limits.max_instances,
    };
    let found = instances(
        root,
        Some(ComponentKind::Event),
        TimeRange::new(None, until),
        &ctx,
    )
    .map_err(|e| match e {
        crate::ExpandError::Unbounded => SpanError::Unbounded,
        _ => SpanError::Other,
    })?;
    Ok(found.iter().map(span_of).collect())
}

/// RFC 4791 §9.9, VEVENT: DTEND or a positive length is an interval that
/// must overlap the range; otherwise the instance is a point.
fn span_of(inst: &Instance<'_>) -> (i64, i64) {
    let interval = inst.component.property("DTEND").is_some() || inst.end > inst.start;
    if interval {
        (inst.start, inst.end)
    } else {
        (inst.start, inst.start.saturating_add(1))
    }
}
