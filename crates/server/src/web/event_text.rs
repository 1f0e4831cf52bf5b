//! The simple event the pages create and edit (title, start and end or all day, time zone,
//! location, description, repeat weekly/monthly/yearly) to and from iCalendar text.
//!
//! Editing keeps what the form does not show: the master's other properties (attendees,
//! alarms, categories...) stay as they were, line for line. An event the form cannot show
//! faithfully (overrides, RDATEs, a rule with more than a frequency) is not offered for
//! editing: writing it back through this form would lose what makes it special.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use ical::Component;

/// How an event repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    Never,
    Weekly,
    Monthly,
    Yearly,
}

impl Repeat {
    pub const ALL: [(Repeat, &'static str, &'static str); 4] = [
        (Repeat::Never, "never", "Does not repeat"),
        (Repeat::Weekly, "weekly", "Every week"),
        (Repeat::Monthly, "monthly", "Every month"),
        (Repeat::Yearly, "yearly", "Every year"),
    ];

    pub fn parse(s: &str) -> Repeat {
        Repeat::ALL
            .iter()
            .find(|(_, key, _)| *key == s)
            .map_or(Repeat::Never, |(r, _, _)| *r)
    }

    pub fn key(self) -> &'static str {
        Repeat::ALL
            .iter()
            .find(|(r, _, _)| *r == self)
            .map_or("never", |(_, k, _)| k)
    }

    fn freq(self) -> Option<&'static str> {
        match self {
            Repeat::Never => None,
            Repeat::Weekly => Some("WEEKLY"),
            Repeat::Monthly => Some("MONTHLY"),
            Repeat::Yearly => Some("YEARLY"),
        }
    }
}

/// The form's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleEvent {
    pub title: String,
    pub all_day: bool,
    pub start: NaiveDateTime,
    /// Exclusive for timed events; the last day (inclusive) for all-day ones.
    pub end: NaiveDateTime,
    pub zone: Tz,
    pub location: String,
    pub description: String,
    pub repeat: Repeat,
}

/// The form as sent.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct EventForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub title: String,
    pub all_day: Option<String>,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub start_time: String,
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub end_time: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub repeat: String,
    /// The ETag the edit form was made from (If-Match).
    #[serde(default)]
    pub etag: String,
}

impl EventForm {
    /// Checks the fields; the message says which one is wrong.
    pub fn check(&self) -> Result<SimpleEvent, String> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err("Give the event a title.".into());
        }
        let date = |s: &str, which: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| format!("The {which} date is not a date like 2026-12-24."))
        };
        let time = |s: &str, which: &str| {
            NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .map_err(|_| format!("The {which} time is not a time like 09:30."))
        };
        let all_day = self.all_day.is_some();
        let start_date = date(&self.start_date, "start")?;
        let end_date = match self.end_date.trim() {
            "" => start_date,
            s => date(s, "end")?,
        };
        let (start, end) = match all_day {
            true => (
                start_date.and_time(NaiveTime::MIN),
                end_date.and_time(NaiveTime::MIN),
            ),
            false => {
                let start_time = time(&self.start_time, "start")?;
                let end_time = match self.end_time.trim() {
                    "" => start_time + chrono::TimeDelta::hours(1),
                    s => time(s, "end")?,
                };
                (start_date.and_time(start_time), end_date.and_time(end_time))
            }
        };
        if end < start || (!all_day && end == start) {
            return Err("The event must end after it starts.".into());
        }
        let zone: Tz = match self.zone.trim() {
            "" => chrono_tz::UTC,
            z => z
                .parse()
                .map_err(|_| format!("{z:?} is not a time zone like Europe/Berlin."))?,
        };
        Ok(SimpleEvent {
            title: title.to_owned(),
            all_day,
            start,
            end,
            zone,
            location: self.location.trim().to_owned(),
            description: self.description.trim().replace("\r\n", "\n"),
            repeat: Repeat::parse(&self.repeat),
        })
    }
}

/// RFC 5545 §3.3.11 TEXT escaping.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Properties the form owns: everything else of an edited master is kept.
const MANAGED: [&str; 10] = [
    "SUMMARY",
    "DTSTART",
    "DTEND",
    "DURATION",
    "LOCATION",
    "DESCRIPTION",
    "RRULE",
    "DTSTAMP",
    "LAST-MODIFIED",
    "SEQUENCE",
];

/// A component as content lines, each property as it was (folded).
pub fn write_component(c: &Component, out: &mut String) {
    out.push_str(&format!("BEGIN:{}\r\n", c.name));
    for p in &c.properties {
        ical::write_folded(&p.line, out);
    }
    for sub in &c.components {
        write_component(sub, out);
    }
    out.push_str(&format!("END:{}\r\n", c.name));
}

