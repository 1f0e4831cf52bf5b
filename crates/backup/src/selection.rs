//! Which objects a backup keeps: `--component`, `--since` and `--until`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, Result};
use crate::facts::ObjectFacts;

/// The objects a backup keeps.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Component names (upper case); empty keeps every kind.
    pub components: Vec<String>,
    /// Unix seconds.
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// Past this many instances an object is kept rather than evaluated further: a backup
/// keeps too much rather than too little.
const MAX_INSTANCES: u32 = 100_000;

impl Selection {
    /// The selection `--component`, `--since` and `--until` ask for (component names in
    /// any case, times in RFC 3339 or as a plain date).
    pub fn from_flags(
        components: Vec<String>,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Selection> {
        let time = |text: Option<&str>, flag: &'static str| {
            text.map(|t| {
                parse_time(t).ok_or_else(|| Error::NotATime {
                    flag,
                    text: t.to_owned(),
                })
            })
            .transpose()
        };
        Ok(Selection {
            components: components.iter().map(|c| c.to_ascii_uppercase()).collect(),
            since: time(since, "--since")?,
            until: time(until, "--until")?,
        })
    }

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
        ["VEVENT", "VTODO", "VJOURNAL"]
            .iter()
            .any(|kind| occurs_in(root, kind, range))
    }
}

/// Whether a component of this kind has an instance in the range (RFC 4791 §9.9); an
/// object too large to evaluate counts as occurring.
fn occurs_in(root: &ical::Component, kind: &str, range: ical::TimeRange) -> bool {
    let filter = ical::CompFilter {
        name: "VCALENDAR".into(),
        is_not_defined: false,
        time_range: None,
        prop_filters: Vec::new(),
        comp_filters: vec![ical::CompFilter {
            name: kind.into(),
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
}

/// RFC 3339 or a plain date (midnight UTC) as unix seconds; None for anything else.
pub fn parse_time(text: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc).timestamp());
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::facts::facts;

    const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\n\
        UID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T090000Z\r\n\
        RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Stand-up\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn flags_make_a_selection_or_name_the_time_that_is_none() {
        let s = Selection::from_flags(vec!["VTODO".into()], Some("2026-03-01"), None).unwrap();
        assert_eq!(
            (s.components.len(), s.since, s.until),
            (1, Some(1_772_323_200), None)
        );
        let e = Selection::from_flags(vec![], Some("2026-03-01"), Some("soon")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--until \"soon\" is not a time: use RFC 3339 (2026-11-21T09:00:00Z) or YYYY-MM-DD"
        );
    }

    #[test]
    fn reads_facts_and_selects_by_occurrence() {
        let (facts, root) = facts(EVENT.as_bytes());
        assert_eq!(facts.uid.as_deref(), Some("u1"));
        assert_eq!(facts.component.as_deref(), Some("VEVENT"));
        assert_eq!(facts.summary.as_deref(), Some("Stand-up"));
        let window = |since: &str, until: &str| Selection {
            components: Vec::new(),
            since: Some(parse_time(since).unwrap()),
            until: Some(parse_time(until).unwrap()),
        };
        // The third weekly instance falls on 2026-03-15.
        assert!(window("2026-03-14", "2026-03-16").keeps(&facts, root.as_ref()));
        assert!(!window("2026-03-16", "2026-04-01").keeps(&facts, root.as_ref()));
        let todos = Selection {
            components: vec!["VTODO".into()],
            ..Selection::default()
        };
        assert!(!todos.keeps(&facts, root.as_ref()));
        assert!(parse_time("yesterday").is_none());
    }
}
