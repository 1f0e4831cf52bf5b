//! Objects: the exact bytes a client stored, their index, and conditional writes.

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Transaction};
use store::history::etag_of;
use store::{
    Change, CollectionId, Expect, ObjectMeta, ObjectTransfer, PutObject, PutOutcome, Result,
    StoreError, StoredObject, TransferMode, VersionKind,
};

use crate::log::{self, Entry};
use crate::rows::{self, OBJECT_META_COLUMNS};
use crate::{accounts, backend, now_ms};

pub fn list(conn: &Connection, collection: CollectionId) -> Result<Vec<ObjectMeta>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = ?1 \
             ORDER BY name"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map([collection], rows::object_meta)
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<_>>().map_err(backend)
}

pub fn in_range(
    conn: &Connection,
    collection: CollectionId,
    component: Option<&str>,
    start: Option<i64>,
    end: Option<i64>,
) -> Result<Vec<ObjectMeta>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {OBJECT_META_COLUMNS} FROM calendar_object \
             INDEXED BY calendar_object_span WHERE collection_id = ?1 \
             AND last_end >= ?2 AND first_start <= ?3 AND (?4 IS NULL OR component = ?4) \
             ORDER BY name"
        ))
        .map_err(backend)?;
    let (start, end) = (
        start.unwrap_or(rows::UNBOUNDED_START),
        end.unwrap_or(rows::UNBOUNDED_END),
    );
    let rows = stmt
        .query_map(
            params![collection, start, end, component],
            rows::object_meta,
        )
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<_>>().map_err(backend)
}

pub fn get(
    conn: &Connection,
    collection: CollectionId,
    name: &str,
) -> Result<Option<StoredObject>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object \
             WHERE collection_id = ?1 AND name = ?2"
        ))
        .map_err(backend)?;
    stmt.query_row(params![collection, name], stored)
        .optional()
        .map_err(backend)
}

fn stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredObject> {
    Ok(StoredObject {
        meta: rows::object_meta(r)?,
        data: r.get::<_, Vec<u8>>(12)?.into(),
    })
}

pub fn get_many(
    conn: &Connection,
    collection: CollectionId,
    names: &[String],
) -> Result<Vec<StoredObject>> {
    let mut out = Vec::with_capacity(names.len());
    // SQLite caps bound parameters; 500 names a statement stays far below it.
    for chunk in names.chunks(500) {
        let placeholders = vec!["?"; chunk.len()].join(",");
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object \
                 WHERE collection_id = {collection} AND name IN ({placeholders})"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params_from_iter(chunk.iter()), stored)
            .map_err(backend)?;
        for row in rows {
            out.push(row.map_err(backend)?);
        }
    }
    Ok(out)
}

struct Current {
    etag: String,
    size: i64,
}

fn current(conn: &Connection, collection: CollectionId, name: &str) -> Result<Option<Current>> {
    conn.query_row(
        "SELECT etag, size FROM calendar_object WHERE collection_id = ?1 AND name = ?2",
        params![collection, name],
        |r| {
            Ok(Current {
                etag: r.get(0)?,
                size: r.get(1)?,
            })
        },
    )
    .optional()
    .map_err(backend)
}

fn check_expect(expect: &Expect, current: Option<&Current>) -> Result<()> {
    let ok = match (expect, current) {
        (Expect::Anything, _) => true,
        (Expect::Absent, c) => c.is_none(),
        (Expect::Present, c) => c.is_some(),
        (Expect::Etag(want), Some(c)) => *want == c.etag,
        (Expect::Etag(_), None) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(StoreError::PreconditionFailed)
    }
}

fn owner_of(conn: &Connection, collection: CollectionId) -> Result<i64> {
    conn.query_row(
        "SELECT owner_id FROM collection WHERE id = ?1 AND deleted_at IS NULL",
        [collection],
        |r| r.get(0),
    )
    .optional()
    .map_err(backend)?
    .ok_or(StoreError::NotFound)
}

fn check_uid(
    conn: &Connection,
    collection: CollectionId,
    name: &str,
    uid: Option<&str>,
) -> Result<()> {
    let Some(uid) = uid else { return Ok(()) };
    let holder: Option<String> = conn
        .query_row(
            "SELECT name FROM calendar_object WHERE collection_id = ?1 AND uid = ?2 AND name <> ?3",
            params![collection, uid, name],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)?;
    match holder {
        Some(existing_name) => Err(StoreError::UidConflict {
            uid: uid.to_owned(),
            existing_name,
        }),
        None => Ok(()),
    }
}

