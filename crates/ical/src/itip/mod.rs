//! iTIP (RFC 5546) as CalDAV scheduling (RFC 6638) uses it, on parsed calendar data and
//! without I/O: who organizes and attends a scheduling object resource ([`parties`]), the
//! copies and messages the server makes from it ([`edit`], [`message`]), what its
//! Schedule-Tag covers ([`tag`]), and the free-busy request a client POSTs to its outbox
//! ([`freebusy`]).
//!
//! Calendar data here is a [`Component`] tree; what is written back reuses each untouched
//! property's original line ([`write::calendar`]), and a property whose parameters the server
//! changes is written anew from its name, parameters and value.

pub mod edit;
pub mod freebusy;
pub mod message;
pub mod parties;
pub mod tag;
pub mod write;

pub use parties::{address_key, parties, Agent, Occurrence, Parties, PartiesError, Party};

use crate::parse::Component;

/// The components that carry scheduling (RFC 6638 §3.1): events, tasks and journals.
pub(crate) fn is_scheduled(c: &Component) -> bool {
    matches!(c.name.as_str(), "VEVENT" | "VTODO" | "VJOURNAL")
}

/// The RECURRENCE-ID of a component as scheduling matches it: its value as written (an
/// organizer's copy and an attendee's come from the same text), trimmed and upper-cased.
pub fn recurrence_key(c: &Component) -> Option<String> {
    c.property("RECURRENCE-ID")
        .map(|p| p.value.trim().to_ascii_uppercase())
}
