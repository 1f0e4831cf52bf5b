//! The `collection` table: collections as paths below a user's home. Deletion is a mark
//! (`deleted_at`) so history can bring a collection back.

use std::sync::LazyLock;

use store::db::{CollectionHead, CollectionStatements, CopiedObject};
use store::dump::CollectionRecord;
use store::rules::chain::ChainState;
use store::{
    Collection, CollectionId, HistoryCollection, NewCollection, PrincipalId, Result, StoredObject,
};

use crate::rows::{
    self, get, hash_of, COLLECTION_COLUMNS, COLLECTION_COUNT, OBJECT_META_COLUMNS,
    OBJECT_META_COUNT,
};
use crate::{unsigned, PgConn};

impl CollectionStatements for PgConn {
    async fn collection(&self, owner: PrincipalId, path: &str) -> Result<Option<Collection>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {COLLECTION_COLUMNS} FROM collection \
                 WHERE owner_id = $1 AND path = $2 AND deleted_at IS NULL"
            )
        });
        let row = self.query_opt(&SQL, &[&owner, &path]).await?;
        row.as_ref().map(rows::collection).transpose()
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
                 LEFT JOIN calendar_object o ON o.collection_id = c.id AND o.name = $3 \
                 LEFT JOIN calendar_object_data d ON d.object_id = o.id \
                 WHERE c.owner_id = $1 AND c.path = $2 AND c.deleted_at IS NULL",
                rows::qualified("o", OBJECT_META_COLUMNS),
                rows::qualified("c", COLLECTION_COLUMNS),
            )
        });
        let Some(row) = self.query_opt(&SQL, &[&owner, &path, &name]).await? else {
            return Ok(None);
        };
        let member = match get::<Option<CollectionId>>(&row, 0)? {
            Some(_) => Some(rows::stored(&row)?),
            None => None,
        };
        Ok(Some((rows::collection_at(&row, COLLECTION_FROM)?, member)))
    }

    async fn collection_tree(&self, owner: PrincipalId, root: &str) -> Result<Vec<Collection>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            // starts_with compares characters, so a root with non-ASCII characters matches.
            format!(
                "SELECT {COLLECTION_COLUMNS} FROM collection WHERE owner_id = $1 \
                 AND deleted_at IS NULL \
                 AND ($2::TEXT = '' OR path = $2::TEXT OR starts_with(path, $2::TEXT || '/')) \
                 ORDER BY path"
            )
        });
        rows::all(&self.query(&SQL, &[&owner, &root]).await?, rows::collection)
    }

    async fn collection_record(&self, id: CollectionId) -> Result<Option<CollectionRecord>> {
        let sql = format!("SELECT {COLLECTION_COLUMNS}, deleted_at FROM collection WHERE id = $1");
        let row = self.query_opt(&sql, &[&id]).await?;
        row.as_ref().map(record).transpose()
    }

    async fn history_collections(
        &self, owner: Option<PrincipalId>,
    ) -> Result<Vec<HistoryCollection>> {
        let sql = format!(
            "SELECT {COLLECTION_COLUMNS}, deleted_at, \
             (SELECT name FROM principal WHERE principal.id = owner_id) FROM collection \
             WHERE $1::BIGINT IS NULL OR owner_id = $1::BIGINT ORDER BY owner_id, path, id"
        );
        rows::all(&self.query(&sql, &[&owner]).await?, |r| {
            Ok(HistoryCollection {
                collection: rows::collection(r)?,
                deleted_at: get(r, COLLECTION_COUNT)?,
                owner_name: get(r, COLLECTION_COUNT + 1)?,
            })
        })
    }

    async fn collection_head(&self, id: CollectionId) -> Result<Option<CollectionHead>> {
        // Index order (collection_id, seq), then id: the newest history row without a
        // scan, so a write costs the same at 50k rows as at 5.
        let row = self
            .query_opt(
                "SELECT owner_id, deleted_at IS NOT NULL, sync_seq, \
                 (SELECT hash FROM object_version WHERE collection_id = $1 \
                 ORDER BY seq DESC, id DESC LIMIT 1), home_locked FROM collection WHERE id = $1",
                &[&id],
            )
            .await?;
        row.map(|r| {
            Ok(CollectionHead {
                owner: get(&r, 0)?,
                deleted: get(&r, 1)?,
                chain: ChainState {
                    seq: get(&r, 2)?,
                    head: hash_of(get(&r, 3)?),
                },
                locked: get(&r, 4)?,
            })
        })
        .transpose()
    }

    async fn insert_collection(&self, new: &NewCollection, at: i64) -> Result<CollectionId> {
        self.insert_returning_id(
            "INSERT INTO collection (owner_id, path, kind, components, created_at, \
             modified_at, target_id, home_locked) VALUES ($1, $2, $3, $4, $5, $5, $6, \
             EXISTS (SELECT 1 FROM dav_lock WHERE home_id = $1)) RETURNING id",
            &[
                &new.owner,
                &new.path,
                &new.kind.as_str(),
                &new.components.join(","),
                &at,
                &new.target,
            ],
        )
        .await
    }

    async fn set_deleted(&self, id: CollectionId, deleted_at: Option<i64>, at: i64) -> Result<()> {
        let sql = "UPDATE collection SET deleted_at = $2, modified_at = $3 WHERE id = $1";
        self.execute(sql, &[&id, &deleted_at, &at]).await.map(drop)
    }

    async fn set_path(&self, id: CollectionId, path: &str, at: i64) -> Result<()> {
        let sql = "UPDATE collection SET path = $2, modified_at = $3 WHERE id = $1";
        self.execute(sql, &[&id, &path, &at]).await.map(drop)
    }

    async fn set_sync_seq(&self, id: CollectionId, seq: i64, at: i64) -> Result<()> {
        let sql = "UPDATE collection SET sync_seq = $2, modified_at = $3 WHERE id = $1";
        self.execute(sql, &[&id, &seq, &at]).await.map(drop)
    }

    async fn collection_bytes(&self, id: CollectionId) -> Result<u64> {
        let row = self
            .query_one(
                "SELECT COALESCE(SUM(size), 0)::BIGINT FROM calendar_object \
                 WHERE collection_id = $1",
                &[&id],
            )
            .await?;
        Ok(unsigned(get(&row, 0)?))
    }

    async fn copy_members(
        &self, from: CollectionId, to: CollectionId, seq: i64, at: i64,
    ) -> Result<Vec<CopiedObject>> {
        // Bytes, instance rows and properties follow each object to its copy, matched by name.
        const PAIRS: &str = "calendar_object src JOIN calendar_object dst \
                             ON dst.collection_id = $2 AND dst.name = src.name";
        self.execute(
            "INSERT INTO calendar_object (collection_id, name, uid, etag, content_type, \
             component, first_start, last_end, size, created_at, modified_at, modified_seq, \
             instances_until, instances_floating) \
             SELECT $2, name, uid, etag, content_type, component, first_start, last_end, \
             size, $4, $4, $3, instances_until, instances_floating FROM calendar_object \
             WHERE collection_id = $1 ORDER BY name",
            &[&from, &to, &seq, &at],
        )
        .await?;
        self.execute(
            &format!(
                "INSERT INTO calendar_object_data (object_id, data) SELECT dst.id, d.data \
                 FROM {PAIRS} JOIN calendar_object_data d ON d.object_id = src.id \
                 WHERE src.collection_id = $1"
            ),
            &[&from, &to],
        )
        .await?;
        self.execute(
            &format!(
                "INSERT INTO calendar_object_instance \
                 (object_id, collection_id, floating, start_at, end_at) \
                 SELECT dst.id, $2, i.floating, i.start_at, i.end_at \
                 FROM {PAIRS} JOIN calendar_object_instance i ON i.object_id = src.id \
                 WHERE src.collection_id = $1"
            ),
            &[&from, &to],
        )
        .await?;
        self.execute(
            "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
             SELECT $2, object_name, namespace, name, value FROM dead_property \
             WHERE collection_id = $1 AND object_name <> ''",
            &[&from, &to],
        )
        .await?;
        let copied = self
            .query(
                "SELECT name, uid, etag, data FROM calendar_object \
                 JOIN calendar_object_data ON object_id = id WHERE collection_id = $1 \
                 ORDER BY name",
                &[&to],
            )
            .await?;
        rows::all(&copied, |r| {
            Ok(CopiedObject {
                name: get(r, 0)?,
                uid: get(r, 1)?,
                etag: get(r, 2)?,
                data: get::<Vec<u8>>(r, 3)?.into(),
            })
        })
    }
}

/// A collection row followed by its `deleted_at`.
pub fn record(r: &tokio_postgres::Row) -> Result<CollectionRecord> {
    Ok(CollectionRecord {
        collection: rows::collection(r)?,
        deleted_at: get(r, COLLECTION_COUNT)?,
    })
}
