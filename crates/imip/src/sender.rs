//! The sender: a task on every server node with `[smtp]` that claims due messages from
//! the store's mail outbox, hands each to the relay, and records the outcome: sent (the
//! organizer's copy says 2.0), tried again later with backoff, or given up (5.1). The
//! store's claim is a lease, so nodes sharing a database never send one message at the
//! same time, and a node that died mid-send leaves it to the next claim.

use std::time::Duration;

use dav::imip::{record_status, FAILED, SENT};
use dav::Engine;
use store::rules::mail::Backoff;
use store::{MailFate, QueuedMail};

use crate::message;
use crate::relay::{Refusal, Relay};

/// Messages claimed at once: a node sends them one after the other within its lease.
const BATCH: u32 = 10;

/// What the sender needs besides the engine and the relay.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The `[smtp] from` address.
    pub from: String,
    pub backoff: Backoff,
    /// How long it waits when nothing was due.
    pub poll: Duration,
}

impl Settings {
    pub fn of(config: &crate::SmtpConfig) -> Self {
        Settings {
            from: config.from.clone(),
            backoff: config.backoff(),
            poll: config.poll(),
        }
    }
}

/// Runs until the task is dropped.
pub async fn run(engine: Engine, relay: impl Relay, settings: Settings) {
    loop {
        match send_due(&engine, &relay, &settings).await {
            Ok(0) => tokio::time::sleep(settings.poll).await,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(target: "calvault::imip", error = %e, "cannot read the mail outbox");
                tokio::time::sleep(settings.poll).await;
            }
        }
    }
}

/// Sends what is due now; the number of messages it tried.
pub async fn send_due(
    engine: &Engine,
    relay: &impl Relay,
    settings: &Settings,
) -> store::Result<usize> {
    let batch = engine.store().claim_mail(BATCH).await?;
    for queued in &batch {
        send_one(engine, relay, settings, queued).await;
    }
    Ok(batch.len())
}

async fn send_one(engine: &Engine, relay: &impl Relay, settings: &Settings, queued: &QueuedMail) {
    let store = engine.store();
    let outcome = match message::build(queued, &settings.from) {
        Ok(m) => relay.send(m).await,
        Err(e) => Err(Refusal {
            permanent: true,
            detail: e.to_string(),
        }),
    };
    let (id, to, uid) = (queued.id, &queued.mail.recipient, &queued.mail.uid);
    let status = match outcome {
        Ok(()) => {
            if let Err(e) = store.mail_sent(id).await {
                // The relay has it; at worst it is sent again after the lease (same
                // Message-ID).
                tracing::warn!(target: "calvault::imip", id, error = %e, "sent, but not recorded as sent");
                return;
            }
            tracing::info!(target: "calvault::imip", id, to, uid, method = %queued.mail.method, "sent");
            SENT
        }
        Err(refusal) => {
            let fate = store
                .mail_not_sent(queued, &refusal.detail, refusal.permanent, settings.backoff)
                .await;
            match fate {
                Ok(MailFate::RetryAt(at)) => {
                    tracing::info!(target: "calvault::imip", id, to, uid, retry_at = at, detail = %refusal.detail, "not sent; will retry");
                    return;
                }
                Ok(MailFate::GaveUp) => {
                    tracing::warn!(target: "calvault::imip", id, to, uid, attempts = queued.attempts, detail = %refusal.detail, "not sent; given up");
                    FAILED
                }
                Err(e) => {
                    tracing::warn!(target: "calvault::imip", id, error = %e, "cannot record a failed attempt");
                    return;
                }
            }
        }
    };
    if let Err(e) = record_status(engine, &queued.mail, status).await {
        tracing::warn!(target: "calvault::imip", id, uid, detail = %e.detail, "cannot record SCHEDULE-STATUS {status}");
    }
}
