//! [`analyze`]: decides whether bytes a client PUT may be stored as one
//! calendar object resource, and extracts what the index needs.
//!
//! Order matters for the messages a client sees: first "is this iCalendar"
//! (valid-calendar-data), then "is this one resource" (RFC 4791 §4.1,
//! valid-calendar-object-resource), then the values, then the server's
//! date limits.

use crate::bounds::{component_bounds, merge, Bounds};
use crate::error::Invalid;
use crate::kind::ComponentKind;
use crate::parse::{parse, Component, Property};
use crate::quirks;
use crate::rrule::parse_rrule;
use crate::value::{
    date_of, list, parse_date_value, parse_duration, parse_period, unescape_text, DateKind,
    DateValue,
};
use crate::zones::{to_span, Zones};

/// The server's CALDAV:min-date-time and CALDAV:max-date-time
/// (RFC 4791 §5.2.6-5.2.7), as UTC unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidationLimits {
    pub min_date_time: i64,
    pub max_date_time: i64,
}

/// What the index stores about an accepted object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    pub uid: String,
    pub kind: ComponentKind,
    /// UTC unix seconds; `None` = no lower bound.
    pub first_start: Option<i64>,
    /// UTC unix seconds; `None` = unbounded.
    pub last_end: Option<i64>,
    /// Unescaped SUMMARY of the master (or first) component.
    pub summary: Option<String>,
    /// Raw DTSTART value of the master, for display.
    pub dtstart: Option<String>,
    /// Rules the object bends that a reader can still interpret, so it is stored as sent
    /// (see `quirks`): for the server's log, not for the client.
    pub warnings: Vec<String>,
}

/// Validates one calendar object resource and computes its index data.
pub fn analyze(bytes: &[u8], limits: &ValidationLimits) -> Result<ObjectInfo, Invalid> {
    analyze_and_index(bytes, limits, None).map(|(info, _)| info)
}

/// [`analyze`], and for an event also its instance index ([`crate::event_index`]) from the
/// same parse.
pub fn analyze_and_index(
    bytes: &[u8],
    limits: &ValidationLimits,
    index: Option<&crate::IndexLimits>,
) -> Result<(ObjectInfo, Option<crate::EventIndex>), Invalid> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Invalid::CalendarData(format!(
            "not UTF-8 (invalid byte at offset {}); iCalendar is UTF-8 (RFC 5545 §3.1.4)",
            e.valid_up_to()
        ))
    })?;
    let root = parse(text)?;
    check_nesting(&root)?;
    let (kind, comps) = object_components(&root)?;
    let uid = common_uid(kind, &comps)?;
    check_recurrence_ids(&comps)?;

    let zones = Zones::from_calendar(&root).map_err(Invalid::CalendarData)?;
    let mut warnings = Vec::new();
    for c in &comps {
        check_values(c, &mut warnings)
            .map_err(|e| Invalid::CalendarData(format!("{}: {e}", c.name)))?;
    }

    let master = comps
        .iter()
        .find(|c| c.property("RECURRENCE-ID").is_none())
        .or(comps.first())
        .copied()
        .ok_or_else(|| Invalid::ObjectResource("no component".into()))?;
    check_limits(master, &zones, limits)?;

    let mut bounds: Option<Bounds> = None;
    for c in &comps {
        let b = component_bounds(c, kind, &zones)
            .map_err(|e| Invalid::CalendarData(format!("{}: {e}", c.name)))?;
        bounds = Some(match bounds {
            None => b,
            Some(acc) => merge(acc, b),
        });
    }
    let bounds = bounds.unwrap_or(Bounds {
        first: None,
        last: None,
    });
    let bounds = tighten_finite_recurrence(&root, kind, &comps, bounds);

    let info = ObjectInfo {
        uid,
        kind,
        first_start: bounds.first,
        last_end: bounds.last,
        summary: master.property("SUMMARY").map(|p| unescape_text(&p.value)),
        dtstart: master.property("DTSTART").map(|p| p.value.clone()),
        warnings,
    };
    let instances = match index {
        Some(limits) if kind == ComponentKind::Event => crate::event_index(&root, limits),
        _ => None,
    };
    Ok((info, instances))
}

/// The components that sit at the calendar's top level only (RFC 5545 §3.6, RFC 7953
/// §3.1). One of them inside another component is broken structure: a reader cannot tell
/// whether it is an object of its own or part of the one around it, and the server would
/// store it without seeing it. Other sub-components (VALARM, STANDARD, DAYLIGHT, RFC 9073's
/// PARTICIPANT and VLOCATION, X- and IANA ones) are left alone.
const TOP_LEVEL_ONLY: [&str; 6] = [
    "VEVENT",
    "VTODO",
    "VJOURNAL",
    "VFREEBUSY",
    "VTIMEZONE",
    "VAVAILABILITY",
];

