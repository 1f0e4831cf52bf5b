//! Objects: the exact bytes a client stored (`calendar_object_data`), their metadata and
//! index (`calendar_object`), and their instance rows (`calendar_object_instance`).

use std::sync::LazyLock;

use bytes::Bytes;
use rusqlite::{params, Connection};
use store::db::{ObjectStatements, ObjectWrite, NOT_INDEXED, UNBOUNDED_END, UNBOUNDED_START};
use store::rules::object::ObjectState;
use store::rules::range::EventQuery;
use store::{CollectionId, InstanceIndex, ObjectMeta, PrincipalId, Result, StoredObject};

use crate::rows::{
    self, and_data_from, LISTED_OBJECT_COLUMNS, OBJECT_META_COLUMNS, OBJECT_META_COUNT,
    OBJECT_WRITE_COLUMNS, OBJECT_WRITE_CONFLICT,
};
use crate::{backend, execute, query_all, query_one, query_opt, signed, unsigned, SqliteConn};

/// Looks an object up by name in the listing index, which holds every metadata column and
/// the row id: the planner's choice, the unique index on (collection, name), needs one more
/// b-tree search per object, in the table.
pub const BY_NAME_WITH_META: &str = "INDEXED BY calendar_object_listing";

/// The most records a page makes room for before it has read them.
const PAGE_PREALLOC_MAX: usize = 4_096;

