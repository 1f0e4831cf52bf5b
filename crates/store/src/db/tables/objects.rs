//! Objects: the exact bytes a client stored (`calendar_object_data`), their metadata and
//! index (`calendar_object`), and their instance rows (`calendar_object_instance`). A
//! listing page, a multiget and an object's write are each dialect's own
//! ([`ObjectDialectStatements`]): SQLite and PostgreSQL do them fastest in different ways.

use super::indexed_by;
use crate::db::columns::{and_data_from, OBJECT_META_COLUMNS, OBJECT_META_COUNT};
use crate::db::sql::{params, unsigned, Dialect, Sql, Text};
use crate::db::{rows, ObjectStatements, NOT_INDEXED, UNBOUNDED_END, UNBOUNDED_START};
use crate::rules::object::ObjectState;
use crate::rules::range::EventQuery;
use bytes::Bytes;

use crate::{CollectionId, InstanceIndex, ObjectMeta, PrincipalId, Result, StoredObject};

/// The larger of two values: a scalar `max` in SQLite, `GREATEST` in PostgreSQL.
fn greatest(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "max",
        Dialect::Postgres => "GREATEST",
    }
}

impl<C: Sql> ObjectStatements for C {
    async fn objects(&self, collection: CollectionId) -> Result<Vec<ObjectMeta>> {
        let sql = format!(
            "SELECT {OBJECT_META_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
             ORDER BY name"
        );
        self.query(&sql, params![collection], rows::object_meta)
            .await
    }

    async fn object_count(&self, collection: CollectionId) -> Result<u64> {
        let sql = "SELECT count(*) FROM calendar_object WHERE collection_id = $1";
        let count: i64 = self
            .query_one(sql, params![collection], |r| r.get(0))
            .await?;
        Ok(unsigned(count))
    }

    async fn object(&self, collection: CollectionId, name: &str) -> Result<Option<StoredObject>> {
        // Built once: formatting the statement's text on every lookup showed in GET's profile.
        static SQL: Text = Text::new();
        let sql = SQL.get(C::DIALECT, |dialect| {
            format!(
                "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object {} \
                 JOIN calendar_object_data ON object_id = id WHERE collection_id = $1 AND name = $2",
                indexed_by(dialect, "calendar_object_listing")
            )
        });
        self.query_opt(sql, params![collection, name], rows::stored)
            .await
    }