fn check_nesting(root: &Component) -> Result<(), Invalid> {
    fn below(c: &Component) -> Result<(), Invalid> {
        for sub in &c.components {
            if TOP_LEVEL_ONLY.contains(&sub.name.as_str()) {
                return Err(Invalid::CalendarData(format!(
                    "a {} sits inside a {}; calendar components belong directly in the \
                     VCALENDAR (RFC 5545 §3.6)",
                    sub.name, c.name
                )));
            }
            below(sub)?;
        }
        Ok(())
    }
    root.components.iter().try_for_each(below)
}

/// RFC 4791 §4.1: no METHOD, and exactly one component type among
/// VEVENT/VTODO/VJOURNAL/VFREEBUSY. VTIMEZONE and unknown components
/// (X-, or types this server does not index) are left alone.
fn object_components(root: &Component) -> Result<(ComponentKind, Vec<&Component>), Invalid> {
    if let Some(m) = root.property("METHOD") {
        return Err(Invalid::ObjectResource(format!(
            "METHOD:{} is not allowed in a stored calendar object (RFC 4791 §4.1); \
             remove the METHOD property (it belongs to iTIP messages)",
            m.value
        )));
    }
    let mut kind: Option<ComponentKind> = None;
    let mut comps = Vec::new();
    for c in &root.components {
        let Some(k) = ComponentKind::from_name(&c.name) else {
            continue;
        };
        match kind {
            Some(prev) if prev != k => {
                return Err(Invalid::ObjectResource(format!(
                    "the object mixes {} and {}; a calendar object resource holds one \
                     component type (RFC 4791 §4.1), store them as separate resources",
                    prev.name(),
                    k.name()
                )))
            }
            _ => kind = Some(k),
        }
        comps.push(c);
    }
    match kind {
        Some(k) => Ok((k, comps)),
        None => Err(Invalid::ObjectResource(
            "the calendar holds no VEVENT, VTODO, VJOURNAL or VFREEBUSY (RFC 4791 §4.1)".into(),
        )),
    }
}

fn common_uid(kind: ComponentKind, comps: &[&Component]) -> Result<String, Invalid> {
    let mut uid: Option<&str> = None;
    for c in comps {
        let mut uids = c.properties_named("UID");
        let this = uids.next().map(|p| p.value.as_str()).ok_or_else(|| {
            Invalid::ObjectResource(format!(
                "a {} has no UID; every component of a calendar object resource needs one \
                 (RFC 4791 §4.1)",
                kind.name()
            ))
        })?;
        if uids.next().is_some() {
            return Err(Invalid::CalendarData(format!(
                "a {} has more than one UID",
                kind.name()
            )));
        }
        // An empty UID names nothing: every object without one would share it, and
        // clients key on it (RFC 4791 §4.1, RFC 5545 §3.8.4.7).
        if this.trim().is_empty() {
            return Err(Invalid::ObjectResource(format!(
                "a {} has an empty UID; give it a unique one (RFC 4791 §4.1)",
                kind.name()
            )));
        }
        match uid {
            Some(u) if u != this => {
                return Err(Invalid::ObjectResource(format!(
                    "components with different UIDs ({u:?} and {this:?}); a calendar object \
                     resource holds one UID (RFC 4791 §4.1), store each as its own resource"
                )))
            }
            _ => uid = Some(this),
        }
    }
    uid.map(str::to_string)
        .ok_or_else(|| Invalid::ObjectResource("no component".into()))
}

/// RFC 4791 §4.1 / RFC 5545 §3.8.4.4: one master (no RECURRENCE-ID) at
/// most, and each overridden instance once.
fn check_recurrence_ids(comps: &[&Component]) -> Result<(), Invalid> {
    let mut masters = 0;
    let mut seen: Vec<(Option<&str>, &str)> = Vec::new();
    for c in comps {
        match c.property("RECURRENCE-ID") {
            None => masters += 1,
            Some(p) => {
                let key = (p.param("TZID"), p.value.trim());
                if seen.contains(&key) {
                    return Err(Invalid::ObjectResource(format!(
                        "two components override the same instance (RECURRENCE-ID:{}); \
                         keep only the newest",
                        p.value
                    )));
                }
                seen.push(key);
            }
        }
    }
    if masters > 1 {
        return Err(Invalid::ObjectResource(format!(
            "{masters} components share the UID without RECURRENCE-ID; only one master is \
             allowed (RFC 4791 §4.1)"
        )));
    }
    Ok(())
}

