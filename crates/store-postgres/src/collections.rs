//! Collections as paths below a user's home: creation, tree deletion, copy and move.
//! Deletion is a mark (`deleted_at`) so history can bring a collection back.

use deadpool_postgres::{GenericClient, Transaction};
use store::{
    Change, Collection, CollectionId, CollectionKind, CollectionTransfer, HistoryCollection,
    NewCollection, PrincipalId, Result, StoreError, TransferMode, VersionKind,
};

use crate::log::{self, Entry};
use crate::rows::{self, COLLECTION_COLUMNS};
use crate::{accounts, is_unique_violation, now_ms, properties};

pub async fn by_path(
    c: &impl GenericClient,
    owner: PrincipalId,
    path: &str,
) -> Result<Option<Collection>> {
    let row = crate::query_opt(
        c,
        &format!(
            "SELECT {COLLECTION_COLUMNS} FROM collection \
             WHERE owner_id = $1 AND path = $2 AND deleted_at IS NULL"
        ),
        &[&owner, &path],
    )
    .await?;
    row.as_ref().map(rows::collection).transpose()
}

pub async fn children(
    c: &impl GenericClient,
    owner: PrincipalId,
    parent: &str,
) -> Result<Vec<Collection>> {
    let all = tree(c, owner, parent).await?;
    let depth = segments(parent) + 1;
    Ok(all
        .into_iter()
        .filter(|c| segments(&c.path) == depth)
        .collect())
}

/// The collection at `root` and everything below it, parents before children.
async fn tree(c: &impl GenericClient, owner: PrincipalId, root: &str) -> Result<Vec<Collection>> {
    // starts_with compares characters, so a root with non-ASCII characters matches too.
    let found = crate::query(
        c,
        &format!(
            "SELECT {COLLECTION_COLUMNS} FROM collection WHERE owner_id = $1 \
             AND deleted_at IS NULL \
             AND ($2::TEXT = '' OR path = $2::TEXT OR starts_with(path, $2::TEXT || '/')) \
             ORDER BY path"
        ),
        &[&owner, &root],
    )
    .await?;
    rows::all(&found, rows::collection)
}

