//! Who a scheduling object resource involves (RFC 6638 §3.1): its ORGANIZER, and the
//! ATTENDEEs of each of its components, with how the server is to treat each
//! (SCHEDULE-AGENT, SCHEDULE-FORCE-SEND: RFC 6638 §7.1, §7.2).

use std::collections::BTreeSet;

use super::{is_scheduled, recurrence_key};
use crate::parse::{Component, Property};

/// RFC 6638 §7.1: who delivers scheduling messages for a calendar user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agent {
    /// The server (the default).
    Server,
    /// The client sends them itself (Evolution and Outlook CalDav Synchronizer when the
    /// user turned server scheduling off).
    Client,
    /// Nobody: the calendar user is not to be told.
    None,
}

impl Agent {
    fn of(p: &Property) -> Agent {
        match p
            .param("SCHEDULE-AGENT")
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("CLIENT") => Agent::Client,
            Some("NONE") => Agent::None,
            // RFC 6638 §7.1: SERVER is the default, and unknown values are treated as it.
            _ => Agent::Server,
        }
    }
}

/// One calendar user named by an ORGANIZER or ATTENDEE property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    /// The address as written (`mailto:ann@example.org`).
    pub address: String,
    /// The address as compared ([`address_key`]).
    pub key: String,
    pub agent: Agent,
    /// RFC 6638 §7.2 SCHEDULE-FORCE-SEND (REQUEST or REPLY), upper-cased.
    pub force_send: Option<String>,
    /// PARTSTAT, upper-cased; None when the property has none.
    pub partstat: Option<String>,
}

impl Party {
    pub fn of(p: &Property) -> Party {
        Party {
            address: p.value.trim().to_owned(),
            key: address_key(&p.value),
            agent: Agent::of(p),
            force_send: p
                .param("SCHEDULE-FORCE-SEND")
                .map(|v| v.trim().to_ascii_uppercase()),
            partstat: p.param("PARTSTAT").map(|v| v.trim().to_ascii_uppercase()),
        }
    }
}

/// The attendees of one component (the master, or one overridden instance).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// None for the master component.
    pub recurrence_id: Option<String>,
    pub attendees: Vec<Party>,
}

/// Everyone a scheduling object resource involves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parties {
    pub uid: String,
    pub organizer: Party,
    pub occurrences: Vec<Occurrence>,
}

impl Parties {
    /// Every attendee key of any component, once each, sorted.
    pub fn attendee_keys(&self) -> BTreeSet<&str> {
        self.occurrences
            .iter()
            .flat_map(|o| o.attendees.iter().map(|a| a.key.as_str()))
            .collect()
    }

    /// The first ATTENDEE with this key, in the first component naming it.
    pub fn attendee(&self, key: &str) -> Option<&Party> {
        self.occurrences
            .iter()
            .flat_map(|o| o.attendees.iter())
            .find(|a| a.key == key)
    }
}

/// Why calendar data is not a scheduling object resource one can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartiesError {
    /// RFC 6638 §3.2.4.2 `same-organizer-in-all-components`.
    #[error("the components of this object name different organizers ({0} and {1}); a meeting has one organizer")]
    DifferentOrganizers(String, String),
}

/// RFC 6638 §3.1 / RFC 5546: the organizer and attendees of calendar data; None when it is
/// no scheduling object resource (no component has an ORGANIZER).
pub fn parties(root: &Component) -> Result<Option<Parties>, PartiesError> {
    let mut organizer: Option<Party> = None;
    let mut uid = String::new();
    let mut occurrences = Vec::new();
    for c in root.components.iter().filter(|c| is_scheduled(c)) {
        if uid.is_empty() {
            uid = c
                .property("UID")
                .map(|p| p.value.trim().to_owned())
                .unwrap_or_default();
        }
        match (c.property("ORGANIZER").map(Party::of), &organizer) {
            (Some(found), Some(known)) if found.key != known.key => {
                return Err(PartiesError::DifferentOrganizers(
                    known.address.clone(),
                    found.address,
                ))
            }
            (Some(found), None) => organizer = Some(found),
            // An override without ORGANIZER is common (clients write it on the master
            // only) and has the master's.
            (Some(_), Some(_)) | (None, _) => {}
        }
        occurrences.push(Occurrence {
            recurrence_id: recurrence_key(c),
            attendees: c.properties_named("ATTENDEE").map(Party::of).collect(),
        });
    }
    let Some(organizer) = organizer else {
        return Ok(None);
    };
    Ok(Some(Parties {
        uid,
        organizer,
        occurrences,
    }))
}

/// A calendar user address as compared: RFC 6638 §3.1 leaves matching to the server; the
/// scheme (`mailto:`, `MAILTO:`) and e-mail addresses compare case-insensitively, so the
/// whole address is trimmed and lower-cased.
pub fn address_key(address: &str) -> String {
    address.trim().to_ascii_lowercase()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::parse;

    const MEETING: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:m1\r\n\
        ORGANIZER;CN=Ann:MAILTO:Ann@Example.org\r\n\
        ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.org\r\n\
        ATTENDEE;PARTSTAT=needs-action;SCHEDULE-AGENT=CLIENT:mailto:bob@example.org\r\n\
        END:VEVENT\r\nBEGIN:VEVENT\r\nUID:m1\r\nRECURRENCE-ID:20261208T100000Z\r\n\
        ORGANIZER:mailto:ann@example.org\r\n\
        ATTENDEE;SCHEDULE-FORCE-SEND=request:mailto:carl@example.org\r\n\
        END:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn organizer_and_attendees_of_every_component() {
        let p = parties(&parse(MEETING).unwrap()).unwrap().unwrap();
        assert_eq!(p.uid, "m1");
        assert_eq!(p.organizer.key, "mailto:ann@example.org");
        assert_eq!(p.occurrences.len(), 2);
        let bob = p.attendee("mailto:bob@example.org").unwrap();
        assert_eq!(bob.agent, Agent::Client);
        assert_eq!(bob.partstat.as_deref(), Some("NEEDS-ACTION"));
        let carl = p.attendee("mailto:carl@example.org").unwrap();
        assert_eq!(carl.force_send.as_deref(), Some("REQUEST"));
        assert_eq!(
            p.occurrences[1].recurrence_id.as_deref(),
            Some("20261208T100000Z")
        );
        assert_eq!(p.attendee_keys().len(), 3);
    }

    #[test]
    fn plain_events_are_not_scheduling_objects_and_two_organizers_are_refused() {
        let plain = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE:mailto:a@b\r\n\
            END:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(parties(&parse(plain).unwrap()), Ok(None));
        let two = MEETING.replacen(
            "ORGANIZER:mailto:ann@example.org",
            "ORGANIZER:mailto:eve@example.org",
            1,
        );
        assert!(matches!(
            parties(&parse(&two).unwrap()),
            Err(PartiesError::DifferentOrganizers(..))
        ));
        // An override that leaves ORGANIZER to the master is the master's meeting.
        let bare = MEETING.replacen("ORGANIZER:mailto:ann@example.org\r\n", "", 1);
        let p = parties(&parse(&bare).unwrap()).unwrap().unwrap();
        assert_eq!(p.organizer.key, "mailto:ann@example.org");
    }
}
