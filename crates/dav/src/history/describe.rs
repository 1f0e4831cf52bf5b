//! Human-readable views of versions: an event's summary and start, and which properties
//! changed between two versions.

use std::collections::BTreeMap;

/// What a person recognises an event by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Described {
    pub summary: Option<String>,
    /// DTSTART as written, with its TZID when it has one (`2026-11-24 09:00 Europe/Berlin`).
    pub start: Option<String>,
}

/// The summary and start of calendar data; empty for data that is not iCalendar.
pub fn describe(data: &[u8]) -> Described {
    let Some(root) = std::str::from_utf8(data)
        .ok()
        .and_then(|t| ical::parse(t).ok())
    else {
        return Described::default();
    };
    let Some(master) = root
        .components
        .iter()
        .filter(|c| ical::ComponentKind::from_name(&c.name).is_some())
        .find(|c| c.property("RECURRENCE-ID").is_none())
        .or_else(|| root.components.first())
    else {
        return Described::default();
    };
    let summary = master
        .property("SUMMARY")
        .map(|p| ical::unescape_text(&p.value));
    let start = master.property("DTSTART").map(|p| {
        let when = readable_date(&p.value);
        match p.param("TZID") {
            Some(tz) => format!("{when} {tz}"),
            None => when,
        }
    });
    Described { summary, start }
}

/// `20261124T090000Z` -> `2026-11-24 09:00Z`; `20261124` -> `2026-11-24`.
fn readable_date(v: &str) -> String {
    let b = v.as_bytes();
    if v.len() >= 8 && b[..8].iter().all(u8::is_ascii_digit) {
        let date = format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..8]);
        if v.len() >= 13 && b[8] == b'T' {
            let zulu = if v.ends_with('Z') { "Z" } else { "" };
            return format!("{date} {}:{}{zulu}", &v[9..11], &v[11..13]);
        }
        return date;
    }
    v.to_owned()
}

/// What changed between two versions of an object, property by property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionDiff {
    pub older: i64,
    pub newer: i64,
    pub changes: Vec<PropertyChange>,
}

/// One property that differs between two versions of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyChange {
    /// `VEVENT`, or `VEVENT 20261124T090000Z` for an override (its RECURRENCE-ID).
    pub component: String,
    pub property: String,
    /// The property's lines in the older version (name and parameters included).
    pub before: Vec<String>,
    pub after: Vec<String>,
}

/// Property-level differences between two versions (None = absent or deleted).
pub fn diff_versions(older: Option<&[u8]>, newer: Option<&[u8]>) -> Vec<PropertyChange> {
    let a = properties_of(older);
    let b = properties_of(newer);
    let mut keys: Vec<&(String, String)> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let empty = Vec::new();
    keys.into_iter()
        .filter_map(|key| {
            let before = a.get(key).unwrap_or(&empty);
            let after = b.get(key).unwrap_or(&empty);
            (before != after).then(|| PropertyChange {
                component: key.0.clone(),
                property: key.1.clone(),
                before: before.clone(),
                after: after.clone(),
            })
        })
        .collect()
}

/// (component label, property name) -> sorted property lines, for every component below
/// VCALENDAR (VALARMs labelled under their parent).
fn properties_of(data: Option<&[u8]>) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let Some(root) = data
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(|t| ical::parse(t).ok())
    else {
        return out;
    };
    for c in &root.components {
        let label = match c.property("RECURRENCE-ID") {
            Some(rid) => format!("{} {}", c.name, rid.value),
            None => c.name.clone(),
        };
        collect(&mut out, &label, c);
    }
    for lines in out.values_mut() {
        lines.sort();
    }
    out
}

fn collect(out: &mut BTreeMap<(String, String), Vec<String>>, label: &str, c: &ical::Component) {
    for p in &c.properties {
        out.entry((label.to_owned(), p.name.clone()))
            .or_default()
            .push(p.line.clone());
    }
    for child in &c.components {
        collect(out, &format!("{label}/{}", child.name), child);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u\r\n\
        DTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20261124T090000\r\n\
        SUMMARY:Team sync\\, weekly\r\nATTENDEE:mailto:a@example.com\r\nEND:VEVENT\r\n\
        END:VCALENDAR\r\n";

    #[test]
    fn describes_summary_and_start() {
        let d = describe(V1.as_bytes());
        assert_eq!(d.summary.as_deref(), Some("Team sync, weekly"));
        assert_eq!(d.start.as_deref(), Some("2026-11-24 09:00 Europe/Berlin"));
        assert_eq!(describe(b"not ical"), Described::default());
    }

    #[test]
    fn diff_names_the_changed_properties_only() {
        let v2 = V1
            .replace("SUMMARY:Team sync\\, weekly", "SUMMARY:Team sync moved")
            .replace(
                "ATTENDEE:mailto:a@example.com",
                "ATTENDEE:mailto:a@example.com\r\nATTENDEE:mailto:b@example.com",
            );
        let changes = diff_versions(Some(V1.as_bytes()), Some(v2.as_bytes()));
        let names: Vec<&str> = changes.iter().map(|c| c.property.as_str()).collect();
        assert_eq!(names, ["ATTENDEE", "SUMMARY"]);
        assert_eq!(changes[1].before, ["SUMMARY:Team sync\\, weekly"]);
        assert_eq!(changes[1].after, ["SUMMARY:Team sync moved"]);
        assert_eq!(changes[0].after.len(), 2);
        // Against a deletion everything is removed.
        let gone = diff_versions(Some(V1.as_bytes()), None);
        assert!(gone
            .iter()
            .all(|c| c.after.is_empty() && !c.before.is_empty()));
    }
}