fn date_lines(e: &SimpleEvent, out: &mut String) {
    let mut line = |name: &str, t: NaiveDateTime| {
        let text = if e.all_day {
            format!("{name};VALUE=DATE:{}", t.format("%Y%m%d"))
        } else if e.zone == chrono_tz::UTC {
            format!("{name}:{}Z", t.format("%Y%m%dT%H%M%S"))
        } else {
            format!(
                "{name};TZID={}:{}",
                e.zone.name(),
                t.format("%Y%m%dT%H%M%S")
            )
        };
        ical::write_folded(&text, out);
    };
    line("DTSTART", e.start);
    // RFC 5545 §3.6.1: an all-day event's DTEND is the day after its last day.
    let end = match e.all_day {
        true => e.end + chrono::TimeDelta::days(1),
        false => e.end,
    };
    line("DTEND", end);
}

/// The calendar object for `e`: a new one (`previous` None) or `previous` edited.
pub fn to_ical(
    e: &SimpleEvent,
    uid: &str,
    now: DateTime<Utc>,
    previous: Option<&Component>,
) -> String {
    let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault//web//EN\r\n");
    let needs_zone = !e.all_day && e.zone != chrono_tz::UTC;
    let old_master = previous.and_then(editable_master);
    if let Some(prev) = previous {
        for z in prev.components.iter().filter(|c| c.name == "VTIMEZONE") {
            let same = z.property("TZID").is_some_and(|t| t.value == e.zone.name());
            if !(needs_zone && same) {
                write_component(z, &mut out);
            }
        }
    }
    if needs_zone {
        out.push_str(&super::zone_text::vtimezone(
            e.zone,
            chrono::Datelike::year(&e.start),
        ));
    }
    out.push_str("BEGIN:VEVENT\r\n");
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    match old_master {
        None => {
            ical::write_folded(&format!("UID:{}", escape(uid)), &mut out);
            out.push_str(&format!("CREATED:{stamp}\r\n"));
        }
        Some(m) => {
            let sequence: i64 = m
                .property("SEQUENCE")
                .and_then(|p| p.value.trim().parse().ok())
                .unwrap_or(0);
            out.push_str(&format!("SEQUENCE:{}\r\n", sequence + 1));
            for p in m
                .properties
                .iter()
                .filter(|p| !MANAGED.contains(&p.name.as_str()))
            {
                ical::write_folded(&p.line, &mut out);
            }
        }
    }
    out.push_str(&format!("DTSTAMP:{stamp}\r\nLAST-MODIFIED:{stamp}\r\n"));
    date_lines(e, &mut out);
    ical::write_folded(&format!("SUMMARY:{}", escape(&e.title)), &mut out);
    if !e.location.is_empty() {
        ical::write_folded(&format!("LOCATION:{}", escape(&e.location)), &mut out);
    }
    if !e.description.is_empty() {
        ical::write_folded(&format!("DESCRIPTION:{}", escape(&e.description)), &mut out);
    }
    if let Some(freq) = e.repeat.freq() {
        out.push_str(&format!("RRULE:FREQ={freq}\r\n"));
    }
    if let Some(m) = old_master {
        for sub in &m.components {
            write_component(sub, &mut out);
        }
    }
    out.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    out
}

/// The one VEVENT of an object the form can edit, or None (see the module header).
pub fn editable_master(root: &Component) -> Option<&Component> {
    let mut events = root.components.iter().filter(|c| c.name == "VEVENT");
    let master = events.next()?;
    if events.next().is_some()
        || master.property("RECURRENCE-ID").is_some()
        || master.property("RDATE").is_some()
        || master.properties_named("RRULE").count() > 1
        || root
            .components
            .iter()
            .any(|c| c.name != "VEVENT" && c.name != "VTIMEZONE")
    {
        return None;
    }
    match master.property("RRULE") {
        None => Some(master),
        Some(rule) => {
            let simple = rule.value.split(';').all(|part| {
                matches!(
                    part.to_ascii_uppercase().as_str(),
                    "FREQ=WEEKLY" | "FREQ=MONTHLY" | "FREQ=YEARLY" | "INTERVAL=1"
                )
            });
            simple.then_some(master)
        }
    }
}

/// A DTSTART/DTEND value in the event's own zone: (local time, is a date, its zone).
fn read_time(p: &ical::Property, fallback: Tz) -> Option<(NaiveDateTime, bool, Tz)> {
    let v = p.value.trim();
    if v.len() == 8 {
        let d = NaiveDate::parse_from_str(v, "%Y%m%d").ok()?;
        return Some((d.and_time(NaiveTime::MIN), true, fallback));
    }
    if let Some(utc) = v.strip_suffix('Z') {
        let t = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
        let local = Utc
            .from_utc_datetime(&t)
            .with_timezone(&fallback)
            .naive_local();
        return Some((local, false, fallback));
    }
    let t = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok()?;
    let zone = p
        .param("TZID")
        .and_then(ical::tz::resolve_tzid)
        .unwrap_or(fallback);
    Some((t, false, zone))
}

