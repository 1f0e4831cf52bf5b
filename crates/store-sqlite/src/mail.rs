//! The `mail_outbox` table: iTIP messages for attendees elsewhere until a relay accepts
//! them (`store::mail`). SQLite runs one write at a time, so a claim needs no row locks.

use rusqlite::{params, Row};
use store::db::columns::MAIL_COLUMNS;
use store::db::MailStatements;
use store::{MailState, NewMail, PrincipalId, QueuedMail, Result};

use crate::{execute, query_all, signed, SqliteConn};

fn queued(r: &Row<'_>) -> rusqlite::Result<QueuedMail> {
    let attempts: i64 = r.get(8)?;
    let state: String = r.get(10)?;
    Ok(QueuedMail {
        id: r.get(0)?,
        mail: NewMail {
            organizer: r.get(1)?,
            uid: r.get(2)?,
            method: r.get(3)?,
            sender: r.get(4)?,
            recipient: r.get(5)?,
            calendar: r.get(6)?,
        },
        created_at: r.get(7)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_at: r.get(9)?,
        state: MailState::parse(&state).unwrap_or(MailState::Failed),
        last_error: r.get(11)?,
    })
}

impl MailStatements for SqliteConn {
    async fn insert_mail(&self, m: &NewMail, at: i64) -> Result<()> {
        self.with(|c| {
            let sql = "INSERT INTO mail_outbox (organizer_id, uid, method, sender, recipient, \
                       calendar, created_at, next_attempt_at) \
                       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
            let p = params![
                m.organizer,
                m.uid,
                m.method,
                m.sender,
                m.recipient,
                m.calendar,
                at
            ];
            execute(c, sql, p).map(drop)
        })
    }

    async fn claim_mail(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<QueuedMail>> {
        self.with(|c| {
            let sql = format!(
                "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?2 \
                 WHERE id IN (SELECT id FROM mail_outbox \
                     WHERE state = 'queued' AND next_attempt_at <= ?1 ORDER BY id LIMIT ?3) \
                 RETURNING {MAIL_COLUMNS}"
            );
            let mut rows = query_all(c, &sql, params![now, lease_until, signed(limit)], queued)?;
            rows.sort_by_key(|m| m.id);
            Ok(rows)
        })
    }

    async fn set_mail_sent(&self, id: i64, at: i64) -> Result<u64> {
        self.with(|c| {
            let sql = "UPDATE mail_outbox SET state = 'sent', done_at = ?2, last_error = NULL \
                       WHERE id = ?1 AND state = 'queued'";
            execute(c, sql, params![id, at])
        })
    }

    async fn set_mail_failed(
        &self, id: i64, error: &str, retry_at: Option<i64>, at: i64,
    ) -> Result<u64> {
        self.with(|c| {
            let sql = "UPDATE mail_outbox SET last_error = ?2, \
                       next_attempt_at = COALESCE(?3, next_attempt_at), \
                       state = CASE WHEN ?3 IS NULL THEN 'failed' ELSE 'queued' END, \
                       done_at = CASE WHEN ?3 IS NULL THEN ?4 ELSE NULL END \
                       WHERE id = ?1 AND state = 'queued'";
            execute(c, sql, params![id, error, retry_at, at])
        })
    }

    async fn mail_of(&self, organizer: PrincipalId) -> Result<Vec<QueuedMail>> {
        self.with(|c| {
            let sql = format!(
                "SELECT {MAIL_COLUMNS} FROM mail_outbox WHERE organizer_id = ?1 ORDER BY id"
            );
            query_all(c, &sql, [organizer], queued)
        })
    }
}
