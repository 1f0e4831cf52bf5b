//! The `app_token` table: app passwords, by their keyed hash.

use rusqlite::params;
use store::db::TokenStatements;
use store::{AppToken, NewToken, PrincipalId, Result, StoreError, User};

use crate::rows::{self, TOKEN_COLUMNS, USER_COLUMNS};
use crate::{backend, execute, query_all, query_opt, SqliteConn};

impl TokenStatements for SqliteConn {
    async fn insert_token(&self, t: &NewToken, at: i64) -> Result<AppToken> {
        self.with(|c| {
            let sql = format!(
                "INSERT INTO app_token (principal_id, label, hash, scope, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING {TOKEN_COLUMNS}"
            );
            let params = params![t.owner, t.label, t.hash, t.scope.as_str(), at];
            c.prepare_cached(&sql)
                .and_then(|mut s| s.query_row(params, |r| rows::token_at(r, 0)))
                .map_err(|e| match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::AlreadyExists,
                    _ => backend(e),
                })
        })
    }

    async fn tokens(&self, owner: PrincipalId) -> Result<Vec<AppToken>> {
        self.with(|c| {
            let sql = format!(
                "SELECT {TOKEN_COLUMNS} FROM app_token WHERE principal_id = ?1 ORDER BY label"
            );
            query_all(c, &sql, [owner], |r| rows::token_at(r, 0))
        })
    }

    async fn delete_token(&self, owner: PrincipalId, label: &str) -> Result<u64> {
        self.with(|c| {
            let sql = "DELETE FROM app_token WHERE principal_id = ?1 AND label = ?2";
            execute(c, sql, params![owner, label])
        })
    }

    async fn user_by_token(&self, name: &str, hash: &str) -> Result<Option<(User, AppToken)>> {
        self.with(|c| {
            let sql = format!(
                "SELECT {}, {} FROM app_token t JOIN principal p ON p.id = t.principal_id \
                 WHERE t.hash = ?2 AND p.name = ?1",
                rows::qualified("p", USER_COLUMNS),
                rows::qualified("t", TOKEN_COLUMNS),
            );
            query_opt(c, &sql, params![name, hash], |r| {
                Ok((rows::user(r)?, rows::token_at(r, rows::USER_COUNT)?))
            })
        })
    }

    async fn set_token_used(&self, id: i64, at: i64) -> Result<()> {
        self.with(|c| {
            execute(
                c,
                "UPDATE app_token SET last_used_at = ?2 WHERE id = ?1",
                params![id, at],
            )
            .map(drop)
        })
    }
}
