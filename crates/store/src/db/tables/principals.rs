//! The `principal` table.

use crate::db::columns::USER_COLUMNS;
use crate::db::sql::{params, signed, unsigned, Sql};
use crate::db::{rows, PrincipalStatements};
use crate::{NewUser, PrincipalId, Result, User};

impl<C: Sql> PrincipalStatements for C {
    async fn account_by_name(&self, name: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM principal WHERE name = $1");
        self.query_opt(&sql, params![name], rows::user).await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM principal ORDER BY name");
        self.query(&sql, &[], rows::user).await
    }

    async fn user_by_id(&self, id: PrincipalId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM principal WHERE id = $1");
        self.query_opt(&sql, params![id], rows::user).await
    }

    async fn principal_id(&self, name: &str) -> Result<Option<PrincipalId>> {
        let sql = "SELECT id FROM principal WHERE name = $1";
        self.query_opt(sql, params![name], |r| r.get(0)).await
    }

    /// Another PostgreSQL node may create the same name between the check and here: the
    /// unique name makes this insert wait for it and then fail, which is the same answer.
    async fn insert_principal(&self, new: &NewUser, at: i64) -> Result<PrincipalId> {
        let sql = "INSERT INTO principal (name, email, password_hash, quota_bytes, created_at, \
                   admin, display_name) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let quota = new.quota_bytes.map(signed);
        let p = params![
            &new.name,
            new.email.as_ref(),
            &new.password_hash,
            quota,
            at,
            new.admin,
            new.display_name.as_ref()
        ];
        self.query_one(sql, p, |r| r.get(0)).await
    }

    async fn set_password(&self, name: &str, hash: &str) -> Result<u64> {
        let sql = "UPDATE principal SET password_hash = $2 WHERE name = $1";
        self.execute(sql, params![name, hash]).await
    }

    async fn set_details(
        &self,
        name: &str,
        display_name: Option<&str>,
        email: Option<&str>,
    ) -> Result<u64> {
        let sql = "UPDATE principal SET display_name = $2, email = $3 WHERE name = $1";
        self.execute(sql, params![name, display_name, email]).await
    }

    async fn set_admin(&self, name: &str, admin: bool) -> Result<u64> {
        let sql = "UPDATE principal SET admin = $2 WHERE name = $1";
        self.execute(sql, params![name, admin]).await
    }

    async fn set_disabled(&self, name: &str, disabled: bool) -> Result<u64> {
        let sql = "UPDATE principal SET disabled = $2 WHERE name = $1";
        self.execute(sql, params![name, disabled]).await
    }

    async fn set_quota(&self, name: &str, quota_bytes: Option<u64>) -> Result<u64> {
        let sql = "UPDATE principal SET quota_bytes = $2 WHERE name = $1";
        self.execute(sql, params![name, quota_bytes.map(signed)])
            .await
    }

    async fn delete_principal(&self, id: PrincipalId) -> Result<()> {
        // History rows carry no foreign key (they outlive deleted collections), so they go
        // first.
        let history = "DELETE FROM object_version WHERE collection_id IN \
                       (SELECT id FROM collection WHERE owner_id = $1)";
        self.execute(history, params![id]).await?;
        self.execute("DELETE FROM principal WHERE id = $1", params![id])
            .await
            .map(drop)
    }

    async fn usage_bytes(&self, owner: PrincipalId) -> Result<u64> {
        // SUM of BIGINT is NUMERIC in PostgreSQL: cast back.
        let sql = "SELECT CAST(COALESCE(SUM(o.size), 0) AS BIGINT) FROM calendar_object o \
                   JOIN collection c ON c.id = o.collection_id \
                   WHERE c.owner_id = $1 AND c.deleted_at IS NULL";
        let bytes: i64 = self.query_one(sql, params![owner], |r| r.get(0)).await?;
        Ok(unsigned(bytes))
    }
}
