//! The `principal_group` and `group_member` tables.

use rusqlite::params;
use store::db::GroupStatements;
use store::{Group, GroupId, PrincipalId, Result, StoreError, User};

use crate::rows::{self, GROUP_COLUMNS, USER_COLUMNS};
use crate::{execute, query_all, query_opt, SqliteConn};

impl GroupStatements for SqliteConn {
    async fn groups(&self) -> Result<Vec<Group>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM principal_group ORDER BY name");
        self.with(|c| query_all(c, &sql, [], |r| rows::group_at(r, 0)))
    }

    async fn group_by_name(&self, name: &str) -> Result<Option<Group>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM principal_group WHERE name = ?1");
        self.with(|c| query_opt(c, &sql, [name], |r| rows::group_at(r, 0)))
    }

    async fn insert_group(&self, name: &str, display_name: Option<&str>, at: i64) -> Result<Group> {
        let sql = format!(
            "INSERT INTO principal_group (name, display_name, created_at) VALUES (?1, ?2, ?3) \
             RETURNING {GROUP_COLUMNS}"
        );
        self.with(|c| {
            c.prepare_cached(&sql)
                .and_then(|mut s| {
                    s.query_row(params![name, display_name, at], |r| rows::group_at(r, 0))
                })
                .map_err(|e| match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::AlreadyExists,
                    _ => crate::backend(e),
                })
        })
    }

    async fn delete_group(&self, id: GroupId) -> Result<u64> {
        self.with(|c| execute(c, "DELETE FROM principal_group WHERE id = ?1", [id]))
    }

    async fn members(&self, group: GroupId) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {} FROM group_member m JOIN principal p ON p.id = m.member_id \
             WHERE m.group_id = ?1 ORDER BY p.name",
            rows::qualified("p", USER_COLUMNS)
        );
        self.with(|c| query_all(c, &sql, [group], rows::user))
    }

    async fn groups_of(&self, user: PrincipalId) -> Result<Vec<Group>> {
        let sql = format!(
            "SELECT {} FROM group_member m JOIN principal_group g ON g.id = m.group_id \
             WHERE m.member_id = ?1 ORDER BY g.name",
            rows::qualified("g", GROUP_COLUMNS)
        );
        self.with(|c| query_all(c, &sql, [user], |r| rows::group_at(r, 0)))
    }

    async fn insert_member(&self, group: GroupId, user: PrincipalId) -> Result<bool> {
        self.with(|c| {
            let sql = "INSERT INTO group_member (group_id, member_id) VALUES (?1, ?2) \
                       ON CONFLICT DO NOTHING";
            execute(c, sql, params![group, user]).map(|n| n > 0)
        })
    }

    async fn delete_member(&self, group: GroupId, user: PrincipalId) -> Result<u64> {
        self.with(|c| {
            let sql = "DELETE FROM group_member WHERE group_id = ?1 AND member_id = ?2";
            execute(c, sql, params![group, user])
        })
    }
}
