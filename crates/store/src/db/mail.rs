//! The mail outbox's sequences (`crate::mail`): claiming due messages for a lease, and
//! what a sent or failed attempt writes, decided by [`crate::rules::mail`].

use super::now_ms;
use super::statements::*;
use crate::rules::mail::{after_failure, Backoff, LEASE_MS};
use crate::{MailFate, QueuedMail, Result, StoreError};

pub async fn claim<C: Statements>(c: &C, limit: u32) -> Result<Vec<QueuedMail>> {
    let now = now_ms();
    c.claim_mail(now, now + LEASE_MS, limit).await
}

pub async fn sent<C: Statements>(c: &C, id: i64) -> Result<()> {
    match c.set_mail_sent(id, now_ms()).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub async fn not_sent<C: Statements>(
    c: &C,
    id: i64,
    attempts: u32,
    error: &str,
    permanent: bool,
    backoff: Backoff,
) -> Result<MailFate> {
    let now = now_ms();
    let fate = after_failure(backoff, attempts, permanent, now);
    let retry_at = match fate {
        MailFate::RetryAt(at) => Some(at),
        MailFate::GaveUp => None,
    };
    match c.set_mail_failed(id, error, retry_at, now).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(fate),
    }
}