/// The form's view of an editable event; `zone` reads UTC and floating times.
pub fn from_ical(root: &Component, zone: Tz) -> Option<SimpleEvent> {
    let m = editable_master(root)?;
    let (start, all_day, event_zone) = read_time(m.property("DTSTART")?, zone)?;
    let end = match m.property("DTEND").and_then(|p| read_time(p, zone)) {
        Some((end, _, _)) if all_day => end - chrono::TimeDelta::days(1),
        Some((end, _, _)) => end,
        None if all_day => start,
        None => start + chrono::TimeDelta::hours(1),
    };
    let text = |name: &str| {
        m.property(name)
            .map(|p| ical::unescape_text(&p.value))
            .unwrap_or_default()
    };
    let repeat = match m.property("RRULE").map(|r| r.value.to_ascii_uppercase()) {
        None => Repeat::Never,
        Some(u) if u.contains("FREQ=WEEKLY") => Repeat::Weekly,
        Some(u) if u.contains("FREQ=MONTHLY") => Repeat::Monthly,
        Some(_) => Repeat::Yearly,
    };
    Some(SimpleEvent {
        title: text("SUMMARY"),
        all_day,
        start,
        end: end.max(start),
        zone: event_zone,
        location: text("LOCATION"),
        description: text("DESCRIPTION"),
        repeat,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn form(title: &str) -> EventForm {
        EventForm {
            title: title.into(),
            start_date: "2026-12-07".into(),
            start_time: "09:00".into(),
            end_date: "2026-12-07".into(),
            end_time: "10:30".into(),
            zone: "Europe/Berlin".into(),
            location: "Room 1; north".into(),
            repeat: "weekly".into(),
            ..EventForm::default()
        }
    }

    #[test]
    fn a_new_event_is_valid_calendar_data_and_reads_back_as_written() {
        let e = form("<script>alert(1)</script>, really").check().unwrap();
        let text = to_ical(&e, "abc", Utc::now(), None);
        let limits = ical::ValidationLimits {
            min_date_time: 0,
            max_date_time: 4_102_444_800,
        };
        let info = ical::analyze(text.as_bytes(), &limits);
        assert!(info.is_ok(), "{info:?}\n{text}");
        assert!(
            text.contains("DTSTART;TZID=Europe/Berlin:20261207T090000\r\n"),
            "{text}"
        );
        assert!(
            text.contains("SUMMARY:<script>alert(1)</script>\\, really\r\n"),
            "{text}"
        );
        assert!(text.contains("LOCATION:Room 1\\; north\r\n"));
        assert!(text.contains("RRULE:FREQ=WEEKLY\r\n"));
        let root = ical::parse(&text).unwrap();
        assert_eq!(from_ical(&root, chrono_tz::UTC).unwrap(), e);
    }

    #[test]
    fn editing_keeps_what_the_form_does_not_show_and_refuses_what_it_cannot() {
        let old = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261207T090000Z\r\nSUMMARY:Old\r\nSEQUENCE:2\r\nATTENDEE:mailto:bob@example.com\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nDESCRIPTION:r\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let root = ical::parse(old).unwrap();
        let mut e = from_ical(&root, chrono_tz::UTC).unwrap();
        assert_eq!(e.title, "Old");
        e.title = "New".into();
        let text = to_ical(&e, "ignored", Utc::now(), Some(&root));
        assert!(
            text.contains("UID:u1\r\n") && !text.contains("ignored"),
            "{text}"
        );
        assert!(text.contains("ATTENDEE:mailto:bob@example.com\r\n"));
        assert!(text.contains("BEGIN:VALARM\r\n") && text.contains("SEQUENCE:3\r\n"));
        assert!(text.contains("SUMMARY:New\r\n") && !text.contains("SUMMARY:Old"));
        let odd = old.replace("SUMMARY:Old", "RRULE:FREQ=DAILY;COUNT=3");
        assert!(from_ical(&ical::parse(&odd).unwrap(), chrono_tz::UTC).is_none());
    }

    #[test]
    fn all_day_events_end_the_day_after_and_bad_fields_are_named() {
        let mut f = form("Holiday");
        f.all_day = Some("on".into());
        f.end_date = "2026-12-09".into();
        let e = f.check().unwrap();
        let text = to_ical(&e, "h", Utc::now(), None);
        assert!(
            text.contains("DTSTART;VALUE=DATE:20261207\r\nDTEND;VALUE=DATE:20261210\r\n"),
            "{text}"
        );
        assert!(!text.contains("VTIMEZONE"));
        let mut bad = form("x");
        bad.end_time = "08:00".into();
        assert!(bad.check().unwrap_err().contains("end after"));
        assert!(form(" ").check().unwrap_err().contains("title"));
        let mut zone = form("x");
        zone.zone = "Mars/Base".into();
        assert!(zone.check().unwrap_err().contains("time zone"));
    }
}
