//! The `object_version` table: the change log that sync tokens and history both read.

use rusqlite::params;
use store::db::LogStatements;
use store::rules::chain::NewVersion;
use store::{CollectionId, HistoryStats, Result, Version};

use crate::rows::{self, VERSION_COLUMNS};
use crate::{execute, query_all, query_opt, unsigned, SqliteConn};

impl LogStatements for SqliteConn {
    async fn changes_since(
        &self, collection: CollectionId, after: i64, upto: i64,
    ) -> Result<Vec<(String, bool)>> {
        self.with(|c| {
            query_all(
                c,
                "SELECT name, kind FROM object_version WHERE collection_id = ?1 AND seq > ?2 \
                 AND seq <= ?3 AND kind IN ('put', 'delete') ORDER BY id",
                params![collection, after, upto],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)? == "delete")),
            )
        })
    }

    async fn versions(&self, collection: CollectionId) -> Result<Vec<Version>> {
        self.with(|c| {
            let sql = format!(
                "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = ?1 ORDER BY id"
            );
            query_all(c, &sql, [collection], rows::version)
        })
    }

    async fn version(&self, id: i64) -> Result<Option<Version>> {
        self.with(|c| {
            let sql = format!("SELECT {VERSION_COLUMNS} FROM object_version WHERE id = ?1");
            query_opt(c, &sql, [id], rows::version)
        })
    }

    async fn version_with_etag(
        &self, collection: CollectionId, name: &str, etag: &str,
    ) -> Result<Option<Version>> {
        self.with(|c| {
            let sql = format!(
                "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = ?1 \
                 AND name = ?2 AND etag = ?3 AND kind = 'put' ORDER BY id DESC LIMIT 1"
            );
            query_opt(c, &sql, params![collection, name, etag], rows::version)
        })
    }

    async fn insert_version(&self, v: &NewVersion<'_>) -> Result<()> {
        self.with(|c| {
            let e = &v.entry;
            let common = params![
                e.collection,
                e.seq,
                e.kind.as_str(),
                e.name,
                e.uid,
                e.etag,
                e.data,
                v.change.author,
                v.change.client,
                v.change.address,
                v.at,
                v.prev_hash.as_ref().map(|p| p.as_slice()),
                v.hash.as_slice(),
                v.chain,
                v.data_hash.as_ref().map(|d| d.as_slice()),
            ];
            // Only a merged edit binds the merge columns: every other write keeps the
            // statement it had (a PUT is the hot path).
            let Some(m) = e.merge else {
                return execute(
                    c,
                    "INSERT INTO object_version (collection_id, seq, kind, name, uid, etag, \
                     data, author, client, address, at, prev_hash, hash, chain, data_hash) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                    common,
                )
                .map(drop);
            };
            let mut all = common.to_vec();
            let merge = params![m.base, m.theirs, m.ours];
            all.extend_from_slice(merge);
            execute(
                c,
                "INSERT INTO object_version (collection_id, seq, kind, name, uid, etag, data, \
                 author, client, address, at, prev_hash, hash, chain, data_hash, merge_base, \
                 merge_theirs, merge_ours) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
                 ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                all.as_slice(),
            )
            .map(drop)
        })
    }

    async fn prune_versions(&self, before: i64) -> Result<Vec<CollectionId>> {
        self.with(|c| {
            query_all(
                c,
                // Only data a later version of the same item replaced, and only when that
                // replacement is itself older than the limit: every state inside the
                // retention window stays restorable. Contents (put, replaced by put or
                // delete) and property sets (replaced by property sets) are separate items.
                "UPDATE object_version AS v SET data = NULL WHERE v.chain >= 2 AND v.at < ?1 \
                 AND v.data IS NOT NULL AND v.kind IN ('put', 'properties') \
                 AND (SELECT n.at FROM object_version n WHERE n.collection_id = v.collection_id \
                      AND n.name = v.name AND n.id > v.id \
                      AND ((v.kind = 'put' AND n.kind IN ('put', 'delete')) \
                           OR (v.kind = 'properties' AND n.kind = 'properties')) \
                      ORDER BY n.id LIMIT 1) < ?1 \
                 RETURNING collection_id",
                [before],
                |r| r.get(0),
            )
        })
    }

    async fn history_stats(&self) -> Result<Vec<HistoryStats>> {
        self.with(|c| {
            query_all(
                c,
                "SELECT collection_id, count(*), \
                 sum(data IS NULL AND kind IN ('put', 'properties')), \
                 COALESCE(sum(length(data)), 0) FROM object_version GROUP BY collection_id \
                 ORDER BY collection_id",
                [],
                |r| {
                    Ok(HistoryStats {
                        collection: r.get(0)?,
                        versions: unsigned(r.get(1)?),
                        pruned: unsigned(r.get(2)?),
                        data_bytes: unsigned(r.get(3)?),
                    })
                },
            )
        })
    }
}
