//! The `collection` table: collections as paths below a user's home. Deletion is a mark
//! (`deleted_at`) so history can bring a collection back.

use super::indexed_by;
use crate::db::columns::{
    qualified, COLLECTION_COLUMNS, COLLECTION_COUNT, OBJECT_META_COLUMNS, OBJECT_META_COUNT,
};
use crate::db::sql::{params, unsigned, Sql, Text};
use crate::db::{rows, CollectionHead, CollectionStatements, CopiedObject};
use crate::dump::CollectionRecord;
use crate::rules::chain::ChainState;
use crate::{
    Collection, CollectionId, HistoryCollection, NewCollection, PrincipalId, Result, StoredObject,
};

impl<C: Sql> CollectionStatements for C {
    async fn collection(&self, owner: PrincipalId, path: &str) -> Result<Option<Collection>> {
        static SQL: Text = Text::new();
        let sql = SQL.get(C::DIALECT, |_| {
            format!(
                "SELECT {COLLECTION_COLUMNS} FROM collection \
                 WHERE owner_id = $1 AND path = $2 AND deleted_at IS NULL"
            )
        });
        self.query_opt(sql, params![owner, path], rows::collection)
            .await
    }

    /// The row holds the object's columns and data first, all NULL when there is no such
    /// member, then the collection's: a GET is one lookup.
    async fn collection_member(
        &self,
        owner: PrincipalId,
        path: &str,
        name: &str,
    ) -> Result<Option<(Collection, Option<StoredObject>)>> {
        const COLLECTION_FROM: usize = OBJECT_META_COUNT + 1;
        static SQL: Text = Text::new();
        let sql = SQL.get(C::DIALECT, |dialect| {
            format!(
                "SELECT {}, d.data, {} FROM collection c \
                 LEFT JOIN calendar_object o {} ON o.collection_id = c.id AND o.name = $3 \
                 LEFT JOIN calendar_object_data d ON d.object_id = o.id \
                 WHERE c.owner_id = $1 AND c.path = $2 AND c.deleted_at IS NULL",
                qualified("o", OBJECT_META_COLUMNS),
                qualified("c", COLLECTION_COLUMNS),
                // The listing index holds every metadata column and the row id; the unique
                // index on (collection, name) needs one more search per object.
                indexed_by(dialect, "calendar_object_listing"),
            )
        });
        self.query_opt(sql, params![owner, path, name], |r| {
            let member = match r.get::<Option<CollectionId>>(0)? {
                Some(_) => Some(rows::stored(r)?),
                None => None,
            };
            Ok((rows::collection_at(r, COLLECTION_FROM)?, member))
        })
        .await
    }

    async fn collection_tree(&self, owner: PrincipalId, root: &str) -> Result<Vec<Collection>> {
        static SQL: Text = Text::new();
        let sql = SQL.get(C::DIALECT, |_| {
            // substr and length count characters in both dialects, so non-ASCII names
            // compare whole.
            format!(
                "SELECT {COLLECTION_COLUMNS} FROM collection WHERE owner_id = $1 \
                 AND deleted_at IS NULL AND (CAST($2 AS TEXT) = '' OR path = $2 \
                 OR substr(path, 1, length($2) + 1) = $2 || '/') ORDER BY path"
            )
        });
        self.query(sql, params![owner, root], rows::collection)
            .await
    }

    async fn collection_record(&self, id: CollectionId) -> Result<Option<CollectionRecord>> {
        let sql = format!("SELECT {COLLECTION_COLUMNS}, deleted_at FROM collection WHERE id = $1");
        self.query_opt(&sql, params![id], rows::collection_record)
            .await
    }

    async fn history_collections(
        &self,
        owner: Option<PrincipalId>,
    ) -> Result<Vec<HistoryCollection>> {
        let sql = format!(
            "SELECT {COLLECTION_COLUMNS}, deleted_at, \
             (SELECT name FROM principal WHERE principal.id = owner_id) FROM collection \
             WHERE CAST($1 AS BIGINT) IS NULL OR owner_id = $1 ORDER BY owner_id, path, id"
        );
        self.query(&sql, params![owner], |r| {
            Ok(HistoryCollection {
                collection: rows::collection(r)?,
                deleted_at: r.get(COLLECTION_COUNT)?,
                owner_name: r.get(COLLECTION_COUNT + 1)?,
            })
        })
        .await
    }