fn segments(path: &str) -> usize {
    if path.is_empty() {
        0
    } else {
        path.split('/').count()
    }
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

/// The parent a new collection at `path` would live in; it must exist and be plain.
async fn require_parent(c: &impl GenericClient, owner: PrincipalId, path: &str) -> Result<()> {
    match by_path(c, owner, parent_of(path)).await? {
        None => Err(StoreError::ParentMissing),
        Some(p) if p.kind == CollectionKind::Calendar => Err(StoreError::Conflict(
            "a calendar collection cannot contain other collections".into(),
        )),
        Some(_) => Ok(()),
    }
}

pub async fn create(
    tx: &Transaction<'_>,
    new: &NewCollection,
    change: &Change,
) -> Result<Collection> {
    if by_path(tx, new.owner, &new.path).await?.is_some() {
        return Err(StoreError::AlreadyExists);
    }
    if !new.path.is_empty() {
        require_parent(tx, new.owner, &new.path).await?;
    }
    let now = now_ms();
    let statement = tx
        .prepare_cached(
            "INSERT INTO collection (owner_id, path, kind, components, created_at, modified_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .await
        .map_err(crate::backend)?;
    // The owner's lock rules out a race for the path; the mapping only keeps the answer
    // SQLite's should a writer ever skip the lock.
    let row = tx
        .query_one(
            &statement,
            &[
                &new.owner,
                &new.path,
                &new.kind.as_str(),
                &new.components.join(","),
                &now,
            ],
        )
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::AlreadyExists,
            false => crate::backend(e),
        })?;
    let id: i64 = rows::get(&row, 0)?;
    for p in &new.properties {
        properties::upsert(tx, id, "", p).await?;
    }
    let seq = log::bump(tx, id).await?;
    let state = properties::snapshot(tx, id, "").await?;
    log::append(
        tx,
        &Entry {
            collection: id,
            seq,
            kind: VersionKind::CollectionCreate,
            name: "",
            uid: None,
            etag: None,
            data: Some(state.as_bytes()),
        },
        change,
    )
    .await?;
    by_path(tx, new.owner, &new.path)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn delete_tree(
    tx: &Transaction<'_>,
    owner: PrincipalId,
    path: &str,
    change: &Change,
) -> Result<()> {
    if path.is_empty() {
        return Err(StoreError::Conflict(
            "the calendar home cannot be deleted".into(),
        ));
    }
    let doomed = tree(tx, owner, path).await?;
    if doomed.is_empty() {
        return Err(StoreError::NotFound);
    }
    mark_deleted(tx, &doomed, change).await
}

async fn mark_deleted(tx: &Transaction<'_>, doomed: &[Collection], change: &Change) -> Result<()> {
    let now = now_ms();
    for c in doomed {
        crate::execute(
            tx,
            "UPDATE collection SET deleted_at = $2 WHERE id = $1",
            &[&c.id, &now],
        )
        .await?;
        let seq = log::bump(tx, c.id).await?;
        log::append(
            tx,
            &Entry {
                collection: c.id,
                seq,
                kind: VersionKind::CollectionDelete,
                name: "",
                uid: None,
                etag: None,
                data: None,
            },
            change,
        )
        .await?;
    }
    Ok(())
}

pub async fn transfer(
    tx: &Transaction<'_>,
    t: &CollectionTransfer,
    change: &Change,
) -> Result<bool> {
    t.check()?;
    let source = tree(tx, t.owner, &t.from).await?;
    if source.is_empty() {
        return Err(StoreError::NotFound);
    }
    require_parent(tx, t.owner, &t.to).await?;
    let existing = tree(tx, t.owner, &t.to).await?;
    let replaced = !existing.is_empty();
    if replaced {
        if !t.overwrite {
            return Err(StoreError::PreconditionFailed);
        }
        // RFC 4918 §9.8.4 / §9.9.3: an overwritten destination is deleted first.
        mark_deleted(tx, &existing, change).await?;
    }
    match t.mode {
        TransferMode::Move => rename_tree(tx, &source, &t.from, &t.to, change).await?,
        TransferMode::Copy => {
            let bytes: i64 = if t.shallow {
                0
            } else {
                tree_bytes(tx, &source).await?
            };
            accounts::check_quota(tx, t.owner, t.quota, bytes).await?;
            let copied = if t.shallow { &source[..1] } else { &source[..] };
            for c in copied {
                copy_one(tx, c, &rebase(&c.path, &t.from, &t.to), t.shallow, change).await?;
            }
        }
    }
    Ok(replaced)
}

fn rebase(path: &str, from: &str, to: &str) -> String {
    format!("{to}{}", &path[from.len()..])
}

async fn rename_tree(
    tx: &Transaction<'_>,
    source: &[Collection],
    from: &str,
    to: &str,
    change: &Change,
) -> Result<()> {
    for c in source {
        let new_path = rebase(&c.path, from, to);
        crate::execute(
            tx,
            "UPDATE collection SET path = $2, modified_at = $3 WHERE id = $1",
            &[&c.id, &new_path, &now_ms()],
        )
        .await?;
        let seq = log::bump(tx, c.id).await?;
        let note = format!("{} -> {new_path}", c.path);
        log::append(
            tx,
            &Entry {
                collection: c.id,
                seq,
                kind: VersionKind::CollectionMove,
                name: "",
                uid: None,
                etag: None,
                data: Some(note.as_bytes()),
            },
            change,
        )
        .await?;
    }
    Ok(())
}

async fn tree_bytes(c: &impl GenericClient, source: &[Collection]) -> Result<i64> {
    let mut total = 0i64;
    for collection in source {
        let row = crate::query_one(
            c,
            "SELECT COALESCE(SUM(size), 0)::BIGINT FROM calendar_object WHERE collection_id = $1",
            &[&collection.id],
        )
        .await?;
        total = total.saturating_add(rows::get(&row, 0)?);
    }
    Ok(total)
}

/// Creates a copy of one collection at `path`, with its properties and (unless shallow) its
/// objects and their properties.
async fn copy_one(
    tx: &Transaction<'_>,
    source: &Collection,
    path: &str,
    shallow: bool,
    change: &Change,
) -> Result<()> {
    let copy = create(
        tx,
        &NewCollection {
            owner: source.owner,
            path: path.to_owned(),
            kind: source.kind,
            components: source.components.clone(),
            properties: properties::of(tx, source.id, "").await?,
        },
        change,
    )
    .await?;
    if shallow {
        return Ok(());
    }
    crate::execute(
        tx,
        "INSERT INTO calendar_object (collection_id, name, uid, etag, content_type, component, \
         first_start, last_end, size, created_at, modified_at, modified_seq, instances_until, \
         instances_floating) \
         SELECT $2, name, uid, etag, content_type, component, first_start, last_end, size, \
         $3, $3, 0, instances_until, instances_floating FROM calendar_object \
         WHERE collection_id = $1 ORDER BY name",
        &[&source.id, &copy.id, &now_ms()],
    )
    .await?;
    // Bytes and instance rows follow each object to its copy, matched by name.
    const PAIRS: &str = "calendar_object src JOIN calendar_object dst \
         ON dst.collection_id = $2 AND dst.name = src.name";
    crate::execute(
        tx,
        &format!(
            "INSERT INTO calendar_object_data (object_id, data) SELECT dst.id, d.data \
             FROM {PAIRS} JOIN calendar_object_data d ON d.object_id = src.id \
             WHERE src.collection_id = $1"
        ),
        &[&source.id, &copy.id],
    )
    .await?;
    crate::execute(
        tx,
        &format!(
            "INSERT INTO calendar_object_instance \
             (object_id, collection_id, floating, start_at, end_at) \
             SELECT dst.id, $2, i.floating, i.start_at, i.end_at \
             FROM {PAIRS} JOIN calendar_object_instance i ON i.object_id = src.id \
             WHERE src.collection_id = $1"
        ),
        &[&source.id, &copy.id],
    )
    .await?;
    crate::execute(
        tx,
        "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
         SELECT $2, object_name, namespace, name, value FROM dead_property \
         WHERE collection_id = $1 AND object_name <> ''",
        &[&source.id, &copy.id],
    )
    .await?;
    let seq = log::bump(tx, copy.id).await?;
    crate::execute(
        tx,
        "UPDATE calendar_object SET modified_seq = $2 WHERE collection_id = $1",
        &[&copy.id, &seq],
    )
    .await?;
    let objects = crate::query(
        tx,
        "SELECT name, uid, etag, data FROM calendar_object \
         JOIN calendar_object_data ON object_id = id WHERE collection_id = $1 ORDER BY name",
        &[&copy.id],
    )
    .await?;
    for row in &objects {
        let name: &str = rows::get(row, 0)?;
        let etag: &str = rows::get(row, 2)?;
        let data: &[u8] = rows::get(row, 3)?;
        log::append(
            tx,
            &Entry {
                collection: copy.id,
                seq,
                kind: VersionKind::Put,
                name,
                uid: rows::get(row, 1)?,
                etag: Some(etag),
                data: Some(data),
            },
            change,
        )
        .await?;
    }
    Ok(())
}

/// Live and deleted collections of `owner` (of everyone when None), for the history.
pub async fn with_history(
    c: &impl GenericClient,
    owner: Option<PrincipalId>,
) -> Result<Vec<HistoryCollection>> {
    let found = crate::query(
        c,
        &format!(
            "SELECT {COLLECTION_COLUMNS}, deleted_at, \
             (SELECT name FROM principal WHERE principal.id = owner_id) FROM collection \
             WHERE $1::BIGINT IS NULL OR owner_id = $1::BIGINT ORDER BY owner_id, path, id"
        ),
        &[&owner],
    )
    .await?;
    rows::all(&found, |r| {
        Ok(HistoryCollection {
            collection: rows::collection(r)?,
            deleted_at: rows::get(r, 8)?,
            owner_name: rows::get(r, 9)?,
        })
    })
}

/// Clears a collection's deletion mark (the objects it held were never removed).
pub async fn restore(
    tx: &Transaction<'_>,
    id: CollectionId,
    change: &Change,
) -> Result<Collection> {
    let row = crate::query_opt(
        tx,
        "SELECT owner_id, path, deleted_at FROM collection WHERE id = $1",
        &[&id],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    let owner: PrincipalId = rows::get(&row, 0)?;
    let path: String = rows::get(&row, 1)?;
    let deleted: Option<i64> = rows::get(&row, 2)?;
    if deleted.is_none() {
        return Err(StoreError::Conflict("the collection is not deleted".into()));
    }
    if by_path(tx, owner, &path).await?.is_some() {
        return Err(StoreError::AlreadyExists);
    }
    require_parent(tx, owner, &path).await?;
    crate::execute(
        tx,
        "UPDATE collection SET deleted_at = NULL, modified_at = $2 WHERE id = $1",
        &[&id, &now_ms()],
    )
    .await?;
    let seq = log::bump(tx, id).await?;
    log::append(
        tx,
        &Entry {
            collection: id,
            seq,
            kind: VersionKind::CollectionRestore,
            name: "",
            uid: None,
            etag: None,
            data: None,
        },
        change,
    )
    .await?;
    by_path(tx, owner, &path).await?.ok_or(StoreError::NotFound)
}
