//! `C:filter` XML (RFC 4791 §9.7) into the calendar domain's typed filter. The whole shape
//! is checked before anything runs: a filter that breaks the grammar of §9.7.1-§9.7.3 or
//! nests what cannot be nested is `valid-filter`, anything this server cannot evaluate
//! `supported-filter` or `supported-collation`; none is silently matched.

use dav_xml::{Element, QName, CALDAV};
use ical::{Collation, CompFilter, ParamFilter, PropFilter, TextMatch, TimeRange};

use crate::condition::Condition;
use crate::error::{DavError, DavResult};

/// `<!ELEMENT filter (comp-filter)>` (RFC 4791 §9.7): one comp-filter named VCALENDAR and
/// nothing beside it, so that no test is dropped unread.
pub fn parse_filter(filter: &Element) -> DavResult<CompFilter> {
    if let Some(other) = filter
        .elements()
        .find(|e| !e.name.is(CALDAV, "comp-filter"))
    {
        return Err(not_here(&other.name, "filter"));
    }
    let mut tops = filter.elements();
    let top = tops
        .next()
        .ok_or_else(|| invalid("the filter must hold one comp-filter named VCALENDAR"))?;
    if tops.next().is_some() {
        return Err(invalid("the filter must hold exactly one comp-filter"));
    }
    if !name_of(top)?.eq_ignore_ascii_case("VCALENDAR") {
        return Err(invalid("the top comp-filter must be named VCALENDAR"));
    }
    comp_filter(top, None)
}

/// RFC 4791 §9.9 defines time-range for these components only (the calendar itself is
/// none of them: its time-range would have to apply to the components below it).
const TIMED_COMPONENTS: [&str; 5] = ["VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VALARM"];

/// Where a component may sit (RFC 5545 §3.6, RFC 7953 §3): a filter that nests, say, a
/// VEVENT in a VTODO can match nothing (RFC 4791 §7.8 `valid-filter` names this case).
/// Components not listed here (X- and IANA ones) may sit anywhere.
fn parent_allowed(name: &str, parent: Option<&str>) -> bool {
    let allowed: &[&str] = match name {
        "VCALENDAR" => return parent.is_none(),
        "VEVENT" | "VTODO" | "VJOURNAL" | "VFREEBUSY" | "VTIMEZONE" | "VAVAILABILITY" => {
            &["VCALENDAR"]
        }
        "VALARM" => &["VEVENT", "VTODO"],
        "STANDARD" | "DAYLIGHT" => &["VTIMEZONE"],
        "AVAILABLE" => &["VAVAILABILITY"],
        _ => return true,
    };
    parent.is_some_and(|p| allowed.contains(&p))
}

/// Properties whose values are dates or date-times (RFC 5545 §3.8.2, §3.8.5, §3.8.6.3,
/// §3.8.7; RFC 9074 ACKNOWLEDGED), where a prop-filter's time-range means something.
/// X- properties may hold any value type and are allowed too.
fn is_date_property(name: &str) -> bool {
    const DATES: [&str; 12] = [
        "DTSTART",
        "DTEND",
        "DUE",
        "COMPLETED",
        "CREATED",
        "DTSTAMP",
        "LAST-MODIFIED",
        "RECURRENCE-ID",
        "EXDATE",
        "RDATE",
        "TRIGGER",
        "ACKNOWLEDGED",
    ];
    DATES.contains(&name) || name.starts_with("X-")
}

fn invalid(detail: &str) -> DavError {
    DavError::condition(Condition::ValidFilter, detail.to_owned())
}

/// The CalDAV filter elements of RFC 4791 §9.7: one of them where the grammar does not let
/// it sit is a malformed filter, an element outside this list one this server cannot
/// evaluate.
const FILTER_ELEMENTS: [&str; 6] = [
    "comp-filter",
    "prop-filter",
    "param-filter",
    "time-range",
    "text-match",
    "is-not-defined",
];

/// A child that `parent` does not take: `valid-filter` when it is a CalDAV filter element
/// in the wrong place (a time-range in a param-filter, a comp-filter in a prop-filter:
/// §9.7.1-§9.7.3), `supported-filter` for an element this server does not know.
fn not_here(child: &QName, parent: &str) -> DavError {
    if child.ns == CALDAV && FILTER_ELEMENTS.contains(&child.local.as_ref()) {
        return invalid(&format!(
            "a {} cannot sit inside a {parent} (RFC 4791 §9.7)",
            child.local
        ));
    }
    DavError::condition(
        Condition::SupportedFilter,
        format!("the filter element {child} is not supported"),
    )
}

fn name_of(e: &Element) -> DavResult<String> {
    match e.attr("name") {
        Some(n) if !n.trim().is_empty() => Ok(n.trim().to_ascii_uppercase()),
        _ => Err(invalid(&format!("{} needs a name attribute", e.name))),
    }
}

