//! The change log: sequence numbers (sync tokens, ctags) and hash-chained history rows,
//! always written inside the transaction of the change they record.

use rusqlite::{params, Connection, OptionalExtension, Transaction};
pub use store::history::Entry;
use store::history::{chain_hash, data_hash, ChainInput, CHAIN_VERSION};
use store::{Change, ChangedMember, CollectionId, HistoryStats, Result, Version, VersionKind};

use crate::{backend, now_ms};

/// Advances a collection's sequence and returns the new value.
pub fn bump(tx: &Transaction<'_>, collection: CollectionId) -> Result<i64> {
    crate::query_row(
        tx,
        "UPDATE collection SET sync_seq = sync_seq + 1, modified_at = ?2 WHERE id = ?1 \
         RETURNING sync_seq",
        params![collection, now_ms()],
        |r| r.get(0),
    )
    .map_err(backend)
}

pub fn append(tx: &Transaction<'_>, entry: &Entry<'_>, change: &Change) -> Result<()> {
    // Only for the benchmark that measures what history costs: a build without it. Sync
    // and history do not work in such a build.
    if cfg!(feature = "bench-no-history") {
        return Ok(());
    }
    let prev: Option<Vec<u8>> = tx
        .prepare_cached(
            // Index order (collection_id, seq, rowid): the newest row without a sort, so an
            // append costs the same at 50k rows as at 5.
            "SELECT hash FROM object_version WHERE collection_id = ?1 \
             ORDER BY seq DESC, id DESC LIMIT 1",
        )
        .and_then(|mut stmt| stmt.query_row([entry.collection], |r| r.get(0)).optional())
        .map_err(backend)?;
    let prev = prev.and_then(|p| <[u8; 32]>::try_from(p.as_slice()).ok());
    let at = now_ms();
    let hash = chain_hash(prev.as_ref(), &ChainInput { entry, change, at });
    let digest = entry.data.map(data_hash);
    tx.prepare_cached(
        "INSERT INTO object_version (collection_id, seq, kind, name, uid, etag, data, author, \
         client, address, at, prev_hash, hash, chain, data_hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            entry.collection,
            entry.seq,
            entry.kind.as_str(),
            entry.name,
            entry.uid,
            entry.etag,
            entry.data,
            change.author,
            change.client,
            change.address,
            at,
            prev.as_ref().map(|p| p.as_slice()),
            hash.as_slice(),
            CHAIN_VERSION,
            digest.as_ref().map(|d| d.as_slice()),
        ])
    })
    .map_err(backend)?;
    Ok(())
}

pub(crate) const VERSION_COLUMNS: &str =
    "id, collection_id, seq, kind, name, uid, etag, data, author, \
     client, address, at, prev_hash, hash, chain, data_hash";

pub(crate) fn version_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Version> {
    let kind: String = r.get(3)?;
    let hash_of = |v: Option<Vec<u8>>| v.and_then(|p| <[u8; 32]>::try_from(p.as_slice()).ok());
    Ok(Version {
        id: r.get(0)?,
        collection: r.get(1)?,
        seq: r.get(2)?,
        kind: VersionKind::parse(&kind).unwrap_or(VersionKind::Put),
        name: r.get(4)?,
        uid: r.get(5)?,
        etag: r.get(6)?,
        data: bytes_of(r.get_ref(7)?),
        change: Change {
            author: r.get(8)?,
            client: r.get(9)?,
            address: r.get(10)?,
        },
        at: r.get(11)?,
        prev_hash: hash_of(r.get(12)?),
        hash: hash_of(r.get(13)?).unwrap_or([0; 32]),
        chain: r.get(14)?,
        data_hash: hash_of(r.get(15)?),
    })
}

/// A BLOB, or TEXT someone wrote by hand: read both as bytes, so that verification reports
/// the mismatch instead of failing to read the row.
fn bytes_of(v: rusqlite::types::ValueRef<'_>) -> Option<Vec<u8>> {
    match v {
        rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => Some(b.to_vec()),
        _ => None,
    }
}

pub fn versions(conn: &Connection, collection: CollectionId) -> Result<Vec<Version>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = ?1 ORDER BY id"
        ))
        .map_err(backend)?;
    let rows = stmt.query_map([collection], version_row).map_err(backend)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

pub fn version(conn: &Connection, id: i64) -> Result<Option<Version>> {
    crate::query_row(
        conn,
        &format!("SELECT {VERSION_COLUMNS} FROM object_version WHERE id = ?1"),
        [id],
        version_row,
    )
    .optional()
    .map_err(backend)
}

/// Drops the data of superseded versions older than `before`; see `Store::prune_history`.
pub fn prune(tx: &Transaction<'_>, before: i64, change: &Change) -> Result<u64> {
    let mut stmt = tx
        .prepare(
            // Only data a later version of the same item replaced, and only when that
            // replacement is itself older than the limit: every state inside the retention
            // window stays restorable. Contents (put, replaced by put or delete) and
            // property sets (replaced by property sets) are separate items.
            "UPDATE object_version AS v SET data = NULL WHERE v.chain >= 2 AND v.at < ?1 \
             AND v.data IS NOT NULL AND v.kind IN ('put', 'properties') \
             AND (SELECT n.at FROM object_version n WHERE n.collection_id = v.collection_id \
                  AND n.name = v.name AND n.id > v.id \
                  AND ((v.kind = 'put' AND n.kind IN ('put', 'delete')) \
                       OR (v.kind = 'properties' AND n.kind = 'properties')) \
                  ORDER BY n.id LIMIT 1) < ?1 \
             RETURNING collection_id",
        )
        .map_err(backend)?;
    let touched: Vec<CollectionId> = stmt
        .query_map([before], |r| r.get(0))
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    let mut per_collection: std::collections::BTreeMap<CollectionId, u64> = Default::default();
    for c in &touched {
        *per_collection.entry(*c).or_default() += 1;
    }
    for (collection, count) in per_collection {
        // Recorded without advancing the sync sequence: no member changed.
        let seq: i64 = crate::query_row(
            tx,
            "SELECT sync_seq FROM collection WHERE id = ?1",
            [collection],
            |r| r.get(0),
        )
        .map_err(backend)?;
        let note =
            format!("dropped the data of {count} superseded versions older than {before} ms");
        append(
            tx,
            &Entry {
                collection,
                seq,
                kind: VersionKind::Prune,
                name: "",
                uid: None,
                etag: None,
                data: Some(note.as_bytes()),
            },
            change,
        )?;
    }
    Ok(touched.len() as u64)
}

pub fn stats(conn: &Connection) -> Result<Vec<HistoryStats>> {
    let mut stmt = conn
        .prepare(
            "SELECT collection_id, count(*), \
             sum(data IS NULL AND kind IN ('put', 'properties')), \
             COALESCE(sum(length(data)), 0) FROM object_version GROUP BY collection_id",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(HistoryStats {
                collection: r.get(0)?,
                versions: r.get::<_, i64>(1)?.max(0) as u64,
                pruned: r.get::<_, i64>(2)?.max(0) as u64,
                data_bytes: r.get::<_, i64>(3)?.max(0) as u64,
            })
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

pub fn changes_since(
    conn: &Connection,
    collection: CollectionId,
    after: i64,
    upto: i64,
) -> Result<Vec<ChangedMember>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT name, kind FROM object_version WHERE collection_id = ?1 AND seq > ?2 \
             AND seq <= ?3 AND kind IN ('put', 'delete') ORDER BY id",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![collection, after, upto], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)? == "delete"))
        })
        .map_err(backend)?;
    let rows = rows
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend)?;
    Ok(ChangedMember::last_states(rows))
}
