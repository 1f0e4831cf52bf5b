//! What a Schedule-Tag covers (RFC 6638 §3.2.10): the part of a scheduling object resource
//! the organizer controls. The tag must change when the organizer changes the meeting and
//! must not change when an attendee changes only their own participation, or when the
//! server records a reply in the organizer's copy; so it is computed from this text rather
//! than stored, and both copies of one meeting (organizer's and attendee's) give the same.
//!
//! Left out: the VCALENDAR's own properties (PRODID changes with the writing client),
//! VTIMEZONEs (times keep their TZID), alarms and TRANSP (each user's own), time stamps
//! (DTSTAMP, LAST-MODIFIED, CREATED), X- properties and parameters (clients' private
//! state), each attendee's PARTSTAT, RSVP and the SCHEDULE-STATUS / SCHEDULE-FORCE-SEND the
//! server handles, and overridden instances that only record replies (an instance not
//! moved, otherwise equal to the master).

use super::{is_scheduled, recurrence_key};
use crate::parse::{Component, Property};

const PER_USER: &[&str] = &[
    "DTSTAMP",
    "LAST-MODIFIED",
    "CREATED",
    "TRANSP",
    "REQUEST-STATUS",
];
const PER_USER_PARAMS: &[&str] = &["PARTSTAT", "RSVP", "SCHEDULE-STATUS", "SCHEDULE-FORCE-SEND"];
/// Properties an override has of its own even when it only records a reply.
const INSTANCE: &[&str] = &["RECURRENCE-ID", "DTSTART", "DTEND", "DURATION"];
/// Properties of the master that describe the whole series.
const SERIES: &[&str] = &[
    "RRULE", "RDATE", "EXDATE", "EXRULE", "DTSTART", "DTEND", "DURATION",
];

/// The organizer-controlled content as one text: equal texts, equal tags.
pub fn organizer_content(root: &Component) -> String {
    let scheduled: Vec<&Component> = root.components.iter().filter(|c| is_scheduled(c)).collect();
    // The master's properties as an override would repeat them, computed once: a meeting
    // may have thousands of overrides.
    let series = scheduled
        .iter()
        .find(|c| recurrence_key(c).is_none())
        .map(|m| {
            let mut series = normalized(m, SERIES);
            series.sort();
            series
        });
    let mut out = String::new();
    for c in &scheduled {
        if let Some(series) = &series {
            if recurrence_key(c).is_some() && only_records_replies(c, series) {
                continue;
            }
        }
        out.push_str(&c.name);
        out.push('\n');
        for line in normalized(c, &[]) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The properties of `c` the tag covers, each as a normalized line, minus `skip`.
fn normalized(c: &Component, skip: &[&str]) -> Vec<String> {
    c.properties
        .iter()
        .filter(|p| !is_per_user(p) && !skip.iter().any(|s| p.name.eq_ignore_ascii_case(s)))
        .map(normalize)
        .collect()
}

fn is_per_user(p: &Property) -> bool {
    p.name.starts_with("X-") || PER_USER.iter().any(|n| p.name.eq_ignore_ascii_case(n))
}

/// Name, the covered parameters sorted, value: parameter order and quoting do not count.
fn normalize(p: &Property) -> String {
    let mut params: Vec<String> = p
        .params
        .iter()
        .filter(|x| !x.name.starts_with("X-"))
        .filter(|x| {
            !PER_USER_PARAMS
                .iter()
                .any(|n| x.name.eq_ignore_ascii_case(n))
        })
        .map(|x| format!("{}={}", x.name, x.values.join(",")))
        .collect();
    params.sort();
    let value = match p.name.as_str() {
        "ORGANIZER" | "ATTENDEE" => super::address_key(&p.value),
        _ => p.value.trim().to_owned(),
    };
    format!("{};{}:{value}", p.name, params.join(";"))
}

/// True when override `o` of `root` only records replies (see [`organizer_content`]).
pub(crate) fn records_replies_only(root: &Component, o: &Component) -> bool {
    let Some(master) = root
        .components
        .iter()
        .find(|c| is_scheduled(c) && recurrence_key(c).is_none())
    else {
        return false;
    };
    let mut series = normalized(master, SERIES);
    series.sort();
    recurrence_key(o).is_some() && only_records_replies(o, &series)
}

/// An override that only records replies: not moved (DTSTART is its RECURRENCE-ID) and,
/// apart from its instance's times, the master's properties (`series`, sorted).
fn only_records_replies(o: &Component, series: &[String]) -> bool {
    let start = o
        .property("DTSTART")
        .map(|p| p.value.trim().to_ascii_uppercase());
    if start.is_some() && start != recurrence_key(o) {
        return false;
    }
    let mut mine = normalized(o, INSTANCE);
    mine.sort();
    mine == series
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::parse;

    const MEETING: &str = "BEGIN:VCALENDAR\r\nPRODID:a\r\nBEGIN:VEVENT\r\nUID:m\r\n\
        DTSTAMP:20260101T000000Z\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\n\
        RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Sync\r\nORGANIZER:mailto:ann@example.org\r\n\
        ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.org\r\n\
        END:VEVENT\r\nEND:VCALENDAR\r\n";

    fn content(text: &str) -> String {
        organizer_content(&parse(text).unwrap())
    }

    #[test]
    fn participation_alarms_and_stamps_do_not_count_but_the_meeting_does() {
        let base = content(MEETING);
        let accepted = MEETING
            .replace("PARTSTAT=NEEDS-ACTION;RSVP=TRUE", "PARTSTAT=ACCEPTED")
            .replace("DTSTAMP:20260101T000000Z", "DTSTAMP:20261130T000000Z")
            .replace("PRODID:a", "PRODID:b")
            .replace(
                "END:VEVENT",
                "BEGIN:VALARM\r\nTRIGGER:-PT5M\r\nACTION:DISPLAY\r\nEND:VALARM\r\n\
                 X-MOZ-GENERATION:3\r\nEND:VEVENT",
            );
        assert_eq!(content(&accepted), base);
        let moved = MEETING.replace("T100000Z", "T120000Z");
        assert_ne!(content(&moved), base);
        let renamed = MEETING.replace("SUMMARY:Sync", "SUMMARY:Planning");
        assert_ne!(content(&renamed), base);
    }

    #[test]
    fn an_override_recording_a_reply_does_not_count_and_a_moved_instance_does() {
        let base = content(MEETING);
        let declined_once = MEETING.replace(
            "END:VCALENDAR",
            "BEGIN:VEVENT\r\nUID:m\r\nDTSTAMP:20261102T000000Z\r\n\
             RECURRENCE-ID:20261208T100000Z\r\nDTSTART:20261208T100000Z\r\n\
             DTEND:20261208T110000Z\r\nSUMMARY:Sync\r\nORGANIZER:mailto:ann@example.org\r\n\
             ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR",
        );
        assert_eq!(content(&declined_once), base);
        let moved_once = declined_once.replace(
            "DTSTART:20261208T100000Z\r\nDTEND:20261208T110000Z",
            "DTSTART:20261208T150000Z\r\nDTEND:20261208T160000Z",
        );
        assert_ne!(content(&moved_once), base);
    }
}
