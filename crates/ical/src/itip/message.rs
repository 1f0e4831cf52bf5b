//! The iTIP messages (RFC 5546 §3.2) the server delivers into scheduling inboxes: REQUEST
//! and CANCEL from the organizer, REPLY from an attendee; one METHOD per message, as RFC
//! 6638 §3.2 wants it.

use super::edit::cancelled;
use super::write::{calendar, simple, without_params};
use super::{address_key, is_scheduled};
use crate::parse::Component;

/// `root` as a message of `method`: METHOD first among the VCALENDAR's properties, no
/// alarms (they are each user's own).
fn with_method(root: &Component, method: &str) -> Component {
    let mut out = root.clone();
    out.properties.retain(|p| p.name != "METHOD");
    out.properties.insert(0, simple("METHOD", method));
    for c in out.components.iter_mut().filter(|c| is_scheduled(c)) {
        c.components.retain(|sub| sub.name != "VALARM");
    }
    out
}

/// RFC 5546 §3.2.2: the meeting as the attendee's copy shows it.
pub fn request(copy: &Component) -> String {
    calendar(&with_method(copy, "REQUEST"))
}

/// RFC 5546 §3.2.5: the meeting is off (for this attendee, or for everyone).
pub fn cancel(copy: &Component) -> String {
    calendar(&with_method(&cancelled(copy), "CANCEL"))
}

/// RFC 5546 §3.2.3: attendee `key` answers for the `components` of their copy (each with
/// its RECURRENCE-ID), naming only themselves among the attendees.
pub fn reply(copy: &Component, key: &str, components: &[&Component]) -> String {
    let mut out = with_method(copy, "REPLY");
    out.components.retain(|c| !is_scheduled(c));
    for c in components {
        let mut answer = (*c).clone();
        answer.components.clear();
        answer
            .properties
            .retain(|p| p.name != "ATTENDEE" || address_key(&p.value) == key);
        for p in answer
            .properties
            .iter_mut()
            .filter(|p| p.name == "ATTENDEE")
        {
            *p = without_params(
                p.clone(),
                &["SCHEDULE-STATUS", "SCHEDULE-FORCE-SEND", "RSVP"],
            );
        }
        out.components.push(answer);
    }
    calendar(&out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::parse;

    const COPY: &str =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:m\r\n\
        DTSTART:20261201T100000Z\r\nORGANIZER:mailto:ann@example.org\r\n\
        ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org\r\n\
        ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:carl@example.org\r\n\
        BEGIN:VALARM\r\nTRIGGER:-PT5M\r\nACTION:DISPLAY\r\nEND:VALARM\r\n\
        END:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn each_message_has_one_method_and_no_alarms() {
        let copy = parse(COPY).unwrap();
        let text = request(&copy);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nVERSION:2.0\r\n"));
        assert_eq!(text.matches("METHOD:").count(), 1);
        assert!(!text.contains("VALARM"));
        assert!(cancel(&copy).contains("STATUS:CANCELLED"));
        let answer = reply(&copy, "mailto:bob@example.org", &[&copy.components[0]]);
        assert!(answer.contains("METHOD:REPLY"));
        assert!(answer.contains("ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org"));
        assert!(!answer.contains("carl"), "{answer}");
    }
}
