//! The schema version (`calvault_schema`) and the totals readiness and metrics read.

use store::db::sql::{unsigned, Sql};
use store::db::StatusStatements;
use store::Result;

use crate::schema::SCHEMA_VERSION;
use crate::PgConn;

impl StatusStatements for PgConn {
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

    async fn totals(&self) -> Result<(u64, u64)> {
        let sql = "SELECT (SELECT count(*) FROM principal), \
                   (SELECT count(*) FROM calendar_object o \
                   JOIN collection c ON c.id = o.collection_id WHERE c.deleted_at IS NULL)";
        let (users, objects): (i64, i64) = self
            .query_one(sql, &[], |r| Ok((r.get(0)?, r.get(1)?)))
            .await?;
        Ok((unsigned(users), unsigned(objects)))
    }
}
