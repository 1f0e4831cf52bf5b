//! Whole rows in and out, for moving an installation between backends (`store::dump`).

use rusqlite::{params, Connection, Transaction};
use store::dump::{CollectionRecord, ObjectRecord, PrincipalRecord, PropertyRecord};
use store::{CollectionId, Property, Result, Version};

use crate::backend;
use crate::log::{version_row, VERSION_COLUMNS};
use crate::rows::{self, COLLECTION_COLUMNS, OBJECT_META_COLUMNS};

pub fn principals(conn: &Connection) -> Result<Vec<PrincipalRecord>> {
    let mut stmt = conn
        .prepare(
            "SELECT id, name, display_name, email, password_hash, quota_bytes, created_at, \
             disabled FROM principal ORDER BY id",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(PrincipalRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                display_name: r.get(2)?,
                email: r.get(3)?,
                password_hash: r.get(4)?,
                quota_bytes: r.get(5)?,
                created_at: r.get(6)?,
                disabled: r.get::<_, i64>(7)? != 0,
            })
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<_>>().map_err(backend)
}

pub fn collections(conn: &Connection) -> Result<Vec<CollectionRecord>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {COLLECTION_COLUMNS}, deleted_at FROM collection ORDER BY id"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(CollectionRecord {
                collection: rows::collection(r)?,
                deleted_at: r.get(8)?,
            })
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<_>>().map_err(backend)
}

pub fn objects(
    conn: &Connection,
    collection: CollectionId,
    after: i64,
    limit: usize,
) -> Result<Vec<ObjectRecord>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {OBJECT_META_COLUMNS}, id, data, instances_until, instances_floating \
             FROM calendar_object JOIN calendar_object_data ON object_id = id \
             WHERE collection_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .map_err(backend)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut objects = stmt
        .query_map(params![collection, after, limit], |r| {
            Ok(ObjectRecord {
                meta: rows::object_meta(r)?,
                id: r.get(12)?,
                data: r.get::<_, Vec<u8>>(13)?.into(),
                instances_until: r.get(14)?,
                instances_floating: r.get::<_, i64>(15)? != 0,
                instances: Vec::new(),
            })
        })
        .map_err(backend)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend)?;
    let mut spans = conn
        .prepare_cached(
            "SELECT start_at, end_at FROM calendar_object_instance WHERE object_id = ?1 \
             ORDER BY start_at, end_at",
        )
        .map_err(backend)?;
    for object in &mut objects {
        object.instances = spans
            .query_map([object.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)?;
    }
    Ok(objects)
}

pub fn properties(conn: &Connection, collection: CollectionId) -> Result<Vec<PropertyRecord>> {
    let mut stmt = conn
        .prepare(
            "SELECT object_name, namespace, name, value FROM dead_property \
             WHERE collection_id = ?1 ORDER BY object_name, namespace, name",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([collection], |r| {
            Ok(PropertyRecord {
                collection,
                object: r.get(0)?,
                property: Property {
                    namespace: r.get(1)?,
                    name: r.get(2)?,
                    xml: r.get(3)?,
                },
            })
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<_>>().map_err(backend)
}

pub fn versions(
    conn: &Connection,
    collection: CollectionId,
    after: i64,
    limit: usize,
) -> Result<Vec<Version>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = ?1 AND id > ?2 \
             ORDER BY id LIMIT ?3"
        ))
        .map_err(backend)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(params![collection, after, limit], version_row)
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<_>>().map_err(backend)
}

pub fn is_empty(conn: &Connection) -> Result<bool> {
    conn.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM principal) AND NOT EXISTS (SELECT 1 FROM object_version)",
        [],
        |r| r.get(0),
    )
    .map_err(backend)
}

