//! What the backup records about each object (UID, component, summary, start) and which
//! objects `--component`, `--since` and `--until` keep.

use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDate, Utc};

/// The facts a listing or a diff shows for an object.
#[derive(Clone, Debug, Default)]
pub struct ObjectFacts {
    pub uid: Option<String>,
    pub component: Option<String>,
    pub summary: Option<String>,
    pub start: Option<String>,
}

/// Reads an object's facts; data that is not iCalendar yields none (it is still kept).
pub fn facts(data: &[u8]) -> (ObjectFacts, Option<ical::Component>) {
    let root = std::str::from_utf8(data)
        .ok()
        .and_then(|t| ical::parse(t).ok());
    let Some(root) = root else {
        return (ObjectFacts::default(), None);
    };
    let main = root
        .components
        .iter()
        .find(|c| ical::ComponentKind::from_name(&c.name).is_some());
    let described = dav::history::describe(data);
    let facts = ObjectFacts {
        uid: main
            .and_then(|c| c.property("UID"))
            .map(|p| p.value.clone()),
        component: main.map(|c| c.name.to_ascii_uppercase()),
        summary: described.summary,
        start: described.start,
    };
    (facts, Some(root))
}

/// The objects a backup keeps.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Component names (upper case); empty keeps every kind.
    pub components: Vec<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// Past this many instances an object is kept rather than evaluated further: a backup
/// keeps too much rather than too little.
const MAX_INSTANCES: u32 = 100_000;

impl Selection {
    pub fn keeps_everything(&self) -> bool {
        self.components.is_empty() && self.since.is_none() && self.until.is_none()
    }

    /// A stable description, stored with the snapshot so an incremental run only reuses
    /// objects chosen the same way.
    pub fn describe(&self) -> String {
        if self.keeps_everything() {
            return String::new();
        }
        format!(
            "components={};since={};until={}",
            self.components.join(","),
            self.since.map(|t| t.to_string()).unwrap_or_default(),
            self.until.map(|t| t.to_string()).unwrap_or_default()
        )
    }

    pub fn keeps(&self, facts: &ObjectFacts, root: Option<&ical::Component>) -> bool {
        if !self.components.is_empty()
            && !facts
                .component
                .as_ref()
                .is_some_and(|c| self.components.contains(c))
        {
            return false;
        }
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(root) = root else {
            return false;
        };
        let range = ical::TimeRange::new(self.since, self.until);
        let kinds = ["VEVENT", "VTODO", "VJOURNAL"];
        kinds.iter().any(|kind| {
            let filter = ical::CompFilter {
                name: "VCALENDAR".into(),
                is_not_defined: false,
                time_range: None,
                prop_filters: Vec::new(),
                comp_filters: vec![ical::CompFilter {
                    name: (*kind).into(),
                    is_not_defined: false,
                    time_range: Some(range),
                    prop_filters: Vec::new(),
                    comp_filters: Vec::new(),
                }],
            };
            let ctx = ical::EvalContext {
                floating_tz: None,
                max_instances: MAX_INSTANCES,
            };
            ical::matches(root, &filter, &ctx).unwrap_or(true)
        })
    }
}

/// RFC 3339 or a plain date (midnight UTC) as unix seconds.
pub fn parse_time(text: &str, flag: &str) -> anyhow::Result<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc).timestamp());
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = d.and_hms_opt(0, 0, 0).context("invalid date")?;
        return Ok(midnight.and_utc().timestamp());
    }
    bail!("{flag} {text:?} is not a time: use RFC 3339 (2026-11-21T09:00:00Z) or YYYY-MM-DD")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\n\
        UID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T090000Z\r\n\
        RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Stand-up\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn reads_facts_and_selects_by_occurrence() {
        let (facts, root) = facts(EVENT.as_bytes());
        assert_eq!(facts.uid.as_deref(), Some("u1"));
        assert_eq!(facts.component.as_deref(), Some("VEVENT"));
        assert_eq!(facts.summary.as_deref(), Some("Stand-up"));
        let window = |since: &str, until: &str| Selection {
            components: Vec::new(),
            since: Some(parse_time(since, "--since").unwrap()),
            until: Some(parse_time(until, "--until").unwrap()),
        };
        // The third weekly instance falls on 2026-03-15.
        assert!(window("2026-03-14", "2026-03-16").keeps(&facts, root.as_ref()));
        assert!(!window("2026-03-16", "2026-04-01").keeps(&facts, root.as_ref()));
        let todos = Selection {
            components: vec!["VTODO".into()],
            ..Selection::default()
        };
        assert!(!todos.keeps(&facts, root.as_ref()));
        assert!(parse_time("yesterday", "--since").is_err());
    }
}
