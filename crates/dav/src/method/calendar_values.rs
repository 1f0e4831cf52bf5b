//! What a client may ask of a calendar's data, and whether this server can honour it: the
//! component set (RFC 4791 §5.2.3), the media type of calendar data (§5.2.4, §9.6) and a
//! time zone (§5.2.2, §9.8). MKCALENDAR, PROPPATCH and the REPORTs share these checks, so
//! each refuses with the same precondition.

use dav_xml::{Element, CALDAV};

/// Component types a calendar may be restricted to.
pub const KNOWN_COMPONENTS: [&str; 4] = ["VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"];

/// The only calendar data this server stores and returns: iCalendar 2.0.
const MEDIA_TYPE: &str = "text/calendar";
const VERSION: &str = "2.0";

/// The components a `supported-calendar-component-set` value names, each known here.
pub fn component_set(p: &Element) -> Result<Vec<String>, String> {
    let mut set = Vec::new();
    for comp in p.elements().filter(|e| e.name.is(CALDAV, "comp")) {
        let name = comp.attr("name").unwrap_or("").to_ascii_uppercase();
        if !KNOWN_COMPONENTS.contains(&name.as_str()) {
            return Err(format!(
                "unknown component {name:?}; supported are {}",
                KNOWN_COMPONENTS.join(", ")
            ));
        }
        if !set.contains(&name) {
            set.push(name);
        }
    }
    if set.is_empty() {
        return Err("the component set names no component".into());
    }
    Ok(set)
}

/// Whether a `C:calendar-data` element (in a REPORT's property list, or inside a
/// `supported-calendar-data` value) names a media type this server has. Its attributes
/// default to text/calendar 2.0 (RFC 4791 §9.6); parameters of the media type are ignored.
pub fn media_type_supported(calendar_data: &Element) -> Result<(), String> {
    let content_type = calendar_data.attr("content-type").unwrap_or(MEDIA_TYPE);
    let version = calendar_data.attr("version").unwrap_or(VERSION);
    let media = content_type.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case(MEDIA_TYPE) && version.trim() == VERSION {
        Ok(())
    } else {
        Err(format!(
            "calendar data is available as {MEDIA_TYPE} version {VERSION} only, not as \
             {content_type} version {version}"
        ))
    }
}

/// A `supported-calendar-data` value this server can honour: every media type it names is
/// one this server has.
pub fn supported_data(p: &Element) -> Result<(), String> {
    let mut named = 0;
    for data in p.elements().filter(|e| e.name.is(CALDAV, "calendar-data")) {
        media_type_supported(data)?;
        named += 1;
    }
    if named == 0 {
        return Err("supported-calendar-data names no calendar-data media type".into());
    }
    Ok(())
}

/// A `calendar-timezone` property or a query's `C:timezone`: a VCALENDAR holding exactly
/// one valid VTIMEZONE (RFC 4791 §5.2.2).
pub fn timezone(text: &str) -> Result<(), String> {
    ical::check_timezone_object(text).map(|_| ()).map_err(|e| {
        format!("the time zone must be an iCalendar object with exactly one valid VTIMEZONE: {e}")
    })
}
