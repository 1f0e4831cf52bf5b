//! Whole rows in and out, for moving an installation between backends (`store::dump`).
//! Loading keeps every id; [`DumpStatements::finish_load`] then moves the identity
//! sequences past them. Each load is one statement per table (rows passed as arrays and
//! spread by `unnest`), so a page of 500 objects costs a few round trips, not 1,500.

use std::collections::HashMap;

use store::db::{DumpStatements, UNBOUNDED_END, UNBOUNDED_START};
use store::dump::{CollectionRecord, ObjectRecord, PrincipalRecord, PropertyRecord};
use store::{CollectionId, Result, Version};

use crate::rows::{self, get, COLLECTION_COLUMNS, OBJECT_META_COLUMNS, VERSION_COLUMNS};
use crate::PgConn;

/// The tables whose ids come from an identity sequence.
const IDENTITY_TABLES: [&str; 5] = [
    "principal",
    "app_token",
    "collection",
    "calendar_object",
    "object_version",
];

impl DumpStatements for PgConn {
    async fn dump_principals(&self) -> Result<Vec<PrincipalRecord>> {
        let found = self
            .query(
                "SELECT id, name, display_name, email, password_hash, quota_bytes, created_at, \
                 disabled FROM principal ORDER BY id",
                &[],
            )
            .await?;
        rows::all(&found, |r| {
            Ok(PrincipalRecord {
                id: get(r, 0)?,
                name: get(r, 1)?,
                display_name: get(r, 2)?,
                email: get(r, 3)?,
                password_hash: get(r, 4)?,
                quota_bytes: get(r, 5)?,
                created_at: get(r, 6)?,
                disabled: get(r, 7)?,
            })
        })
    }

    async fn dump_collections(&self) -> Result<Vec<CollectionRecord>> {
        let found = self
            .query(
                &format!("SELECT {COLLECTION_COLUMNS}, deleted_at FROM collection ORDER BY id"),
                &[],
            )
            .await?;
        rows::all(&found, crate::collections::record)
    }

