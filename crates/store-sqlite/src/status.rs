//! The schema version (`PRAGMA user_version`) and the totals readiness and metrics read.

use store::db::StatusStatements;
use store::Result;

use crate::schema::SCHEMA_VERSION;
use crate::{query_one, unsigned, SqliteConn};

impl StatusStatements for SqliteConn {
    async fn schema_versions(&self) -> Result<(u32, u32)> {
        self.with(|c| {
            let found: i64 = query_one(c, "PRAGMA user_version", [], |r| r.get(0))?;
            let expected = u32::try_from(SCHEMA_VERSION).unwrap_or(u32::MAX);
            Ok((u32::try_from(found).unwrap_or(0), expected))
        })
    }

    async fn totals(&self) -> Result<(u64, u64)> {
        self.with(|c| {
            let users: i64 = query_one(c, "SELECT count(*) FROM principal", [], |r| r.get(0))?;
            let objects: i64 = query_one(
                c,
                "SELECT count(*) FROM calendar_object o \
                 JOIN collection c ON c.id = o.collection_id WHERE c.deleted_at IS NULL",
                [],
                |r| r.get(0),
            )?;
            Ok((unsigned(users), unsigned(objects)))
        })
    }
}
