//! The `dead_property` table: stored properties of collections and objects (object_name ''
//! is the collection itself).

use crate::db::sql::{params, Sql};
use crate::db::{rows, PropertyStatements};
use crate::{CollectionId, Property, Result};

impl<C: Sql> PropertyStatements for C {
    async fn properties(&self, collection: CollectionId, object: &str) -> Result<Vec<Property>> {
        let sql = "SELECT namespace, name, value FROM dead_property \
                   WHERE collection_id = $1 AND object_name = $2 ORDER BY namespace, name";
        self.query(sql, params![collection, object], |r| {
            rows::property_at(r, 0)
        })
        .await
    }

    async fn member_properties(&self, collection: CollectionId) -> Result<Vec<(String, Property)>> {
        let sql = "SELECT object_name, namespace, name, value FROM dead_property \
                   WHERE collection_id = $1 AND object_name <> '' \
                   ORDER BY object_name, namespace, name";
        self.query(sql, params![collection], |r| {
            Ok((r.get(0)?, rows::property_at(r, 1)?))
        })
        .await
    }

    async fn set_property(
        &self,
        collection: CollectionId,
        object: &str,
        p: &Property,
    ) -> Result<()> {
        let sql = "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
                   VALUES ($1, $2, $3, $4, $5) \
                   ON CONFLICT (collection_id, object_name, namespace, name) \
                   DO UPDATE SET value = excluded.value";
        let values = params![collection, object, &p.namespace, &p.name, &p.xml];
        self.execute(sql, values).await.map(drop)
    }

    async fn remove_property(
        &self,
        collection: CollectionId,
        object: &str,
        namespace: &str,
        name: &str,
    ) -> Result<()> {
        let sql = "DELETE FROM dead_property WHERE collection_id = $1 AND object_name = $2 \
                   AND namespace = $3 AND name = $4";
        self.execute(sql, params![collection, object, namespace, name])
            .await
            .map(drop)
    }
}