    async fn collection_head(&self, id: CollectionId) -> Result<Option<CollectionHead>> {
        // Index order (collection_id, seq), then id: the newest history row without a
        // scan, so a write costs the same at 50k rows as at 5.
        static SQL: Text = Text::new();
        let sql = SQL.get(C::DIALECT, |_| {
            "SELECT owner_id, deleted_at IS NOT NULL, sync_seq, \
             (SELECT hash FROM object_version WHERE collection_id = $1 \
             ORDER BY seq DESC, id DESC LIMIT 1), home_locked FROM collection WHERE id = $1"
                .into()
        });
        self.query_opt(sql, params![id], |r| {
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
        .await
    }

    async fn insert_collection(&self, new: &NewCollection, at: i64) -> Result<CollectionId> {
        let sql = "INSERT INTO collection (owner_id, path, kind, components, created_at, \
                   modified_at, target_id, home_locked) VALUES ($1, $2, $3, $4, $5, $5, $6, \
                   EXISTS (SELECT 1 FROM dav_lock WHERE home_id = $1)) RETURNING id";
        let components = new.components.join(",");
        let p = params![
            new.owner,
            &new.path,
            new.kind.as_str(),
            &components,
            at,
            new.target
        ];
        self.query_one(sql, p, |r| r.get(0)).await
    }

    async fn set_deleted(&self, id: CollectionId, deleted_at: Option<i64>, at: i64) -> Result<()> {
        let sql = "UPDATE collection SET deleted_at = $2, modified_at = $3 WHERE id = $1";
        self.execute(sql, params![id, deleted_at, at])
            .await
            .map(drop)
    }

    async fn set_path(&self, id: CollectionId, path: &str, at: i64) -> Result<()> {
        let sql = "UPDATE collection SET path = $2, modified_at = $3 WHERE id = $1";
        self.execute(sql, params![id, path, at]).await.map(drop)
    }

    async fn set_sync_seq(&self, id: CollectionId, seq: i64, at: i64) -> Result<()> {
        let sql = "UPDATE collection SET sync_seq = $2, modified_at = $3 WHERE id = $1";
        self.execute(sql, params![id, seq, at]).await.map(drop)
    }

    async fn collection_bytes(&self, id: CollectionId) -> Result<u64> {
        // SUM of BIGINT is NUMERIC in PostgreSQL: cast back.
        let sql = "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM calendar_object \
                   WHERE collection_id = $1";
        let bytes: i64 = self.query_one(sql, params![id], |r| r.get(0)).await?;
        Ok(unsigned(bytes))
    }

    async fn copy_members(
        &self,
        from: CollectionId,
        to: CollectionId,
        seq: i64,
        at: i64,
    ) -> Result<Vec<CopiedObject>> {
        // Bytes, instance rows and properties follow each object to its copy, matched by name.
        const PAIRS: &str = "calendar_object src JOIN calendar_object dst \
                             ON dst.collection_id = $2 AND dst.name = src.name";
        let objects = "INSERT INTO calendar_object (collection_id, name, uid, etag, \
                       content_type, component, first_start, last_end, size, created_at, \
                       modified_at, modified_seq, instances_until, instances_floating) \
                       SELECT $2, name, uid, etag, content_type, component, first_start, \
                       last_end, size, $4, $4, $3, instances_until, instances_floating \
                       FROM calendar_object WHERE collection_id = $1 ORDER BY name";
        self.execute(objects, params![from, to, seq, at]).await?;
        let data = format!(
            "INSERT INTO calendar_object_data (object_id, data) SELECT dst.id, d.data \
             FROM {PAIRS} JOIN calendar_object_data d ON d.object_id = src.id \
             WHERE src.collection_id = $1"
        );
        self.execute(&data, params![from, to]).await?;
        let instances = format!(
            "INSERT INTO calendar_object_instance \
             (object_id, collection_id, floating, start_at, end_at) \
             SELECT dst.id, $2, i.floating, i.start_at, i.end_at \
             FROM {PAIRS} JOIN calendar_object_instance i ON i.object_id = src.id \
             WHERE src.collection_id = $1"
        );
        self.execute(&instances, params![from, to]).await?;
        let properties = "INSERT INTO dead_property (collection_id, object_name, namespace, \
                          name, value) SELECT $2, object_name, namespace, name, value \
                          FROM dead_property WHERE collection_id = $1 AND object_name <> ''";
        self.execute(properties, params![from, to]).await?;
        let copied = "SELECT name, uid, etag, data FROM calendar_object \
                      JOIN calendar_object_data ON object_id = id WHERE collection_id = $1 \
                      ORDER BY name";
        self.query(copied, params![to], |r| {
            Ok(CopiedObject {
                name: r.get(0)?,
                uid: r.get(1)?,
                etag: r.get(2)?,
                data: r.get::<Vec<u8>>(3)?.into(),
            })
        })
        .await
    }
}
