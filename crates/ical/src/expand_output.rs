//! `<C:expand start=... end=...>` in calendar-data (RFC 4791 §9.6.5): the
//! object rewritten as one component per instance overlapping the range.
//!
//! Each instance carries DTSTART, DTEND/DUE and RECURRENCE-ID in UTC and
//! no RRULE, RDATE, EXDATE or EXRULE; VTIMEZONEs are dropped because
//! nothing refers to them any more. Every other property is copied from
//! the original line of the component that supplies the instance (the
//! master or its override), so unknown values come back byte for byte.
//!
//! DATE values (all-day instances) stay DATEs: §9.6.5 converts date-times
//! to UTC, and a calendar day has no UTC form.

use chrono::{DateTime, TimeZone};

use crate::error::ExpandError;
use crate::expand::{instances, EvalContext, Instance, TimeRange};
use crate::parse::{parse, Component};
use crate::select::write_folded;

/// Properties that describe the recurrence set rather than one instance.
const DROPPED: [&str; 4] = ["RRULE", "RDATE", "EXDATE", "EXRULE"];

/// Expands `text` for `range` (see the module documentation). CRLF line
/// ends, folded at 75 octets.
pub fn expand_to_text(
    text: &str,
    range: TimeRange,
    ctx: &EvalContext,
) -> Result<String, ExpandError> {
    let root = parse(text)?;
    let list = instances(&root, None, range, ctx)?;
    let mut out = String::with_capacity(text.len());
    write_folded(&format!("BEGIN:{}", root.name), &mut out);
    for p in &root.properties {
        write_folded(&p.line, &mut out);
    }
    for inst in &list {
        write_instance(inst, ctx, &mut out);
    }
    write_folded(&format!("END:{}", root.name), &mut out);
    Ok(out)
}

fn write_instance(inst: &Instance, ctx: &EvalContext, out: &mut String) {
    let c = inst.component;
    let stamp = |name: &str, t: i64| format_time(name, t, inst.is_date, ctx);
    write_folded(&format!("BEGIN:{}", c.name), out);
    let has_start = c.property("DTSTART").is_some();
    let due_only = c.name == "VTODO" && !has_start;
    if !has_start && !due_only {
        write_folded(&stamp("DTSTART", inst.start), out);
    }
    let mut rid_written = false;
    for p in &c.properties {
        match p.name.as_str() {
            n if DROPPED.contains(&n) => {}
            "DTSTART" => write_folded(&stamp("DTSTART", inst.start), out),
            "DTEND" => write_folded(&stamp("DTEND", inst.end), out),
            "DUE" if c.name == "VTODO" => write_folded(&stamp("DUE", inst.end), out),
            "RECURRENCE-ID" => {
                if let Some(rid) = inst.recurrence_id {
                    write_folded(&stamp("RECURRENCE-ID", rid), out);
                    rid_written = true;
                }
            }
            _ => write_folded(&p.line, out),
        }
    }
    if let (Some(rid), false) = (inst.recurrence_id, rid_written) {
        write_folded(&stamp("RECURRENCE-ID", rid), out);
    }
    for child in &c.components {
        write_copy(child, out);
    }
    write_folded(&format!("END:{}", c.name), out);
}

fn write_copy(c: &Component, out: &mut String) {
    write_folded(&format!("BEGIN:{}", c.name), out);
    for p in &c.properties {
        write_folded(&p.line, out);
    }
    for child in &c.components {
        write_copy(child, out);
    }
    write_folded(&format!("END:{}", c.name), out);
}

/// `NAME:YYYYMMDDTHHMMSSZ`, or `NAME;VALUE=DATE:YYYYMMDD` for an all-day
/// instance (its day in the calendar's time zone, where it was placed).
fn format_time(name: &str, t: i64, is_date: bool, ctx: &EvalContext) -> String {
    let Some(utc) = DateTime::from_timestamp(t, 0) else {
        return format!("{name}:19700101T000000Z");
    };
    if is_date {
        let day = match ctx.floating_tz {
            Some(tz) => tz.from_utc_datetime(&utc.naive_utc()).date_naive(),
            None => utc.date_naive(),
        };
        return format!("{name};VALUE=DATE:{}", day.format("%Y%m%d"));
    }
    format!("{name}:{}", utc.format("%Y%m%dT%H%M%SZ"))
}
