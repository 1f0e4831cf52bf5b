//! The `dead_property` table: stored properties of collections and objects (object_name ''
//! is the collection itself).

use rusqlite::params;
use store::db::PropertyStatements;
use store::{CollectionId, Property, Result};

use crate::{execute, query_all, SqliteConn};

impl PropertyStatements for SqliteConn {
    async fn properties(&self, collection: CollectionId, object: &str) -> Result<Vec<Property>> {
        self.with(|c| {
            query_all(
                c,
                "SELECT namespace, name, value FROM dead_property \
                 WHERE collection_id = ?1 AND object_name = ?2 ORDER BY namespace, name",
                params![collection, object],
                |r| property_at(r, 0),
            )
        })
    }

    async fn member_properties(&self, collection: CollectionId) -> Result<Vec<(String, Property)>> {
        self.with(|c| {
            query_all(
                c,
                "SELECT object_name, namespace, name, value FROM dead_property \
                 WHERE collection_id = ?1 AND object_name <> '' ORDER BY object_name",
                [collection],
                |r| Ok((r.get(0)?, property_at(r, 1)?)),
            )
        })
    }

    async fn set_property(
        &self, collection: CollectionId, object: &str, p: &Property,
    ) -> Result<()> {
        self.with(|c| {
            execute(
                c,
                "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (collection_id, object_name, namespace, name) \
                 DO UPDATE SET value = excluded.value",
                params![collection, object, p.namespace, p.name, p.xml],
            )
            .map(drop)
        })
    }

    async fn remove_property(
        &self, collection: CollectionId, object: &str, namespace: &str, name: &str,
    ) -> Result<()> {
        self.with(|c| {
            execute(
                c,
                "DELETE FROM dead_property WHERE collection_id = ?1 AND object_name = ?2 \
                 AND namespace = ?3 AND name = ?4",
                params![collection, object, namespace, name],
            )
            .map(drop)
        })
    }
}

/// A property from its namespace, name and value columns, starting at `first`.
pub fn property_at(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Property> {
    Ok(Property {
        namespace: r.get(first)?,
        name: r.get(first + 1)?,
        xml: r.get(first + 2)?,
    })
}
