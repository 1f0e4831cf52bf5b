//! The `collection` table: collections as paths below a user's home. Deletion is a mark
//! (`deleted_at`) so history can bring a collection back.

use std::sync::LazyLock;

use rusqlite::params;
use store::db::{CollectionHead, CollectionStatements, CopiedObject};
use store::dump::CollectionRecord;
use store::rules::chain::ChainState;
use store::{
    Collection, CollectionId, HistoryCollection, NewCollection, PrincipalId, Result, StoredObject,
};

use crate::rows::{
    self, COLLECTION_COLUMNS, COLLECTION_COUNT, OBJECT_META_COLUMNS, OBJECT_META_COUNT,
};
use crate::{execute, query_all, query_one, query_opt, unsigned, SqliteConn};

impl CollectionStatements for SqliteConn {
    async fn collection(&self, owner: PrincipalId, path: &str) -> Result<Option<Collection>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {COLLECTION_COLUMNS} FROM collection \
                 WHERE owner_id = ?1 AND path = ?2 AND deleted_at IS NULL"
            )
        });
        self.with(|c| query_opt(c, &SQL, params![owner, path], rows::collection))
    }

    /// The row holds the object's columns and data first, all NULL when there is no such
    /// member, then the collection's.
    async fn collection_member(
        &self, owner: PrincipalId, path: &str, name: &str,
    ) -> Result<Option<(Collection, Option<StoredObject>)>> {
        const COLLECTION_FROM: usize = OBJECT_META_COUNT + 1;
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {}, d.data, {} FROM collection c \
                 LEFT JOIN calendar_object o {} \
                 ON o.collection_id = c.id AND o.name = ?3 \
                 LEFT JOIN calendar_object_data d ON d.object_id = o.id \
                 WHERE c.owner_id = ?1 AND c.path = ?2 AND c.deleted_at IS NULL",
                rows::qualified("o", OBJECT_META_COLUMNS),
                rows::qualified("c", COLLECTION_COLUMNS),
                crate::objects::BY_NAME_WITH_META,
            )
        });
        self.with(|c| {
            query_opt(c, &SQL, params![owner, path, name], |r| {
                let member = match r.get::<_, Option<CollectionId>>(0)? {
                    Some(_) => Some(crate::objects::stored(r)?),
                    None => None,
                };
                Ok((rows::collection_at(r, COLLECTION_FROM)?, member))
            })
        })
    }

    async fn collection_tree(&self, owner: PrincipalId, root: &str) -> Result<Vec<Collection>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            // substr and length both count characters, so non-ASCII names compare whole.
            format!(
                "SELECT {COLLECTION_COLUMNS} FROM collection WHERE owner_id = ?1 \
                 AND deleted_at IS NULL \
                 AND (?2 = '' OR path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/') \
                 ORDER BY path"
            )
        });
        self.with(|c| query_all(c, &SQL, params![owner, root], rows::collection))
    }

    async fn collection_record(&self, id: CollectionId) -> Result<Option<CollectionRecord>> {
        self.with(|c| {
            let sql =
                format!("SELECT {COLLECTION_COLUMNS}, deleted_at FROM collection WHERE id = ?1");
            query_opt(c, &sql, [id], record)
        })
    }

    async fn history_collections(
        &self, owner: Option<PrincipalId>,
    ) -> Result<Vec<HistoryCollection>> {
        self.with(|c| {
            let sql = format!(
                "SELECT {COLLECTION_COLUMNS}, deleted_at, \
                 (SELECT name FROM principal WHERE principal.id = owner_id) FROM collection \
                 WHERE ?1 IS NULL OR owner_id = ?1 ORDER BY owner_id, path, id"
            );
            query_all(c, &sql, [owner], |r| {
                Ok(HistoryCollection {
                    collection: rows::collection(r)?,
                    deleted_at: r.get(COLLECTION_COUNT)?,
                    owner_name: r.get(COLLECTION_COUNT + 1)?,
                })
            })
        })
    }

    async fn collection_head(&self, id: CollectionId) -> Result<Option<CollectionHead>> {
        // Index order (collection_id, seq, rowid): the newest history row without a sort,
        // so a write costs the same at 50k rows as at 5.
        const SQL: &str = "SELECT owner_id, deleted_at IS NOT NULL, sync_seq, \
             (SELECT hash FROM object_version WHERE collection_id = ?1 \
              ORDER BY seq DESC, id DESC LIMIT 1), home_locked FROM collection WHERE id = ?1";
        self.with(|c| {
            query_opt(c, SQL, [id], |r| {
                let head: Option<Vec<u8>> = r.get(3)?;
                Ok(CollectionHead {
                    owner: r.get(0)?,
                    deleted: r.get(1)?,
                    chain: ChainState {
                        seq: r.get(2)?,
                        head: head.and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok()),
                    },
                    locked: r.get(4)?,
                })
            })
        })
    }

    async fn insert_collection(&self, new: &NewCollection, at: i64) -> Result<CollectionId> {
        self.with(|c| {
            query_one(
                c,
                "INSERT INTO collection (owner_id, path, kind, components, created_at, \
                 modified_at, target_id, home_locked) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, \
                 EXISTS (SELECT 1 FROM dav_lock WHERE home_id = ?1)) RETURNING id",
                params![
                    new.owner,
                    new.path,
                    new.kind.as_str(),
                    new.components.join(","),
                    at,
                    new.target
                ],
                |r| r.get(0),
            )
        })
    }

    async fn set_deleted(&self, id: CollectionId, deleted_at: Option<i64>, at: i64) -> Result<()> {
        self.with(|c| {
            let sql = "UPDATE collection SET deleted_at = ?2, modified_at = ?3 WHERE id = ?1";
            execute(c, sql, params![id, deleted_at, at]).map(drop)
        })
    }

    async fn set_path(&self, id: CollectionId, path: &str, at: i64) -> Result<()> {
        self.with(|c| {
            let sql = "UPDATE collection SET path = ?2, modified_at = ?3 WHERE id = ?1";
            execute(c, sql, params![id, path, at]).map(drop)
        })
    }

    async fn set_sync_seq(&self, id: CollectionId, seq: i64, at: i64) -> Result<()> {
        self.with(|c| {
            let sql = "UPDATE collection SET sync_seq = ?2, modified_at = ?3 WHERE id = ?1";
            execute(c, sql, params![id, seq, at]).map(drop)
        })
    }

    async fn collection_bytes(&self, id: CollectionId) -> Result<u64> {
        self.with(|c| {
            let sql = "SELECT COALESCE(SUM(size), 0) FROM calendar_object WHERE collection_id = ?1";
            query_one(c, sql, [id], |r| r.get(0)).map(unsigned)
        })
    }

    async fn copy_members(
        &self, from: CollectionId, to: CollectionId, seq: i64, at: i64,
    ) -> Result<Vec<CopiedObject>> {
        // Bytes, instance rows and properties follow each object to its copy, matched by name.
        const PAIRS: &str = "calendar_object src JOIN calendar_object dst \
             ON dst.collection_id = ?2 AND dst.name = src.name";
        self.with(|c| {
            execute(
                c,
                "INSERT INTO calendar_object (collection_id, name, uid, etag, content_type, \
                 component, first_start, last_end, size, created_at, modified_at, modified_seq, \
                 instances_until, instances_floating) \
                 SELECT ?2, name, uid, etag, content_type, component, first_start, last_end, \
                 size, ?4, ?4, ?3, instances_until, instances_floating FROM calendar_object \
                 WHERE collection_id = ?1 ORDER BY name",
                params![from, to, seq, at],
            )?;
            execute(
                c,
                &format!(
                    "INSERT INTO calendar_object_data (object_id, data) SELECT dst.id, d.data \
                     FROM {PAIRS} JOIN calendar_object_data d ON d.object_id = src.id \
                     WHERE src.collection_id = ?1"
                ),
                params![from, to],
            )?;
            execute(
                c,
                &format!(
                    "INSERT INTO calendar_object_instance \
                     (object_id, collection_id, floating, start_at, end_at) \
                     SELECT dst.id, ?2, i.floating, i.start_at, i.end_at \
                     FROM {PAIRS} JOIN calendar_object_instance i ON i.object_id = src.id \
                     WHERE src.collection_id = ?1"
                ),
                params![from, to],
            )?;
            execute(
                c,
                "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
                 SELECT ?2, object_name, namespace, name, value FROM dead_property \
                 WHERE collection_id = ?1 AND object_name <> ''",
                params![from, to],
            )?;
            query_all(
                c,
                "SELECT name, uid, etag, data FROM calendar_object \
                 JOIN calendar_object_data ON object_id = id WHERE collection_id = ?1 \
                 ORDER BY name",
                [to],
                |r| {
                    Ok(CopiedObject {
                        name: r.get(0)?,
                        uid: r.get(1)?,
                        etag: r.get(2)?,
                        data: r.get::<_, Vec<u8>>(3)?.into(),
                    })
                },
            )
        })
    }
}

/// A collection row followed by its `deleted_at`.
pub fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<CollectionRecord> {
    Ok(CollectionRecord {
        collection: rows::collection(r)?,
        deleted_at: r.get(COLLECTION_COUNT)?,
    })
}
