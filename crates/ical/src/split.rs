//! A whole VCALENDAR (a collection export, a feed, an .ics file to import) cut into the
//! calendar object resources a CalDAV calendar stores (RFC 4791 §4.1): one per UID, the
//! overrides (RECURRENCE-ID) with their master, each with the VTIMEZONEs its components
//! name and the calendar's own properties, METHOD left out.

use crate::error::ParseError;
use crate::kind::ComponentKind;
use crate::parse::{parse, Component, Property};
use crate::select::write_folded;
use crate::value::unescape_text;

/// One calendar object resource cut out of a calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitObject {
    /// The UID its components share; `None` for a component that had none and was given
    /// none (it stands alone, and a CalDAV server refuses it).
    pub uid: Option<String>,
    /// The type of its components.
    pub kind: ComponentKind,
    /// The object as iCalendar text: CRLF line ends, lines folded at 75 octets, each
    /// property's unfolded line as it was in the calendar.
    pub text: String,
}

/// [`split_calendar_with`] giving no UID to components that have none.
pub fn split_calendar(text: &str) -> Result<Vec<SplitObject>, ParseError> {
    split_calendar_with(text, |_, _| None)
}

/// Cuts `text`, one VCALENDAR, into calendar object resources, in the order their UIDs
/// first appear. Components that are not VEVENT, VTODO, VJOURNAL or VFREEBUSY are only
/// copied where they belong (VTIMEZONE) or left out (X- components of the calendar).
///
/// RFC 4791 §4.1 forbids METHOD in a stored object, so it is left out; the calendar's
/// other properties (VERSION, PRODID, CALSCALE, X-WR-*) are copied into every object. A
/// VTIMEZONE is copied into each object that names its TZID (§4.1: one for each TZID the
/// object uses). `assign_uid` is asked for a UID for each component without one (with the
/// component's position among the calendar's components); a UID it gives is added to the
/// component as a `UID:` line, and `None` leaves the component on its own without one.
pub fn split_calendar_with(
    text: &str,
    mut assign_uid: impl FnMut(usize, &Component) -> Option<String>,
) -> Result<Vec<SplitObject>, ParseError> {
    let root = parse(text)?;
    let mut head = String::from("BEGIN:VCALENDAR\r\n");
    for p in root.properties.iter().filter(|p| p.name != "METHOD") {
        write_folded(&p.line, &mut head);
    }
    let zones: Vec<&Component> = root.components_named("VTIMEZONE").collect();
    // (uid, kind, components) in order of first appearance.
    let mut groups: Vec<(Option<String>, ComponentKind, Vec<Component>)> = Vec::new();
    for (i, c) in root.components.iter().enumerate() {
        let Some(kind) = ComponentKind::from_name(&c.name) else {
            continue;
        };
        let mut c = c.clone();
        let uid = match c.property("UID") {
            Some(p) => Some(p.value.clone()),
            None => assign_uid(i, &c).inspect(|uid| add_uid(&mut c, uid)),
        };
        match groups
            .iter_mut()
            .find(|(u, _, _)| uid.is_some() && *u == uid)
        {
            Some((_, _, members)) => members.push(c),
            None => groups.push((uid, kind, vec![c])),
        }
    }
    Ok(groups
        .into_iter()
        .map(|(uid, kind, members)| {
            let mut out = head.clone();
            let used = tzids(&members);
            for tz in zones.iter().filter(|z| {
                z.property("TZID")
                    .is_some_and(|p| used.contains(&unescape_text(&p.value)))
            }) {
                write_component(tz, &mut out);
            }
            for c in &members {
                write_component(c, &mut out);
            }
            out.push_str("END:VCALENDAR\r\n");
            SplitObject {
                uid,
                kind,
                text: out,
            }
        })
        .collect())
}

/// The calendar's name as its exporter wrote it (`X-WR-CALNAME`, which Google Calendar,
/// Outlook, Thunderbird and Apple Calendar all write), unescaped.
pub fn calendar_name(text: &str) -> Result<Option<String>, ParseError> {
    let root = parse(text)?;
    Ok(root
        .property("X-WR-CALNAME")
        .map(|p| unescape_text(&p.value))
        .filter(|name| !name.trim().is_empty()))
}

/// Puts `UID:uid` right after the component's first line, where clients write it.
fn add_uid(c: &mut Component, uid: &str) {
    let line = format!("UID:{uid}");
    c.properties.insert(
        0,
        Property {
            name: "UID".into(),
            params: Vec::new(),
            value: uid.to_owned(),
            line,
        },
    );
}

