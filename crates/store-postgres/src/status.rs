//! The schema version (`calvault_schema`).

use store::db::sql::Sql;
use store::db::SchemaStatements;
use store::Result;

use crate::schema::SCHEMA_VERSION;
use crate::PgConn;

impl SchemaStatements for PgConn {
    async fn schema_versions(&self) -> Result<(u32, u32)> {
        let found: i64 = self
            .query_one(
                "SELECT COALESCE(max(version), 0) FROM calvault_schema",
                &[],
                |r| r.get(0),
            )
            .await?;
        let expected = u32::try_from(SCHEMA_VERSION).unwrap_or(u32::MAX);
        Ok((u32::try_from(found).unwrap_or(0), expected))
    }
}
