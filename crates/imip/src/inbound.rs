//! A scheduling message that came by e-mail (`calvault imip receive`, as an MTA pipe or a
//! mailbox poller runs it): its sender and text/calendar part read from the RFC 5322
//! message, and the REPLY applied by the engine (`dav::imip::receive_reply`), which checks
//! that the sender is the attendee it answers for.

use dav::imip::{receive_reply, Received};
use dav::Engine;
use mail_parser::{MessageParser, MimeHeaders};

use crate::ImipError;

/// A reply larger than this is no calendar reply (an MTA pipe hands over anything): read
/// at most one byte more, and [`check_size`] refuses it.
pub const MAX_MESSAGE: u64 = 10 * 1024 * 1024;

/// Refuses a message larger than [`MAX_MESSAGE`] before it is parsed.
pub fn check_size(raw: &[u8]) -> Result<(), ImipError> {
    match raw.len() as u64 > MAX_MESSAGE {
        true => Err(ImipError::Unreadable(format!(
            "the message on standard input is larger than {} MiB",
            MAX_MESSAGE >> 20
        ))),
        false => Ok(()),
    }
}

/// What `imip receive` reads from a message.
#[derive(Debug, PartialEq, Eq)]
pub struct Incoming {
    /// The From address (RFC 5322 §3.6.2), exactly one.
    pub from: String,
    /// The first text/calendar part (RFC 6047 §2.4).
    pub calendar: String,
}

fn unreadable(detail: &str) -> ImipError {
    ImipError::Unreadable(detail.to_owned())
}

pub fn read(raw: &[u8]) -> Result<Incoming, ImipError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| unreadable("standard input is no e-mail message (RFC 5322)"))?;
    let senders: Vec<&str> = message
        .from()
        .map(|a| a.iter().filter_map(|m| m.address()).collect())
        .unwrap_or_default();
    let [from] = senders[..] else {
        return Err(unreadable(&format!(
            "the message must be From one address; it names {}",
            senders.len()
        )));
    };
    let calendar = message
        .parts
        .iter()
        .find(|p| {
            p.content_type().is_some_and(|t| {
                t.ctype().eq_ignore_ascii_case("text")
                    && t.subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("calendar"))
            })
        })
        .ok_or_else(|| unreadable("the message has no text/calendar part"))?;
    let text = match calendar.text_contents() {
        Some(t) => t.to_owned(),
        None => String::from_utf8(calendar.contents().to_vec())
            .map_err(|_| unreadable("the text/calendar part is not UTF-8"))?,
    };
    Ok(Incoming {
        from: from.to_owned(),
        calendar: text,
    })
}

/// Reads `raw` and applies its REPLY.
pub async fn receive(engine: &Engine, raw: &[u8]) -> Result<Received, ImipError> {
    let incoming = read(raw)?;
    Ok(receive_reply(engine, &incoming.calendar, &incoming.from).await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_message_over_the_limit_is_refused_before_it_is_parsed() {
        let limit = MAX_MESSAGE as usize;
        assert!(check_size(&vec![b'x'; limit]).is_ok());
        let too_large = check_size(&vec![b'x'; limit + 1]).unwrap_err();
        assert_eq!(too_large.exit_code(), 65);
    }

    #[test]
    fn the_sender_and_calendar_part_are_read_from_a_multipart_message() {
        let raw = "From: Dora <dora@elsewhere.example>\r\nTo: ann@example.org\r\n\
            Subject: Accepted: Planning\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nI'll be there.\r\n\
            --b\r\nContent-Type: text/calendar; method=REPLY; charset=UTF-8\r\n\
            Content-Transfer-Encoding: base64\r\n\r\n\
            QkVHSU46VkNBTEVOREFSDQpNRVRIT0Q6UkVQTFkNCkVORDpWQ0FMRU5EQVINCg==\r\n--b--\r\n";
        let got = read(raw.as_bytes()).unwrap();
        assert_eq!(got.from, "dora@elsewhere.example");
        assert_eq!(
            got.calendar,
            "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n"
        );
        let none = "From: a@b.example\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
        assert!(matches!(
            read(none.as_bytes()),
            Err(ImipError::Unreadable(_))
        ));
        let two = "From: a@b.example, c@d.example\r\nContent-Type: text/calendar\r\n\r\nx\r\n";
        assert!(read(two.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("one address"));
    }
}
