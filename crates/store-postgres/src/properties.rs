//! The `dead_property` table: stored properties of collections and objects (object_name ''
//! is the collection itself).

use store::db::PropertyStatements;
use store::{CollectionId, Property, Result};
use tokio_postgres::Row;

use crate::rows::{self, get};
use crate::PgConn;

impl PropertyStatements for PgConn {
    async fn properties(&self, collection: CollectionId, object: &str) -> Result<Vec<Property>> {
        let found = self
            .query(
                "SELECT namespace, name, value FROM dead_property \
                 WHERE collection_id = $1 AND object_name = $2 ORDER BY namespace, name",
                &[&collection, &object],
            )
            .await?;
        rows::all(&found, |r| property_at(r, 0))
    }

    async fn member_properties(&self, collection: CollectionId) -> Result<Vec<(String, Property)>> {
        let found = self
            .query(
                "SELECT object_name, namespace, name, value FROM dead_property \
                 WHERE collection_id = $1 AND object_name <> '' \
                 ORDER BY object_name, namespace, name",
                &[&collection],
            )
            .await?;
        rows::all(&found, |r| Ok((get(r, 0)?, property_at(r, 1)?)))
    }

    async fn set_property(
        &self, collection: CollectionId, object: &str, p: &Property,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (collection_id, object_name, namespace, name) \
             DO UPDATE SET value = excluded.value",
            &[&collection, &object, &p.namespace, &p.name, &p.xml],
        )
        .await
        .map(drop)
    }

    async fn remove_property(
        &self, collection: CollectionId, object: &str, namespace: &str, name: &str,
    ) -> Result<()> {
        self.execute(
            "DELETE FROM dead_property WHERE collection_id = $1 AND object_name = $2 \
             AND namespace = $3 AND name = $4",
            &[&collection, &object, &namespace, &name],
        )
        .await
        .map(drop)
    }
}

/// A property from its namespace, name and value columns, starting at `first`.
pub fn property_at(r: &Row, first: usize) -> Result<Property> {
    Ok(Property {
        namespace: get(r, first)?,
        name: get(r, first + 1)?,
        xml: get(r, first + 2)?,
    })
}
