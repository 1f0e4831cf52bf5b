//! A CalDAV client for talking to servers we did not write: discovery (RFC 6764, RFC 5397,
//! RFC 4791 §6.2.1), collection listing, sync-collection (RFC 6578), batched
//! calendar-multiget, and conditional writes. Used by the backup tool and by tests.
//!
//! It owns HTTP/1.1 over TCP or TLS (rustls with the webpki roots, plus any extra CA a user
//! names) and the reading of multistatus bodies. It knows nothing of the backup repository.

mod caldav;
mod discover;
mod error;
mod sharing;
mod transport;
mod xml;

pub use caldav::{
    CalendarProps, Fetched, Member, MkcalendarOutcome, MultigetResult, SyncChanges, WriteCondition,
    WriteOutcome,
};
pub use discover::{Calendar, Discovery};
pub use error::Error;
pub use sharing::Sharee;
pub use transport::{Auth, Client, ClientOptions, Response, Url};
pub use xml::{Multistatus, Prop, PropStat, ResponseEntry};

pub type Result<T> = std::result::Result<T, Error>;

pub use dav_xml::{APPLE_ICAL, CALDAV, CALSERVER, DAV};
