//! The `principal_group` and `group_member` tables.

use crate::db::columns::{qualified, GROUP_COLUMNS, USER_COLUMNS};
use crate::db::sql::{params, Sql};
use crate::db::{rows, GroupStatements};
use crate::{Group, GroupId, PrincipalId, Result, User};

impl<C: Sql> GroupStatements for C {
    async fn groups(&self) -> Result<Vec<Group>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM principal_group ORDER BY name");
        self.query(&sql, &[], |r| rows::group_at(r, 0)).await
    }

    async fn group_by_name(&self, name: &str) -> Result<Option<Group>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM principal_group WHERE name = $1");
        self.query_opt(&sql, params![name], |r| rows::group_at(r, 0))
            .await
    }

    async fn insert_group(&self, name: &str, display_name: Option<&str>, at: i64) -> Result<Group> {
        let sql = format!(
            "INSERT INTO principal_group (name, display_name, created_at) VALUES ($1, $2, $3) \
             RETURNING {GROUP_COLUMNS}"
        );
        self.query_one(&sql, params![name, display_name, at], |r| {
            rows::group_at(r, 0)
        })
        .await
    }

    async fn delete_group(&self, id: GroupId) -> Result<u64> {
        self.execute("DELETE FROM principal_group WHERE id = $1", params![id])
            .await
    }

    async fn members(&self, group: GroupId) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {} FROM group_member m JOIN principal p ON p.id = m.member_id \
             WHERE m.group_id = $1 ORDER BY p.name",
            qualified("p", USER_COLUMNS)
        );
        self.query(&sql, params![group], rows::user).await
    }

    async fn groups_of(&self, user: PrincipalId) -> Result<Vec<Group>> {
        let sql = format!(
            "SELECT {} FROM group_member m JOIN principal_group g ON g.id = m.group_id \
             WHERE m.member_id = $1 ORDER BY g.name",
            qualified("g", GROUP_COLUMNS)
        );
        self.query(&sql, params![user], |r| rows::group_at(r, 0))
            .await
    }

    async fn insert_member(&self, group: GroupId, user: PrincipalId) -> Result<bool> {
        let sql = "INSERT INTO group_member (group_id, member_id) VALUES ($1, $2) \
                   ON CONFLICT DO NOTHING";
        Ok(self.execute(sql, params![group, user]).await? > 0)
    }

    async fn delete_member(&self, group: GroupId, user: PrincipalId) -> Result<u64> {
        let sql = "DELETE FROM group_member WHERE group_id = $1 AND member_id = $2";
        self.execute(sql, params![group, user]).await
    }
}