/// Properties whose grammar the index relies on. Each message names the
/// property and the bad value; what is bent but readable goes to `warnings`.
fn check_values(c: &Component, warnings: &mut Vec<String>) -> Result<(), String> {
    for name in ["DTSTART", "DTEND", "DUE", "DURATION", "RECURRENCE-ID"] {
        if c.properties_named(name).nth(1).is_some() {
            return Err(format!("{name} appears more than once"));
        }
    }
    for p in &c.properties {
        match p.name.as_str() {
            "DTSTART" | "DTEND" | "DUE" | "RECURRENCE-ID" | "COMPLETED" | "CREATED" | "DTSTAMP"
            | "LAST-MODIFIED" => {
                date_of(p)?;
            }
            "EXDATE" => {
                for v in list(&p.value) {
                    parse_date_value(v, DateKind::from_param(p.param("VALUE")))
                        .map_err(|e| format!("EXDATE: {e}"))?;
                }
            }
            "RDATE" => check_rdate(p)?,
            "FREEBUSY" => {
                for v in list(&p.value) {
                    parse_period(v).map_err(|e| format!("FREEBUSY: {e}"))?;
                }
            }
            "DURATION" => {
                parse_duration(&p.value).map_err(|e| format!("DURATION: {e}"))?;
            }
            "RRULE" | "EXRULE" => {
                parse_rrule(&p.value).map_err(|e| format!("{}: {e}", p.name))?;
            }
            _ => {}
        }
    }
    let end_name = if c.name == "VTODO" { "DUE" } else { "DTEND" };
    if let (Some(end), Some(_)) = (c.property(end_name), c.property("DURATION")) {
        return Err(format!(
            "has both {} and DURATION; RFC 5545 allows one or the other",
            end.name
        ));
    }
    if let Some(d) = c.property("DURATION") {
        // A negative DURATION ends the component before it starts, as a DTEND before
        // DTSTART does (RFC 5545 §3.6.1), and is treated as that: refused for a VEVENT,
        // stored with a warning for a VTODO (`quirks::TODO_DUE_MAY_PRECEDE_DTSTART`).
        if parse_duration(&d.value).is_ok_and(|secs| secs < 0) {
            if c.name == "VTODO" && quirks::TODO_DUE_MAY_PRECEDE_DTSTART {
                warnings.push(format!(
                    "VTODO {}: DURATION {} is negative: it is due before it starts (RFC 5545 \
                     §3.8.2.5)",
                    uid_of(c),
                    d.value
                ));
            } else if c.name == "VEVENT" {
                return Err(format!(
                    "DURATION {} is negative: the event would end before it starts",
                    d.value
                ));
            }
        }
    }
    if let (Some(s), Some(e)) = (c.property("DTSTART"), c.property(end_name)) {
        let before = ends_before(s, e)?;
        if c.name == "VTODO" && quirks::TODO_DUE_MAY_PRECEDE_DTSTART {
            if before {
                warnings.push(format!(
                    "VTODO {}: DUE {} is before DTSTART {} (RFC 5545 §3.8.2.3)",
                    uid_of(c),
                    e.value,
                    s.value
                ));
            }
            if date_of(s)?.is_date() != date_of(e)?.is_date() {
                warnings.push(format!(
                    "VTODO {}: DUE {} and DTSTART {} differ in value type (RFC 5545 \
                     §3.8.2.3)",
                    uid_of(c),
                    e.value,
                    s.value
                ));
            }
        } else if before {
            return Err(format!(
                "{end_name} {} is before DTSTART {}",
                e.value, s.value
            ));
        }
    }
    if c.name == "VEVENT" && c.property("DTSTART").is_none() {
        return Err("has no DTSTART (RFC 5545 §3.6.1 requires it without METHOD)".into());
    }
    for alarm in c.components_named("VALARM") {
        check_alarm(alarm)?;
    }
    Ok(())
}

fn uid_of(c: &Component) -> &str {
    c.property("UID").map_or("", |p| p.value.as_str())
}

fn check_rdate(p: &Property) -> Result<(), String> {
    let is_period = p
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("PERIOD"));
    for v in list(&p.value) {
        if is_period {
            parse_period(v).map_err(|e| format!("RDATE: {e}"))?;
        } else {
            parse_date_value(v, DateKind::from_param(p.param("VALUE")))
                .map_err(|e| format!("RDATE: {e}"))?;
        }
    }
    Ok(())
}

