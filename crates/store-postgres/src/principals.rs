//! The `principal` table.

use store::db::PrincipalStatements;
use store::{NewUser, PrincipalId, Result, User};

use crate::rows::{self, get, USER_COLUMNS};
use crate::{signed, unsigned, PgConn};

impl PrincipalStatements for PgConn {
    async fn account_by_name(&self, name: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM principal WHERE name = $1");
        let row = self.query_opt(&sql, &[&name]).await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM principal ORDER BY name");
        rows::all(&self.query(&sql, &[]).await?, rows::user)
    }

    async fn principal_id(&self, name: &str) -> Result<Option<PrincipalId>> {
        let row = self
            .query_opt("SELECT id FROM principal WHERE name = $1", &[&name])
            .await?;
        row.map(|r| get(&r, 0)).transpose()
    }

    /// Another node may create the same name between the check and here: the unique name
    /// makes this insert wait for it and then fail, which is the same answer.
    async fn insert_principal(&self, new: &NewUser, at: i64) -> Result<PrincipalId> {
        let quota = new.quota_bytes.map(signed);
        self.insert_returning_id(
            "INSERT INTO principal (name, email, password_hash, quota_bytes, created_at, admin, \
             display_name) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &new.name,
                &new.email,
                &new.password_hash,
                &quota,
                &at,
                &new.admin,
                &new.display_name,
            ],
        )
        .await
    }

    async fn set_password(&self, name: &str, hash: &str) -> Result<u64> {
        self.execute(
            "UPDATE principal SET password_hash = $2 WHERE name = $1",
            &[&name, &hash],
        )
        .await
    }

    async fn user_by_id(&self, id: PrincipalId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM principal WHERE id = $1");
        let row = self.query_opt(&sql, &[&id]).await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn set_details(
        &self, name: &str, display_name: Option<&str>, email: Option<&str>,
    ) -> Result<u64> {
        let sql = "UPDATE principal SET display_name = $2, email = $3 WHERE name = $1";
        self.execute(sql, &[&name, &display_name, &email]).await
    }

    async fn set_admin(&self, name: &str, admin: bool) -> Result<u64> {
        let sql = "UPDATE principal SET admin = $2 WHERE name = $1";
        self.execute(sql, &[&name, &admin]).await
    }

    async fn set_disabled(&self, name: &str, disabled: bool) -> Result<u64> {
        let sql = "UPDATE principal SET disabled = $2 WHERE name = $1";
        self.execute(sql, &[&name, &disabled]).await
    }

    async fn set_quota(&self, name: &str, quota_bytes: Option<u64>) -> Result<u64> {
        let sql = "UPDATE principal SET quota_bytes = $2 WHERE name = $1";
        self.execute(sql, &[&name, &quota_bytes.map(signed)]).await
    }

    async fn delete_principal(&self, id: PrincipalId) -> Result<()> {
        // History rows carry no foreign key (they outlive deleted collections), so they
        // go first.
        self.execute(
            "DELETE FROM object_version WHERE collection_id IN \
             (SELECT id FROM collection WHERE owner_id = $1)",
            &[&id],
        )
        .await?;
        self.execute("DELETE FROM principal WHERE id = $1", &[&id])
            .await?;
        Ok(())
    }

    async fn usage_bytes(&self, owner: PrincipalId) -> Result<u64> {
        // SUM of BIGINT is NUMERIC in PostgreSQL: back to BIGINT for the client.
        let row = self
            .query_one(
                "SELECT COALESCE(SUM(o.size), 0)::BIGINT FROM calendar_object o \
                 JOIN collection c ON c.id = o.collection_id \
                 WHERE c.owner_id = $1 AND c.deleted_at IS NULL",
                &[&owner],
            )
            .await?;
        Ok(unsigned(get(&row, 0)?))
    }
}