/// `<!ELEMENT comp-filter (is-not-defined | (time-range?, prop-filter*, comp-filter*))>`
/// (RFC 4791 §9.7.1).
fn comp_filter(e: &Element, parent: Option<&str>) -> DavResult<CompFilter> {
    let name = name_of(e)?;
    if !parent_allowed(&name, parent) {
        return Err(invalid(&match parent {
            Some(p) => format!("a {name} comp-filter cannot sit inside a {p} comp-filter"),
            None => format!("the top comp-filter must be named VCALENDAR, not {name}"),
        }));
    }
    let mut f = CompFilter {
        name,
        is_not_defined: false,
        time_range: None,
        prop_filters: Vec::new(),
        comp_filters: Vec::new(),
    };
    for child in e.elements() {
        match child.name.local.as_ref() {
            _ if child.name.ns != CALDAV => return Err(not_here(&child.name, "comp-filter")),
            "is-not-defined" => f.is_not_defined = true,
            "time-range" => {
                if !TIMED_COMPONENTS.contains(&f.name.as_str()) {
                    return Err(invalid(&format!(
                        "a time-range cannot test a {} comp-filter (RFC 4791 §9.9 defines it \
                         for VEVENT, VTODO, VJOURNAL, VFREEBUSY and VALARM); put it inside \
                         the comp-filter of the component it is for",
                        f.name
                    )));
                }
                if f.time_range.is_some() {
                    return Err(invalid("a comp-filter holds at most one time-range"));
                }
                f.time_range = Some(time_range(child)?);
            }
            "prop-filter" => f.prop_filters.push(prop_filter(child)?),
            "comp-filter" => f.comp_filters.push(comp_filter(child, Some(&f.name))?),
            _ => return Err(not_here(&child.name, "comp-filter")),
        }
    }
    let tests_more = f.time_range.is_some() || !f.prop_filters.is_empty();
    if f.is_not_defined && (tests_more || !f.comp_filters.is_empty()) {
        return Err(not_defined_alone(&f.name));
    }
    Ok(f)
}

fn not_defined_alone(name: &str) -> DavError {
    invalid(&format!(
        "is-not-defined in the filter for {name} cannot be combined with other tests \
         (RFC 4791 §9.7)"
    ))
}

/// `<!ELEMENT prop-filter (is-not-defined | ((time-range | text-match)?, param-filter*))>`
/// (RFC 4791 §9.7.2).
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
            _ if child.name.ns != CALDAV => return Err(not_here(&child.name, "prop-filter")),
            "is-not-defined" => f.is_not_defined = true,
            "time-range" => {
                if !is_date_property(&f.name) {
                    return Err(invalid(&format!(
                        "a time-range cannot test {}, which is not a date or date-time \
                         property (RFC 4791 §9.7)",
                        f.name
                    )));
                }
                if f.time_range.is_some() || f.text_match.is_some() {
                    return Err(one_value_test(&f.name));
                }
                f.time_range = Some(time_range(child)?);
            }
            "text-match" => {
                if f.time_range.is_some() || f.text_match.is_some() {
                    return Err(one_value_test(&f.name));
                }
                f.text_match = Some(text_match(child)?);
            }
            "param-filter" => f.param_filters.push(param_filter(child)?),
            _ => return Err(not_here(&child.name, "prop-filter")),
        }
    }
    let tests_more =
        f.time_range.is_some() || f.text_match.is_some() || !f.param_filters.is_empty();
    if f.is_not_defined && tests_more {
        return Err(not_defined_alone(&f.name));
    }
    Ok(f)
}

fn one_value_test(name: &str) -> DavError {
    invalid(&format!(
        "the prop-filter for {name} holds at most one time-range or text-match \
         (RFC 4791 §9.7.2)"
    ))
}

/// `<!ELEMENT param-filter (is-not-defined | text-match?)>` (RFC 4791 §9.7.3).
fn param_filter(e: &Element) -> DavResult<ParamFilter> {
    let mut f = ParamFilter {
        name: name_of(e)?,
        is_not_defined: false,
        text_match: None,
    };
    for child in e.elements() {
        match child.name.local.as_ref() {
            _ if child.name.ns != CALDAV => return Err(not_here(&child.name, "param-filter")),
            "is-not-defined" => f.is_not_defined = true,
            "text-match" => {
                if f.text_match.is_some() {
                    return Err(invalid(&format!(
                        "the param-filter for {} holds at most one text-match",
                        f.name
                    )));
                }
                f.text_match = Some(text_match(child)?);
            }
            _ => return Err(not_here(&child.name, "param-filter")),
        }
    }
    if f.is_not_defined && f.text_match.is_some() {
        return Err(not_defined_alone(&f.name));
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