/// Every TZID parameter value in `components` and their sub-components.
fn tzids(components: &[Component]) -> Vec<String> {
    fn collect(c: &Component, out: &mut Vec<String>) {
        for p in &c.properties {
            if let Some(tzid) = p.param("TZID") {
                if !out.iter().any(|t| t == tzid) {
                    out.push(tzid.to_owned());
                }
            }
        }
        for child in &c.components {
            collect(child, out);
        }
    }
    let mut out = Vec::new();
    for c in components {
        collect(c, &mut out);
    }
    out
}

pub(crate) fn write_component(c: &Component, out: &mut String) {
    out.push_str("BEGIN:");
    out.push_str(&c.name);
    out.push_str("\r\n");
    for p in &c.properties {
        write_folded(&p.line, out);
    }
    for child in &c.components {
        write_component(child, out);
    }
    out.push_str("END:");
    out.push_str(&c.name);
    out.push_str("\r\n");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic: that is how they fail
mod tests {
    use super::*;

    const EXPORT: &str = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//x//EN\nMETHOD:PUBLISH\n\
        X-WR-CALNAME:Work\n\
        BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:STANDARD\nDTSTART:19701025T030000\n\
        TZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE\n\
        BEGIN:VTIMEZONE\nTZID:Unused\nBEGIN:STANDARD\nDTSTART:19700101T000000\n\
        TZOFFSETFROM:+0000\nTZOFFSETTO:+0000\nEND:STANDARD\nEND:VTIMEZONE\n\
        BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Europe/Berlin:20260108T090000\n\
        DTSTART;TZID=Europe/Berlin:20260108T100000\nEND:VEVENT\n\
        BEGIN:VTODO\nUID:t\nSUMMARY:task\nEND:VTODO\n\
        BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Berlin:20260101T090000\n\
        RRULE:FREQ=WEEKLY\nBEGIN:VALARM\nTRIGGER:-PT5M\nACTION:DISPLAY\nEND:VALARM\n\
        END:VEVENT\nBEGIN:VJOURNAL\nSUMMARY:no uid\nEND:VJOURNAL\nEND:VCALENDAR\n";

    #[test]
    fn one_object_per_uid_with_its_overrides_and_zones() {
        let parts = split_calendar(EXPORT).unwrap();
        let uids: Vec<Option<&str>> = parts.iter().map(|p| p.uid.as_deref()).collect();
        assert_eq!(uids, [Some("a"), Some("t"), None]);
        let kinds: Vec<ComponentKind> = parts.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                ComponentKind::Event,
                ComponentKind::Todo,
                ComponentKind::Journal
            ]
        );
        let a = &parts[0].text;
        assert!(a.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"));
        assert!(!a.contains("METHOD"), "{a}");
        assert!(a.contains("X-WR-CALNAME:Work\r\n"));
        assert_eq!(calendar_name(EXPORT).unwrap().as_deref(), Some("Work"));
        assert_eq!(a.matches("BEGIN:VTIMEZONE").count(), 1, "{a}");
        assert!(a.contains("TZID:Europe/Berlin\r\n"));
        assert_eq!(a.matches("BEGIN:VEVENT").count(), 2);
        assert!(a.contains("BEGIN:VALARM\r\nTRIGGER:-PT5M\r\n"));
        assert!(a.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        // The task names no zone.
        assert!(!parts[1].text.contains("VTIMEZONE"));
        for p in &parts[..2] {
            crate::analyze(
                p.text.as_bytes(),
                &crate::ValidationLimits {
                    min_date_time: i64::MIN,
                    max_date_time: i64::MAX,
                },
            )
            .unwrap();
        }
    }

    #[test]
    fn a_component_without_uid_gets_the_one_assigned() {
        let parts = split_calendar_with(EXPORT, |i, c| Some(format!("{}-{i}", c.name))).unwrap();
        let journal = parts.last().unwrap();
        assert_eq!(journal.uid.as_deref(), Some("VJOURNAL-5"));
        assert!(journal
            .text
            .contains("BEGIN:VJOURNAL\r\nUID:VJOURNAL-5\r\nSUMMARY:no uid\r\n"));
    }

    #[test]
    fn long_lines_are_folded_and_zones_matched_unescaped() {
        let long = "x".repeat(100);
        let text = format!(
            "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Kuala Lumpur\\, Singapore\r\n\
             END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:u\r\n\
             DTSTART;TZID=\"Kuala Lumpur, Singapore\":20260101T090000\r\n\
             DESCRIPTION:{long}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        let parts = split_calendar(&text).unwrap();
        assert!(parts[0].text.contains("BEGIN:VTIMEZONE"));
        assert!(parts[0].text.lines().all(|l| l.len() <= 75));
        let back = parse(&parts[0].text).unwrap();
        let desc = back.components[1].property("DESCRIPTION").unwrap();
        assert_eq!(desc.value, long);
    }
}
