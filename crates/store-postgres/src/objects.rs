//! Objects: the exact bytes a client stored, their index, and conditional writes.

use std::sync::LazyLock;

use bytes::Bytes;
use deadpool_postgres::{GenericClient, Transaction};
use store::history::etag_of;
use store::{
    Change, Collection, CollectionId, EventCandidates, EventRange, Expect, InstanceIndex,
    ObjectMeta, ObjectTransfer, PrincipalId, PutObject, PutOutcome, Result, StoreError,
    StoredObject, TransferMode, VersionKind,
};
use tokio_postgres::Row;

use crate::log::{self, Entry};
use crate::rows::{self, get, COLLECTION_COLUMNS, LISTED_OBJECT_COLUMNS, OBJECT_META_COLUMNS};
use crate::{accounts, now_ms};

pub async fn list(c: &impl GenericClient, collection: CollectionId) -> Result<Vec<ObjectMeta>> {
    let found = crate::query(
        c,
        &format!(
            "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
             ORDER BY name"
        ),
        &[&collection],
    )
    .await?;
    rows::all(&found, rows::object_meta)
}

pub async fn page(
    c: &impl GenericClient,
    collection: CollectionId,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<ObjectMeta>> {
    // A plain `name > $2` (no "or NULL") so that each page is one seek on the index.
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let found = crate::query(
        c,
        &format!(
            "SELECT {LISTED_OBJECT_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
             AND name > $2 ORDER BY name LIMIT $3"
        ),
        &[&collection, &after.unwrap_or(""), &limit],
    )
    .await?;
    rows::all(&found, rows::listed_object)
}

pub async fn count(c: &impl GenericClient, collection: CollectionId) -> Result<u64> {
    let row = crate::query_one(
        c,
        "SELECT count(*) FROM calendar_object WHERE collection_id = $1",
        &[&collection],
    )
    .await?;
    let n: i64 = get(&row, 0)?;
    Ok(n.max(0) as u64)
}

pub async fn in_range(
    c: &impl GenericClient,
    collection: CollectionId,
    component: Option<&str>,
    start: Option<i64>,
    end: Option<i64>,
) -> Result<Vec<ObjectMeta>> {
    let (start, end) = (
        start.unwrap_or(rows::UNBOUNDED_START),
        end.unwrap_or(rows::UNBOUNDED_END),
    );
    // calendar_object_span answers it: a range on last_end, the rest checked in the index.
    let found = crate::query(
        c,
        &format!(
            "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
             AND last_end >= $2 AND first_start <= $3 \
             AND ($4::TEXT IS NULL OR component = $4::TEXT) ORDER BY name"
        ),
        &[&collection, &start, &end, &component],
    )
    .await?;
    rows::all(&found, rows::object_meta)
}

/// `instances_until` of an object without instance rows.
const NOT_INDEXED: i64 = i64::MIN;

/// The VEVENT time-range query on the instance index (see [`store::InstanceIndex`]).
pub async fn events_in_range(
    c: &impl GenericClient,
    query: &EventRange,
) -> Result<EventCandidates> {
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
    // An instance overlaps when it starts before the end and ends after the start; no
    // indexed instance is longer than MAX_SPAN, so its start is at most that far back.
    let lookback = |t: i64| t.saturating_sub(InstanceIndex::MAX_SPAN);
    let found = crate::query(
        c,
        &format!(
            "SELECT {OBJECT_META_COLUMNS}{data_join} WHERE id IN \
             (SELECT object_id FROM calendar_object_instance WHERE collection_id = $1 \
              AND NOT floating AND start_at >= $2 AND start_at < $3 AND end_at > $4 \
              AND object_id % $9 = $8 \
              UNION ALL SELECT object_id FROM calendar_object_instance WHERE collection_id = $1 \
              AND floating AND start_at >= $5 AND start_at < $6 AND end_at > $7 \
              AND object_id % $9 = $8)"
        ),
        &[
            &collection,
            &lookback(start),
            &end,
            &start,
            &lookback(floating_start),
            &floating_end,
            &floating_start,
            &part,
            &of,
        ],
    )
    .await?;
    let matched: Vec<(ObjectMeta, Option<Bytes>)> = rows::all(&found, |r| {
        let data = match with_data {
            true => Some(Bytes::from(get::<Vec<u8>>(r, 12)?)),
            false => None,
        };
        Ok((rows::object_meta(r)?, data))
    })?;
    // Undecided: indexed only up to an earlier instant, or not at all. The index range
    // (instances_until below the later of the two ends) skips every fully indexed object.
    let undecided = match floating_offset {
        Some(_) => {
            crate::query(
                c,
                &format!(
                    "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
                     AND component = 'VEVENT' AND instances_until < GREATEST($3::BIGINT, $4::BIGINT) \
                     AND last_end >= $2 AND first_start <= $3 \
                     AND (NOT instances_floating AND instances_until < $3 \
                          OR instances_floating AND instances_until < $4) \
                     AND id % $6 = $5"
                ),
                &[&collection, &start, &end, &floating_end, &part, &of],
            )
            .await?
        }
        None => {
            crate::query(
                c,
                &format!(
                    "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
                     AND component = 'VEVENT' AND last_end >= $2 AND first_start <= $3 \
                     AND (NOT instances_floating AND instances_until < $3 OR instances_floating) \
                     AND id % $5 = $4"
                ),
                &[&collection, &start, &end, &part, &of],
            )
            .await?
        }
    };
    let found: std::collections::HashSet<&str> =
        matched.iter().map(|(m, _)| m.name.as_str()).collect();
    let undecided = rows::all(&undecided, rows::object_meta)?
        .into_iter()
        .filter(|m| !found.contains(m.name.as_str()))
        .collect();
    Ok(EventCandidates { matched, undecided })
}

/// The stored instance index of one object, for a copy or move to carry along.
async fn instances_of(
    c: &impl GenericClient,
    collection: CollectionId,
    name: &str,
) -> Result<Option<InstanceIndex>> {
    let Some(row) = crate::query_opt(
        c,
        "SELECT id, instances_until, instances_floating FROM calendar_object \
         WHERE collection_id = $1 AND name = $2",
        &[&collection, &name],
    )
    .await?
    else {
        return Ok(None);
    };
    let (id, complete_until, floating): (i64, i64, bool) =
        (get(&row, 0)?, get(&row, 1)?, get(&row, 2)?);
    if complete_until == NOT_INDEXED {
        return Ok(None);
    }
    let spans = crate::query(
        c,
        "SELECT start_at, end_at FROM calendar_object_instance WHERE object_id = $1 \
         ORDER BY start_at",
        &[&id],
    )
    .await?;
    Ok(Some(InstanceIndex {
        spans: rows::all(&spans, |r| Ok((get(r, 0)?, get(r, 1)?)))?,
        complete_until,
        floating,
    }))
}

pub async fn get_one(
    c: &impl GenericClient,
    collection: CollectionId,
    name: &str,
) -> Result<Option<StoredObject>> {
    let row = crate::query_opt(
        c,
        &format!(
            "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object \
             JOIN calendar_object_data ON object_id = id WHERE collection_id = $1 AND name = $2"
        ),
        &[&collection, &name],
    )
    .await?;
    row.as_ref().map(stored).transpose()
}

/// A collection by path and its member `name` in one statement (see
/// [`store::Store::collection_member`]). The row holds the object's columns and data first,
/// all NULL when there is no such member, then the collection's.
pub async fn collection_member(
    c: &impl GenericClient,
    owner: PrincipalId,
    path: &str,
    name: &str,
) -> Result<Option<(Collection, Option<StoredObject>)>> {
    // After the twelve OBJECT_META_COLUMNS and data, as `stored` reads them.
    const COLLECTION_FROM: usize = 13;
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
    let Some(row) = crate::query_opt(c, &SQL, &[&owner, &path, &name]).await? else {
        return Ok(None);
    };
    let member = match get::<Option<CollectionId>>(&row, 0)? {
        Some(_) => Some(stored(&row)?),
        None => None,
    };
    Ok(Some((rows::collection_at(&row, COLLECTION_FROM)?, member)))
}

fn stored(r: &Row) -> Result<StoredObject> {
    Ok(StoredObject {
        meta: rows::object_meta(r)?,
        data: get::<Vec<u8>>(r, 12)?.into(),
    })
}

pub async fn get_many(
    c: &impl GenericClient,
    collection: CollectionId,
    names: &[String],
) -> Result<Vec<StoredObject>> {
    // One array parameter, however many names: no statement per count of names.
    let found = crate::query(
        c,
        &format!(
            "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object \
             JOIN calendar_object_data ON object_id = id \
             WHERE collection_id = $1 AND name = ANY($2::TEXT[]) ORDER BY name"
        ),
        &[&collection, &names],
    )
    .await?;
    rows::all(&found, stored)
}

struct Current {
    etag: String,
    size: i64,
}

async fn current(
    c: &impl GenericClient,
    collection: CollectionId,
    name: &str,
) -> Result<Option<Current>> {
    let row = crate::query_opt(
        c,
        "SELECT etag, size FROM calendar_object WHERE collection_id = $1 AND name = $2",
        &[&collection, &name],
    )
    .await?;
    row.map(|r| {
        Ok(Current {
            etag: get(&r, 0)?,
            size: get(&r, 1)?,
        })
    })
    .transpose()
}

async fn owner_of(c: &impl GenericClient, collection: CollectionId) -> Result<i64> {
    let row = crate::query_opt(
        c,
        "SELECT owner_id FROM collection WHERE id = $1 AND deleted_at IS NULL",
        &[&collection],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    get(&row, 0)
}

/// The name of another object of the collection holding `uid`, if any.
async fn uid_holder(
    c: &impl GenericClient,
    collection: CollectionId,
    name: &str,
    uid: Option<&str>,
) -> Result<Option<String>> {
    let Some(uid) = uid else { return Ok(None) };
    let holder = crate::query_opt(
        c,
        "SELECT name FROM calendar_object WHERE collection_id = $1 AND uid = $2 AND name <> $3",
        &[&collection, &uid, &name],
    )
    .await?;
    holder.map(|row| get(&row, 0)).transpose()
}

/// UIDs are unique per collection (RFC 4791 §5.3.2.1): checked here, under the owner's lock,
/// so the conflict names the object that holds the UID.
async fn check_uid(
    c: &impl GenericClient,
    collection: CollectionId,
    name: &str,
    uid: Option<&str>,
) -> Result<()> {
    match (uid, uid_holder(c, collection, name, uid).await?) {
        (Some(uid), Some(existing_name)) => Err(StoreError::UidConflict {
            uid: uid.to_owned(),
            existing_name,
        }),
        _ => Ok(()),
    }
}

/// A PUT is a handful of dependent statements, all under the owner's lock: they go out in
/// two pipelined batches (tokio-postgres pipelines requests issued together on one
/// connection), so the lock is held for two round trips instead of a dozen. A refused write
/// rolls back the sequence bump of the first batch with everything else.
pub async fn put(tx: &Transaction<'_>, put: &PutObject, change: &Change) -> Result<PutOutcome> {
    let (owner, existing, uid_holder, seq, prev) = tokio::try_join!(
        owner_of(tx, put.collection),
        current(tx, put.collection, &put.name),
        uid_holder(tx, put.collection, &put.name, put.index.uid.as_deref()),
        log::try_bump(tx, put.collection),
        log::chain_head(tx, put.collection),
    )?;
    put.expect
        .check(existing.as_ref().map(|c| c.etag.as_str()))?;
    if let (Some(uid), Some(existing_name)) = (&put.index.uid, uid_holder) {
        return Err(StoreError::UidConflict {
            uid: uid.clone(),
            existing_name,
        });
    }
    let size = put.data.len() as i64;
    let delta = size - existing.as_ref().map(|c| c.size).unwrap_or(0);
    accounts::check_quota(tx, owner, put.quota, delta).await?;
    let seq = seq.ok_or(StoreError::NotFound)?;
    let etag = etag_of(&put.data);
    let entry = Entry {
        collection: put.collection,
        seq,
        kind: VersionKind::Put,
        name: &put.name,
        uid: put.index.uid.as_deref(),
        etag: Some(&etag),
        data: Some(&put.data),
    };
    tokio::try_join!(
        write_object(tx, put, &etag, seq),
        log::insert(tx, &entry, change, prev),
    )?;
    Ok(PutOutcome {
        created: existing.is_none(),
        etag,
    })
}

/// The object's row, its bytes and its instance rows, in one statement.
async fn write_object(tx: &Transaction<'_>, put: &PutObject, etag: &str, seq: i64) -> Result<()> {
    let (starts, ends): (Vec<i64>, Vec<i64>) = put
        .instances
        .iter()
        .flat_map(|i| i.spans.iter().copied())
        .unzip();
    crate::execute(
        tx,
        // Data-modifying CTEs see one snapshot: the DELETE removes only the old instance
        // rows, and the foreign keys are checked at the end of the statement, once the
        // object row exists.
        "WITH object AS ( \
             INSERT INTO calendar_object (collection_id, name, uid, etag, content_type, \
             component, first_start, last_end, size, created_at, modified_at, \
             modified_seq, instances_until, instances_floating) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13) \
             ON CONFLICT (collection_id, name) DO UPDATE SET uid = excluded.uid, \
             etag = excluded.etag, content_type = excluded.content_type, \
             component = excluded.component, first_start = excluded.first_start, \
             last_end = excluded.last_end, size = excluded.size, \
             modified_at = excluded.modified_at, modified_seq = excluded.modified_seq, \
             instances_until = excluded.instances_until, \
             instances_floating = excluded.instances_floating RETURNING id), \
         data AS ( \
             INSERT INTO calendar_object_data (object_id, data) SELECT id, $14 FROM object \
             ON CONFLICT (object_id) DO UPDATE SET data = excluded.data), \
         stale AS ( \
             DELETE FROM calendar_object_instance \
             WHERE object_id = (SELECT id FROM object)) \
         INSERT INTO calendar_object_instance \
             (object_id, collection_id, floating, start_at, end_at) \
         SELECT object.id, $1, $13, s, e \
         FROM object, unnest($15::BIGINT[], $16::BIGINT[]) AS spans(s, e)",
        &[
            &put.collection,
            &put.name,
            &put.index.uid,
            &etag,
            &put.content_type,
            &put.index.component,
            &put.index.first_start.unwrap_or(rows::UNBOUNDED_START),
            &put.index.last_end.unwrap_or(rows::UNBOUNDED_END),
            &(put.data.len() as i64),
            &now_ms(),
            &seq,
            &put.instances
                .as_ref()
                .map_or(NOT_INDEXED, |i| i.complete_until),
            &put.instances.as_ref().is_some_and(|i| i.floating),
            &put.data.as_ref(),
            &starts,
            &ends,
        ],
    )
    .await?;
    Ok(())
}

pub async fn delete(
    tx: &Transaction<'_>,
    collection: CollectionId,
    name: &str,
    expect: &Expect,
    change: &Change,
) -> Result<()> {
    let existing = current(tx, collection, name).await?;
    if existing.is_none() && *expect == Expect::Anything {
        return Err(StoreError::NotFound);
    }
    expect.check(existing.as_ref().map(|c| c.etag.as_str()))?;
    remove(tx, collection, name, change).await
}

/// Removes an object that is known to exist, with its properties, and records it.
async fn remove(
    tx: &Transaction<'_>,
    collection: CollectionId,
    name: &str,
    change: &Change,
) -> Result<()> {
    let row = crate::query_one(
        tx,
        "DELETE FROM calendar_object WHERE collection_id = $1 AND name = $2 RETURNING uid",
        &[&collection, &name],
    )
    .await?;
    let uid: Option<String> = get(&row, 0)?;
    crate::execute(
        tx,
        "DELETE FROM dead_property WHERE collection_id = $1 AND object_name = $2",
        &[&collection, &name],
    )
    .await?;
    let seq = log::bump(tx, collection).await?;
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
    .await
}

pub async fn transfer(tx: &Transaction<'_>, t: &ObjectTransfer, change: &Change) -> Result<bool> {
    if t.from == t.to && t.from_name == t.to_name {
        return Err(StoreError::Conflict(
            "source and destination are the same".into(),
        ));
    }
    let source = get_one(tx, t.from, &t.from_name)
        .await?
        .ok_or(StoreError::NotFound)?;
    let existing = current(tx, t.to, &t.to_name).await?;
    if existing.is_some() && !t.overwrite {
        return Err(StoreError::PreconditionFailed);
    }
    let (index, instances) = match &t.reindex {
        Some((index, instances)) => (index.clone(), instances.clone()),
        None => (
            source.meta.index.clone(),
            instances_of(tx, t.from, &t.from_name).await?,
        ),
    };
    let moving_within = t.mode == TransferMode::Move && t.from == t.to;
    if !moving_within {
        check_uid(tx, t.to, &t.to_name, index.uid.as_deref()).await?;
    }
    let props = crate::properties::of(tx, t.from, &t.from_name).await?;
    if t.mode == TransferMode::Move {
        remove(tx, t.from, &t.from_name, change).await?;
    }
    if existing.is_some() {
        remove(tx, t.to, &t.to_name, change).await?;
    }
    let quota = if t.mode == TransferMode::Copy
        || owner_of(tx, t.from).await? != owner_of(tx, t.to).await?
    {
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
    )
    .await?;
    for p in &props {
        crate::properties::upsert(tx, t.to, &t.to_name, p).await?;
    }
    Ok(existing.is_some())
}