    async fn dump_objects(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>> {
        let limit = crate::signed(limit);
        let found = self
            .query(
                &format!(
                    "SELECT {OBJECT_META_COLUMNS}, id, data, instances_until, instances_floating \
                     FROM calendar_object JOIN calendar_object_data ON object_id = id \
                     WHERE collection_id = $1 AND id > $2 ORDER BY id LIMIT $3"
                ),
                &[&collection, &after, &limit],
            )
            .await?;
        let mut objects = rows::all(&found, |r| {
            Ok(ObjectRecord {
                meta: rows::object_meta(r)?,
                id: get(r, 12)?,
                data: get::<Vec<u8>>(r, 13)?.into(),
                instances_until: get(r, 14)?,
                instances_floating: get(r, 15)?,
                instances: Vec::new(),
            })
        })?;
        let ids: Vec<i64> = objects.iter().map(|o| o.id).collect();
        let spans = self
            .query(
                "SELECT object_id, start_at, end_at FROM calendar_object_instance \
                 WHERE object_id = ANY($1) ORDER BY object_id, start_at, end_at",
                &[&ids],
            )
            .await?;
        let mut by_object: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for r in &spans {
            by_object
                .entry(get(r, 0)?)
                .or_default()
                .push((get(r, 1)?, get(r, 2)?));
        }
        for object in &mut objects {
            object.instances = by_object.remove(&object.id).unwrap_or_default();
        }
        Ok(objects)
    }

    async fn dump_properties(&self, collection: CollectionId) -> Result<Vec<PropertyRecord>> {
        let found = self
            .query(
                "SELECT object_name, namespace, name, value FROM dead_property \
                 WHERE collection_id = $1 ORDER BY object_name, namespace, name",
                &[&collection],
            )
            .await?;
        rows::all(&found, |r| {
            Ok(PropertyRecord {
                collection,
                object: get(r, 0)?,
                property: crate::properties::property_at(r, 1)?,
            })
        })
    }

    async fn dump_versions(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Version>> {
        let limit = crate::signed(limit);
        let found = self
            .query(
                &format!(
        "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = $1 AND id > $2 \
         ORDER BY id LIMIT $3"
    ),
                &[&collection, &after, &limit],
            )
            .await?;
        rows::all(&found, rows::version)
    }

    async fn is_empty(&self) -> Result<bool> {
        let row = self
            .query_one(
                "SELECT NOT EXISTS (SELECT 1 FROM principal) \
                 AND NOT EXISTS (SELECT 1 FROM object_version)",
                &[],
            )
            .await?;
        get(&row, 0)
    }

    async fn load_principals(&self, rows: &[PrincipalRecord]) -> Result<()> {
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let names: Vec<&str> = rows.iter().map(|p| p.name.as_str()).collect();
        let display_names: Vec<Option<&str>> =
            rows.iter().map(|p| p.display_name.as_deref()).collect();
        let emails: Vec<Option<&str>> = rows.iter().map(|p| p.email.as_deref()).collect();
        let hashes: Vec<&str> = rows.iter().map(|p| p.password_hash.as_str()).collect();
        let quotas: Vec<Option<i64>> = rows.iter().map(|p| p.quota_bytes).collect();
        let created: Vec<i64> = rows.iter().map(|p| p.created_at).collect();
        let disabled: Vec<bool> = rows.iter().map(|p| p.disabled).collect();
        self.execute(
            "INSERT INTO principal (id, name, display_name, email, password_hash, quota_bytes, \
             created_at, disabled) \
             SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
             $6::BIGINT[], $7::BIGINT[], $8::BOOLEAN[])",
            &[
                &ids,
                &names,
                &display_names,
                &emails,
                &hashes,
                &quotas,
                &created,
                &disabled,
            ],
        )
        .await?;
        Ok(())
    }

    async fn load_collections(&self, rows: &[CollectionRecord]) -> Result<()> {
        let each = |f: fn(&CollectionRecord) -> i64| rows.iter().map(f).collect::<Vec<i64>>();
        let paths: Vec<&str> = rows.iter().map(|r| r.collection.path.as_str()).collect();
        let kinds: Vec<&str> = rows.iter().map(|r| r.collection.kind.as_str()).collect();
        let components: Vec<String> = rows
            .iter()
            .map(|r| r.collection.components.join(","))
            .collect();
        let deleted: Vec<Option<i64>> = rows.iter().map(|r| r.deleted_at).collect();
        self.execute(
            "INSERT INTO collection (id, owner_id, path, kind, components, sync_seq, created_at, \
             modified_at, deleted_at) \
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
             $6::BIGINT[], $7::BIGINT[], $8::BIGINT[], $9::BIGINT[])",
            &[
                &each(|r| r.collection.id),
                &each(|r| r.collection.owner),
                &paths,
                &kinds,
                &components,
                &each(|r| r.collection.sync_seq),
                &each(|r| r.collection.created_at),
                &each(|r| r.collection.modified_at),
                &deleted,
            ],
        )
        .await?;
        Ok(())
    }

