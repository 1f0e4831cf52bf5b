//! The mail outbox (iMIP, RFC 6047; docs/scheduling.md): iTIP messages for attendees who
//! are not on this server, kept until an SMTP relay accepted them. A message is queued in
//! the transaction of the organizer's write that caused it ([`crate::PutObject::mail`],
//! [`MailOutbox::delete_object_sending`]), so a crash between the write and the sending
//! loses nothing; a sender claims due messages for a lease ([`crate::rules::mail`]), so two
//! nodes on one database never send one at the same time.

use async_trait::async_trait;

use crate::{Change, CollectionId, Expect, PrincipalId, Result};

/// One iTIP message to send by e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMail {
    /// The organizer whose write queued it: their copy gets the SCHEDULE-STATUS.
    pub organizer: PrincipalId,
    /// The meeting's UID.
    pub uid: String,
    /// The iTIP METHOD (REQUEST, CANCEL).
    pub method: String,
    /// The ORGANIZER's calendar user address (`mailto:`), as the meeting says it.
    pub sender: String,
    /// The ATTENDEE's calendar user address (`mailto:`), as the meeting says it.
    pub recipient: String,
    /// The iTIP message, a whole VCALENDAR.
    pub calendar: String,
}

/// Where a queued message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailState {
    /// Waiting for its next attempt (or being sent by whoever claimed it).
    Queued,
    /// An SMTP relay accepted it.
    Sent,
    /// Given up on: a permanent refusal, or too many attempts.
    Failed,
}

impl MailState {
    /// The word the backends store.
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Queued => "queued",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
        }
    }

    pub fn parse(word: &str) -> Option<MailState> {
        [MailState::Queued, MailState::Sent, MailState::Failed]
            .into_iter()
            .find(|s| s.as_str() == word)
    }
}

/// A message of the outbox as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub mail: NewMail,
    pub created_at: i64,
    /// Attempts made so far, counting the one a claim starts.
    pub attempts: u32,
    /// When it is due next; while claimed, when the claim lapses.
    pub next_attempt_at: i64,
    pub state: MailState,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

pub use crate::rules::mail::MailFate;

/// The mail outbox.
#[async_trait]
pub trait MailOutbox: Send + Sync + 'static {
    /// Claims up to `limit` due messages for [`crate::rules::mail::LEASE_MS`]: no other
    /// claim returns them until the lease lapses (a sender that died mid-send is retried
    /// then). Each claim counts as an attempt.
    async fn claim_mail(&self, limit: u32) -> Result<Vec<QueuedMail>>;
    /// The relay accepted message `id`.
    async fn mail_sent(&self, id: i64) -> Result<()>;
    /// An attempt at `mail` failed; `permanent` when the relay refused it for good (RFC
    /// 5321 5yz). The rules decide whether it is tried again, and when.
    async fn mail_not_sent(
        &self,
        mail: &QueuedMail,
        error: &str,
        permanent: bool,
        backoff: crate::rules::mail::Backoff,
    ) -> Result<MailFate>;
    /// The messages an organizer's writes queued, oldest first.
    async fn mail_of(&self, organizer: PrincipalId) -> Result<Vec<QueuedMail>>;
    /// [`crate::Objects::delete_object`] queueing `mail` in the same transaction.
    async fn delete_object_sending(
        &self,
        collection: CollectionId,
        name: &str,
        expect: Expect,
        change: &Change,
        mail: Vec<NewMail>,
    ) -> Result<()>;
}