    async fn objects_in_range(
        &self,
        collection: CollectionId,
        component: Option<&str>,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Vec<ObjectMeta>> {
        static SQL: Text = Text::new();
        // calendar_object_span answers it: a range on last_end, the rest in the index.
        let sql = SQL.get(C::DIALECT, |dialect| {
            format!(
                "SELECT {OBJECT_META_COLUMNS} FROM calendar_object {} WHERE collection_id = $1 \
                 AND last_end >= $2 AND first_start <= $3 \
                 AND (CAST($4 AS TEXT) IS NULL OR component = $4) ORDER BY name",
                indexed_by(dialect, "calendar_object_span")
            )
        });
        let (start, end) = (
            start.unwrap_or(UNBOUNDED_START),
            end.unwrap_or(UNBOUNDED_END),
        );
        let p = params![collection, start, end, component];
        self.query(sql, p, rows::object_meta).await
    }

    async fn indexed_events(&self, q: &EventQuery) -> Result<Vec<(ObjectMeta, Option<Bytes>)>> {
        let data_join = and_data_from(q.with_data);
        // `floating = FALSE` rather than `NOT floating`: an equality SQLite's index answers.
        let sql = format!(
            "SELECT {OBJECT_META_COLUMNS}{data_join} WHERE id IN \
             (SELECT object_id FROM calendar_object_instance WHERE collection_id = $1 \
              AND floating = FALSE AND start_at >= $2 AND start_at < $3 AND end_at > $4 \
              AND object_id % $9 = $8 \
              UNION ALL SELECT object_id FROM calendar_object_instance WHERE collection_id = $1 \
              AND floating = TRUE AND start_at >= $5 AND start_at < $6 AND end_at > $7 \
              AND object_id % $9 = $8)"
        );
        let (u, f) = (q.utc, q.floating);
        let p = params![
            q.collection,
            u.from,
            u.until,
            u.after,
            f.from,
            f.until,
            f.after,
            q.part,
            q.of
        ];
        self.query(&sql, p, |r| {
            let data = match q.with_data {
                true => Some(Bytes::from(r.get::<Vec<u8>>(OBJECT_META_COUNT)?)),
                false => None,
            };
            Ok((rows::object_meta(r)?, data))
        })
        .await
    }

    /// The index range (instances_until below the later of the two ends) skips every fully
    /// indexed object.
    async fn unindexed_events(&self, q: &EventQuery) -> Result<Vec<ObjectMeta>> {
        let from = format!(
            "SELECT {OBJECT_META_COLUMNS} FROM calendar_object {} WHERE collection_id = $1 \
             AND component = 'VEVENT'",
            indexed_by(C::DIALECT, "calendar_object_unindexed")
        );
        let Some(floating_end) = q.floating_end else {
            let sql = format!(
                "{from} AND last_end >= $2 AND first_start <= $3 \
                 AND (instances_floating = FALSE AND instances_until < $3 \
                 OR instances_floating = TRUE) AND id % $5 = $4"
            );
            let p = params![q.collection, q.start, q.end, q.part, q.of];
            return self.query(&sql, p, rows::object_meta).await;
        };
        let sql = format!(
            "{from} AND instances_until < {}(CAST($3 AS BIGINT), CAST($4 AS BIGINT)) \
             AND last_end >= $2 AND first_start <= $3 \
             AND (instances_floating = FALSE AND instances_until < $3 \
             OR instances_floating = TRUE AND instances_until < $4) AND id % $6 = $5",
            greatest(C::DIALECT)
        );
        let p = params![q.collection, q.start, q.end, floating_end, q.part, q.of];
        self.query(&sql, p, rows::object_meta).await
    }

    async fn object_state(
        &self,
        collection: CollectionId,
        name: &str,
    ) -> Result<Option<ObjectState>> {
        let sql =
            "SELECT etag, size, uid FROM calendar_object WHERE collection_id = $1 AND name = $2";
        self.query_opt(sql, params![collection, name], |r| {
            Ok(ObjectState {
                etag: r.get(0)?,
                size: unsigned(r.get(1)?),
                uid: r.get(2)?,
            })
        })
        .await
    }

    async fn uid_holder(
        &self,
        collection: CollectionId,
        uid: &str,
        except: &str,
    ) -> Result<Option<String>> {
        let sql = "SELECT name FROM calendar_object WHERE collection_id = $1 AND uid = $2 \
                   AND name <> $3";
        self.query_opt(sql, params![collection, uid, except], |r| r.get(0))
            .await
    }

    async fn objects_by_uid(&self, owner: PrincipalId, uid: &str) -> Result<Vec<StoredObject>> {
        static SQL: Text = Text::new();
        let sql = SQL.get(C::DIALECT, |_| {
            format!(
                "SELECT {OBJECT_META_COLUMNS}, data FROM calendar_object \
                 JOIN calendar_object_data ON object_id = id WHERE uid = $2 AND collection_id IN \
                 (SELECT id FROM collection WHERE owner_id = $1 AND deleted_at IS NULL) \
                 ORDER BY collection_id, name"
            )
        });
        self.query(sql, params![owner, uid], rows::stored).await
    }

    async fn instances(
        &self,
        collection: CollectionId,
        name: &str,
    ) -> Result<Option<InstanceIndex>> {
        let sql = "SELECT id, instances_until, instances_floating FROM calendar_object \
                   WHERE collection_id = $1 AND name = $2";
        let found = self
            .query_opt(sql, params![collection, name], |r| {
                Ok((r.get::<i64>(0)?, r.get::<i64>(1)?, r.get::<bool>(2)?))
            })
            .await?;
        let Some((id, complete_until, floating)) = found else {
            return Ok(None);
        };
        if complete_until == NOT_INDEXED {
            return Ok(None);
        }
        let sql = "SELECT start_at, end_at FROM calendar_object_instance WHERE object_id = $1 \
                   ORDER BY start_at";
        let spans = self
            .query(sql, params![id], |r| Ok((r.get(0)?, r.get(1)?)))
            .await?;
        Ok(Some(InstanceIndex {
            spans,
            complete_until,
            floating,
        }))
    }

    async fn delete_object(&self, collection: CollectionId, name: &str) -> Result<()> {
        let p = params![collection, name];
        tokio::try_join!(
            self.execute(
                "DELETE FROM calendar_object WHERE collection_id = $1 AND name = $2",
                p
            ),
            self.execute(
                "DELETE FROM dead_property WHERE collection_id = $1 AND object_name = $2",
                p
            ),
        )?;
        Ok(())
    }
}
