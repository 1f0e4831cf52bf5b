//! PostgreSQL's own object statements (`store::db::ObjectDialectStatements`): a multiget
//! as one array parameter, and an object's write as one statement (its row, its bytes and
//! its instance rows), each one round trip.

use std::collections::HashMap;
use std::sync::LazyLock;

use store::db::columns::{
    LISTED_OBJECT_COLUMNS, OBJECT_META_COLUMNS, OBJECT_WRITE_COLUMNS, OBJECT_WRITE_CONFLICT,
};
use store::db::sql::{params, signed, Sql};
use store::db::{
    rows, ObjectDialectStatements, ObjectWrite, NOT_INDEXED, UNBOUNDED_END, UNBOUNDED_START,
};
use store::{CollectionId, ObjectMeta, Result, StoredObject};

use crate::sql::Row;
use crate::PgConn;

impl ObjectDialectStatements for PgConn {
    async fn objects_page(
        &self, collection: CollectionId, after: Option<&str>, limit: usize,
    ) -> Result<Vec<ObjectMeta>> {
        // A plain `name > $2` (no "or NULL") so that each page is one seek on the index.
        let sql = format!(
            "SELECT {LISTED_OBJECT_COLUMNS} FROM calendar_object WHERE collection_id = $1 \
             AND name > $2 ORDER BY name LIMIT $3"
        );
        let p = params![collection, after.unwrap_or(""), signed(limit)];
        Sql::query(self, &sql, p, rows::listed_object).await
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
        let found = self.query_raw(&sql, &[&collection, &names]).await?;
        let found: Vec<StoredObject> = found
            .iter()
            .map(|r| rows::stored(&Row(r)))
            .collect::<Result<_>>()?;
        let mut position: HashMap<&str, usize> = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            position.entry(name.as_str()).or_insert(i);
        }
        let mut found = found;
        found.sort_by_key(|o| position.get(o.meta.name.as_str()).copied());
        Ok(found)
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
        self.execute_raw(
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
}
