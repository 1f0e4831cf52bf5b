//! The schema version (`calvault_schema`) and the totals readiness and metrics read.

use store::db::StatusStatements;
use store::Result;

use crate::rows::get;
use crate::schema::SCHEMA_VERSION;
use crate::{unsigned, PgConn};

impl StatusStatements for PgConn {
    async fn schema_versions(&self) -> Result<(u32, u32)> {
        let row = self
            .query_one("SELECT COALESCE(max(version), 0) FROM calvault_schema", &[])
            .await?;
        let found: i32 = get(&row, 0)?;
        let expected = u32::try_from(SCHEMA_VERSION).unwrap_or(u32::MAX);
        Ok((u32::try_from(found).unwrap_or(0), expected))
    }

    async fn totals(&self) -> Result<(u64, u64)> {
        let row = self
            .query_one(
                "SELECT (SELECT count(*) FROM principal), \
                 (SELECT count(*) FROM calendar_object o \
                  JOIN collection c ON c.id = o.collection_id WHERE c.deleted_at IS NULL)",
                &[],
            )
            .await?;
        Ok((unsigned(get(&row, 0)?), unsigned(get(&row, 1)?)))
    }
}
