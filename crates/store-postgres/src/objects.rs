//! Objects: the exact bytes a client stored (`calendar_object_data`), their metadata and
//! index (`calendar_object`), and their instance rows (`calendar_object_instance`).

use std::collections::HashMap;
use std::sync::LazyLock;

use bytes::Bytes;
use store::db::{ObjectStatements, ObjectWrite, NOT_INDEXED, UNBOUNDED_END, UNBOUNDED_START};
use store::rules::object::ObjectState;
use store::rules::range::EventQuery;
use store::{CollectionId, InstanceIndex, ObjectMeta, PrincipalId, Result, StoredObject};

use crate::rows::{
    self, and_data_from, get, LISTED_OBJECT_COLUMNS, OBJECT_META_COLUMNS, OBJECT_META_COUNT,
    OBJECT_WRITE_COLUMNS, OBJECT_WRITE_CONFLICT,
};
use crate::{signed, unsigned, PgConn};

impl ObjectStatements for PgConn {
    async fn objects(&self, collection: CollectionId) -> Result<Vec<ObjectMeta>> {
        let sql = format!(
            "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
             ORDER BY name"
        );
        rows::all(&self.query(&sql, &[&collection]).await?, rows::object_meta)
    }

    async fn objects_page(
        &self, collection: CollectionId, after: Option<&str>, limit: usize,
    ) -> Result<Vec<ObjectMeta>> {
        // A plain `name > $2` (no "or NULL") so that each page is one seek on the index.
        let sql = format!(
            "SELECT {LISTED_OBJECT_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
             AND name > $2 ORDER BY name LIMIT $3"
        );
        let found = self
            .query(&sql, &[&collection, &after.unwrap_or(""), &signed(limit)])
            .await?;
        rows::all(&found, rows::listed_object)
    }

    async fn object_count(&self, collection: CollectionId) -> Result<u64> {
        let row = self
            .query_one(
                "SELECT count(*) FROM calendar_object WHERE collection_id = $1",
                &[&collection],
            )
            .await?;
        Ok(unsigned(get(&row, 0)?))
    }

