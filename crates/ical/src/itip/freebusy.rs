//! The free-busy request a client POSTs to its scheduling outbox (RFC 6638 §5, RFC 5546
//! §3.3.2: a VFREEBUSY with METHOD:REQUEST, ORGANIZER, ATTENDEEs and a UTC range) and the
//! REPLY the server answers for each attendee.

use crate::freebusy::{write_periods, BusyPeriod};
use crate::localtime::Clock;
use crate::parse::Component;
use crate::value::date_of;

/// What a free-busy request asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreeBusyRequest {
    pub uid: Option<String>,
    /// The ORGANIZER as written.
    pub organizer: String,
    /// The ATTENDEEs as written, in order.
    pub attendees: Vec<String>,
    /// UTC seconds, `start < end`.
    pub start: i64,
    pub end: i64,
}

/// Reads a free-busy request; the message says what is missing (RFC 6638 §6.1.1
/// `valid-scheduling-message`).
pub fn request(root: &Component) -> Result<FreeBusyRequest, String> {
    let method = root
        .property("METHOD")
        .map(|p| p.value.trim().to_ascii_uppercase());
    if method.as_deref() != Some("REQUEST") {
        return Err("a free-busy request has METHOD:REQUEST".into());
    }
    let mut vfreebusy = root.components.iter().filter(|c| c.name == "VFREEBUSY");
    let (Some(fb), None) = (vfreebusy.next(), vfreebusy.next()) else {
        return Err("a free-busy request holds exactly one VFREEBUSY".into());
    };
    let organizer = fb
        .property("ORGANIZER")
        .map(|p| p.value.trim().to_owned())
        .ok_or("the VFREEBUSY has no ORGANIZER")?;
    let attendees: Vec<String> = fb
        .properties_named("ATTENDEE")
        .map(|p| p.value.trim().to_owned())
        .collect();
    if attendees.is_empty() {
        return Err("the VFREEBUSY names no ATTENDEE to look up".into());
    }
    let clock = Clock::new(root, None);
    let instant = |name: &str| -> Result<i64, String> {
        let p = fb
            .property(name)
            .ok_or_else(|| format!("the VFREEBUSY has no {name}"))?;
        Ok(clock.value_to_utc(p, date_of(p)?))
    };
    let (start, end) = (instant("DTSTART")?, instant("DTEND")?);
    if start >= end {
        return Err("the VFREEBUSY's DTEND is not after its DTSTART".into());
    }
    Ok(FreeBusyRequest {
        uid: fb.property("UID").map(|p| p.value.trim().to_owned()),
        organizer,
        attendees,
        start,
        end,
    })
}

/// RFC 5546 §3.3.3: one attendee's busy time over the asked range, as a REPLY.
pub fn reply(req: &FreeBusyRequest, attendee: &str, periods: &[BusyPeriod], now: i64) -> String {
    let mut out = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault//EN\r\nMETHOD:REPLY\r\n\
         BEGIN:VFREEBUSY\r\n",
    );
    if let Some(uid) = &req.uid {
        crate::select::write_folded(&format!("UID:{uid}"), &mut out);
    }
    crate::select::write_folded(&format!("ORGANIZER:{}", req.organizer), &mut out);
    crate::select::write_folded(&format!("ATTENDEE:{attendee}"), &mut out);
    write_periods(req.start, req.end, periods, now, &mut out);
    out.push_str("END:VFREEBUSY\r\nEND:VCALENDAR\r\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::freebusy::BusyType;
    use crate::parse;

    #[test]
    fn a_request_is_read_and_answered_per_attendee() {
        let text = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:q\r\n\
            DTSTAMP:20261130T000000Z\r\nDTSTART:20261201T000000Z\r\nDTEND:20261202T000000Z\r\n\
            ORGANIZER:mailto:ann@example.org\r\nATTENDEE:mailto:bob@example.org\r\n\
            END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
        let req = request(&parse(text).unwrap()).unwrap();
        assert_eq!(req.attendees, ["mailto:bob@example.org"]);
        assert_eq!(req.end - req.start, 86_400);
        let busy = [BusyPeriod {
            kind: BusyType::Busy,
            start: req.start + 3600,
            end: req.start + 7200,
        }];
        let answer = reply(&req, "mailto:bob@example.org", &busy, req.start);
        assert!(answer.contains("METHOD:REPLY"));
        assert!(answer.contains("FREEBUSY;FBTYPE=BUSY:20261201T010000Z/20261201T020000Z"));
        assert!(answer.contains("ATTENDEE:mailto:bob@example.org"));
        let no_method = text.replace("METHOD:REQUEST\r\n", "");
        assert!(request(&parse(&no_method).unwrap()).is_err());
    }
}
