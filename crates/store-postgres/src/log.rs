//! The `object_version` table: the change log that sync tokens and history both read.

use store::db::LogStatements;
use store::rules::chain::NewVersion;
use store::{CollectionId, HistoryStats, Result, Version};

use crate::rows::{self, get, VERSION_COLUMNS};
use crate::{unsigned, PgConn};

impl LogStatements for PgConn {
    async fn changes_since(
        &self, collection: CollectionId, after: i64, upto: i64,
    ) -> Result<Vec<(String, bool)>> {
        let found = self
            .query(
                "SELECT name, kind FROM object_version WHERE collection_id = $1 AND seq > $2 \
                 AND seq <= $3 AND kind IN ('put', 'delete') ORDER BY id",
                &[&collection, &after, &upto],
            )
            .await?;
        rows::all(&found, |r| Ok((get(r, 0)?, get::<&str>(r, 1)? == "delete")))
    }

    async fn versions(&self, collection: CollectionId) -> Result<Vec<Version>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = $1 ORDER BY id"
        );
        rows::all(&self.query(&sql, &[&collection]).await?, rows::version)
    }

    async fn version(&self, id: i64) -> Result<Option<Version>> {
        let sql = format!("SELECT {VERSION_COLUMNS} FROM object_version WHERE id = $1");
        let row = self.query_opt(&sql, &[&id]).await?;
        row.as_ref().map(rows::version).transpose()
    }

    async fn version_with_etag(
        &self, collection: CollectionId, name: &str, etag: &str,
    ) -> Result<Option<Version>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = $1 \
             AND name = $2 AND etag = $3 AND kind = 'put' ORDER BY id DESC LIMIT 1"
        );
        let row = self.query_opt(&sql, &[&collection, &name, &etag]).await?;
        row.as_ref().map(rows::version).transpose()
    }

    async fn insert_version(&self, v: &NewVersion<'_>) -> Result<()> {
        let e = &v.entry;
        let chain = i16::from(v.chain);
        let prev_hash = v.prev_hash.as_ref().map(|p| p.as_slice());
        let data_hash = v.data_hash.as_ref().map(|d| d.as_slice());
        let hash = v.hash.as_slice();
        let kind = e.kind.as_str();
        let common: [&(dyn tokio_postgres::types::ToSql + Sync); 15] = [
            &e.collection,
            &e.seq,
            &kind,
            &e.name,
            &e.uid,
            &e.etag,
            &e.data,
            &v.change.author,
            &v.change.client,
            &v.change.address,
            &v.at,
            &prev_hash,
            &hash,
            &chain,
            &data_hash,
        ];
        // Only a merged edit sends the merge columns: every other write keeps the
        // statement it had (a PUT is the hot path).
        let Some(m) = e.merge else {
            return self
                .execute(
                    "INSERT INTO object_version (collection_id, seq, kind, name, uid, etag, \
                     data, author, client, address, at, prev_hash, hash, chain, data_hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                    &common,
                )
                .await
                .map(drop);
        };
        let mut all = common.to_vec();
        all.extend_from_slice(&[&m.base, &m.theirs, &m.ours]);
        self.execute(
            "INSERT INTO object_version (collection_id, seq, kind, name, uid, etag, data, \
             author, client, address, at, prev_hash, hash, chain, data_hash, merge_base, \
             merge_theirs, merge_ours) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18)",
            &all,
        )
        .await
        .map(drop)
    }

    async fn prune_versions(&self, before: i64) -> Result<Vec<CollectionId>> {
        let touched = self
            .query(
                // Only data a later version of the same item replaced, and only when that
                // replacement is itself older than the limit: every state inside the
                // retention window stays restorable. Contents (put, replaced by put or
                // delete) and property sets (replaced by property sets) are separate items.
                "UPDATE object_version AS v SET data = NULL WHERE v.chain >= 2 AND v.at < $1 \
                 AND v.data IS NOT NULL AND v.kind IN ('put', 'properties') \
                 AND (SELECT n.at FROM object_version n WHERE n.collection_id = v.collection_id \
                 AND n.name = v.name AND n.id > v.id \
                 AND ((v.kind = 'put' AND n.kind IN ('put', 'delete')) \
                 OR (v.kind = 'properties' AND n.kind = 'properties')) \
                 ORDER BY n.id LIMIT 1) < $1 \
                 RETURNING v.collection_id",
                &[&before],
            )
            .await?;
        rows::all(&touched, |r| get(r, 0))
    }

    async fn history_stats(&self) -> Result<Vec<HistoryStats>> {
        let found = self
            .query(
                "SELECT collection_id, count(*), \
                 count(*) FILTER (WHERE data IS NULL AND kind IN ('put', 'properties')), \
                 COALESCE(sum(octet_length(data)), 0)::BIGINT FROM object_version \
                 GROUP BY collection_id ORDER BY collection_id",
                &[],
            )
            .await?;
        rows::all(&found, |r| {
            Ok(HistoryStats {
                collection: get(r, 0)?,
                versions: unsigned(get(r, 1)?),
                pruned: unsigned(get(r, 2)?),
                data_bytes: unsigned(get(r, 3)?),
            })
        })
    }
}