pub fn put(tx: &Transaction<'_>, put: &PutObject, change: &Change) -> Result<PutOutcome> {
    let owner = owner_of(tx, put.collection)?;
    let existing = current(tx, put.collection, &put.name)?;
    check_expect(&put.expect, existing.as_ref())?;
    check_uid(tx, put.collection, &put.name, put.index.uid.as_deref())?;
    let size = put.data.len() as i64;
    let delta = size - existing.as_ref().map(|c| c.size).unwrap_or(0);
    accounts::check_quota(tx, owner, put.quota, delta)?;
    let etag = etag_of(&put.data);
    let seq = log::bump(tx, put.collection)?;
    let now = now_ms();
    tx.prepare_cached(
        "INSERT INTO calendar_object (collection_id, name, uid, etag, content_type, component, \
         first_start, last_end, data, size, created_at, modified_at, modified_seq) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12) \
         ON CONFLICT (collection_id, name) DO UPDATE SET uid = excluded.uid, \
         etag = excluded.etag, content_type = excluded.content_type, \
         component = excluded.component, first_start = excluded.first_start, \
         last_end = excluded.last_end, data = excluded.data, size = excluded.size, \
         modified_at = excluded.modified_at, modified_seq = excluded.modified_seq",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            put.collection,
            put.name,
            put.index.uid,
            etag,
            put.content_type,
            put.index.component,
            put.index.first_start.unwrap_or(rows::UNBOUNDED_START),
            put.index.last_end.unwrap_or(rows::UNBOUNDED_END),
            put.data.as_ref(),
            size,
            now,
            seq
        ])
    })
    .map_err(backend)?;
    log::append(
        tx,
        &Entry {
            collection: put.collection,
            seq,
            kind: VersionKind::Put,
            name: &put.name,
            uid: put.index.uid.as_deref(),
            etag: Some(&etag),
            data: Some(&put.data),
        },
        change,
    )?;
    Ok(PutOutcome {
        created: existing.is_none(),
        etag,
    })
}

pub fn delete(
    tx: &Transaction<'_>,
    collection: CollectionId,
    name: &str,
    expect: &Expect,
    change: &Change,
) -> Result<()> {
    let existing = current(tx, collection, name)?;
    if existing.is_none() && *expect == Expect::Anything {
        return Err(StoreError::NotFound);
    }
    check_expect(expect, existing.as_ref())?;
    remove(tx, collection, name, change)
}

/// Removes an object that is known to exist, with its properties, and records it.
fn remove(
    tx: &Transaction<'_>,
    collection: CollectionId,
    name: &str,
    change: &Change,
) -> Result<()> {
    let uid: Option<String> = tx
        .query_row(
            "DELETE FROM calendar_object WHERE collection_id = ?1 AND name = ?2 RETURNING uid",
            params![collection, name],
            |r| r.get(0),
        )
        .map_err(backend)?;
    tx.execute(
        "DELETE FROM dead_property WHERE collection_id = ?1 AND object_name = ?2",
        params![collection, name],
    )
    .map_err(backend)?;
    let seq = log::bump(tx, collection)?;
    log::append(
        tx,
        &Entry {
            collection,
            seq,
            kind: VersionKind::Delete,
            name,
            uid: uid.as_deref(),
            etag: None,
            data: None,
        },
        change,
    )
}

pub fn transfer(tx: &Transaction<'_>, t: &ObjectTransfer, change: &Change) -> Result<bool> {
    if t.from == t.to && t.from_name == t.to_name {
        return Err(StoreError::Conflict(
            "source and destination are the same".into(),
        ));
    }
    let source = get(tx, t.from, &t.from_name)?.ok_or(StoreError::NotFound)?;
    let existing = current(tx, t.to, &t.to_name)?;
    if existing.is_some() && !t.overwrite {
        return Err(StoreError::PreconditionFailed);
    }
    let moving_within = t.mode == TransferMode::Move && t.from == t.to;
    if !moving_within {
        check_uid(tx, t.to, &t.to_name, source.meta.index.uid.as_deref())?;
    }
    let props = crate::properties::of(tx, t.from, &t.from_name)?;
    if t.mode == TransferMode::Move {
        remove(tx, t.from, &t.from_name, change)?;
    }
    if existing.is_some() {
        remove(tx, t.to, &t.to_name, change)?;
    }
    let quota = if t.mode == TransferMode::Copy || owner_of(tx, t.from)? != owner_of(tx, t.to)? {
        t.quota
    } else {
        None
    };
    put(
        tx,
        &PutObject {
            collection: t.to,
            name: t.to_name.clone(),
            data: source.data.clone(),
            content_type: source.meta.content_type.clone(),
            index: source.meta.index.clone(),
            expect: Expect::Absent,
            quota,
        },
        change,
    )?;
    for p in &props {
        crate::properties::upsert(tx, t.to, &t.to_name, p)?;
    }
    Ok(existing.is_some())
}
