//! The change log: sequence numbers (sync tokens, ctags) and hash-chained history rows,
//! always written inside the transaction of the change they record.

use rusqlite::{params, Connection, OptionalExtension, Transaction};
pub use store::history::Entry;
use store::history::{chain_hash, ChainInput};
use store::{Change, ChangedMember, CollectionId, Result, Version, VersionKind};

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
    tx.prepare_cached(
        "INSERT INTO object_version (collection_id, seq, kind, name, uid, etag, data, author, \
         client, address, at, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
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
        ])
    })
    .map_err(backend)?;
    Ok(())
}

pub fn versions(conn: &Connection, collection: CollectionId) -> Result<Vec<Version>> {
    let mut stmt = conn
        .prepare(
            "SELECT id, collection_id, seq, kind, name, uid, etag, data, author, client, \
             address, at, prev_hash, hash FROM object_version WHERE collection_id = ?1 \
             ORDER BY id",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([collection], |r| {
            let kind: String = r.get(3)?;
            let prev: Option<Vec<u8>> = r.get(12)?;
            let hash: Vec<u8> = r.get(13)?;
            Ok(Version {
                id: r.get(0)?,
                collection: r.get(1)?,
                seq: r.get(2)?,
                kind: VersionKind::parse(&kind).unwrap_or(VersionKind::Put),
                name: r.get(4)?,
                uid: r.get(5)?,
                etag: r.get(6)?,
                data: r.get(7)?,
                change: Change {
                    author: r.get(8)?,
                    client: r.get(9)?,
                    address: r.get(10)?,
                },
                at: r.get(11)?,
                prev_hash: prev.and_then(|p| <[u8; 32]>::try_from(p.as_slice()).ok()),
                hash: <[u8; 32]>::try_from(hash.as_slice()).unwrap_or([0; 32]),
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
    // The last change of each name wins; keep first-seen order for a stable answer.
    let mut order: Vec<String> = Vec::new();
    let mut last: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    for row in rows {
        let (name, deleted) = row.map_err(backend)?;
        if last.insert(name.clone(), deleted).is_none() {
            order.push(name);
        }
    }
    Ok(order
        .into_iter()
        .map(|name| {
            let deleted = last.get(&name).copied().unwrap_or(false);
            ChangedMember { name, deleted }
        })
        .collect())
}