    async fn object(&self, collection: CollectionId, name: &str) -> Result<Option<StoredObject>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object \
                 JOIN calendar_object_data ON object_id = id WHERE collection_id = $1 AND name = $2"
            )
        });
        let row = self.query_opt(&SQL, &[&collection, &name]).await?;
        row.as_ref().map(rows::stored).transpose()
    }

    /// One array parameter, however many names: no statement per count of names. The answer
    /// follows the order of the names, as the request gave them.
    async fn objects_by_name(
        &self, collection: CollectionId, names: &[String],
    ) -> Result<Vec<StoredObject>> {
        let sql = format!(
            "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object \
             JOIN calendar_object_data ON object_id = id \
             WHERE collection_id = $1 AND name = ANY($2::TEXT[])"
        );
        let found = rows::all(
            &self.query(&sql, &[&collection, &names]).await?,
            rows::stored,
        )?;
        let mut position: HashMap<&str, usize> = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            position.entry(name.as_str()).or_insert(i);
        }
        let mut found = found;
        found.sort_by_key(|o| position.get(o.meta.name.as_str()).copied());
        Ok(found)
    }

    async fn objects_in_range(
        &self, collection: CollectionId, component: Option<&str>, start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Vec<ObjectMeta>> {
        let (start, end) = (
            start.unwrap_or(UNBOUNDED_START),
            end.unwrap_or(UNBOUNDED_END),
        );
        // calendar_object_span answers it: a range on last_end, the rest in the index.
        let sql = format!(
            "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
             AND last_end >= $2 AND first_start <= $3 \
             AND ($4::TEXT IS NULL OR component = $4::TEXT) ORDER BY name"
        );
        let found = self
            .query(&sql, &[&collection, &start, &end, &component])
            .await?;
        rows::all(&found, rows::object_meta)
    }

    async fn indexed_events(&self, q: &EventQuery) -> Result<Vec<(ObjectMeta, Option<Bytes>)>> {
        let data_join = and_data_from(q.with_data);
        let sql = format!(
            "SELECT {OBJECT_META_COLUMNS}{data_join} WHERE id IN \
             (SELECT object_id FROM calendar_object_instance WHERE collection_id = $1 \
             AND NOT floating AND start_at >= $2 AND start_at < $3 AND end_at > $4 \
             AND object_id % $9 = $8 \
             UNION ALL SELECT object_id FROM calendar_object_instance WHERE collection_id = $1 \
             AND floating AND start_at >= $5 AND start_at < $6 AND end_at > $7 \
             AND object_id % $9 = $8)"
        );
        let (u, f) = (q.utc, q.floating);
        let found = self
            .query(
                &sql,
                &[
                    &q.collection,
                    &u.from,
                    &u.until,
                    &u.after,
                    &f.from,
                    &f.until,
                    &f.after,
                    &q.part,
                    &q.of,
                ],
            )
            .await?;
        rows::all(&found, |r| {
            let data = match q.with_data {
                true => Some(Bytes::from(get::<Vec<u8>>(r, OBJECT_META_COUNT)?)),
                false => None,
            };
            Ok((rows::object_meta(r)?, data))
        })
    }

    /// The index range (instances_until below the later of the two ends) skips every fully
    /// indexed object.
    async fn unindexed_events(&self, q: &EventQuery) -> Result<Vec<ObjectMeta>> {
        let found = match q.floating_end {
            Some(floating_end) => {
                let sql = format!(
                    "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
                     AND component = 'VEVENT' \
                     AND instances_until < GREATEST($3::BIGINT, $4::BIGINT) \
                     AND last_end >= $2 AND first_start <= $3 \
                     AND (NOT instances_floating AND instances_until < $3 \
                     OR instances_floating AND instances_until < $4) \
                     AND id % $6 = $5"
                );
                let params: crate::Params<'_> = &[
                    &q.collection,
                    &q.start,
                    &q.end,
                    &floating_end,
                    &q.part,
                    &q.of,
                ];
                self.query(&sql, params).await?
            }
            None => {
                let sql = format!(
                    "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
                     AND component = 'VEVENT' AND last_end >= $2 AND first_start <= $3 \
                     AND (NOT instances_floating AND instances_until < $3 OR instances_floating) \
                     AND id % $5 = $4"
                );
                self.query(&sql, &[&q.collection, &q.start, &q.end, &q.part, &q.of])
                    .await?
            }
        };
        rows::all(&found, rows::object_meta)
    }

    async fn object_state(
        &self, collection: CollectionId, name: &str,
    ) -> Result<Option<ObjectState>> {
        let row = self
            .query_opt(
                "SELECT etag, size, uid FROM calendar_object WHERE collection_id = $1 AND name = $2",
                &[&collection, &name],
            )
            .await?;
        row.map(|r| {
            Ok(ObjectState {
                etag: get(&r, 0)?,
                size: unsigned(get(&r, 1)?),
                uid: get(&r, 2)?,
            })
        })
        .transpose()
    }

    async fn uid_holder(
        &self, collection: CollectionId, uid: &str, except: &str,
    ) -> Result<Option<String>> {
        let row = self
            .query_opt(
                "SELECT name FROM calendar_object WHERE collection_id = $1 AND uid = $2 \
                 AND name <> $3",
                &[&collection, &uid, &except],
            )
            .await?;
        row.map(|r| get(&r, 0)).transpose()
    }

    async fn objects_by_uid(&self, owner: PrincipalId, uid: &str) -> Result<Vec<StoredObject>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object \
                 JOIN calendar_object_data ON object_id = id WHERE uid = $2 AND collection_id IN \
                 (SELECT id FROM collection WHERE owner_id = $1 AND deleted_at IS NULL) \
                 ORDER BY collection_id, name"
            )
        });
        rows::all(&self.query(&SQL, &[&owner, &uid]).await?, rows::stored)
    }

    async fn instances(
        &self, collection: CollectionId, name: &str,
    ) -> Result<Option<InstanceIndex>> {
        let Some(row) = self
            .query_opt(
                "SELECT id, instances_until, instances_floating FROM calendar_object \
                 WHERE collection_id = $1 AND name = $2",
                &[&collection, &name],
            )
            .await?
        else {
            return Ok(None);
        };
        let (id, complete_until, floating): (i64, i64, bool) =
            (get(&row, 0)?, get(&row, 1)?, get(&row, 2)?);
        if complete_until == NOT_INDEXED {
            return Ok(None);
        }
        let spans = self
            .query(
                "SELECT start_at, end_at FROM calendar_object_instance WHERE object_id = $1 \
                 ORDER BY start_at",
                &[&id],
            )
            .await?;
        Ok(Some(InstanceIndex {
            spans: rows::all(&spans, |r| Ok((get(r, 0)?, get(r, 1)?)))?,
            complete_until,
            floating,
        }))
    }

    /// The object's row, its bytes and its instance rows, in one statement.
    async fn write_object(&self, o: &ObjectWrite<'_>) -> Result<()> {
        // Data-modifying CTEs see one snapshot: the DELETE removes only the old instance
        // rows, and the foreign keys are checked at the end of the statement, once the object
        // row exists.
        static WRITE_SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH object AS ( \
                     INSERT INTO calendar_object ({OBJECT_WRITE_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13) \
                     {OBJECT_WRITE_CONFLICT} RETURNING id), \
                 data AS ( \
                     INSERT INTO calendar_object_data (object_id, data) SELECT id, $14 FROM object \
                     ON CONFLICT (object_id) DO UPDATE SET data = excluded.data), \
                 stale AS ( \
                     DELETE FROM calendar_object_instance \
                     WHERE object_id = (SELECT id FROM object)) \
                 INSERT INTO calendar_object_instance \
                     (object_id, collection_id, floating, start_at, end_at) \
                 SELECT object.id, $1, $13, s, e \
                 FROM object, unnest($15::BIGINT[], $16::BIGINT[]) AS spans(s, e)"
            )
        });
        let (starts, ends): (Vec<i64>, Vec<i64>) = o
            .instances
            .iter()
            .flat_map(|i| i.spans.iter().copied())
            .unzip();
        self.execute(
            &WRITE_SQL,
            &[
                &o.collection,
                &o.name,
                &o.index.uid,
                &o.etag,
                &o.content_type,
                &o.index.component,
                &o.index.first_start.unwrap_or(UNBOUNDED_START),
                &o.index.last_end.unwrap_or(UNBOUNDED_END),
                &signed(o.data.len()),
                &o.at,
                &o.seq,
                &o.instances.map_or(NOT_INDEXED, |i| i.complete_until),
                &o.instances.is_some_and(|i| i.floating),
                &o.data,
                &starts,
                &ends,
            ],
        )
        .await
        .map(drop)
    }

    async fn delete_object(&self, collection: CollectionId, name: &str) -> Result<()> {
        let params: crate::Params<'_> = &[&collection, &name];
        tokio::try_join!(
            self.execute(
                "DELETE FROM calendar_object WHERE collection_id = $1 AND name = $2",
                params,
            ),
            self.execute(
                "DELETE FROM dead_property WHERE collection_id = $1 AND object_name = $2",
                params,
            ),
        )?;
        Ok(())
    }
}
