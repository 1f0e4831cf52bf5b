//! Stored properties of collections and objects (object_name '' = the collection itself).

use rusqlite::{params, Connection, Transaction};
use store::{Change, CollectionId, Property, PropertyPatch, Result, StoreError, VersionKind};

use crate::backend;
use crate::log::{self, Entry};

pub fn of(conn: &Connection, collection: CollectionId, object: &str) -> Result<Vec<Property>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT namespace, name, value FROM dead_property \
             WHERE collection_id = ?1 AND object_name = ?2 ORDER BY namespace, name",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![collection, object], |r| {
            Ok(Property {
                namespace: r.get(0)?,
                name: r.get(1)?,
                xml: r.get(2)?,
            })
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<_>>().map_err(backend)
}

pub fn of_members(conn: &Connection, collection: CollectionId) -> Result<Vec<(String, Property)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT object_name, namespace, name, value FROM dead_property \
             WHERE collection_id = ?1 AND object_name <> '' ORDER BY object_name",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([collection], |r| {
            Ok((
                r.get(0)?,
                Property {
                    namespace: r.get(1)?,
                    name: r.get(2)?,
                    xml: r.get(3)?,
                },
            ))
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<_>>().map_err(backend)
}

pub fn upsert(
    tx: &Transaction<'_>,
    collection: CollectionId,
    object: &str,
    p: &Property,
) -> Result<()> {
    crate::execute(
        tx,
        "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (collection_id, object_name, namespace, name) \
         DO UPDATE SET value = excluded.value",
        params![collection, object, p.namespace, p.name, p.xml],
    )
    .map_err(backend)?;
    Ok(())
}

/// The whole property set of a resource as one text, for the history row.
pub fn snapshot(conn: &Connection, collection: CollectionId, object: &str) -> Result<String> {
    Ok(of(conn, collection, object)?
        .into_iter()
        .map(|p| p.xml)
        .collect::<Vec<_>>()
        .join("\n"))
}

pub fn patch(tx: &Transaction<'_>, patch: &PropertyPatch, change: &Change) -> Result<()> {
    let object = patch.object.as_deref().unwrap_or("");
    if !object.is_empty() {
        let exists: bool = crate::query_row(
            tx,
            "SELECT EXISTS(SELECT 1 FROM calendar_object WHERE collection_id = ?1 AND name = ?2)",
            params![patch.collection, object],
            |r| r.get(0),
        )
        .map_err(backend)?;
        if !exists {
            return Err(StoreError::NotFound);
        }
    }
    for (namespace, name) in &patch.remove {
        crate::execute(
            tx,
            "DELETE FROM dead_property WHERE collection_id = ?1 AND object_name = ?2 \
             AND namespace = ?3 AND name = ?4",
            params![patch.collection, object, namespace, name],
        )
        .map_err(backend)?;
    }
    for p in &patch.set {
        upsert(tx, patch.collection, object, p)?;
    }
    let seq = log::bump(tx, patch.collection)?;
    let state = snapshot(tx, patch.collection, object)?;
    log::append(
        tx,
        &Entry {
            collection: patch.collection,
            seq,
            kind: VersionKind::Properties,
            name: object,
            uid: None,
            etag: None,
            data: Some(state.as_bytes()),
        },
        change,
    )
}
