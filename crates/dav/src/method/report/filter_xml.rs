//! `C:filter` XML (RFC 4791 §9.7) into the calendar domain's typed filter. Anything this
//! server cannot evaluate is refused up front (`supported-filter`, `supported-collation`)
//! rather than silently matched.

use dav_xml::{Element, QName, CALDAV};
use ical::{Collation, CompFilter, ParamFilter, PropFilter, TextMatch, TimeRange};

use crate::condition::Condition;
use crate::error::{DavError, DavResult};

pub fn parse_filter(filter: &Element) -> DavResult<CompFilter> {
    let mut tops = filter
        .elements()
        .filter(|e| e.name.is(CALDAV, "comp-filter"));
    let top = tops
        .next()
        .ok_or_else(|| invalid("the filter must hold one comp-filter named VCALENDAR"))?;
    if tops.next().is_some() {
        return Err(invalid("the filter must hold exactly one comp-filter"));
    }
    let parsed = comp_filter(top)?;
    if !parsed.name.eq_ignore_ascii_case("VCALENDAR") {
        return Err(invalid("the top comp-filter must be named VCALENDAR"));
    }
    Ok(parsed)
}

fn invalid(detail: &str) -> DavError {
    DavError::condition(Condition::ValidFilter, detail.to_owned())
}

fn unsupported(what: &QName) -> DavError {
    DavError::condition(
        Condition::SupportedFilter,
        format!("the filter element {what} is not supported"),
    )
}

fn name_of(e: &Element) -> DavResult<String> {
    match e.attr("name") {
        Some(n) if !n.trim().is_empty() => Ok(n.trim().to_ascii_uppercase()),
        _ => Err(invalid(&format!("{} needs a name attribute", e.name))),
    }
}

fn comp_filter(e: &Element) -> DavResult<CompFilter> {
    let mut f = CompFilter {
        name: name_of(e)?,
        is_not_defined: false,
        time_range: None,
        prop_filters: Vec::new(),
        comp_filters: Vec::new(),
    };
    for child in e.elements() {
        match child.name.local.as_ref() {
            _ if child.name.ns != CALDAV => return Err(unsupported(&child.name)),
            "is-not-defined" => f.is_not_defined = true,
            "time-range" => f.time_range = Some(time_range(child)?),
            "prop-filter" => f.prop_filters.push(prop_filter(child)?),
            "comp-filter" => f.comp_filters.push(comp_filter(child)?),
            _ => return Err(unsupported(&child.name)),
        }
    }
    Ok(f)
}

fn prop_filter(e: &Element) -> DavResult<PropFilter> {
    let mut f = PropFilter {
        name: name_of(e)?,
        is_not_defined: false,
        time_range: None,
        text_match: None,
        param_filters: Vec::new(),
    };
    for child in e.elements() {
        match child.name.local.as_ref() {
            _ if child.name.ns != CALDAV => return Err(unsupported(&child.name)),
            "is-not-defined" => f.is_not_defined = true,
            "time-range" => f.time_range = Some(time_range(child)?),
            "text-match" => f.text_match = Some(text_match(child)?),
            "param-filter" => f.param_filters.push(param_filter(child)?),
            _ => return Err(unsupported(&child.name)),
        }
    }
    Ok(f)
}

fn param_filter(e: &Element) -> DavResult<ParamFilter> {
    let mut f = ParamFilter {
        name: name_of(e)?,
        is_not_defined: false,
        text_match: None,
    };
    for child in e.elements() {
        match child.name.local.as_ref() {
            _ if child.name.ns != CALDAV => return Err(unsupported(&child.name)),
            "is-not-defined" => f.is_not_defined = true,
            "text-match" => f.text_match = Some(text_match(child)?),
            _ => return Err(unsupported(&child.name)),
        }
    }
    Ok(f)
}

fn text_match(e: &Element) -> DavResult<TextMatch> {
    let collation_name = e.attr("collation").unwrap_or("i;ascii-casemap");
    let collation = Collation::from_name(collation_name).ok_or_else(|| {
        DavError::condition(
            Condition::SupportedCollation,
            format!(
                "collation {collation_name:?} is not supported; use i;ascii-casemap, \
                 i;unicode-casemap or i;octet"
            ),
        )
    })?;
    let negate = match e.attr("negate-condition") {
        None | Some("no") => false,
        Some("yes") => true,
        Some(other) => {
            return Err(invalid(&format!(
                "negate-condition must be yes or no, not {other:?}"
            )))
        }
    };
    Ok(TextMatch {
        text: e.text_content(),
        collation,
        negate,
    })
}

/// `start`/`end` are UTC date-times (RFC 4791 §9.9); at least one must be given.
pub fn time_range(e: &Element) -> DavResult<TimeRange> {
    let start = e.attr("start").map(utc).transpose()?;
    let end = e.attr("end").map(utc).transpose()?;
    if start.is_none() && end.is_none() {
        return Err(invalid("a time-range needs a start or an end"));
    }
    if let (Some(s), Some(en)) = (start, end) {
        if en <= s {
            return Err(invalid("a time-range must end after it starts"));
        }
    }
    Ok(TimeRange::new(start, end))
}

fn utc(s: &str) -> DavResult<i64> {
    chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y%m%dT%H%M%SZ")
        .map(|t| t.and_utc().timestamp())
        .map_err(|_| {
            invalid(&format!(
                "{s:?} is not a UTC date-time like 20261121T000000Z"
            ))
        })
}
