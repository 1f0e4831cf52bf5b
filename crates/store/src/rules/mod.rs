//! Every write decision of the store as a pure function: given what a write transaction read,
//! what may it do and what does it write? No I/O here, so SQLite and PostgreSQL cannot
//! decide differently, and each rule is tested on its own.
//!
//! - [`accounts`]: who may sign in (a disabled account may not);
//! - [`object`]: If-Match/If-None-Match, UID uniqueness, copy and move of one object;
//! - [`collection`]: paths below a home, where collections may be created, moved, restored;
//! - [`quota`]: whether a write's growth fits the owner's quota;
//! - [`chain`]: the sequence numbers and hash-chained history rows a transaction appends;
//! - [`properties`]: the property set after a PROPPATCH;
//! - [`locks`]: WebDAV locks: which are live, which a write needs, which conflict, timeouts;
//! - [`range`]: the parameters of an instance-index range query and how its halves merge;
//! - [`sharing`]: where shared calendars appear in sharees' homes, and while they stay;
//! - [`scheduling`]: the inbox and outbox every account has (RFC 6638 §2);
//! - [`mail`]: when the mail outbox tries a message again, and when it gives up.

pub mod accounts;
pub mod chain;
pub mod collection;
pub mod locks;
pub mod mail;
pub mod object;
pub mod properties;
pub mod quota;
pub mod range;
pub mod scheduling;
pub mod sharing;
