//! iMIP (RFC 6047): scheduling messages by e-mail, for attendees who are not on this
//! server (docs/scheduling.md). The scheduling engine (`dav::imip`) decides what is sent
//! and queues it in the store's mail outbox with the organizer's write; this crate sends
//! what the outbox holds through an SMTP relay ([`sender`], over [`relay`]), words the
//! messages ([`message`]), reads the `[smtp]` configuration ([`config`]), and takes a REPLY
//! that came back as an e-mail message ([`inbound`], `calvault imip receive`).
//!
//! It knows SMTP and RFC 5322 messages; it knows nothing of HTTP or of a database.

pub mod config;
mod error;
pub mod inbound;
pub mod message;
pub mod relay;
pub mod sender;

pub use config::SmtpConfig;
pub use error::ImipError;
