//! The `mail_outbox` table: iTIP messages for attendees elsewhere until a relay accepts
//! them (`crate::mail`).

use super::skip_claimed;
use crate::db::columns::MAIL_COLUMNS;
use crate::db::sql::{params, Sql};
use crate::db::{rows, MailStatements};
use crate::{NewMail, PrincipalId, QueuedMail, Result};

impl<C: Sql> MailStatements for C {
    async fn insert_mail(&self, m: &NewMail, at: i64) -> Result<()> {
        let sql = "INSERT INTO mail_outbox (organizer_id, uid, method, sender, recipient, \
                   calendar, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
        let p = params![
            m.organizer,
            &m.uid,
            &m.method,
            &m.sender,
            &m.recipient,
            &m.calendar,
            at
        ];
        self.execute(sql, p).await.map(drop)
    }

    async fn claim_mail(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<QueuedMail>> {
        let sql = format!(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $2 \
             WHERE id IN (SELECT id FROM mail_outbox \
                 WHERE state = 'queued' AND next_attempt_at <= $1 ORDER BY id LIMIT $3{}) \
             RETURNING {MAIL_COLUMNS}",
            skip_claimed::<C>()
        );
        let p = params![now, lease_until, i64::from(limit)];
        let mut claimed = self.query(&sql, p, rows::queued_mail).await?;
        // RETURNING follows no order.
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    async fn set_mail_sent(&self, id: i64, at: i64) -> Result<u64> {
        let sql = "UPDATE mail_outbox SET state = 'sent', done_at = $2, last_error = NULL \
                   WHERE id = $1 AND state = 'queued'";
        self.execute(sql, params![id, at]).await
    }

    async fn set_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
        at: i64,
    ) -> Result<u64> {
        // The casts tell PostgreSQL what the parameter used only in IS NULL is.
        let sql = "UPDATE mail_outbox SET last_error = $2, \
                   next_attempt_at = COALESCE(CAST($3 AS BIGINT), next_attempt_at), \
                   state = CASE WHEN CAST($3 AS BIGINT) IS NULL THEN 'failed' ELSE 'queued' END, \
                   done_at = CASE WHEN CAST($3 AS BIGINT) IS NULL THEN CAST($4 AS BIGINT) ELSE NULL END \
                   WHERE id = $1 AND state = 'queued'";
        self.execute(sql, params![id, error, retry_at, at]).await
    }

    async fn mail_of(&self, organizer: PrincipalId) -> Result<Vec<QueuedMail>> {
        let sql =
            format!("SELECT {MAIL_COLUMNS} FROM mail_outbox WHERE organizer_id = $1 ORDER BY id");
        self.query(&sql, params![organizer], rows::queued_mail)
            .await
    }
}
