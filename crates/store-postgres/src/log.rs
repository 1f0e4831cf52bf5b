//! The change log: sequence numbers (sync tokens, ctags) and hash-chained history rows,
//! always written inside the transaction of the change they record.

use deadpool_postgres::{GenericClient, Transaction};
pub use store::history::Entry;
use store::history::{chain_hash, data_hash, ChainInput, CHAIN_VERSION};
use store::{Change, ChangedMember, CollectionId, HistoryStats, Result, Version, VersionKind};
use tokio_postgres::Row;

use crate::now_ms;
use crate::rows::{self, get};

/// Advances a collection's sequence and returns the new value.
pub async fn bump(tx: &Transaction<'_>, collection: CollectionId) -> Result<i64> {
    try_bump(tx, collection)
        .await?
        .ok_or(store::StoreError::NotFound)
}

/// [`bump`], or None when there is no such collection.
pub async fn try_bump(tx: &Transaction<'_>, collection: CollectionId) -> Result<Option<i64>> {
    let row = crate::query_opt(
        tx,
        "UPDATE collection SET sync_seq = sync_seq + 1, modified_at = $2 WHERE id = $1 \
         RETURNING sync_seq",
        &[&collection, &now_ms()],
    )
    .await?;
    row.map(|r| get(&r, 0)).transpose()
}

/// Appends a history row chained to the collection's latest one. The caller holds the
/// owner's lock (see `locks`), so no other transaction appends to this chain meanwhile.
pub async fn append(tx: &Transaction<'_>, entry: &Entry<'_>, change: &Change) -> Result<()> {
    let prev = chain_head(tx, entry.collection).await?;
    insert(tx, entry, change, prev).await
}

/// The hash of the collection's newest history row: what the next row chains to.
pub async fn chain_head(
    tx: &Transaction<'_>,
    collection: CollectionId,
) -> Result<Option<[u8; 32]>> {
    let row = crate::query_opt(
        tx,
        // Index order (collection_id, seq), then id: the newest row without a scan, so an
        // append costs the same at 50k rows as at 5.
        "SELECT hash FROM object_version WHERE collection_id = $1 \
         ORDER BY seq DESC, id DESC LIMIT 1",
        &[&collection],
    )
    .await?;
    match &row {
        Some(row) => Ok(hash_of(get(row, 0)?)),
        None => Ok(None),
    }
}

/// Writes a history row chained to `prev`, the [`chain_head`] read under the same lock.
pub async fn insert(
    tx: &Transaction<'_>,
    entry: &Entry<'_>,
    change: &Change,
    prev: Option<[u8; 32]>,
) -> Result<()> {
    let at = now_ms();
    let hash = chain_hash(prev.as_ref(), &ChainInput { entry, change, at });
    let digest = entry.data.map(data_hash);
    crate::execute(
        tx,
        "INSERT INTO object_version (collection_id, seq, kind, name, uid, etag, data, author, \
         client, address, at, prev_hash, hash, chain, data_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        &[
            &entry.collection,
            &entry.seq,
            &entry.kind.as_str(),
            &entry.name,
            &entry.uid,
            &entry.etag,
            &entry.data,
            &change.author,
            &change.client,
            &change.address,
            &at,
            &prev.as_ref().map(|p| p.as_slice()),
            &hash.as_slice(),
            &i16::from(CHAIN_VERSION),
            &digest.as_ref().map(|d| d.as_slice()),
        ],
    )
    .await?;
    Ok(())
}

fn hash_of(v: Option<&[u8]>) -> Option<[u8; 32]> {
    v.and_then(|p| <[u8; 32]>::try_from(p).ok())
}

pub const VERSION_COLUMNS: &str = "id, collection_id, seq, kind, name, uid, etag, data, author, \
     client, address, at, prev_hash, hash, chain, data_hash";

