//! Objects: the exact bytes a client stored, their index, and conditional writes.

use std::sync::LazyLock;

use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use store::history::etag_of;
use store::{
    Change, Collection, CollectionId, EventCandidates, EventRange, Expect, InstanceIndex,
    ObjectMeta, ObjectTransfer, PrincipalId, PutObject, PutOutcome, Result, StoreError,
    StoredObject, TransferMode, VersionKind,
};

use crate::log::{self, Entry};
use crate::rows::{self, COLLECTION_COLUMNS, LISTED_OBJECT_COLUMNS, OBJECT_META_COLUMNS};
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

/// A plain `name > ?` (no "or NULL") so that each page is one seek on the listing index,
/// which holds every column asked for.
fn page_sql() -> String {
    format!(
        "SELECT {LISTED_OBJECT_COLUMNS} FROM calendar_object WHERE collection_id = ?1 \
         AND name > ?2 ORDER BY name LIMIT ?3"
    )
}

pub fn page(
    conn: &Connection,
    collection: CollectionId,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<ObjectMeta>> {
    let mut stmt = conn.prepare_cached(&page_sql()).map_err(backend)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut rows = stmt
        .query(params![collection, after.unwrap_or(""), limit])
        .map_err(backend)?;
    // Sized up front: a metadata record is large, and growing a page by doubling copied
    // each one several times.
    let mut page = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(PAGE_PREALLOC_MAX));
    while let Some(row) = rows.next().map_err(backend)? {
        page.push(rows::listed_object(row).map_err(backend)?);
    }
    Ok(page)
}

/// The most records a page makes room for before it has read them.
const PAGE_PREALLOC_MAX: usize = 4_096;

pub fn count(conn: &Connection, collection: CollectionId) -> Result<u64> {
    let mut stmt = conn
        .prepare_cached("SELECT count(*) FROM calendar_object WHERE collection_id = ?1")
        .map_err(backend)?;
    let n: i64 = stmt
        .query_row(params![collection], |r| r.get(0))
        .map_err(backend)?;
    Ok(n.max(0) as u64)
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

/// `instances_until` of an object without instance rows.
const NOT_INDEXED: i64 = i64::MIN;

/// The VEVENT time-range query on the instance index (see [`store::InstanceIndex`]).
pub fn events_in_range(conn: &Connection, query: &EventRange) -> Result<EventCandidates> {
    let EventRange {
        collection,
        start,
        end,
        floating_offset,
        with_data,
        slice,
    } = *query;
    let (floating_start, floating_end) = query.floating_range();
    let (part, of) = (i64::from(slice.part), i64::from(slice.of.max(1)));
    let data_join = if with_data {
        ", data FROM calendar_object JOIN calendar_object_data ON object_id = id"
    } else {
        " FROM calendar_object"
    };
    let mut matched_stmt = conn
        .prepare_cached(&format!(
            "SELECT {OBJECT_META_COLUMNS}{data_join} WHERE id IN \
             (SELECT object_id FROM calendar_object_instance WHERE collection_id = ?1 \
              AND floating = 0 AND start_at >= ?2 AND start_at < ?3 AND end_at > ?4 \
              AND object_id % ?9 = ?8 \
              UNION ALL SELECT object_id FROM calendar_object_instance WHERE collection_id = ?1 \
              AND floating = 1 AND start_at >= ?5 AND start_at < ?6 AND end_at > ?7 \
              AND object_id % ?9 = ?8)"
        ))
        .map_err(backend)?;
    let lookback = |t: i64| t.saturating_sub(InstanceIndex::MAX_SPAN);
    let matched: Vec<(ObjectMeta, Option<Bytes>)> = matched_stmt
        .query_map(
            params![
                collection,
                lookback(start),
                end,
                start,
                lookback(floating_start),
                floating_end,
                floating_start,
                part,
                of
            ],
            |r| {
                let data = match with_data {
                    true => Some(r.get::<_, Vec<u8>>(12)?.into()),
                    false => None,
                };
                Ok((rows::object_meta(r)?, data))
            },
        )
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    // Undecided: indexed only up to an earlier instant, or not at all. The index range
    // (instances_until below the later of the two ends) skips every fully indexed object.
    let sql = match floating_offset {
        Some(_) => format!(
            "SELECT {OBJECT_META_COLUMNS} FROM calendar_object \
             INDEXED BY calendar_object_unindexed WHERE collection_id = ?1 \
             AND component = 'VEVENT' AND instances_until < max(?3, ?4) \
             AND last_end >= ?2 AND first_start <= ?3 \
             AND (instances_floating = 0 AND instances_until < ?3 \
                  OR instances_floating = 1 AND instances_until < ?4) \
             AND id % ?6 = ?5"
        ),
        None => format!(
            "SELECT {OBJECT_META_COLUMNS} FROM calendar_object \
             INDEXED BY calendar_object_unindexed WHERE collection_id = ?1 \
             AND component = 'VEVENT' AND last_end >= ?2 AND first_start <= ?3 \
             AND (instances_floating = 0 AND instances_until < ?3 OR instances_floating = 1) \
             AND id % ?5 = ?4"
        ),
    };
    let mut undecided_stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let found: std::collections::HashSet<&str> =
        matched.iter().map(|(m, _)| m.name.as_str()).collect();
    let rows = match floating_offset {
        Some(_) => undecided_stmt.query_map(
            params![collection, start, end, floating_end, part, of],
            rows::object_meta,
        ),
        None => {
            undecided_stmt.query_map(params![collection, start, end, part, of], rows::object_meta)
        }
    };
    let undecided: Vec<ObjectMeta> = rows
        .map_err(backend)?
        .filter(|m| {
            m.as_ref()
                .map_or(true, |m| !found.contains(m.name.as_str()))
        })
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    Ok(EventCandidates { matched, undecided })
}

/// The stored instance index of one object, for a copy or move to carry along.
fn instances_of(
    conn: &Connection,
    collection: CollectionId,
    name: &str,
) -> Result<Option<InstanceIndex>> {
    let Some((id, complete_until, floating)) = crate::query_row(
        conn,
        "SELECT id, instances_until, instances_floating FROM calendar_object \
             WHERE collection_id = ?1 AND name = ?2",
        params![collection, name],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, bool>(2)?,
            ))
        },
    )
    .optional()
    .map_err(backend)?
    else {
        return Ok(None);
    };
    if complete_until == NOT_INDEXED {
        return Ok(None);
    }
    let mut stmt = conn
        .prepare_cached(
            "SELECT start_at, end_at FROM calendar_object_instance WHERE object_id = ?1 \
             ORDER BY start_at",
        )
        .map_err(backend)?;
    let spans = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    Ok(Some(InstanceIndex {
        spans,
        complete_until,
        floating,
    }))
}

