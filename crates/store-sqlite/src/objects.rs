//! SQLite's own object statements (`store::db::ObjectDialectStatements`): a listing page
//! sized up front, a multiget from one snapshot with one cached statement, and an object's
//! write as a few statements (SQLite answers each at once).

use std::collections::HashSet;

use rusqlite::params;
use store::db::columns::{LISTED_OBJECT_COLUMNS, OBJECT_WRITE_COLUMNS, OBJECT_WRITE_CONFLICT};
use store::db::sql::{self, signed, Dialect, Sql, Text};
use store::db::{
    rows, ObjectDialectStatements, ObjectStatements, ObjectWrite, NOT_INDEXED, UNBOUNDED_END,
    UNBOUNDED_START,
};
use store::{CollectionId, ObjectMeta, Result, StoredObject};

use crate::sql::Row;
use crate::{backend, SqliteConn};

/// The most records a page makes room for before it has read them.
const PAGE_PREALLOC_MAX: usize = 4_096;

impl ObjectDialectStatements for SqliteConn {
    async fn objects_page(
        &self, collection: CollectionId, after: Option<&str>, limit: usize,
    ) -> Result<Vec<ObjectMeta>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&page_sql()).map_err(backend)?;
            let mut found = stmt
                .query(params![collection, after.unwrap_or(""), signed(limit)])
                .map_err(backend)?;
            // Sized up front: a metadata record is large, and growing a page by doubling
            // copied each one several times.
            let mut page = Vec::with_capacity(limit.min(PAGE_PREALLOC_MAX));
            while let Some(row) = found.next().map_err(backend)? {
                page.push(rows::listed_object(&Row(row))?);
            }
            Ok(page)
        })
    }

    /// Each name is looked up with the one cached statement `object` uses, inside one
    /// savepoint (a read transaction, or a part of the write's): every object comes from the
    /// same snapshot, and no statement is parsed per request (an `IN (?, ?, ...)` list is a
    /// new statement for every count of names).
    async fn objects_by_name(
        &self, collection: CollectionId, names: &[String],
    ) -> Result<Vec<StoredObject>> {
        self.execute("SAVEPOINT multiget", &[]).await?;
        let mut out = Vec::with_capacity(names.len());
        // Each object once, however often it is named, as an `IN` list would give it.
        let mut seen = HashSet::with_capacity(names.len());
        let mut found = Ok(());
        for name in names.iter().filter(|n| seen.insert(n.as_str())) {
            match self.object(collection, name).await {
                Ok(object) => out.extend(object),
                Err(e) => {
                    found = Err(e);
                    break;
                }
            }
        }
        let released = self.execute("RELEASE multiget", &[]).await;
        if found.is_err() || released.is_err() {
            // Never hand back a connection inside a transaction (a frozen snapshot): undo
            // whatever is left, and answer the first error.
            let _ = self.execute("ROLLBACK TO multiget", &[]).await;
            let _ = self.execute("RELEASE multiget", &[]).await;
        }
        found?;
        released?;
        Ok(out)
    }

    async fn write_object(&self, o: &ObjectWrite<'_>) -> Result<()> {
        static WRITE: Text = Text::new();
        let write = WRITE.get(Dialect::Sqlite, |_| {
            format!(
                "INSERT INTO calendar_object ({OBJECT_WRITE_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13) \
                 {OBJECT_WRITE_CONFLICT} RETURNING id"
            )
        });
        let p = sql::params![
            o.collection,
            o.name,
            o.index.uid.as_ref(),
            o.etag,
            o.content_type,
            o.index.component.as_ref(),
            o.index.first_start.unwrap_or(UNBOUNDED_START),
            o.index.last_end.unwrap_or(UNBOUNDED_END),
            signed(o.data.len()),
            o.at,
            o.seq,
            o.instances.map_or(NOT_INDEXED, |i| i.complete_until),
            o.instances.is_some_and(|i| i.floating),
        ];
        let id: i64 = self.query_one(write, p, |r| r.get(0)).await?;
        let data = "INSERT INTO calendar_object_data (object_id, data) VALUES ($1, $2) \
                    ON CONFLICT (object_id) DO UPDATE SET data = excluded.data";
        self.execute(data, sql::params![id, o.data]).await?;
        let stale = "DELETE FROM calendar_object_instance WHERE object_id = $1";
        self.execute(stale, sql::params![id]).await?;
        let Some(index) = o.instances else {
            return Ok(());
        };
        let spans: Vec<_> = index
            .spans
            .iter()
            .map(|(start, end)| {
                sql::params![id, o.collection, index.floating, *start, *end].to_vec()
            })
            .collect();
        let insert = "INSERT INTO calendar_object_instance \
                      (object_id, collection_id, floating, start_at, end_at)";
        self.insert_rows(insert, &spans).await
    }
}

/// A plain `name > ?` (no "or NULL") so that each page is one seek on the listing index,
/// which holds every column asked for.
fn page_sql() -> String {
    format!(
        "SELECT {LISTED_OBJECT_COLUMNS} FROM calendar_object WHERE collection_id = ?1 \
         AND name > ?2 ORDER BY name LIMIT ?3"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn a_listing_page_is_read_from_the_index_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", page_sql()))
            .unwrap()
            .query_map(params![1, "", 10], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            plan,
            [
                "SEARCH calendar_object USING COVERING INDEX calendar_object_listing \
              (collection_id=? AND name>?)"
            ],
            "no table lookup per object and no sort"
        );
    }
}
