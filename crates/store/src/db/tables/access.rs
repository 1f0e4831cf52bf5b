//! The `access_grant` table: who else may do what with a collection.

use crate::db::columns::{qualified, COLLECTION_COLUMNS, COLLECTION_COUNT};
use crate::db::sql::{params, Sql};
use crate::db::{rows, AccessStatements};
use crate::{Collection, CollectionId, Grant, Grantee, GroupId, PrincipalId, Reachable, Result};

/// The grants that reach the user in parameter `user`: theirs, and their groups'.
fn reaches(user: &str) -> String {
    format!(
        "(g.grantee_user = {user} OR g.grantee_group IN \
         (SELECT group_id FROM group_member WHERE member_id = {user}))"
    )
}

/// A grant's columns as [`rows::grant_at`] reads them, with the grantee's name.
const GRANT_COLUMNS: &str = "SELECT g.grantee_user, g.grantee_group, coalesce(p.name, pg.name), \
     g.privilege, g.created_by, g.created_at, g.collection_id FROM access_grant g";

/// The names of the grantees of grants `g`.
const GRANTEE_NAMES: &str = "LEFT JOIN principal p ON p.id = g.grantee_user \
     LEFT JOIN principal_group pg ON pg.id = g.grantee_group";

/// Users' grants first, then groups', each by name (the third column).
const GRANT_ORDER: &str = "g.grantee_group IS NOT NULL, 3";

impl<C: Sql> AccessStatements for C {
    async fn privilege(&self, user: PrincipalId, collection: CollectionId) -> Result<Option<i64>> {
        // The collection's own grants and its owner's home's (delegation).
        let sql = format!(
            "SELECT max(g.privilege) FROM access_grant g WHERE g.collection_id IN ($1, \
             (SELECT h.id FROM collection c JOIN collection h ON h.owner_id = c.owner_id \
              AND h.path = '' AND h.deleted_at IS NULL WHERE c.id = $1)) AND {}",
            reaches("$2")
        );
        self.query_one(&sql, params![collection, user], |r| r.get(0))
            .await
    }

    async fn grants(&self, collection: CollectionId) -> Result<Vec<Grant>> {
        let sql = format!(
            "{GRANT_COLUMNS} {GRANTEE_NAMES} WHERE g.collection_id = $1 ORDER BY {GRANT_ORDER}"
        );
        self.query(&sql, params![collection], |r| rows::grant_at(r, collection))
            .await
    }

    async fn grants_by_owner(&self, owner: PrincipalId) -> Result<Vec<Grant>> {
        let sql = format!(
            "{GRANT_COLUMNS} JOIN collection c ON c.id = g.collection_id AND c.deleted_at IS NULL \
             {GRANTEE_NAMES} WHERE c.owner_id = $1 \
             ORDER BY c.path, g.collection_id, {GRANT_ORDER}"
        );
        self.query(&sql, params![owner], |r| rows::grant_at(r, r.get(6)?))
            .await
    }

    async fn reachable(&self, user: PrincipalId) -> Result<Vec<Reachable>> {
        let sql = format!(
            "SELECT {}, p.name, max(g.privilege) FROM access_grant g \
             JOIN collection c ON c.id = g.collection_id AND c.deleted_at IS NULL \
             JOIN principal p ON p.id = c.owner_id WHERE {} \
             GROUP BY c.id, p.name ORDER BY p.name, c.path",
            qualified("c", COLLECTION_COLUMNS),
            reaches("$1")
        );
        self.query(&sql, params![user], |r| {
            Ok(Reachable {
                collection: rows::collection(r)?,
                owner_name: r.get(COLLECTION_COUNT)?,
                privilege: rows::privilege_of(r.get(COLLECTION_COUNT + 1)?),
            })
        })
        .await
    }

    async fn set_grant(
        &self,
        collection: CollectionId,
        grantee: Grantee,
        rank: i64,
        created_by: &str,
        at: i64,
    ) -> Result<()> {
        let (user, group) = columns(grantee);
        let update = "UPDATE access_grant SET privilege = $4 WHERE collection_id = $1 \
                      AND grantee_user IS NOT DISTINCT FROM $2 \
                      AND grantee_group IS NOT DISTINCT FROM $3";
        let updated = self
            .execute(update, params![collection, user, group, rank])
            .await?;
        if updated == 0 {
            let insert = "INSERT INTO access_grant (collection_id, grantee_user, grantee_group, \
                          privilege, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
            let p = params![collection, user, group, rank, created_by, at];
            self.execute(insert, p).await?;
        }
        Ok(())
    }

    async fn delete_grant(&self, collection: CollectionId, grantee: Grantee) -> Result<u64> {
        let (user, group) = columns(grantee);
        let sql = "DELETE FROM access_grant WHERE collection_id = $1 \
                   AND grantee_user IS NOT DISTINCT FROM $2 \
                   AND grantee_group IS NOT DISTINCT FROM $3";
        self.execute(sql, params![collection, user, group]).await
    }

    async fn group_grants(&self, group: GroupId) -> Result<Vec<CollectionId>> {
        let sql = "SELECT collection_id FROM access_grant WHERE grantee_group = $1";
        self.query(sql, params![group], |r| r.get(0)).await
    }

    async fn bindings_of(&self, target: CollectionId) -> Result<Vec<Collection>> {
        let sql = format!(
            "SELECT {COLLECTION_COLUMNS} FROM collection WHERE target_id = $1 \
             AND deleted_at IS NULL ORDER BY owner_id"
        );
        self.query(&sql, params![target], rows::collection).await
    }
}

fn columns(grantee: Grantee) -> (Option<PrincipalId>, Option<GroupId>) {
    match grantee {
        Grantee::User(u) => (Some(u), None),
        Grantee::Group(g) => (None, Some(g)),
    }
}
