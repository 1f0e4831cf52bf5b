//! Stored properties of collections and objects (object_name '' = the collection itself).

use deadpool_postgres::{GenericClient, Transaction};
use store::{Change, CollectionId, Property, PropertyPatch, Result, StoreError, VersionKind};
use tokio_postgres::Row;

use crate::log::{self, Entry};
use crate::rows;

fn property(r: &Row, first: usize) -> Result<Property> {
    Ok(Property {
        namespace: rows::get(r, first)?,
        name: rows::get(r, first + 1)?,
        xml: rows::get(r, first + 2)?,
    })
}

pub async fn of(
    c: &impl GenericClient,
    collection: CollectionId,
    object: &str,
) -> Result<Vec<Property>> {
    let found = crate::query(
        c,
        "SELECT namespace, name, value FROM dead_property \
         WHERE collection_id = $1 AND object_name = $2 ORDER BY namespace, name",
        &[&collection, &object],
    )
    .await?;
    rows::all(&found, |r| property(r, 0))
}

pub async fn of_members(
    c: &impl GenericClient,
    collection: CollectionId,
) -> Result<Vec<(String, Property)>> {
    // SQLite answers in primary key order, which this spells out.
    let found = crate::query(
        c,
        "SELECT object_name, namespace, name, value FROM dead_property \
         WHERE collection_id = $1 AND object_name <> '' ORDER BY object_name, namespace, name",
        &[&collection],
    )
    .await?;
    rows::all(&found, |r| Ok((rows::get(r, 0)?, property(r, 1)?)))
}

pub async fn upsert(
    tx: &Transaction<'_>,
    collection: CollectionId,
    object: &str,
    p: &Property,
) -> Result<()> {
    crate::execute(
        tx,
        "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (collection_id, object_name, namespace, name) \
         DO UPDATE SET value = excluded.value",
        &[&collection, &object, &p.namespace, &p.name, &p.xml],
    )
    .await?;
    Ok(())
}

/// The whole property set of a resource as one text, for the history row.
pub async fn snapshot(
    c: &impl GenericClient,
    collection: CollectionId,
    object: &str,
) -> Result<String> {
    Ok(of(c, collection, object)
        .await?
        .into_iter()
        .map(|p| p.xml)
        .collect::<Vec<_>>()
        .join("\n"))
}

pub async fn patch(tx: &Transaction<'_>, patch: &PropertyPatch, change: &Change) -> Result<()> {
    let object = patch.object.as_deref().unwrap_or("");
    if !object.is_empty() {
        let row = crate::query_one(
            tx,
            "SELECT EXISTS(SELECT 1 FROM calendar_object WHERE collection_id = $1 AND name = $2)",
            &[&patch.collection, &object],
        )
        .await?;
        if !rows::get::<bool>(&row, 0)? {
            return Err(StoreError::NotFound);
        }
    }
    for (namespace, name) in &patch.remove {
        crate::execute(
            tx,
            "DELETE FROM dead_property WHERE collection_id = $1 AND object_name = $2 \
             AND namespace = $3 AND name = $4",
            &[&patch.collection, &object, namespace, name],
        )
        .await?;
    }
    for p in &patch.set {
        upsert(tx, patch.collection, object, p).await?;
    }
    let seq = log::bump(tx, patch.collection).await?;
    let state = snapshot(tx, patch.collection, object).await?;
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
    .await
}
