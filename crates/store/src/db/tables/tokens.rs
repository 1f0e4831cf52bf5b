//! The `app_token` table: app passwords, by their keyed hash.

use crate::db::columns::{qualified, TOKEN_COLUMNS, USER_COLUMNS, USER_COUNT};
use crate::db::sql::{params, Sql};
use crate::db::{rows, TokenStatements};
use crate::{AppToken, NewToken, PrincipalId, Result, User};

impl<C: Sql> TokenStatements for C {
    async fn insert_token(&self, t: &NewToken, at: i64) -> Result<AppToken> {
        let sql = format!(
            "INSERT INTO app_token (principal_id, label, hash, scope, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}"
        );
        let p = params![t.owner, &t.label, &t.hash, t.scope.as_str(), at];
        self.query_one(&sql, p, |r| rows::token_at(r, 0)).await
    }

    async fn tokens(&self, owner: PrincipalId) -> Result<Vec<AppToken>> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM app_token WHERE principal_id = $1 ORDER BY label");
        self.query(&sql, params![owner], |r| rows::token_at(r, 0))
            .await
    }

    async fn delete_token(&self, owner: PrincipalId, label: &str) -> Result<u64> {
        let sql = "DELETE FROM app_token WHERE principal_id = $1 AND label = $2";
        self.execute(sql, params![owner, label]).await
    }

    async fn user_by_token(&self, name: &str, hash: &str) -> Result<Option<(User, AppToken)>> {
        let sql = format!(
            "SELECT {}, {} FROM app_token t JOIN principal p ON p.id = t.principal_id \
             WHERE t.hash = $2 AND p.name = $1",
            qualified("p", USER_COLUMNS),
            qualified("t", TOKEN_COLUMNS),
        );
        self.query_opt(&sql, params![name, hash], |r| {
            Ok((rows::user(r)?, rows::token_at(r, USER_COUNT)?))
        })
        .await
    }

    async fn set_token_used(&self, id: i64, at: i64) -> Result<()> {
        let sql = "UPDATE app_token SET last_used_at = $2 WHERE id = $1";
        self.execute(sql, params![id, at]).await.map(drop)
    }
}
