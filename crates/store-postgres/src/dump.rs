//! Whole rows in and out, for moving an installation between backends (`store::dump`).
//! Loading keeps every id; [`DumpStatements::finish_load`] then moves the identity
//! sequences past them. Each load is one statement per table (rows passed as arrays and
//! spread by `unnest`), so a page of 500 objects costs a few round trips, not 1,500.

use std::collections::HashMap;

use store::db::{DumpStatements, UNBOUNDED_END, UNBOUNDED_START};
use store::dump::{
    CollectionRecord, ObjectRecord, PrincipalRecord, PropertyRecord, SharingRecords, TokenRecord,
};
use store::{CollectionId, Result, Version};

use crate::rows::{
    self, get, COLLECTION_COLUMNS, GROUP_COLUMNS, OBJECT_META_COLUMNS, TOKEN_COLUMNS,
    VERSION_COLUMNS,
};
use crate::PgConn;

/// The tables whose ids come from an identity sequence.
const IDENTITY_TABLES: [&str; 7] = [
    "principal",
    "app_token",
    "principal_group",
    "access_grant",
    "collection",
    "calendar_object",
    "object_version",
];

impl DumpStatements for PgConn {
    async fn dump_principals(&self) -> Result<Vec<PrincipalRecord>> {
        let found = self
            .query(
                "SELECT id, name, display_name, email, password_hash, quota_bytes, created_at, \
                 disabled, admin FROM principal ORDER BY id",
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
                admin: get(r, 8)?,
            })
        })
    }

    async fn dump_tokens(&self) -> Result<Vec<TokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLUMNS}, hash FROM app_token ORDER BY id");
        rows::all(&self.query(&sql, &[]).await?, |r| {
            Ok(TokenRecord {
                token: rows::token_at(r, 0)?,
                hash: get(r, 6)?,
            })
        })
    }

    async fn load_tokens(&self, rows: &[TokenRecord]) -> Result<()> {
        self.execute(
            "INSERT INTO app_token (id, principal_id, label, scope, created_at, last_used_at, \
             hash) SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], \
             $5::BIGINT[], $6::BIGINT[], $7::TEXT[])",
            &[
                &column(rows, |r| r.token.id),
                &column(rows, |r| r.token.owner),
                &column(rows, |r| r.token.label.as_str()),
                &column(rows, |r| r.token.scope.as_str()),
                &column(rows, |r| r.token.created_at),
                &column(rows, |r| r.token.last_used_at),
                &column(rows, |r| r.hash.as_str()),
            ],
        )
        .await
        .map(drop)
    }

    async fn dump_sharing(&self) -> Result<SharingRecords> {
        let groups = self
            .query(
                &format!("SELECT {GROUP_COLUMNS} FROM principal_group ORDER BY id"),
                &[],
            )
            .await?;
        let members = self
            .query(
                "SELECT group_id, member_id FROM group_member ORDER BY group_id, member_id",
                &[],
            )
            .await?;
        let grants = self
            .query(
                "SELECT g.grantee_user, g.grantee_group, coalesce(p.name, pg.name), g.privilege, \
                 g.created_by, g.created_at, g.collection_id FROM access_grant g \
                 LEFT JOIN principal p ON p.id = g.grantee_user \
                 LEFT JOIN principal_group pg ON pg.id = g.grantee_group ORDER BY g.id",
                &[],
            )
            .await?;
        Ok(SharingRecords {
            groups: rows::all(&groups, |r| rows::group_at(r, 0))?,
            members: rows::all(&members, |r| Ok((get(r, 0)?, get(r, 1)?)))?,
            grants: rows::all(&grants, |r| crate::access::grant_at(r, get(r, 6)?))?,
        })
    }

    async fn load_sharing(&self, rows: &SharingRecords) -> Result<()> {
        let groups = &rows.groups;
        self.execute(
            "INSERT INTO principal_group (id, name, display_name, created_at) \
             SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[])",
            &[
                &column(groups, |g| g.id),
                &column(groups, |g| g.name.as_str()),
                &column(groups, |g| g.display_name.as_deref()),
                &column(groups, |g| g.created_at),
            ],
        )
        .await?;
        self.execute(
            "INSERT INTO group_member (group_id, member_id) \
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[])",
            &[
                &column(&rows.members, |m| m.0),
                &column(&rows.members, |m| m.1),
            ],
        )
        .await?;
        let grants = &rows.grants;
        let user = |g: &store::Grant| match g.grantee {
            store::Grantee::User(u) => Some(u),
            store::Grantee::Group(_) => None,
        };
        let group = |g: &store::Grant| match g.grantee {
            store::Grantee::Group(id) => Some(id),
            store::Grantee::User(_) => None,
        };
        self.execute(
            "INSERT INTO access_grant (collection_id, grantee_user, grantee_group, privilege, \
             created_by, created_at) SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], \
             $3::BIGINT[], $4::SMALLINT[], $5::TEXT[], $6::BIGINT[])",
            &[
                &column(grants, |g| g.collection),
                &column(grants, user),
                &column(grants, group),
                &column(grants, |g| g.privilege.rank() as i16),
                &column(grants, |g| g.created_by.as_str()),
                &column(grants, |g| g.created_at),
            ],
        )
        .await
        .map(drop)
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
        &self, collection: CollectionId, after: i64, limit: usize,
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
        &self, collection: CollectionId, after: i64, limit: usize,
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
        self.execute(
            "INSERT INTO principal (id, name, display_name, email, password_hash, quota_bytes, \
             created_at, disabled, admin) \
             SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
             $6::BIGINT[], $7::BIGINT[], $8::BOOLEAN[], $9::BOOLEAN[])",
            &[
                &column(rows, |p| p.id),
                &column(rows, |p| p.name.as_str()),
                &column(rows, |p| p.display_name.as_deref()),
                &column(rows, |p| p.email.as_deref()),
                &column(rows, |p| p.password_hash.as_str()),
                &column(rows, |p| p.quota_bytes),
                &column(rows, |p| p.created_at),
                &column(rows, |p| p.disabled),
                &column(rows, |p| p.admin),
            ],
        )
        .await
        .map(drop)
    }

    async fn load_collections(&self, rows: &[CollectionRecord]) -> Result<()> {
        self.execute(
            "INSERT INTO collection (id, owner_id, path, kind, components, sync_seq, created_at, \
             modified_at, deleted_at, target_id) \
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
             $6::BIGINT[], $7::BIGINT[], $8::BIGINT[], $9::BIGINT[], $10::BIGINT[])",
            &[
                &column(rows, |r| r.collection.id),
                &column(rows, |r| r.collection.owner),
                &column(rows, |r| r.collection.path.as_str()),
                &column(rows, |r| r.collection.kind.as_str()),
                &column(rows, |r| r.collection.components.join(",")),
                &column(rows, |r| r.collection.sync_seq),
                &column(rows, |r| r.collection.created_at),
                &column(rows, |r| r.collection.modified_at),
                &column(rows, |r| r.deleted_at),
                &column(rows, |r| r.collection.target),
            ],
        )
        .await
        .map(drop)
    }

    async fn load_objects(&self, rows: &[ObjectRecord]) -> Result<()> {
        self.execute(
            "INSERT INTO calendar_object (id, collection_id, name, uid, etag, content_type, \
             component, first_start, last_end, size, created_at, modified_at, modified_seq, \
             instances_until, instances_floating) \
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
             $6::TEXT[], $7::TEXT[], $8::BIGINT[], $9::BIGINT[], $10::BIGINT[], $11::BIGINT[], \
             $12::BIGINT[], $13::BIGINT[], $14::BIGINT[], $15::BOOLEAN[])",
            &[
                &column(rows, |o| o.id),
                &column(rows, |o| o.meta.collection),
                &column(rows, |o| o.meta.name.as_str()),
                &column(rows, |o| o.meta.index.uid.as_deref()),
                &column(rows, |o| o.meta.etag.as_str()),
                &column(rows, |o| o.meta.content_type.as_str()),
                &column(rows, |o| o.meta.index.component.as_deref()),
                &column(rows, |o| {
                    o.meta.index.first_start.unwrap_or(UNBOUNDED_START)
                }),
                &column(rows, |o| o.meta.index.last_end.unwrap_or(UNBOUNDED_END)),
                &column(rows, |o| crate::signed(o.meta.size)),
                &column(rows, |o| o.meta.created_at),
                &column(rows, |o| o.meta.modified_at),
                &column(rows, |o| o.meta.modified_seq),
                &column(rows, |o| o.instances_until),
                &column(rows, |o| o.instances_floating),
            ],
        )
        .await?;
        self.execute(
            "INSERT INTO calendar_object_data (object_id, data) \
             SELECT * FROM unnest($1::BIGINT[], $2::BYTEA[])",
            &[&column(rows, |o| o.id), &column(rows, |o| o.data.as_ref())],
        )
        .await?;
        let spans: Vec<(&ObjectRecord, i64, i64)> = rows
            .iter()
            .flat_map(|o| {
                o.instances
                    .iter()
                    .map(move |(start, end)| (o, *start, *end))
            })
            .collect();
        self.execute(
            "INSERT INTO calendar_object_instance (object_id, collection_id, floating, start_at, \
             end_at) SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BOOLEAN[], \
             $4::BIGINT[], $5::BIGINT[])",
            &[
                &column(&spans, |(o, _, _)| o.id),
                &column(&spans, |(o, _, _)| o.meta.collection),
                &column(&spans, |(o, _, _)| o.instances_floating),
                &column(&spans, |(_, start, _)| *start),
                &column(&spans, |(_, _, end)| *end),
            ],
        )
        .await
        .map(drop)
    }

    async fn load_properties(&self, rows: &[PropertyRecord]) -> Result<()> {
        self.execute(
            "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
             SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[])",
            &[
                &column(rows, |p| p.collection),
                &column(rows, |p| p.object.as_str()),
                &column(rows, |p| p.property.namespace.as_str()),
                &column(rows, |p| p.property.name.as_str()),
                &column(rows, |p| p.property.xml.as_str()),
            ],
        )
        .await
        .map(drop)
    }

    async fn load_versions(&self, rows: &[Version]) -> Result<()> {
        self.execute(
            "INSERT INTO object_version (id, collection_id, seq, kind, name, uid, etag, data, \
             author, client, address, at, prev_hash, hash, chain, data_hash, merge_base, \
             merge_theirs, merge_ours) \
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::TEXT[], \
             $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::BYTEA[], $9::TEXT[], $10::TEXT[], $11::TEXT[], \
             $12::BIGINT[], $13::BYTEA[], $14::BYTEA[], $15::SMALLINT[], $16::BYTEA[], \
             $17::TEXT[], $18::TEXT[], $19::BYTEA[])",
            &[
                &column(rows, |v| v.id),
                &column(rows, |v| v.collection),
                &column(rows, |v| v.seq),
                &column(rows, |v| v.kind.as_str()),
                &column(rows, |v| v.name.as_str()),
                &column(rows, |v| v.uid.as_deref()),
                &column(rows, |v| v.etag.as_deref()),
                &column(rows, |v| v.data.as_deref()),
                &column(rows, |v| v.change.author.as_str()),
                &column(rows, |v| v.change.client.as_deref()),
                &column(rows, |v| v.change.address.as_deref()),
                &column(rows, |v| v.at),
                &column(rows, |v| v.prev_hash.as_ref().map(|h| h.as_slice())),
                &column(rows, |v| v.hash.as_slice()),
                &column(rows, |v| i16::from(v.chain)),
                &column(rows, |v| v.data_hash.as_ref().map(|h| h.as_slice())),
                &column(rows, |v| v.merge.as_ref().map(|m| m.base.as_str())),
                &column(rows, |v| v.merge.as_ref().map(|m| m.theirs.as_str())),
                &column(rows, |v| v.merge.as_ref().map(|m| m.ours.as_slice())),
            ],
        )
        .await
        .map(drop)
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

/// One field of every row, as the array `unnest` spreads into a column.
fn column<'a, T, U>(rows: &'a [T], field: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(field).collect()
}
