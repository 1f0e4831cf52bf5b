//! The totals readiness and metrics read.

use crate::db::sql::{unsigned, Sql};
use crate::db::StatusStatements;
use crate::Result;

impl<C: Sql> StatusStatements for C {
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