pub fn version_row(r: &Row) -> Result<Version> {
    let kind: &str = get(r, 3)?;
    Ok(Version {
        id: get(r, 0)?,
        collection: get(r, 1)?,
        seq: get(r, 2)?,
        kind: VersionKind::parse(kind).unwrap_or(VersionKind::Put),
        name: get(r, 4)?,
        uid: get(r, 5)?,
        etag: get(r, 6)?,
        data: get(r, 7)?,
        change: Change {
            author: get(r, 8)?,
            client: get(r, 9)?,
            address: get(r, 10)?,
        },
        at: get(r, 11)?,
        prev_hash: hash_of(get(r, 12)?),
        hash: hash_of(get(r, 13)?).unwrap_or([0; 32]),
        // An out-of-range number is an unknown version, which verification reports.
        chain: u8::try_from(get::<i16>(r, 14)?).unwrap_or(u8::MAX),
        data_hash: hash_of(get(r, 15)?),
    })
}

pub async fn versions(c: &impl GenericClient, collection: CollectionId) -> Result<Vec<Version>> {
    let found = crate::query(
        c,
        &format!(
            "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = $1 ORDER BY id"
        ),
        &[&collection],
    )
    .await?;
    rows::all(&found, version_row)
}

pub async fn version(c: &impl GenericClient, id: i64) -> Result<Option<Version>> {
    let row = crate::query_opt(
        c,
        &format!("SELECT {VERSION_COLUMNS} FROM object_version WHERE id = $1"),
        &[&id],
    )
    .await?;
    row.as_ref().map(version_row).transpose()
}

/// Drops the data of superseded versions older than `before`; see `Store::prune_history`.
/// The caller holds every principal's lock.
pub async fn prune(tx: &Transaction<'_>, before: i64, change: &Change) -> Result<u64> {
    let touched = crate::query(
        tx,
        // Only data a later version of the same item replaced, and only when that
        // replacement is itself older than the limit: every state inside the retention
        // window stays restorable. Contents (put, replaced by put or delete) and
        // property sets (replaced by property sets) are separate items.
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
    let mut per_collection: std::collections::BTreeMap<CollectionId, u64> = Default::default();
    for row in &touched {
        *per_collection.entry(get(row, 0)?).or_default() += 1;
    }
    for (collection, count) in per_collection {
        // Recorded without advancing the sync sequence: no member changed.
        let row = crate::query_one(
            tx,
            "SELECT sync_seq FROM collection WHERE id = $1",
            &[&collection],
        )
        .await?;
        let note =
            format!("dropped the data of {count} superseded versions older than {before} ms");
        append(
            tx,
            &Entry {
                collection,
                seq: get(&row, 0)?,
                kind: VersionKind::Prune,
                name: "",
                uid: None,
                etag: None,
                data: Some(note.as_bytes()),
            },
            change,
        )
        .await?;
    }
    Ok(touched.len() as u64)
}

pub async fn stats(c: &impl GenericClient) -> Result<Vec<HistoryStats>> {
    let found = crate::query(
        c,
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
            versions: get::<i64>(r, 1)?.max(0) as u64,
            pruned: get::<i64>(r, 2)?.max(0) as u64,
            data_bytes: get::<i64>(r, 3)?.max(0) as u64,
        })
    })
}

pub async fn changes_since(
    c: &impl GenericClient,
    collection: CollectionId,
    after: i64,
    upto: i64,
) -> Result<Vec<ChangedMember>> {
    let found = crate::query(
        c,
        "SELECT name, kind FROM object_version WHERE collection_id = $1 AND seq > $2 \
         AND seq <= $3 AND kind IN ('put', 'delete') ORDER BY id",
        &[&collection, &after, &upto],
    )
    .await?;
    let rows = rows::all(&found, |row| {
        Ok((get::<String>(row, 0)?, get::<&str>(row, 1)? == "delete"))
    })?;
    Ok(ChangedMember::last_states(rows))
}
