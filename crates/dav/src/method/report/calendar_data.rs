//! The `C:calendar-data` property of REPORT answers, with RFC 4791 §9.6 partial retrieval.

use bytes::Bytes;
use dav_xml::{Element, QName, CALDAV};

use crate::condition::Condition;
use crate::error::{DavError, DavResult};
use crate::method::calendar_values;

/// The calendar-data a REPORT asks for, checked before anything is read: a media type
/// this server does not have is refused with `supported-calendar-data` (RFC 4791 §7.8,
/// §7.9) rather than answered in another one, and an `expand`, `limit-recurrence-set` or
/// `limit-freebusy-set` without its required UTC start and end (§9.6.5-§9.6.7) is a 400
/// rather than silently ignored.
pub fn check_request(prop: &dav_xml::PropFind) -> DavResult<()> {
    let dav_xml::PropFind::Prop(wanted) = prop else {
        return Ok(());
    };
    for e in wanted.iter().filter(|e| e.name.is(CALDAV, "calendar-data")) {
        calendar_values::media_type_supported(e)
            .map_err(|d| DavError::condition(Condition::SupportedCalendarData, d))?;
        for name in ["expand", "limit-recurrence-set", "limit-freebusy-set"] {
            if let Some(range) = e.child(CALDAV, name) {
                let bounded = super::filter_xml::time_range(range)
                    .is_ok_and(|r| r.start.is_some() && r.end.is_some());
                if !bounded {
                    return Err(DavError::bad_request(format!(
                        "CALDAV:{name} needs start and end, UTC date-times like \
                         20261201T000000Z, with end after start (RFC 4791 §9.6)"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Whether a REPORT asks for calendar-data, so that object data must be read at all.
pub fn requested(prop: &dav_xml::PropFind) -> bool {
    matches!(prop, dav_xml::PropFind::Prop(p)
        if p.iter().any(|e| e.name.is(CALDAV, "calendar-data")))
}

/// Some(value) when the requested property is calendar-data; the inner Option is None when
/// the object has no calendar data to give (a non-calendar resource), which becomes a 404.
/// Floating times of `C:expand` are read in UTC.
pub fn answer(
    requested: &Element,
    data: Option<&Bytes>,
    limits: &crate::Limits,
) -> Option<Option<Element>> {
    let ctx = ical::EvalContext {
        floating_tz: None,
        max_instances: limits.max_instances,
    };
    answer_with(requested, data, &ctx)
}

/// As [`answer`], with the evaluation context for `C:expand` (RFC 4791 §9.6.5): instances
/// as separate components in UTC. An expansion that cannot be done (too many instances)
/// returns the object unexpanded rather than nothing.
pub fn answer_with(
    requested: &Element,
    data: Option<&Bytes>,
    ctx: &ical::EvalContext,
) -> Option<Option<Element>> {
    if requested.name.is(CALDAV, "schedule-tag") {
        // RFC 6638 §3.2.10, from the data the REPORT read anyway (DAVx5 asks for it beside
        // calendar-data in its multiget).
        return data.map(|d| {
            crate::schedule::schedule_tag(d)
                .map(|tag| Element::text(QName::caldav("schedule-tag"), tag))
        });
    }
    if !requested.name.is(CALDAV, "calendar-data") {
        return None;
    }
    let Some(text) = data.and_then(|d| std::str::from_utf8(d).ok()) else {
        return Some(None);
    };
    let mut body = text.to_owned();
    let range_of = |name: &str| {
        requested
            .child(CALDAV, name)
            .and_then(|e| super::filter_xml::time_range(e).ok())
    };
    // RFC 4791 §9.6.5-9.6.7; a transformation that cannot be done (too many instances)
    // leaves the data as stored rather than dropping it.
    if let Some(range) = range_of("expand") {
        if let Ok(expanded) = ical::expand_to_text(&body, range, ctx) {
            body = expanded;
        }
    } else if let Some(range) = range_of("limit-recurrence-set") {
        if let Ok(limited) = ical::limit_recurrence_set(&body, range, ctx) {
            body = limited;
        }
    }
    if let Some(range) = range_of("limit-freebusy-set") {
        if let Ok(limited) = ical::limit_freebusy_set(&body, range) {
            body = limited;
        }
    }
    if let Some(sel) = requested.child(CALDAV, "comp").map(selector) {
        if let Ok(selected) = ical::select(&body, &sel) {
            body = selected;
        }
    }
    Some(Some(Element::text(QName::caldav("calendar-data"), body)))
}

/// `<C:comp name="VCALENDAR"><C:allprop/><C:comp name="VEVENT"><C:prop name="SUMMARY"/>...`
fn selector(comp: &Element) -> ical::CompSelector {
    let props = if comp.child(CALDAV, "allprop").is_some() {
        ical::PropSelection::All
    } else {
        ical::PropSelection::Only(
            comp.elements()
                .filter(|e| e.name.is(CALDAV, "prop"))
                .map(|p| ical::PropSelector {
                    name: p.attr("name").unwrap_or("").to_ascii_uppercase(),
                    novalue: p.attr("novalue") == Some("yes"),
                })
                .collect(),
        )
    };
    let comps = if comp.child(CALDAV, "allcomp").is_some() {
        ical::CompSelection::All
    } else {
        ical::CompSelection::Only(
            comp.elements()
                .filter(|e| e.name.is(CALDAV, "comp"))
                .map(selector)
                .collect(),
        )
    };
    ical::CompSelector {
        name: comp.attr("name").unwrap_or("").to_ascii_uppercase(),
        props,
        comps,
    }
}