/// Replaces an object's instance rows with `index` (none when `None`).
fn write_instances(
    tx: &Transaction<'_>,
    collection: CollectionId,
    object_id: i64,
    index: Option<&InstanceIndex>,
) -> Result<()> {
    tx.prepare_cached("DELETE FROM calendar_object_instance WHERE object_id = ?1")
        .and_then(|mut s| s.execute([object_id]))
        .map_err(backend)?;
    let Some(index) = index else { return Ok(()) };
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO calendar_object_instance \
             (object_id, collection_id, floating, start_at, end_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(backend)?;
    for (start, end) in &index.spans {
        insert
            .execute(params![object_id, collection, index.floating, start, end])
            .map_err(backend)?;
    }
    Ok(())
}

/// Looks an object up by name in the listing index, which holds every metadata column and
/// the row id: the planner's choice, the unique index on (collection, name), needs one more
/// b-tree search per object, in the table.
const BY_NAME_WITH_META: &str = "INDEXED BY calendar_object_listing";

pub fn get(
    conn: &Connection,
    collection: CollectionId,
    name: &str,
) -> Result<Option<StoredObject>> {
    // Built once: formatting the statement's text on every lookup showed in GET's profile.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object {BY_NAME_WITH_META} \
             JOIN calendar_object_data ON object_id = id WHERE collection_id = ?1 AND name = ?2"
        )
    });
    crate::query_row(conn, &SQL, params![collection, name], stored)
        .optional()
        .map_err(backend)
}

/// A collection by path and its member `name` in one statement (see
/// [`store::Store::collection_member`]). The row holds the object's columns and data first,
/// all NULL when there is no such member, then the collection's.
pub fn collection_member(
    conn: &Connection,
    owner: PrincipalId,
    path: &str,
    name: &str,
) -> Result<Option<(Collection, Option<StoredObject>)>> {
    // After the twelve OBJECT_META_COLUMNS and data, as `stored` reads them.
    const COLLECTION_FROM: usize = 13;
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {}, d.data, {} FROM collection c \
             LEFT JOIN calendar_object o {BY_NAME_WITH_META} \
             ON o.collection_id = c.id AND o.name = ?3 \
             LEFT JOIN calendar_object_data d ON d.object_id = o.id \
             WHERE c.owner_id = ?1 AND c.path = ?2 AND c.deleted_at IS NULL",
            rows::qualified("o", OBJECT_META_COLUMNS),
            rows::qualified("c", COLLECTION_COLUMNS),
        )
    });
    crate::query_row(conn, &SQL, params![owner, path, name], |r| {
        let member = match r.get::<_, Option<CollectionId>>(0)? {
            Some(_) => Some(stored(r)?),
            None => None,
        };
        Ok((rows::collection_at(r, COLLECTION_FROM)?, member))
    })
    .optional()
    .map_err(backend)
}

fn stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredObject> {
    Ok(StoredObject {
        meta: rows::object_meta(r)?,
        data: r.get::<_, Vec<u8>>(12)?.into(),
    })
}

