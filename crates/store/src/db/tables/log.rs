//! The `object_version` table: the change log that sync tokens and history both read.

use crate::db::columns::VERSION_COLUMNS;
use crate::db::sql::{params, unsigned, Sql, Value};
use crate::db::{rows, LogStatements};
use crate::rules::chain::NewVersion;
use crate::{CollectionId, HistoryStats, Result, Version};

impl<C: Sql> LogStatements for C {
    async fn changes_since(
        &self,
        collection: CollectionId,
        after: i64,
        upto: i64,
    ) -> Result<Vec<(String, bool)>> {
        let sql = "SELECT name, kind FROM object_version WHERE collection_id = $1 AND seq > $2 \
                   AND seq <= $3 AND kind IN ('put', 'delete') ORDER BY id";
        self.query(sql, params![collection, after, upto], |r| {
            Ok((r.get(0)?, r.get::<String>(1)? == "delete"))
        })
        .await
    }

    async fn versions(&self, collection: CollectionId) -> Result<Vec<Version>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = $1 ORDER BY id"
        );
        self.query(&sql, params![collection], rows::version).await
    }

    async fn version(&self, id: i64) -> Result<Option<Version>> {
        let sql = format!("SELECT {VERSION_COLUMNS} FROM object_version WHERE id = $1");
        self.query_opt(&sql, params![id], rows::version).await
    }

    async fn version_with_etag(
        &self,
        collection: CollectionId,
        name: &str,
        etag: &str,
    ) -> Result<Option<Version>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = $1 \
             AND name = $2 AND etag = $3 AND kind = 'put' ORDER BY id DESC LIMIT 1"
        );
        self.query_opt(&sql, params![collection, name, etag], rows::version)
            .await
    }

    async fn insert_version(&self, v: &NewVersion<'_>) -> Result<()> {
        let e = &v.entry;
        let mut values: Vec<Value<'_>> = params![
            e.collection,
            e.seq,
            e.kind.as_str(),
            e.name,
            e.uid,
            e.etag,
            e.data,
            &v.change.author,
            v.change.client.as_ref(),
            v.change.address.as_ref(),
            v.at,
            v.prev_hash.as_ref().map(|p| p.as_slice()),
            v.hash.as_slice(),
            i64::from(v.chain),
            v.data_hash.as_ref().map(|d| d.as_slice()),
        ]
        .to_vec();
        // Only a merged edit sends the merge columns: every other write keeps the
        // statement it had (a PUT is the hot path).
        let Some(m) = e.merge else {
            let sql = "INSERT INTO object_version (collection_id, seq, kind, name, uid, etag, \
                       data, author, client, address, at, prev_hash, hash, chain, data_hash) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
            return self.execute(sql, &values).await.map(drop);
        };
        values.extend_from_slice(params![&m.base, &m.theirs, m.ours.as_slice()]);
        let sql = "INSERT INTO object_version (collection_id, seq, kind, name, uid, etag, data, \
                   author, client, address, at, prev_hash, hash, chain, data_hash, merge_base, \
                   merge_theirs, merge_ours) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                   $11, $12, $13, $14, $15, $16, $17, $18)";
        self.execute(sql, &values).await.map(drop)
    }

    async fn prune_versions(&self, before: i64) -> Result<Vec<CollectionId>> {
        // Only data a later version of the same item replaced, and only when that
        // replacement is itself older than the limit: every state inside the retention
        // window stays restorable. Contents (put, replaced by put or delete) and property
        // sets (replaced by property sets) are separate items.
        let sql = "UPDATE object_version AS v SET data = NULL WHERE v.chain >= 2 AND v.at < $1 \
                   AND v.data IS NOT NULL AND v.kind IN ('put', 'properties') \
                   AND (SELECT n.at FROM object_version n WHERE n.collection_id = v.collection_id \
                   AND n.name = v.name AND n.id > v.id \
                   AND ((v.kind = 'put' AND n.kind IN ('put', 'delete')) \
                   OR (v.kind = 'properties' AND n.kind = 'properties')) \
                   ORDER BY n.id LIMIT 1) < $1 \
                   RETURNING collection_id";
        self.query(sql, params![before], |r| r.get(0)).await
    }

    async fn history_stats(&self) -> Result<Vec<HistoryStats>> {
        let sql = "SELECT collection_id, count(*), \
                   count(*) FILTER (WHERE data IS NULL AND kind IN ('put', 'properties')), \
                   CAST(COALESCE(sum(length(data)), 0) AS BIGINT) FROM object_version \
                   GROUP BY collection_id ORDER BY collection_id";
        self.query(sql, &[], |r| {
            Ok(HistoryStats {
                collection: r.get(0)?,
                versions: unsigned(r.get(1)?),
                pruned: unsigned(r.get(2)?),
                data_bytes: unsigned(r.get(3)?),
            })
        })
        .await
    }
}
