//! The `access_grant` table: who else may do what with a collection.

use rusqlite::params;
use store::db::AccessStatements;
use store::{
    Collection, CollectionId, Grant, Grantee, GroupId, PrincipalId, Privilege, Reachable, Result,
};

use crate::rows::{self, COLLECTION_COLUMNS, COLLECTION_COUNT};
use crate::{execute, query_all, query_one, SqliteConn};

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

impl AccessStatements for SqliteConn {
    async fn privilege(&self, user: PrincipalId, collection: CollectionId) -> Result<Option<i64>> {
        // The collection's own grants and its owner's home's (delegation).
        let sql = format!(
            "SELECT max(g.privilege) FROM access_grant g WHERE g.collection_id IN (?1, \
             (SELECT h.id FROM collection c JOIN collection h ON h.owner_id = c.owner_id \
              AND h.path = '' AND h.deleted_at IS NULL WHERE c.id = ?1)) AND {}",
            reaches("?2")
        );
        self.with(|c| query_one(c, &sql, params![collection, user], |r| r.get(0)))
    }

    async fn grants(&self, collection: CollectionId) -> Result<Vec<Grant>> {
        self.with(|c| {
            query_all(
                c,
                "SELECT g.grantee_user, g.grantee_group, coalesce(p.name, pg.name), g.privilege, \
                 g.created_by, g.created_at FROM access_grant g \
                 LEFT JOIN principal p ON p.id = g.grantee_user \
                 LEFT JOIN principal_group pg ON pg.id = g.grantee_group \
                 WHERE g.collection_id = ?1 ORDER BY g.grantee_group IS NOT NULL, 3",
                [collection],
                |r| grant_at(r, collection),
            )
        })
    }

    async fn grants_by_owner(&self, owner: PrincipalId) -> Result<Vec<Grant>> {
        let sql = format!("{GRANT_SELECT} WHERE c.owner_id = ?1 ORDER BY c.path, g.collection_id, g.grantee_group IS NOT NULL, 3");
        self.with(|c| query_all(c, &sql, [owner], |r| grant_at(r, r.get(6)?)))
    }

    async fn reachable(&self, user: PrincipalId) -> Result<Vec<Reachable>> {
        let sql = format!(
            "SELECT {}, p.name, max(g.privilege) FROM access_grant g \
             JOIN collection c ON c.id = g.collection_id AND c.deleted_at IS NULL \
             JOIN principal p ON p.id = c.owner_id WHERE {} \
             GROUP BY c.id ORDER BY p.name, c.path",
            rows::qualified("c", COLLECTION_COLUMNS),
            reaches("?1")
        );
        self.with(|c| {
            query_all(c, &sql, [user], |r| {
                let rank: i64 = r.get(COLLECTION_COUNT + 1)?;
                Ok(Reachable {
                    collection: rows::collection(r)?,
                    owner_name: r.get(COLLECTION_COUNT)?,
                    privilege: Privilege::from_rank(rank).unwrap_or(Privilege::FreeBusy),
                })
            })
        })
    }

    async fn set_grant(
        &self, collection: CollectionId, grantee: Grantee, rank: i64, created_by: &str, at: i64,
    ) -> Result<()> {
        let (user, group) = columns(grantee);
        self.with(|c| {
            let updated = execute(
                c,
                "UPDATE access_grant SET privilege = ?4 WHERE collection_id = ?1 \
                 AND grantee_user IS ?2 AND grantee_group IS ?3",
                params![collection, user, group, rank],
            )?;
            if updated == 0 {
                execute(
                    c,
                    "INSERT INTO access_grant (collection_id, grantee_user, grantee_group, \
                     privilege, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![collection, user, group, rank, created_by, at],
                )?;
            }
            Ok(())
        })
    }

    async fn delete_grant(&self, collection: CollectionId, grantee: Grantee) -> Result<u64> {
        let (user, group) = columns(grantee);
        self.with(|c| {
            execute(
                c,
                "DELETE FROM access_grant WHERE collection_id = ?1 AND grantee_user IS ?2 \
                 AND grantee_group IS ?3",
                params![collection, user, group],
            )
        })
    }

    async fn group_grants(&self, group: GroupId) -> Result<Vec<CollectionId>> {
        self.with(|c| {
            let sql = "SELECT collection_id FROM access_grant WHERE grantee_group = ?1";
            query_all(c, sql, [group], |r| r.get(0))
        })
    }

    async fn bindings_of(&self, target: CollectionId) -> Result<Vec<Collection>> {
        let sql = format!(
            "SELECT {COLLECTION_COLUMNS} FROM collection WHERE target_id = ?1 \
             AND deleted_at IS NULL ORDER BY owner_id"
        );
        self.with(|c| query_all(c, &sql, [target], rows::collection))
    }
}

fn columns(grantee: Grantee) -> (Option<PrincipalId>, Option<GroupId>) {
    match grantee {
        Grantee::User(u) => (Some(u), None),
        Grantee::Group(g) => (None, Some(g)),
    }
}

/// A grant from `grantee_user, grantee_group, name, privilege, created_by, created_at`.
pub fn grant_at(r: &rusqlite::Row<'_>, collection: CollectionId) -> rusqlite::Result<Grant> {
    let grantee = match (r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?) {
        (Some(user), _) => Grantee::User(user),
        (None, group) => Grantee::Group(group.unwrap_or(0)),
    };
    let rank: i64 = r.get(3)?;
    Ok(Grant {
        collection,
        grantee,
        grantee_name: r.get(2)?,
        privilege: Privilege::from_rank(rank).unwrap_or(Privilege::FreeBusy),
        created_by: r.get(4)?,
        created_at: r.get(5)?,
    })
}
