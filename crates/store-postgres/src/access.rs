//! The `access_grant` table: who else may do what with a collection.

use store::db::AccessStatements;
use store::{
    Collection, CollectionId, Grant, Grantee, GroupId, PrincipalId, Privilege, Reachable, Result,
};
use tokio_postgres::Row;

use crate::rows::{self, get, COLLECTION_COLUMNS, COLLECTION_COUNT};
use crate::PgConn;

/// The grants that reach the user in parameter `user`: theirs, and their groups'.
fn reaches(user: &str) -> String {
    format!(
        "(g.grantee_user = {user} OR g.grantee_group IN \
         (SELECT group_id FROM group_member WHERE member_id = {user}))"
    )
}

/// A grant's columns as [`grant_at`] reads them, then its collection, joined with the
/// collection (alias `c`, live ones only).
const GRANT_SELECT: &str = "SELECT g.grantee_user, g.grantee_group, coalesce(p.name, pg.name), \
     g.privilege, g.created_by, g.created_at, g.collection_id FROM access_grant g \
     JOIN collection c ON c.id = g.collection_id AND c.deleted_at IS NULL \
     LEFT JOIN principal p ON p.id = g.grantee_user \
     LEFT JOIN principal_group pg ON pg.id = g.grantee_group";

impl AccessStatements for PgConn {
    async fn privilege(&self, user: PrincipalId, collection: CollectionId) -> Result<Option<i64>> {
        // The collection's own grants and its owner's home's (delegation).
        let sql = format!(
            "SELECT max(g.privilege) FROM access_grant g WHERE g.collection_id IN ($1, \
             (SELECT h.id FROM collection c JOIN collection h ON h.owner_id = c.owner_id \
              AND h.path = '' AND h.deleted_at IS NULL WHERE c.id = $1)) AND {}",
            reaches("$2")
        );
        let row = self.query_one(&sql, &[&collection, &user]).await?;
        Ok(get::<Option<i16>>(&row, 0)?.map(i64::from))
    }

    async fn grants(&self, collection: CollectionId) -> Result<Vec<Grant>> {
        let rows = self
            .query(
                "SELECT g.grantee_user, g.grantee_group, coalesce(p.name, pg.name), g.privilege, \
                 g.created_by, g.created_at FROM access_grant g \
                 LEFT JOIN principal p ON p.id = g.grantee_user \
                 LEFT JOIN principal_group pg ON pg.id = g.grantee_group \
                 WHERE g.collection_id = $1 ORDER BY g.grantee_group IS NOT NULL, 3",
                &[&collection],
            )
            .await?;
        rows::all(&rows, |r| grant_at(r, collection))
    }

    async fn grants_by_owner(&self, owner: PrincipalId) -> Result<Vec<Grant>> {
        let sql = format!("{GRANT_SELECT} WHERE c.owner_id = $1 ORDER BY c.path, g.collection_id, g.grantee_group IS NOT NULL, 3");
        let rows = self.query(&sql, &[&owner]).await?;
        rows::all(&rows, |r| grant_at(r, get(r, 6)?))
    }

    async fn reachable(&self, user: PrincipalId) -> Result<Vec<Reachable>> {
        let sql = format!(
            "SELECT {}, p.name, max(g.privilege) FROM access_grant g \
             JOIN collection c ON c.id = g.collection_id AND c.deleted_at IS NULL \
             JOIN principal p ON p.id = c.owner_id WHERE {} \
             GROUP BY c.id, p.name ORDER BY p.name, c.path",
            rows::qualified("c", COLLECTION_COLUMNS),
            reaches("$1")
        );
        rows::all(&self.query(&sql, &[&user]).await?, |r| {
            let rank: i16 = get(r, COLLECTION_COUNT + 1)?;
            Ok(Reachable {
                collection: rows::collection(r)?,
                owner_name: get(r, COLLECTION_COUNT)?,
                privilege: privilege_of(rank),
            })
        })
    }

    async fn set_grant(
        &self, collection: CollectionId, grantee: Grantee, rank: i64, created_by: &str, at: i64,
    ) -> Result<()> {
        let (user, group) = columns(grantee);
        let rank = i16::try_from(rank).unwrap_or(i16::MAX);
        let updated = self
            .execute(
                "UPDATE access_grant SET privilege = $4 WHERE collection_id = $1 \
                 AND grantee_user IS NOT DISTINCT FROM $2 \
                 AND grantee_group IS NOT DISTINCT FROM $3",
                &[&collection, &user, &group, &rank],
            )
            .await?;
        if updated == 0 {
            self.execute(
                "INSERT INTO access_grant (collection_id, grantee_user, grantee_group, \
                 privilege, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&collection, &user, &group, &rank, &created_by, &at],
            )
            .await?;
        }
        Ok(())
    }

    async fn delete_grant(&self, collection: CollectionId, grantee: Grantee) -> Result<u64> {
        let (user, group) = columns(grantee);
        self.execute(
            "DELETE FROM access_grant WHERE collection_id = $1 \
             AND grantee_user IS NOT DISTINCT FROM $2 AND grantee_group IS NOT DISTINCT FROM $3",
            &[&collection, &user, &group],
        )
        .await
    }

    async fn group_grants(&self, group: GroupId) -> Result<Vec<CollectionId>> {
        let sql = "SELECT collection_id FROM access_grant WHERE grantee_group = $1";
        rows::all(&self.query(sql, &[&group]).await?, |r| get(r, 0))
    }

    async fn bindings_of(&self, target: CollectionId) -> Result<Vec<Collection>> {
        let sql = format!(
            "SELECT {COLLECTION_COLUMNS} FROM collection WHERE target_id = $1 \
             AND deleted_at IS NULL ORDER BY owner_id"
        );
        rows::all(&self.query(&sql, &[&target]).await?, rows::collection)
    }
}

fn columns(grantee: Grantee) -> (Option<PrincipalId>, Option<GroupId>) {
    match grantee {
        Grantee::User(u) => (Some(u), None),
        Grantee::Group(g) => (None, Some(g)),
    }
}

fn privilege_of(rank: i16) -> Privilege {
    Privilege::from_rank(i64::from(rank)).unwrap_or(Privilege::FreeBusy)
}

/// A grant from `grantee_user, grantee_group, name, privilege, created_by, created_at`.
pub fn grant_at(r: &Row, collection: CollectionId) -> Result<Grant> {
    let grantee = match (get::<Option<i64>>(r, 0)?, get::<Option<i64>>(r, 1)?) {
        (Some(user), _) => Grantee::User(user),
        (None, group) => Grantee::Group(group.unwrap_or(0)),
    };
    Ok(Grant {
        collection,
        grantee,
        grantee_name: get(r, 2)?,
        privilege: privilege_of(get(r, 3)?),
        created_by: get(r, 4)?,
        created_at: get(r, 5)?,
    })
}