    async fn load_objects(&self, rows: &[ObjectRecord]) -> Result<()> {
        let each = |f: fn(&ObjectRecord) -> i64| rows.iter().map(f).collect::<Vec<i64>>();
        let text = |f: fn(&ObjectRecord) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        let maybe = |f: fn(&ObjectRecord) -> Option<&str>| rows.iter().map(f).collect::<Vec<_>>();
        let floating: Vec<bool> = rows.iter().map(|o| o.instances_floating).collect();
        self.execute(
            "INSERT INTO calendar_object (id, collection_id, name, uid, etag, content_type, \
             component, first_start, last_end, size, created_at, modified_at, modified_seq, \
             instances_until, instances_floating) \
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
             $6::TEXT[], $7::TEXT[], $8::BIGINT[], $9::BIGINT[], $10::BIGINT[], $11::BIGINT[], \
             $12::BIGINT[], $13::BIGINT[], $14::BIGINT[], $15::BOOLEAN[])",
            &[
                &each(|o| o.id),
                &each(|o| o.meta.collection),
                &text(|o| &o.meta.name),
                &maybe(|o| o.meta.index.uid.as_deref()),
                &text(|o| &o.meta.etag),
                &text(|o| &o.meta.content_type),
                &maybe(|o| o.meta.index.component.as_deref()),
                &each(|o| o.meta.index.first_start.unwrap_or(UNBOUNDED_START)),
                &each(|o| o.meta.index.last_end.unwrap_or(UNBOUNDED_END)),
                &each(|o| i64::try_from(o.meta.size).unwrap_or(i64::MAX)),
                &each(|o| o.meta.created_at),
                &each(|o| o.meta.modified_at),
                &each(|o| o.meta.modified_seq),
                &each(|o| o.instances_until),
                &floating,
            ],
        )
        .await?;
        let data: Vec<&[u8]> = rows.iter().map(|o| o.data.as_ref()).collect();
        self.execute(
            "INSERT INTO calendar_object_data (object_id, data) \
             SELECT * FROM unnest($1::BIGINT[], $2::BYTEA[])",
            &[&each(|o| o.id), &data],
        )
        .await?;
        let spans = rows.iter().flat_map(|o| {
            o.instances.iter().map(move |(start, end)| {
                (o.id, o.meta.collection, o.instances_floating, *start, *end)
            })
        });
        let (mut ids, mut collections, mut floating, mut starts, mut ends) =
            (vec![], vec![], vec![], vec![], vec![]);
        for (id, collection, float, start, end) in spans {
            ids.push(id);
            collections.push(collection);
            floating.push(float);
            starts.push(start);
            ends.push(end);
        }
        self.execute(
            "INSERT INTO calendar_object_instance (object_id, collection_id, floating, start_at, \
             end_at) SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BOOLEAN[], \
             $4::BIGINT[], $5::BIGINT[])",
            &[&ids, &collections, &floating, &starts, &ends],
        )
        .await?;
        Ok(())
    }

    async fn load_properties(&self, rows: &[PropertyRecord]) -> Result<()> {
        let collections: Vec<i64> = rows.iter().map(|p| p.collection).collect();
        let text = |f: fn(&PropertyRecord) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        self.execute(
            "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
             SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[])",
            &[
                &collections,
                &text(|p| &p.object),
                &text(|p| &p.property.namespace),
                &text(|p| &p.property.name),
                &text(|p| &p.property.xml),
            ],
        )
        .await?;
        Ok(())
    }

    async fn load_versions(&self, rows: &[Version]) -> Result<()> {
        let each = |f: fn(&Version) -> i64| rows.iter().map(f).collect::<Vec<i64>>();
        let text = |f: fn(&Version) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        let maybe = |f: fn(&Version) -> Option<&str>| rows.iter().map(f).collect::<Vec<_>>();
        let bytes = |f: fn(&Version) -> Option<&[u8]>| rows.iter().map(f).collect::<Vec<_>>();
        let hashes: Vec<&[u8]> = rows.iter().map(|v| v.hash.as_slice()).collect();
        let chains: Vec<i16> = rows.iter().map(|v| i16::from(v.chain)).collect();
        self.execute(
            "INSERT INTO object_version (id, collection_id, seq, kind, name, uid, etag, data, \
             author, client, address, at, prev_hash, hash, chain, data_hash) \
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::TEXT[], \
             $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::BYTEA[], $9::TEXT[], $10::TEXT[], $11::TEXT[], \
             $12::BIGINT[], $13::BYTEA[], $14::BYTEA[], $15::SMALLINT[], $16::BYTEA[])",
            &[
                &each(|v| v.id),
                &each(|v| v.collection),
                &each(|v| v.seq),
                &text(|v| v.kind.as_str()),
                &text(|v| &v.name),
                &maybe(|v| v.uid.as_deref()),
                &maybe(|v| v.etag.as_deref()),
                &bytes(|v| v.data.as_deref()),
                &text(|v| &v.change.author),
                &maybe(|v| v.change.client.as_deref()),
                &maybe(|v| v.change.address.as_deref()),
                &each(|v| v.at),
                &bytes(|v| v.prev_hash.as_ref().map(|h| h.as_slice())),
                &hashes,
                &chains,
                &bytes(|v| v.data_hash.as_ref().map(|h| h.as_slice())),
            ],
        )
        .await?;
        Ok(())
    }

    /// Rows were inserted with their ids, which identity columns allow but do not count:
    /// each sequence continues after the largest id (at 1 for an empty table).
    async fn finish_load(&self) -> Result<()> {
        for table in IDENTITY_TABLES {
            self.query_one(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     COALESCE(max(id), 0) + 1, false) FROM {table}"
                ),
                &[],
            )
            .await?;
        }
        Ok(())
    }
}
