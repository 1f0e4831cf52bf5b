//! The schema version (`PRAGMA user_version`).

use store::db::sql::Sql;
use store::db::SchemaStatements;
use store::Result;

use crate::schema::SCHEMA_VERSION;
use crate::SqliteConn;

impl SchemaStatements for SqliteConn {
    async fn schema_versions(&self) -> Result<(u32, u32)> {
        let found: i64 = self
            .query_one("PRAGMA user_version", &[], |r| r.get(0))
            .await?;
        let expected = u32::try_from(SCHEMA_VERSION).unwrap_or(u32::MAX);
        Ok((u32::try_from(found).unwrap_or(0), expected))
    }
}
