//! The `principal` table.

use rusqlite::params;
use store::db::PrincipalStatements;
use store::{NewUser, PrincipalId, Result, User};

use crate::rows::{self, USER_COLUMNS};
use crate::{execute, query_all, query_one, query_opt, signed, unsigned, SqliteConn};

impl PrincipalStatements for SqliteConn {
    async fn account_by_name(&self, name: &str) -> Result<Option<User>> {
        self.with(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM principal WHERE name = ?1");
            query_opt(c, &sql, [name], rows::user)
        })
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        self.with(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM principal ORDER BY name");
            query_all(c, &sql, [], rows::user)
        })
    }

    async fn principal_id(&self, name: &str) -> Result<Option<PrincipalId>> {
        self.with(|c| {
            query_opt(c, "SELECT id FROM principal WHERE name = ?1", [name], |r| {
                r.get(0)
            })
        })
    }

    async fn insert_principal(&self, new: &NewUser, at: i64) -> Result<PrincipalId> {
        self.with(|c| {
            query_one(
                c,
                "INSERT INTO principal (name, email, password_hash, quota_bytes, created_at, admin, \
                 display_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                params![
                    new.name,
                    new.email,
                    new.password_hash,
                    new.quota_bytes.map(signed),
                    at,
                    new.admin,
                    new.display_name
                ],
                |r| r.get(0),
            )
        })
    }

    async fn set_password(&self, name: &str, hash: &str) -> Result<u64> {
        self.with(|c| {
            execute(
                c,
                "UPDATE principal SET password_hash = ?2 WHERE name = ?1",
                [name, hash],
            )
        })
    }

    async fn user_by_id(&self, id: PrincipalId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM principal WHERE id = ?1");
        self.with(|c| query_opt(c, &sql, [id], rows::user))
    }

    async fn set_details(
        &self, name: &str, display_name: Option<&str>, email: Option<&str>,
    ) -> Result<u64> {
        self.with(|c| {
            let sql = "UPDATE principal SET display_name = ?2, email = ?3 WHERE name = ?1";
            execute(c, sql, params![name, display_name, email])
        })
    }

    async fn set_admin(&self, name: &str, admin: bool) -> Result<u64> {
        self.with(|c| {
            execute(
                c,
                "UPDATE principal SET admin = ?2 WHERE name = ?1",
                params![name, admin],
            )
        })
    }

    async fn set_disabled(&self, name: &str, disabled: bool) -> Result<u64> {
        self.with(|c| {
            let sql = "UPDATE principal SET disabled = ?2 WHERE name = ?1";
            execute(c, sql, params![name, disabled])
        })
    }

    async fn set_quota(&self, name: &str, quota_bytes: Option<u64>) -> Result<u64> {
        self.with(|c| {
            let sql = "UPDATE principal SET quota_bytes = ?2 WHERE name = ?1";
            execute(c, sql, params![name, quota_bytes.map(signed)])
        })
    }

    async fn delete_principal(&self, id: PrincipalId) -> Result<()> {
        self.with(|c| {
            // History rows carry no foreign key (they outlive deleted collections), so they
            // go first.
            execute(
                c,
                "DELETE FROM object_version WHERE collection_id IN \
                 (SELECT id FROM collection WHERE owner_id = ?1)",
                [id],
            )?;
            execute(c, "DELETE FROM principal WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    async fn usage_bytes(&self, owner: PrincipalId) -> Result<u64> {
        self.with(|c| {
            query_one(
                c,
                "SELECT COALESCE(SUM(o.size), 0) FROM calendar_object o \
                 JOIN collection c ON c.id = o.collection_id \
                 WHERE c.owner_id = ?1 AND c.deleted_at IS NULL",
                [owner],
                |r| r.get(0),
            )
            .map(unsigned)
        })
    }
}