pub fn load_principals(tx: &Transaction<'_>, rows: &[PrincipalRecord]) -> Result<()> {
    let mut stmt = tx
        .prepare(
            "INSERT INTO principal (id, name, display_name, email, password_hash, quota_bytes, \
             created_at, disabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(backend)?;
    for p in rows {
        stmt.execute(params![
            p.id,
            p.name,
            p.display_name,
            p.email,
            p.password_hash,
            p.quota_bytes,
            p.created_at,
            p.disabled
        ])
        .map_err(backend)?;
    }
    Ok(())
}

pub fn load_collections(tx: &Transaction<'_>, rows: &[CollectionRecord]) -> Result<()> {
    let mut stmt = tx
        .prepare(
            "INSERT INTO collection (id, owner_id, path, kind, components, sync_seq, created_at, \
             modified_at, deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(backend)?;
    for record in rows {
        let c = &record.collection;
        stmt.execute(params![
            c.id,
            c.owner,
            c.path,
            c.kind.as_str(),
            c.components.join(","),
            c.sync_seq,
            c.created_at,
            c.modified_at,
            record.deleted_at
        ])
        .map_err(backend)?;
    }
    Ok(())
}

pub fn load_objects(tx: &Transaction<'_>, rows: &[ObjectRecord]) -> Result<()> {
    let mut object = tx
        .prepare(
            "INSERT INTO calendar_object (id, collection_id, name, uid, etag, content_type, \
             component, first_start, last_end, size, created_at, modified_at, modified_seq, \
             instances_until, instances_floating) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )
        .map_err(backend)?;
    let mut data = tx
        .prepare("INSERT INTO calendar_object_data (object_id, data) VALUES (?1, ?2)")
        .map_err(backend)?;
    let mut instance = tx
        .prepare(
            "INSERT INTO calendar_object_instance (object_id, collection_id, floating, \
             start_at, end_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(backend)?;
    for o in rows {
        let m = &o.meta;
        object
            .execute(params![
                o.id,
                m.collection,
                m.name,
                m.index.uid,
                m.etag,
                m.content_type,
                m.index.component,
                m.index.first_start.unwrap_or(rows::UNBOUNDED_START),
                m.index.last_end.unwrap_or(rows::UNBOUNDED_END),
                i64::try_from(m.size).unwrap_or(i64::MAX),
                m.created_at,
                m.modified_at,
                m.modified_seq,
                o.instances_until,
                o.instances_floating
            ])
            .map_err(backend)?;
        data.execute(params![o.id, o.data.as_ref()])
            .map_err(backend)?;
        for (start, end) in &o.instances {
            instance
                .execute(params![
                    o.id,
                    m.collection,
                    o.instances_floating,
                    start,
                    end
                ])
                .map_err(backend)?;
        }
    }
    Ok(())
}

pub fn load_properties(tx: &Transaction<'_>, rows: &[PropertyRecord]) -> Result<()> {
    let mut stmt = tx
        .prepare(
            "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(backend)?;
    for p in rows {
        stmt.execute(params![
            p.collection,
            p.object,
            p.property.namespace,
            p.property.name,
            p.property.xml
        ])
        .map_err(backend)?;
    }
    Ok(())
}

pub fn load_versions(tx: &Transaction<'_>, rows: &[Version]) -> Result<()> {
    let mut stmt = tx
        .prepare(
            "INSERT INTO object_version (id, collection_id, seq, kind, name, uid, etag, data, \
             author, client, address, at, prev_hash, hash, chain, data_hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )
        .map_err(backend)?;
    for v in rows {
        stmt.execute(params![
            v.id,
            v.collection,
            v.seq,
            v.kind.as_str(),
            v.name,
            v.uid,
            v.etag,
            v.data,
            v.change.author,
            v.change.client,
            v.change.address,
            v.at,
            v.prev_hash.as_ref().map(|h| h.as_slice()),
            v.hash.as_slice(),
            v.chain,
            v.data_hash.as_ref().map(|h| h.as_slice())
        ])
        .map_err(backend)?;
    }
    Ok(())
}
