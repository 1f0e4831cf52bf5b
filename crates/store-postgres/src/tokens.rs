//! The `app_token` table: app passwords, by their keyed hash.

use store::db::TokenStatements;
use store::{AppToken, NewToken, PrincipalId, Result, StoreError, User};

use crate::rows::{self, TOKEN_COLUMNS, USER_COLUMNS};
use crate::{backend, is_unique_violation, PgConn};

impl TokenStatements for PgConn {
    async fn insert_token(&self, t: &NewToken, at: i64) -> Result<AppToken> {
        let sql = format!(
            "INSERT INTO app_token (principal_id, label, hash, scope, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}"
        );
        let statement = self.client.prepare_cached(&sql).await.map_err(backend)?;
        let row = self
            .client
            .query_one(
                &statement,
                &[&t.owner, &t.label, &t.hash, &t.scope.as_str(), &at],
            )
            .await
            .map_err(|e| match is_unique_violation(&e) {
                true => StoreError::AlreadyExists,
                false => backend(e),
            })?;
        rows::token_at(&row, 0)
    }

    async fn tokens(&self, owner: PrincipalId) -> Result<Vec<AppToken>> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM app_token WHERE principal_id = $1 ORDER BY label");
        rows::all(&self.query(&sql, &[&owner]).await?, |r| {
            rows::token_at(r, 0)
        })
    }

    async fn delete_token(&self, owner: PrincipalId, label: &str) -> Result<u64> {
        let sql = "DELETE FROM app_token WHERE principal_id = $1 AND label = $2";
        self.execute(sql, &[&owner, &label]).await
    }

    async fn user_by_token(&self, name: &str, hash: &str) -> Result<Option<(User, AppToken)>> {
        let sql = format!(
            "SELECT {}, {} FROM app_token t JOIN principal p ON p.id = t.principal_id \
             WHERE t.hash = $2 AND p.name = $1",
            rows::qualified("p", USER_COLUMNS),
            rows::qualified("t", TOKEN_COLUMNS),
        );
        let row = self.query_opt(&sql, &[&name, &hash]).await?;
        row.map(|r| Ok((rows::user(&r)?, rows::token_at(&r, rows::USER_COUNT)?)))
            .transpose()
    }

    async fn set_token_used(&self, id: i64, at: i64) -> Result<()> {
        let sql = "UPDATE app_token SET last_used_at = $2 WHERE id = $1";
        self.execute(sql, &[&id, &at]).await.map(drop)
    }
}
