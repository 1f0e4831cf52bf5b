//! The e-mail message of one queued iTIP message (RFC 6047 §2, §3): From the configured
//! address with the organizer's name, Reply-To the organizer, To the attendee; a
//! multipart/alternative of a few lines of text and the `text/calendar; method=...` part
//! itself; a Message-ID made from the outbox row, so a message sent twice (a node that
//! died after the relay took it) is recognisably one to the recipient.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};
use store::QueuedMail;

use crate::ImipError;

/// A mailbox of an e-mail address (a calendar user address's `mailto:` stripped).
pub fn mailbox(name: Option<String>, address: &str) -> Result<Mailbox, ImipError> {
    let plain = dav::imip::mail_address(address).unwrap_or(address).trim();
    let parsed: Address = plain
        .parse()
        .map_err(|e| ImipError::Message(format!("{plain:?} is no e-mail address: {e}")))?;
    Ok(Mailbox::new(name, parsed))
}

/// What the text part and the subject say about the meeting.
struct Meeting {
    summary: String,
    start: Option<String>,
    location: Option<String>,
    organizer_name: Option<String>,
}

fn meeting_of(calendar: &str) -> Meeting {
    let root = ical::parse(calendar).ok();
    let event = root.as_ref().and_then(|r| {
        r.components
            .iter()
            .find(|c| c.property("ORGANIZER").is_some())
    });
    let text = |name: &str| {
        event.and_then(|e| e.property(name)).map(|p| {
            p.value
                .replace("\\,", ",")
                .replace("\\;", ";")
                .replace("\\n", " ")
        })
    };
    Meeting {
        summary: text("SUMMARY").unwrap_or_else(|| "(no title)".into()),
        start: text("DTSTART"),
        location: text("LOCATION"),
        organizer_name: event
            .and_then(|e| e.property("ORGANIZER"))
            .and_then(|p| p.param("CN"))
            .map(|cn| cn.trim_matches('"').to_owned()),
    }
}

/// `<ROW.HASH@DOMAIN>`: the same for every attempt at one outbox row, unlike any other's.
pub fn message_id(queued: &QueuedMail, from: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&queued.id.to_le_bytes());
    hasher.update(&queued.created_at.to_le_bytes());
    hasher.update(queued.mail.recipient.as_bytes());
    hasher.update(queued.mail.uid.as_bytes());
    let hash = hasher.finalize().to_hex();
    let domain = from.rsplit('@').next().unwrap_or("calvault.invalid");
    format!(
        "<calvault.{}.{}@{}>",
        queued.id,
        &hash[..16],
        domain.trim_end_matches('>')
    )
}

/// The message for `queued`, From `from` (the `[smtp]` address).
pub fn build(queued: &QueuedMail, from: &str) -> Result<Message, ImipError> {
    let mail = &queued.mail;
    let meeting = meeting_of(&mail.calendar);
    let organizer = mailbox(meeting.organizer_name.clone(), &mail.sender)?;
    let sender = mailbox(meeting.organizer_name.clone(), from)?;
    let to = mailbox(None, &mail.recipient)?;
    let method = mail.method.to_ascii_uppercase();
    let who = meeting
        .organizer_name
        .clone()
        .unwrap_or_else(|| organizer.email.to_string());
    let (subject, lead) = match method.as_str() {
        "CANCEL" => (
            format!("Cancelled: {}", meeting.summary),
            format!("{who} has cancelled this meeting."),
        ),
        _ => (
            format!("Invitation: {}", meeting.summary),
            format!("{who} invites you to this meeting."),
        ),
    };
    let mut text = format!("{lead}\n\n{}\n", meeting.summary);
    if let Some(start) = &meeting.start {
        text.push_str(&format!("When: {start}\n"));
    }
    if let Some(location) = &meeting.location {
        text.push_str(&format!("Where: {location}\n"));
    }
    text.push_str(&format!(
        "Organizer: {}\n\nYour calendar program shows the invitation attached; answering \
         there replies to the organizer.\n",
        organizer.email
    ));
    // RFC 6047 §2.4: the method parameter is required and equals the iTIP METHOD.
    let calendar_type =
        ContentType::parse(&format!("text/calendar; method={method}; charset=UTF-8"))
            .map_err(|e| ImipError::Message(e.to_string()))?;
    Message::builder()
        .from(sender)
        .reply_to(organizer)
        .to(to)
        .subject(subject)
        .message_id(Some(message_id(queued, from)))
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text))
                .singlepart(
                    SinglePart::builder()
                        .header(calendar_type)
                        .body(mail.calendar.clone()),
                ),
        )
        .map_err(|e| ImipError::Message(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use store::{MailState, NewMail};

    fn queued(method: &str) -> QueuedMail {
        QueuedMail {
            id: 7,
            mail: NewMail {
                organizer: 1,
                uid: "m-1".into(),
                method: method.into(),
                sender: "mailto:ann@example.org".into(),
                recipient: "MAILTO:dora@elsewhere.example".into(),
                calendar: format!(
                    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\n\
                     UID:m-1\r\nDTSTART:20261201T100000Z\r\nSUMMARY:Planning\\, Q1\r\n\
                     ORGANIZER;CN=Ann Lee:mailto:ann@example.org\r\n\
                     ATTENDEE:mailto:dora@elsewhere.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                ),
            },
            created_at: 1_800_000_000_000,
            attempts: 1,
            next_attempt_at: 0,
            state: MailState::Queued,
            last_error: None,
        }
    }

    #[test]
    fn a_request_is_multipart_with_the_calendar_and_its_method() {
        let message = build(&queued("REQUEST"), "calendar@example.org").unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(
            text.contains("From: \"Ann Lee\" <calendar@example.org>\r\n"),
            "{text}"
        );
        assert!(text.contains("Reply-To: \"Ann Lee\" <ann@example.org>\r\n"));
        assert!(text.contains("To: dora@elsewhere.example\r\n"));
        assert!(text.contains("Subject: Invitation: Planning, Q1\r\n"));
        assert!(text.contains("Content-Type: multipart/alternative;"));
        assert!(text.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(
            text.contains("Content-Type: text/calendar; method=REQUEST; charset=utf-8"),
            "{text}"
        );
        assert!(text.contains("Message-ID: <calvault.7."));
        assert!(text.contains("BEGIN:VCALENDAR"), "7bit: {text}");
        let again = build(&queued("REQUEST"), "calendar@example.org").unwrap();
        let id = |m: &Message| {
            m.headers()
                .get_raw("Message-ID")
                .map(str::to_owned)
                .unwrap()
        };
        assert_eq!(
            id(&message),
            id(&again),
            "every attempt has the same Message-ID"
        );
    }

    #[test]
    fn a_cancel_says_so_and_a_bad_address_is_an_error() {
        let message = build(&queued("CANCEL"), "calendar@example.org").unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("Subject: Cancelled: Planning, Q1"));
        assert!(text.contains("method=CANCEL"));
        let mut bad = queued("REQUEST");
        bad.mail.recipient = "urn:x-uid:dora".into();
        assert!(matches!(
            build(&bad, "c@example.org"),
            Err(ImipError::Message(_))
        ));
    }
}
