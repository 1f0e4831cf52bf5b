//! The `mail_outbox` table: iTIP messages for attendees elsewhere until a relay accepts
//! them (`store::mail`). A claim locks the rows it takes with SKIP LOCKED, so two nodes
//! claiming at once get different messages, and moves them past their lease.

use store::db::columns::MAIL_COLUMNS;
use store::db::MailStatements;
use store::{MailState, NewMail, PrincipalId, QueuedMail, Result};
use tokio_postgres::Row;

use crate::rows::{self, get};
use crate::PgConn;

fn queued(r: &Row) -> Result<QueuedMail> {
    let attempts: i32 = get(r, 8)?;
    let state: String = get(r, 10)?;
    Ok(QueuedMail {
        id: get(r, 0)?,
        mail: NewMail {
            organizer: get(r, 1)?,
            uid: get(r, 2)?,
            method: get(r, 3)?,
            sender: get(r, 4)?,
            recipient: get(r, 5)?,
            calendar: get(r, 6)?,
        },
        created_at: get(r, 7)?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt_at: get(r, 9)?,
        state: MailState::parse(&state).unwrap_or(MailState::Failed),
        last_error: get(r, 11)?,
    })
}

impl MailStatements for PgConn {
    async fn insert_mail(&self, m: &NewMail, at: i64) -> Result<()> {
        let sql = "INSERT INTO mail_outbox (organizer_id, uid, method, sender, recipient, \
                   calendar, created_at, next_attempt_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
        let p: crate::Params = &[
            &m.organizer,
            &m.uid,
            &m.method,
            &m.sender,
            &m.recipient,
            &m.calendar,
            &at,
        ];
        self.execute(sql, p).await.map(drop)
    }

    async fn claim_mail(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<QueuedMail>> {
        let sql = format!(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $2 \
             WHERE id IN (SELECT id FROM mail_outbox \
                 WHERE state = 'queued' AND next_attempt_at <= $1 \
                 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING {MAIL_COLUMNS}"
        );
        let limit = i64::from(limit);
        let found = self.query(&sql, &[&now, &lease_until, &limit]).await?;
        let mut out = rows::all(&found, queued)?;
        out.sort_by_key(|m| m.id);
        Ok(out)
    }

    async fn set_mail_sent(&self, id: i64, at: i64) -> Result<u64> {
        let sql = "UPDATE mail_outbox SET state = 'sent', done_at = $2, last_error = NULL \
                   WHERE id = $1 AND state = 'queued'";
        self.execute(sql, &[&id, &at]).await
    }

    async fn set_mail_failed(
        &self, id: i64, error: &str, retry_at: Option<i64>, at: i64,
    ) -> Result<u64> {
        let sql = "UPDATE mail_outbox SET last_error = $2, \
                   next_attempt_at = COALESCE($3, next_attempt_at), \
                   state = CASE WHEN $3::BIGINT IS NULL THEN 'failed' ELSE 'queued' END, \
                   done_at = CASE WHEN $3::BIGINT IS NULL THEN $4::BIGINT ELSE NULL END \
                   WHERE id = $1 AND state = 'queued'";
        self.execute(sql, &[&id, &error, &retry_at, &at]).await
    }

    async fn mail_of(&self, organizer: PrincipalId) -> Result<Vec<QueuedMail>> {
        let sql =
            format!("SELECT {MAIL_COLUMNS} FROM mail_outbox WHERE organizer_id = $1 ORDER BY id");
        rows::all(&self.query(&sql, &[&organizer]).await?, queued)
    }
}