impl ObjectStatements for SqliteConn {
    async fn objects(&self, collection: CollectionId) -> Result<Vec<ObjectMeta>> {
        self.with(|c| {
            let sql = format!(
                "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = ?1 \
                 ORDER BY name"
            );
            query_all(c, &sql, [collection], rows::object_meta)
        })
    }

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
                page.push(rows::listed_object(row).map_err(backend)?);
            }
            Ok(page)
        })
    }

    async fn object_count(&self, collection: CollectionId) -> Result<u64> {
        self.with(|c| {
            let sql = "SELECT count(*) FROM calendar_object WHERE collection_id = ?1";
            query_one(c, sql, [collection], |r| r.get(0)).map(unsigned)
        })
    }

    async fn object(&self, collection: CollectionId, name: &str) -> Result<Option<StoredObject>> {
        self.with(|c| get(c, collection, name))
    }

    /// Each name is looked up with the one cached statement `object` uses, inside one read
    /// transaction: every object comes from the same snapshot, and no statement is parsed
    /// per request (an `IN (?, ?, ...)` list is a new statement for every count of names).
    async fn objects_by_name(
        &self, collection: CollectionId, names: &[String],
    ) -> Result<Vec<StoredObject>> {
        self.with(|c| {
            let snapshot = c.unchecked_transaction().map_err(backend)?;
            let mut out = Vec::with_capacity(names.len());
            // Each object once, however often it is named, as an `IN` list would give it.
            let mut seen = std::collections::HashSet::with_capacity(names.len());
            for name in names.iter().filter(|n| seen.insert(n.as_str())) {
                if let Some(object) = get(&snapshot, collection, name)? {
                    out.push(object);
                }
            }
            snapshot.finish().map_err(backend)?;
            Ok(out)
        })
    }

    async fn objects_in_range(
        &self, collection: CollectionId, component: Option<&str>, start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Vec<ObjectMeta>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {OBJECT_META_COLUMNS} FROM calendar_object \
                 INDEXED BY calendar_object_span WHERE collection_id = ?1 \
                 AND last_end >= ?2 AND first_start <= ?3 AND (?4 IS NULL OR component = ?4) \
                 ORDER BY name"
            )
        });
        let (start, end) = (
            start.unwrap_or(UNBOUNDED_START),
            end.unwrap_or(UNBOUNDED_END),
        );
        self.with(|c| {
            query_all(
                c,
                &SQL,
                params![collection, start, end, component],
                rows::object_meta,
            )
        })
    }

    async fn indexed_events(&self, q: &EventQuery) -> Result<Vec<(ObjectMeta, Option<Bytes>)>> {
        let data_join = and_data_from(q.with_data);
        let sql = format!(
            "SELECT {OBJECT_META_COLUMNS}{data_join} WHERE id IN \
             (SELECT object_id FROM calendar_object_instance WHERE collection_id = ?1 \
              AND floating = 0 AND start_at >= ?2 AND start_at < ?3 AND end_at > ?4 \
              AND object_id % ?9 = ?8 \
              UNION ALL SELECT object_id FROM calendar_object_instance WHERE collection_id = ?1 \
              AND floating = 1 AND start_at >= ?5 AND start_at < ?6 AND end_at > ?7 \
              AND object_id % ?9 = ?8)"
        );
        let (u, f) = (q.utc, q.floating);
        self.with(|c| {
            query_all(
                c,
                &sql,
                params![
                    q.collection,
                    u.from,
                    u.until,
                    u.after,
                    f.from,
                    f.until,
                    f.after,
                    q.part,
                    q.of
                ],
                |r| {
                    let data = match q.with_data {
                        true => Some(r.get::<_, Vec<u8>>(OBJECT_META_COUNT)?.into()),
                        false => None,
                    };
                    Ok((rows::object_meta(r)?, data))
                },
            )
        })
    }

    /// The index range (instances_until below the later of the two ends) skips every fully
    /// indexed object.
    async fn unindexed_events(&self, q: &EventQuery) -> Result<Vec<ObjectMeta>> {
        self.with(|c| match q.floating_end {
            Some(floating_end) => query_all(
                c,
                &format!(
                    "SELECT {OBJECT_META_COLUMNS} FROM calendar_object \
                     INDEXED BY calendar_object_unindexed WHERE collection_id = ?1 \
                     AND component = 'VEVENT' AND instances_until < max(?3, ?4) \
                     AND last_end >= ?2 AND first_start <= ?3 \
                     AND (instances_floating = 0 AND instances_until < ?3 \
                          OR instances_floating = 1 AND instances_until < ?4) \
                     AND id % ?6 = ?5"
                ),
                params![q.collection, q.start, q.end, floating_end, q.part, q.of],
                rows::object_meta,
            ),
            None => query_all(
                c,
                &format!(
                    "SELECT {OBJECT_META_COLUMNS} FROM calendar_object \
                     INDEXED BY calendar_object_unindexed WHERE collection_id = ?1 \
                     AND component = 'VEVENT' AND last_end >= ?2 AND first_start <= ?3 \
                     AND (instances_floating = 0 AND instances_until < ?3 OR instances_floating = 1) \
                     AND id % ?5 = ?4"
                ),
                params![q.collection, q.start, q.end, q.part, q.of],
                rows::object_meta,
            ),
        })
    }

    async fn object_state(
        &self, collection: CollectionId, name: &str,
    ) -> Result<Option<ObjectState>> {
        self.with(|c| {
            query_opt(
                c,
                "SELECT etag, size, uid FROM calendar_object WHERE collection_id = ?1 AND name = ?2",
                params![collection, name],
                |r| {
                    Ok(ObjectState {
                        etag: r.get(0)?,
                        size: unsigned(r.get(1)?),
                        uid: r.get(2)?,
                    })
                },
            )
        })
    }

    async fn uid_holder(
        &self, collection: CollectionId, uid: &str, except: &str,
    ) -> Result<Option<String>> {
        self.with(|c| {
            query_opt(
                c,
                "SELECT name FROM calendar_object WHERE collection_id = ?1 AND uid = ?2 AND name <> ?3",
                params![collection, uid, except],
                |r| r.get(0),
            )
        })
    }

    async fn objects_by_uid(&self, owner: PrincipalId, uid: &str) -> Result<Vec<StoredObject>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object \
                 JOIN calendar_object_data ON object_id = id WHERE uid = ?2 AND collection_id IN \
                 (SELECT id FROM collection WHERE owner_id = ?1 AND deleted_at IS NULL) \
                 ORDER BY collection_id, name"
            )
        });
        self.with(|c| query_all(c, &SQL, params![owner, uid], stored))
    }

    async fn instances(
        &self, collection: CollectionId, name: &str,
    ) -> Result<Option<InstanceIndex>> {
        self.with(|c| {
            let Some((id, complete_until, floating)) = query_opt(
                c,
                "SELECT id, instances_until, instances_floating FROM calendar_object \
                 WHERE collection_id = ?1 AND name = ?2",
                params![collection, name],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, bool>(2)?,
                    ))
                },
            )?
            else {
                return Ok(None);
            };
            if complete_until == NOT_INDEXED {
                return Ok(None);
            }
            let spans = query_all(
                c,
                "SELECT start_at, end_at FROM calendar_object_instance WHERE object_id = ?1 \
                 ORDER BY start_at",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(Some(InstanceIndex {
                spans,
                complete_until,
                floating,
            }))
        })
    }

    async fn write_object(&self, o: &ObjectWrite<'_>) -> Result<()> {
        static WRITE_SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "INSERT INTO calendar_object ({OBJECT_WRITE_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13) \
                 {OBJECT_WRITE_CONFLICT} RETURNING id"
            )
        });
        self.with(|c| {
            let object_id: i64 = query_one(
                c,
                &WRITE_SQL,
                params![
                    o.collection,
                    o.name,
                    o.index.uid,
                    o.etag,
                    o.content_type,
                    o.index.component,
                    o.index.first_start.unwrap_or(UNBOUNDED_START),
                    o.index.last_end.unwrap_or(UNBOUNDED_END),
                    signed(o.data.len()),
                    o.at,
                    o.seq,
                    o.instances.map_or(NOT_INDEXED, |i| i.complete_until),
                    o.instances.is_some_and(|i| i.floating),
                ],
                |r| r.get(0),
            )?;
            execute(
                c,
                "INSERT INTO calendar_object_data (object_id, data) VALUES (?1, ?2) \
                 ON CONFLICT (object_id) DO UPDATE SET data = excluded.data",
                params![object_id, o.data],
            )?;
            write_instances(c, o.collection, object_id, o.instances)
        })
    }

    async fn delete_object(&self, collection: CollectionId, name: &str) -> Result<()> {
        self.with(|c| {
            execute(
                c,
                "DELETE FROM calendar_object WHERE collection_id = ?1 AND name = ?2",
                params![collection, name],
            )?;
            execute(
                c,
                "DELETE FROM dead_property WHERE collection_id = ?1 AND object_name = ?2",
                params![collection, name],
            )?;
            Ok(())
        })
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

fn get(c: &Connection, collection: CollectionId, name: &str) -> Result<Option<StoredObject>> {
    // Built once: formatting the statement's text on every lookup showed in GET's profile.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object {BY_NAME_WITH_META} \
             JOIN calendar_object_data ON object_id = id WHERE collection_id = ?1 AND name = ?2"
        )
    });
    query_opt(c, &SQL, params![collection, name], stored)
}

/// An object from a row of its [`OBJECT_META_COLUMNS`] followed by its data.
pub fn stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredObject> {
    Ok(StoredObject {
        meta: rows::object_meta(r)?,
        data: r.get::<_, Vec<u8>>(OBJECT_META_COUNT)?.into(),
    })
}

/// Replaces an object's instance rows with `index` (none when `None`).
fn write_instances(
    c: &Connection, collection: CollectionId, object_id: i64, index: Option<&InstanceIndex>,
) -> Result<()> {
    execute(
        c,
        "DELETE FROM calendar_object_instance WHERE object_id = ?1",
        [object_id],
    )?;
    let Some(index) = index else { return Ok(()) };
    let mut insert = c
        .prepare_cached(
            "INSERT INTO calendar_object_instance \
             (object_id, collection_id, floating, start_at, end_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(backend)?;
    for (start, end) in &index.spans {
        insert
            .execute(params![object_id, collection, index.floating, start, end])
            .map_err(backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
