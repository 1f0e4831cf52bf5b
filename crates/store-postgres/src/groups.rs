//! The `principal_group` and `group_member` tables.

use store::db::GroupStatements;
use store::{Group, GroupId, PrincipalId, Result, User};

use crate::rows::{self, GROUP_COLUMNS, USER_COLUMNS};
use crate::PgConn;

impl GroupStatements for PgConn {
    async fn groups(&self) -> Result<Vec<Group>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM principal_group ORDER BY name");
        rows::all(&self.query(&sql, &[]).await?, |r| rows::group_at(r, 0))
    }

    async fn group_by_name(&self, name: &str) -> Result<Option<Group>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM principal_group WHERE name = $1");
        let row = self.query_opt(&sql, &[&name]).await?;
        row.map(|r| rows::group_at(&r, 0)).transpose()
    }

    async fn insert_group(&self, name: &str, display_name: Option<&str>, at: i64) -> Result<Group> {
        let id = self
            .insert_returning_id(
                "INSERT INTO principal_group (name, display_name, created_at) \
                 VALUES ($1, $2, $3) RETURNING id",
                &[&name, &display_name, &at],
            )
            .await?;
        Ok(Group {
            id,
            name: name.to_owned(),
            display_name: display_name.map(str::to_owned),
            created_at: at,
        })
    }

    async fn delete_group(&self, id: GroupId) -> Result<u64> {
        self.execute("DELETE FROM principal_group WHERE id = $1", &[&id])
            .await
    }

    async fn members(&self, group: GroupId) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {} FROM group_member m JOIN principal p ON p.id = m.member_id \
             WHERE m.group_id = $1 ORDER BY p.name",
            rows::qualified("p", USER_COLUMNS)
        );
        rows::all(&self.query(&sql, &[&group]).await?, rows::user)
    }

    async fn groups_of(&self, user: PrincipalId) -> Result<Vec<Group>> {
        let sql = format!(
            "SELECT {} FROM group_member m JOIN principal_group g ON g.id = m.group_id \
             WHERE m.member_id = $1 ORDER BY g.name",
            rows::qualified("g", GROUP_COLUMNS)
        );
        rows::all(&self.query(&sql, &[&user]).await?, |r| rows::group_at(r, 0))
    }

    async fn insert_member(&self, group: GroupId, user: PrincipalId) -> Result<bool> {
        let sql = "INSERT INTO group_member (group_id, member_id) VALUES ($1, $2) \
                   ON CONFLICT DO NOTHING";
        self.execute(sql, &[&group, &user]).await.map(|n| n > 0)
    }

    async fn delete_member(&self, group: GroupId, user: PrincipalId) -> Result<u64> {
        let sql = "DELETE FROM group_member WHERE group_id = $1 AND member_id = $2";
        self.execute(sql, &[&group, &user]).await
    }
}
