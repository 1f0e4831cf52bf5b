//! Collections as paths below a user's home: creation, tree deletion, copy and move.
//! Deletion is a mark (`deleted_at`) so history can bring a collection back.

use std::sync::LazyLock;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use store::{
    Change, Collection, CollectionId, CollectionKind, CollectionTransfer, HistoryCollection,
    NewCollection, PrincipalId, Result, StoreError, TransferMode, VersionKind,
};

use crate::log::{self, Entry};
use crate::rows::{self, COLLECTION_COLUMNS};
use crate::{accounts, backend, now_ms, properties};

pub fn by_path(conn: &Connection, owner: PrincipalId, path: &str) -> Result<Option<Collection>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {COLLECTION_COLUMNS} FROM collection \
             WHERE owner_id = ?1 AND path = ?2 AND deleted_at IS NULL"
        )
    });
    crate::query_row(conn, &SQL, params![owner, path], rows::collection)
        .optional()
        .map_err(backend)
}

pub fn children(conn: &Connection, owner: PrincipalId, parent: &str) -> Result<Vec<Collection>> {
    let all = tree(conn, owner, parent)?;
    let depth = segments(parent) + 1;
    Ok(all
        .into_iter()
        .filter(|c| segments(&c.path) == depth)
        .collect())
}

/// The collection at `root` and everything below it, parents before children.
fn tree(conn: &Connection, owner: PrincipalId, root: &str) -> Result<Vec<Collection>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLLECTION_COLUMNS} FROM collection WHERE owner_id = ?1 \
             AND deleted_at IS NULL \
             AND (?2 = '' OR path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/') \
             ORDER BY path"
        ))
        .map_err(backend)?;
    // substr and length both count characters, so non-ASCII names compare whole.
    let rows = stmt
        .query_map(params![owner, root], rows::collection)
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<_>>().map_err(backend)
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
fn require_parent(conn: &Connection, owner: PrincipalId, path: &str) -> Result<()> {
    match by_path(conn, owner, parent_of(path))? {
        None => Err(StoreError::ParentMissing),
        Some(p) if p.kind == CollectionKind::Calendar => Err(StoreError::Conflict(
            "a calendar collection cannot contain other collections".into(),
        )),
        Some(_) => Ok(()),
    }
}

pub fn create(tx: &Transaction<'_>, new: &NewCollection, change: &Change) -> Result<Collection> {
    if by_path(tx, new.owner, &new.path)?.is_some() {
        return Err(StoreError::AlreadyExists);
    }
    if !new.path.is_empty() {
        require_parent(tx, new.owner, &new.path)?;
    }
    let now = now_ms();
    let id: i64 = crate::query_row(
        tx,
        "INSERT INTO collection (owner_id, path, kind, components, created_at, modified_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
        params![
            new.owner,
            new.path,
            new.kind.as_str(),
            new.components.join(","),
            now
        ],
        |r| r.get(0),
    )
    .map_err(backend)?;
    for p in &new.properties {
        properties::upsert(tx, id, "", p)?;
    }
    let seq = log::bump(tx, id)?;
    let state = properties::snapshot(tx, id, "")?;
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
    )?;
    by_path(tx, new.owner, &new.path)?.ok_or(StoreError::NotFound)
}

pub fn delete_tree(
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
    let doomed = tree(tx, owner, path)?;
    if doomed.is_empty() {
        return Err(StoreError::NotFound);
    }
    mark_deleted(tx, &doomed, change)
}

fn mark_deleted(tx: &Transaction<'_>, doomed: &[Collection], change: &Change) -> Result<()> {
    let now = now_ms();
    for c in doomed {
        crate::execute(
            tx,
            "UPDATE collection SET deleted_at = ?2 WHERE id = ?1",
            params![c.id, now],
        )
        .map_err(backend)?;
        let seq = log::bump(tx, c.id)?;
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
        )?;
    }
    Ok(())
}

pub fn transfer(tx: &Transaction<'_>, t: &CollectionTransfer, change: &Change) -> Result<bool> {
    t.check()?;
    let source = tree(tx, t.owner, &t.from)?;
    if source.is_empty() {
        return Err(StoreError::NotFound);
    }
    require_parent(tx, t.owner, &t.to)?;
    let existing = tree(tx, t.owner, &t.to)?;
    let replaced = !existing.is_empty();
    if replaced {
        if !t.overwrite {
            return Err(StoreError::PreconditionFailed);
        }
        // RFC 4918 §9.8.4 / §9.9.3: an overwritten destination is deleted first.
        mark_deleted(tx, &existing, change)?;
    }
    match t.mode {
        TransferMode::Move => rename_tree(tx, &source, &t.from, &t.to, change)?,
        TransferMode::Copy => {
            let bytes: i64 = if t.shallow {
                0
            } else {
                tree_bytes(tx, &source)?
            };
            accounts::check_quota(tx, t.owner, t.quota, bytes)?;
            let copied = if t.shallow { &source[..1] } else { &source[..] };
            for c in copied {
                copy_one(tx, c, &rebase(&c.path, &t.from, &t.to), t.shallow, change)?;
            }
        }
    }
    Ok(replaced)
}

fn rebase(path: &str, from: &str, to: &str) -> String {
    format!("{to}{}", &path[from.len()..])
}