fn check_alarm(alarm: &Component) -> Result<(), String> {
    for p in alarm.properties_named("TRIGGER") {
        let absolute = p
            .param("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"));
        if absolute {
            parse_date_value(&p.value, DateKind::DateTime)
                .map_err(|e| format!("VALARM TRIGGER: {e}"))?;
        } else {
            parse_duration(&p.value).map_err(|e| format!("VALARM TRIGGER: {e}"))?;
        }
    }
    if let Some(p) = alarm.property("DURATION") {
        parse_duration(&p.value).map_err(|e| format!("VALARM DURATION: {e}"))?;
    }
    Ok(())
}

/// True when the end is certainly before the start. Values in the same
/// zone (or both floating) compare as wall-clock times; otherwise only a
/// gap beyond any zone difference counts, so no valid object is refused.
fn ends_before(start: &Property, end: &Property) -> Result<bool, String> {
    let s = date_of(start)?;
    let e = date_of(end)?;
    let same_zone = match (s, e) {
        (DateValue::DateTime { utc: a, .. }, DateValue::DateTime { utc: b, .. }) => {
            a == b && start.param("TZID") == end.param("TZID")
        }
        (DateValue::Date(_), DateValue::Date(_)) => true,
        _ => false,
    };
    if same_zone {
        return Ok(e.naive() < s.naive());
    }
    let lenient = |v: DateValue| to_span(v.naive(), crate::zones::Zone::Floating);
    Ok(lenient(e).hi < lenient(s).lo)
}

/// RFC 4791 §5.2.6-5.2.7: the master's start (DUE for a VTODO without
/// DTSTART) must lie within the server's limits. VTIMEZONE values are
/// never checked (Outlook's observances start in 1601; see `quirks`).
fn check_limits(
    master: &Component,
    zones: &Zones,
    limits: &ValidationLimits,
) -> Result<(), Invalid> {
    let Some(p) = master
        .property("DTSTART")
        .or_else(|| master.property("DUE"))
    else {
        return Ok(());
    };
    let v = date_of(p).map_err(Invalid::CalendarData)?;
    let t = to_span(v.naive(), zones.zone_of(p, v)).nominal;
    if t < limits.min_date_time {
        return Err(Invalid::MinDateTime(format!(
            "{} {} is before the earliest date this server accepts",
            p.name, p.value
        )));
    }
    if t > limits.max_date_time {
        return Err(Invalid::MaxDateTime(format!(
            "{} {} is after the latest date this server accepts",
            p.name, p.value
        )));
    }
    Ok(())
}

/// Most instances expanded at write time to find where a finite series ends.
const TIGHTEN_MAX_INSTANCES: u32 = 5_000;

/// The cheap bounds leave many finite series (COUNT with BYxxx parts) open-ended, and an
/// open end makes the object a candidate for every later query. Expanding a finite series
/// once at write time gives its real last end. Kept conservative: 14 hours of slack for
/// floating values, and no tightening when an alarm may fire after the end.
fn tighten_finite_recurrence(
    root: &crate::Component,
    kind: ComponentKind,
    comps: &[&crate::Component],
    bounds: Bounds,
) -> Bounds {
    if bounds.last.is_some() || bounds.first.is_none() {
        return bounds;
    }
    let finite = comps.iter().all(|c| {
        c.properties_named("RRULE").all(|r| {
            let v = r.value.to_ascii_uppercase();
            v.contains("COUNT=") || v.contains("UNTIL=")
        }) && c
            .property("RECURRENCE-ID")
            .and_then(|p| p.param("RANGE"))
            .is_none()
    });
    let late_alarm = comps.iter().any(|c| {
        c.components
            .iter()
            .filter(|a| a.name == "VALARM")
            .filter_map(|a| a.property("TRIGGER"))
            .any(|t| !t.value.trim_start().starts_with('-'))
    });
    if !finite || late_alarm {
        return bounds;
    }
    let ctx = crate::EvalContext {
        floating_tz: None,
        max_instances: TIGHTEN_MAX_INSTANCES,
    };
    match crate::instances(root, Some(kind), crate::TimeRange::UNBOUNDED, &ctx) {
        Ok(list) => match list.iter().map(|i| i.end.max(i.start)).max() {
            Some(end) => Bounds {
                first: bounds.first,
                last: Some(end.saturating_add(crate::zones::FLOATING_SLACK)),
            },
            None => bounds,
        },
        Err(_) => bounds,
    }
}
