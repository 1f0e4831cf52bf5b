//! Calendar object resources put back together into one whole VCALENDAR: the `.ics` file a
//! calendar is exported as, and what GET of a calendar collection answers (a read-only
//! subscription, as Radicale serves one). The reverse of [`crate::split_calendar`].
//!
//! RFC 5545 §3.6: a VCALENDAR holds any number of components, and §3.6.5 wants one
//! VTIMEZONE per TZID it names; every stored object carries the VTIMEZONEs it uses
//! (RFC 4791 §4.1), so the same zone comes once per object and is written here only once.

use crate::error::ParseError;
use crate::parse::parse;
use crate::select::write_folded;
use crate::split::write_component;
use crate::value::unescape_text;

/// Written into every assembled calendar.
const PRODID: &str = "-//calvault//calvault//EN";

/// A calendar being assembled from its objects, in the order they are added.
#[derive(Debug, Default)]
pub struct CalendarAssembly {
    /// TZIDs (unescaped) of the zones written so far.
    zone_ids: Vec<String>,
    zones: String,
    components: String,
    component_count: usize,
    objects: usize,
}

impl CalendarAssembly {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one stored object: its components, and each VTIMEZONE whose TZID is not in the
    /// calendar yet (the first definition of a TZID wins; objects that share a zone carry
    /// the same one). The object's own calendar properties (PRODID, METHOD) are not copied.
    pub fn add(&mut self, object: &str) -> Result<(), ParseError> {
        let root = parse(object)?;
        for c in &root.components {
            if c.name == "VTIMEZONE" {
                let Some(tzid) = c.property("TZID").map(|p| unescape_text(&p.value)) else {
                    continue;
                };
                if !self.zone_ids.contains(&tzid) {
                    self.zone_ids.push(tzid);
                    write_component(c, &mut self.zones);
                }
            } else {
                write_component(c, &mut self.components);
                self.component_count += 1;
            }
        }
        self.objects += 1;
        Ok(())
    }

    /// How many objects were added.
    pub fn objects(&self) -> usize {
        self.objects
    }

    /// How many components (VTIMEZONEs aside) the calendar holds.
    pub fn components(&self) -> usize {
        self.component_count
    }

    /// The whole calendar: VERSION, PRODID, CALSCALE, the name as `X-WR-CALNAME` (what
    /// Google Calendar, Thunderbird and Apple Calendar name an imported or subscribed
    /// calendar by), every zone once, then every component.
    pub fn finish(self, name: Option<&str>) -> String {
        let mut out = String::with_capacity(self.zones.len() + self.components.len() + 256);
        out.push_str("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
        write_folded(&format!("PRODID:{PRODID}"), &mut out);
        out.push_str("CALSCALE:GREGORIAN\r\n");
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            write_folded(&format!("X-WR-CALNAME:{}", escape_text(name)), &mut out);
        }
        out.push_str(&self.zones);
        out.push_str(&self.components);
        out.push_str("END:VCALENDAR\r\n");
        out
    }
}

/// RFC 5545 §3.3.11: backslash, semicolon, comma and line breaks are escaped in TEXT.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' | ';' | ',' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic: that is how they fail
mod tests {
    use super::*;
    use crate::split_calendar;

    const ZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\n\
        DTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n\
        END:VTIMEZONE\r\n";

    fn object(uid: &str) -> String {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n{ZONE}BEGIN:VEVENT\r\n\
             UID:{uid}\r\nDTSTART;TZID=Europe/Berlin:20260101T090000\r\nEND:VEVENT\r\n\
             END:VCALENDAR\r\n"
        )
    }

    #[test]
    fn each_zone_once_and_every_component_in_order() {
        let mut calendar = CalendarAssembly::new();
        calendar.add(&object("a")).unwrap();
        calendar.add(&object("b")).unwrap();
        assert_eq!((calendar.objects(), calendar.components()), (2, 2));
        let text = calendar.finish(Some("Work; home, too"));
        assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 1, "{text}");
        assert_eq!(text.matches("BEGIN:VCALENDAR").count(), 1);
        assert!(
            text.contains("X-WR-CALNAME:Work\\; home\\, too\r\n"),
            "{text}"
        );
        assert!(text.find("UID:a").unwrap() < text.find("UID:b").unwrap());
        assert!(text.find("END:VTIMEZONE").unwrap() < text.find("BEGIN:VEVENT").unwrap());
        assert!(!text.contains("-//x//EN"));
    }

    #[test]
    fn splitting_an_assembled_calendar_gives_the_objects_back() {
        let mut calendar = CalendarAssembly::new();
        for uid in ["a", "b", "c"] {
            calendar.add(&object(uid)).unwrap();
        }
        let parts = split_calendar(&calendar.finish(None)).unwrap();
        let uids: Vec<_> = parts.iter().filter_map(|p| p.uid.as_deref()).collect();
        assert_eq!(uids, ["a", "b", "c"]);
        assert!(parts.iter().all(|p| p.text.contains("TZID:Europe/Berlin")));
    }

    #[test]
    fn text_that_is_not_icalendar_is_an_error() {
        assert!(CalendarAssembly::new().add("hello").is_err());
    }
}