/// Each name is looked up with the one cached statement `get` uses, inside one read
/// transaction: every object comes from the same snapshot, and no statement is parsed per
/// request (an `IN (?, ?, ...)` list is a new statement for every count of names).
pub fn get_many(
    conn: &Connection,
    collection: CollectionId,
    names: &[String],
) -> Result<Vec<StoredObject>> {
    let snapshot = conn.unchecked_transaction().map_err(backend)?;
    let mut out = Vec::with_capacity(names.len());
    // Each object once, however often it is named, as an `IN` list would give it.
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    for name in names.iter().filter(|n| seen.insert(n.as_str())) {
        if let Some(object) = get(&snapshot, collection, name)? {
            out.push(object);
        }
    }
    snapshot.finish().map_err(backend)?;
    Ok(out)
}

struct Current {
    etag: String,
    size: i64,
}

fn current(conn: &Connection, collection: CollectionId, name: &str) -> Result<Option<Current>> {
    crate::query_row(
        conn,
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

fn owner_of(conn: &Connection, collection: CollectionId) -> Result<i64> {
    crate::query_row(
        conn,
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
    let holder: Option<String> = crate::query_row(
        conn,
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
    put.expect
        .check(existing.as_ref().map(|c| c.etag.as_str()))?;
    check_uid(tx, put.collection, &put.name, put.index.uid.as_deref())?;
    let size = put.data.len() as i64;
    let delta = size - existing.as_ref().map(|c| c.size).unwrap_or(0);
    accounts::check_quota(tx, owner, put.quota, delta)?;
    let etag = etag_of(&put.data);
    let seq = log::bump(tx, put.collection)?;
    let now = now_ms();
    let object_id: i64 = tx
        .prepare_cached(
            "INSERT INTO calendar_object (collection_id, name, uid, etag, content_type, \
             component, first_start, last_end, size, created_at, modified_at, \
             modified_seq, instances_until, instances_floating) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13) \
             ON CONFLICT (collection_id, name) DO UPDATE SET uid = excluded.uid, \
             etag = excluded.etag, content_type = excluded.content_type, \
             component = excluded.component, first_start = excluded.first_start, \
             last_end = excluded.last_end, size = excluded.size, \
             modified_at = excluded.modified_at, modified_seq = excluded.modified_seq, \
             instances_until = excluded.instances_until, \
             instances_floating = excluded.instances_floating RETURNING id",
        )
        .and_then(|mut stmt| {
            stmt.query_row(
                params![
                    put.collection,
                    put.name,
                    put.index.uid,
                    etag,
                    put.content_type,
                    put.index.component,
                    put.index.first_start.unwrap_or(rows::UNBOUNDED_START),
                    put.index.last_end.unwrap_or(rows::UNBOUNDED_END),
                    size,
                    now,
                    seq,
                    put.instances
                        .as_ref()
                        .map_or(NOT_INDEXED, |i| i.complete_until),
                    put.instances.as_ref().is_some_and(|i| i.floating),
                ],
                |r| r.get(0),
            )
        })
        .map_err(backend)?;
    tx.prepare_cached(
        "INSERT INTO calendar_object_data (object_id, data) VALUES (?1, ?2) \
         ON CONFLICT (object_id) DO UPDATE SET data = excluded.data",
    )
    .and_then(|mut stmt| stmt.execute(params![object_id, put.data.as_ref()]))
    .map_err(backend)?;
    write_instances(tx, put.collection, object_id, put.instances.as_ref())?;
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
    expect.check(existing.as_ref().map(|c| c.etag.as_str()))?;
    remove(tx, collection, name, change)
}

/// Removes an object that is known to exist, with its properties, and records it.
fn remove(
    tx: &Transaction<'_>,
    collection: CollectionId,
    name: &str,
    change: &Change,
) -> Result<()> {
    let uid: Option<String> = crate::query_row(
        tx,
        "DELETE FROM calendar_object WHERE collection_id = ?1 AND name = ?2 RETURNING uid",
        params![collection, name],
        |r| r.get(0),
    )
    .map_err(backend)?;
    crate::execute(
        tx,
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
    let (index, instances) = match &t.reindex {
        Some((index, instances)) => (index.clone(), instances.clone()),
        None => (
            source.meta.index.clone(),
            instances_of(tx, t.from, &t.from_name)?,
        ),
    };
    let moving_within = t.mode == TransferMode::Move && t.from == t.to;
    if !moving_within {
        check_uid(tx, t.to, &t.to_name, index.uid.as_deref())?;
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
            index,
            instances,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_listing_page_is_read_from_the_index_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", page_sql()))
            .unwrap()
            .query_map(params![1, "", 10], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            plan,
            [
                "SEARCH calendar_object USING COVERING INDEX calendar_object_listing \
              (collection_id=? AND name>?)"
            ],
            "no table lookup per object and no sort"
        );
    }
}