fn rename_tree(
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
            "UPDATE collection SET path = ?2, modified_at = ?3 WHERE id = ?1",
            params![c.id, new_path, now_ms()],
        )
        .map_err(backend)?;
        let seq = log::bump(tx, c.id)?;
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
        )?;
    }
    Ok(())
}

fn tree_bytes(conn: &Connection, source: &[Collection]) -> Result<i64> {
    let mut total = 0i64;
    for c in source {
        let n: i64 = crate::query_row(
            conn,
            "SELECT COALESCE(SUM(size), 0) FROM calendar_object WHERE collection_id = ?1",
            [c.id],
            |r| r.get(0),
        )
        .map_err(backend)?;
        total = total.saturating_add(n);
    }
    Ok(total)
}

/// Creates a copy of one collection at `path`, with its properties and (unless shallow) its
/// objects and their properties.
fn copy_one(
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
            properties: properties::of(tx, source.id, "")?,
        },
        change,
    )?;
    if shallow {
        return Ok(());
    }
    crate::execute(
        tx,
        "INSERT INTO calendar_object (collection_id, name, uid, etag, content_type, component, \
         first_start, last_end, size, created_at, modified_at, modified_seq, instances_until, \
         instances_floating) \
         SELECT ?2, name, uid, etag, content_type, component, first_start, last_end, size, \
         ?3, ?3, 0, instances_until, instances_floating FROM calendar_object \
         WHERE collection_id = ?1",
        params![source.id, copy.id, now_ms()],
    )
    .map_err(backend)?;
    // Bytes and instance rows follow each object to its copy, matched by name.
    const PAIRS: &str = "calendar_object src JOIN calendar_object dst \
         ON dst.collection_id = ?2 AND dst.name = src.name";
    crate::execute(
        tx,
        &format!(
            "INSERT INTO calendar_object_data (object_id, data) SELECT dst.id, d.data \
             FROM {PAIRS} JOIN calendar_object_data d ON d.object_id = src.id \
             WHERE src.collection_id = ?1"
        ),
        params![source.id, copy.id],
    )
    .map_err(backend)?;
    crate::execute(
        tx,
        &format!(
            "INSERT INTO calendar_object_instance \
             (object_id, collection_id, floating, start_at, end_at) \
             SELECT dst.id, ?2, i.floating, i.start_at, i.end_at \
             FROM {PAIRS} JOIN calendar_object_instance i ON i.object_id = src.id \
             WHERE src.collection_id = ?1"
        ),
        params![source.id, copy.id],
    )
    .map_err(backend)?;
    crate::execute(
        tx,
        "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
         SELECT ?2, object_name, namespace, name, value FROM dead_property \
         WHERE collection_id = ?1 AND object_name <> ''",
        params![source.id, copy.id],
    )
    .map_err(backend)?;
    let seq = log::bump(tx, copy.id)?;
    crate::execute(
        tx,
        "UPDATE calendar_object SET modified_seq = ?2 WHERE collection_id = ?1",
        params![copy.id, seq],
    )
    .map_err(backend)?;
    let mut stmt = tx
        .prepare(
            "SELECT name, uid, etag, data FROM calendar_object \
             JOIN calendar_object_data ON object_id = id WHERE collection_id = ?1",
        )
        .map_err(backend)?;
    let objects = stmt
        .query_map([copy.id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .map_err(backend)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend)?;
    for (name, uid, etag, data) in &objects {
        log::append(
            tx,
            &Entry {
                collection: copy.id,
                seq,
                kind: VersionKind::Put,
                name,
                uid: uid.as_deref(),
                etag: Some(etag),
                data: Some(data),
            },
            change,
        )?;
    }
    Ok(())
}

/// Live and deleted collections of `owner` (of everyone when None), for the history.
pub fn with_history(
    conn: &Connection,
    owner: Option<PrincipalId>,
) -> Result<Vec<HistoryCollection>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLLECTION_COLUMNS}, deleted_at, \
             (SELECT name FROM principal WHERE principal.id = owner_id) FROM collection \
             WHERE ?1 IS NULL OR owner_id = ?1 ORDER BY owner_id, path, id"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map([owner], |r| {
            Ok(HistoryCollection {
                collection: rows::collection(r)?,
                deleted_at: r.get(8)?,
                owner_name: r.get(9)?,
            })
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

/// Clears a collection's deletion mark (the objects it held were never removed).
pub fn restore(tx: &Transaction<'_>, id: CollectionId, change: &Change) -> Result<Collection> {
    let (owner, path, deleted): (PrincipalId, String, Option<i64>) = crate::query_row(
        tx,
        "SELECT owner_id, path, deleted_at FROM collection WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
    .map_err(backend)?
    .ok_or(StoreError::NotFound)?;
    if deleted.is_none() {
        return Err(StoreError::Conflict("the collection is not deleted".into()));
    }
    if by_path(tx, owner, &path)?.is_some() {
        return Err(StoreError::AlreadyExists);
    }
    require_parent(tx, owner, &path)?;
    crate::execute(
        tx,
        "UPDATE collection SET deleted_at = NULL, modified_at = ?2 WHERE id = ?1",
        params![id, now_ms()],
    )
    .map_err(backend)?;
    let seq = log::bump(tx, id)?;
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
    )?;
    by_path(tx, owner, &path)?.ok_or(StoreError::NotFound)
}
