//! Import and export as the web page needs them, behind one narrow pair of functions, so
//! that the import/export of everyday operations (issue 24, `server::admin`, used by the
//! CLI and `/api/`) can replace the bodies without touching the page.
//!
//! Until then: an import cuts each file into calendar objects with `ical::split_calendar`
//! (one per UID, overrides with their master, the VTIMEZONEs each uses) and PUTs each
//! through the engine with If-None-Match: *, so every object meets CalDAV's validation and
//! is recorded with client "web"; an export joins the calendar's objects into one
//! VCALENDAR, each time zone once.

use std::collections::BTreeSet;

use dav::Caller;
use http::StatusCode;
use store::{Collection, Store};

use super::error::WebError;
use super::event_text::write_component;
use super::writes::{self, Expect};

/// What an import did, object by object.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: usize,
    /// (what, why): already there.
    pub skipped: Vec<(String, String)>,
    /// (what, why): refused.
    pub failed: Vec<(String, String)>,
}

/// The object name an imported UID is stored under: the UID when it is plain, else its hash.
fn object_name(uid: &str) -> String {
    let plain = uid.len() <= 100
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'));
    match plain {
        true => format!("{uid}.ics"),
        false => format!("{}.ics", &blake3::hash(uid.as_bytes()).to_hex()[..32]),
    }
}

/// Imports one `.ics` file's text into `calendar` (of `caller`).
pub async fn import_ics(
    engine: &dav::Engine,
    caller: &Caller,
    calendar: &Collection,
    file: &str,
    text: &str,
    report: &mut ImportReport,
) {
    let objects = match ical::split_calendar(text) {
        Ok(o) => o,
        Err(e) => {
            report
                .failed
                .push((file.to_owned(), format!("not an iCalendar file: {e}")));
            return;
        }
    };
    for o in objects {
        let Some(uid) = o.uid.clone() else {
            report.failed.push((
                format!("{file}: a {}", o.kind.name()),
                "it has no UID".into(),
            ));
            continue;
        };
        let what = format!("{file}: {uid}");
        let href = dav::path::object_href(&caller.user.name, &calendar.path, &object_name(&uid));
        match writes::put(engine, caller, &href, o.text, Expect::Absent).await {
            Ok(_) => report.created += 1,
            Err(e) if e.status == StatusCode::PRECONDITION_FAILED => report
                .skipped
                .push((what, "already in the calendar".into())),
            Err(e) if e.status == StatusCode::CONFLICT && e.message.contains("UID") => {
                report.skipped.push((what, e.message))
            }
            Err(e) => report.failed.push((what, e.message)),
        }
    }
}

/// The calendar as one `.ics`: every object's components, each VTIMEZONE once.
pub async fn export_ics(
    store: &dyn Store,
    calendar: &Collection,
    name: &str,
) -> Result<String, WebError> {
    let names: Vec<String> = store
        .objects(calendar.id)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    let mut zones = String::new();
    let mut seen_zones = BTreeSet::new();
    let mut items = String::new();
    for o in store.objects_by_name(calendar.id, &names).await? {
        let Some(root) = super::calendars::parsed(&o.data) else {
            continue;
        };
        for c in &root.components {
            if c.name == "VTIMEZONE" {
                let tzid = c
                    .property("TZID")
                    .map(|p| p.value.clone())
                    .unwrap_or_default();
                if seen_zones.insert(tzid) {
                    write_component(c, &mut zones);
                }
            } else {
                write_component(c, &mut items);
            }
        }
    }
    let mut out =
        String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault//export//EN\r\n");
    let escaped: String = name
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '\\' | ';' | ',' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    ical::write_folded(&format!("X-WR-CALNAME:{escaped}"), &mut out);
    out.push_str(&zones);
    out.push_str(&items);
    out.push_str("END:VCALENDAR\r\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_that_are_not_plain_are_hashed_into_names() {
        assert_eq!(object_name("abc-1@x"), "abc-1@x.ics");
        let odd = object_name("a/b?c");
        assert!(odd.ends_with(".ics") && !odd.contains('/'), "{odd}");
    }
}
