//! Whole rows in and out, for moving an installation between backends (`crate::dump`).
//! Loading keeps every id; [`DumpStatements::finish_load`] then moves PostgreSQL's
//! identity sequences past them (SQLite gives new rows ids past the largest there is).

use std::collections::HashMap;

use crate::db::columns::{
    COLLECTION_COLUMNS, GROUP_COLUMNS, OBJECT_META_COLUMNS, OBJECT_META_COUNT, TOKEN_COLUMNS,
    VERSION_COLUMNS,
};
use crate::db::sql::{signed, Dialect, Sql, Value};
use crate::db::{rows, DumpStatements, UNBOUNDED_END, UNBOUNDED_START};
use crate::dump::{
    CollectionRecord, ObjectRecord, PrincipalRecord, PropertyRecord, SharingRecords, TokenRecord,
};
use crate::{CollectionId, Grantee, Result, Version};

/// The tables whose ids come from an identity sequence on PostgreSQL.
const IDENTITY_TABLES: [&str; 7] = [
    "principal",
    "app_token",
    "principal_group",
    "access_grant",
    "collection",
    "calendar_object",
    "object_version",
];

/// The parameters of one row, each turned into a [`Value`].
macro_rules! row {
    ($($value:expr),* $(,)?) => {
        vec![$(Value::from($value)),*]
    };
}

/// The objects of one dump page: `$1` collection, `$2` after id, `$3` limit.
const PAGE: &str = "collection_id = $1 AND id > $2 ORDER BY id LIMIT $3";

impl<C: Sql> DumpStatements for C {
    async fn dump_principals(&self) -> Result<Vec<PrincipalRecord>> {
        let sql = "SELECT id, name, display_name, email, password_hash, quota_bytes, \
                   created_at, disabled, admin FROM principal ORDER BY id";
        self.query(sql, &[], |r| {
            Ok(PrincipalRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                display_name: r.get(2)?,
                email: r.get(3)?,
                password_hash: r.get(4)?,
                quota_bytes: r.get(5)?,
                created_at: r.get(6)?,
                disabled: r.get(7)?,
                admin: r.get(8)?,
            })
        })
        .await
    }

    async fn dump_tokens(&self) -> Result<Vec<TokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLUMNS}, hash FROM app_token ORDER BY id");
        self.query(&sql, &[], |r| {
            Ok(TokenRecord {
                token: rows::token_at(r, 0)?,
                hash: r.get(6)?,
            })
        })
        .await
    }

    async fn dump_sharing(&self) -> Result<SharingRecords> {
        let groups = format!("SELECT {GROUP_COLUMNS} FROM principal_group ORDER BY id");
        let members = "SELECT group_id, member_id FROM group_member ORDER BY group_id, member_id";
        let grants = "SELECT g.grantee_user, g.grantee_group, coalesce(p.name, pg.name), \
                      g.privilege, g.created_by, g.created_at, g.collection_id \
                      FROM access_grant g LEFT JOIN principal p ON p.id = g.grantee_user \
                      LEFT JOIN principal_group pg ON pg.id = g.grantee_group ORDER BY g.id";
        Ok(SharingRecords {
            groups: self.query(&groups, &[], |r| rows::group_at(r, 0)).await?,
            members: self
                .query(members, &[], |r| Ok((r.get(0)?, r.get(1)?)))
                .await?,
            grants: self
                .query(grants, &[], |r| rows::grant_at(r, r.get(6)?))
                .await?,
        })
    }

    async fn dump_collections(&self) -> Result<Vec<CollectionRecord>> {
        let sql = format!("SELECT {COLLECTION_COLUMNS}, deleted_at FROM collection ORDER BY id");
        self.query(&sql, &[], rows::collection_record).await
    }

    async fn dump_objects(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>> {
        let page = [
            Value::Int(collection),
            Value::Int(after),
            Value::Int(signed(limit)),
        ];
        let sql = format!(
            "SELECT {OBJECT_META_COLUMNS}, id, data, instances_until, instances_floating \
             FROM calendar_object JOIN calendar_object_data ON object_id = id WHERE {PAGE}"
        );
        let mut objects = self
            .query(&sql, &page, |r| {
                let at = |i: usize| OBJECT_META_COUNT + i;
                Ok(ObjectRecord {
                    meta: rows::object_meta(r)?,
                    id: r.get(at(0))?,
                    data: r.get::<Vec<u8>>(at(1))?.into(),
                    instances_until: r.get(at(2))?,
                    instances_floating: r.get(at(3))?,
                    instances: Vec::new(),
                })
            })
            .await?;
        // The same page's instance rows in one statement.
        let spans = format!(
            "SELECT object_id, start_at, end_at FROM calendar_object_instance WHERE object_id IN \
             (SELECT id FROM calendar_object WHERE {PAGE}) ORDER BY object_id, start_at, end_at"
        );
        let mut by_object: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        let found = self
            .query(&spans, &page, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .await?;
        for (object, start, end) in found {
            by_object.entry(object).or_default().push((start, end));
        }
        for object in &mut objects {
            object.instances = by_object.remove(&object.id).unwrap_or_default();
        }
        Ok(objects)
    }

    async fn dump_properties(&self, collection: CollectionId) -> Result<Vec<PropertyRecord>> {
        let sql = "SELECT object_name, namespace, name, value FROM dead_property \
                   WHERE collection_id = $1 ORDER BY object_name, namespace, name";
        self.query(sql, &[Value::Int(collection)], |r| {
            Ok(PropertyRecord {
                collection,
                object: r.get(0)?,
                property: rows::property_at(r, 1)?,
            })
        })
        .await
    }

    async fn dump_versions(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Version>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = $1 AND id > $2 \
             ORDER BY id LIMIT $3"
        );
        let page = [
            Value::Int(collection),
            Value::Int(after),
            Value::Int(signed(limit)),
        ];
        self.query(&sql, &page, rows::version).await
    }

    async fn is_empty(&self) -> Result<bool> {
        let sql = "SELECT NOT EXISTS (SELECT 1 FROM principal) \
                   AND NOT EXISTS (SELECT 1 FROM object_version)";
        self.query_one(sql, &[], |r| r.get(0)).await
    }

    async fn load_principals(&self, records: &[PrincipalRecord]) -> Result<()> {
        let sql = "INSERT INTO principal (id, name, display_name, email, password_hash, \
                   quota_bytes, created_at, disabled, admin)";
        let values: Vec<_> = records
            .iter()
            .map(|p| {
                row![
                    p.id,
                    &p.name,
                    p.display_name.as_ref(),
                    p.email.as_ref(),
                    &p.password_hash,
                    p.quota_bytes,
                    p.created_at,
                    p.disabled,
                    p.admin
                ]
            })
            .collect();
        self.insert_rows(sql, &values).await
    }

    async fn load_tokens(&self, records: &[TokenRecord]) -> Result<()> {
        let sql = "INSERT INTO app_token (id, principal_id, label, scope, created_at, \
                   last_used_at, hash)";
        let values: Vec<_> = records
            .iter()
            .map(|r| {
                let t = &r.token;
                row![
                    t.id,
                    t.owner,
                    &t.label,
                    t.scope.as_str(),
                    t.created_at,
                    t.last_used_at,
                    &r.hash
                ]
            })
            .collect();
        self.insert_rows(sql, &values).await
    }

    async fn load_sharing(&self, records: &SharingRecords) -> Result<()> {
        let groups: Vec<_> = records
            .groups
            .iter()
            .map(|g| row![g.id, &g.name, g.display_name.as_ref(), g.created_at])
            .collect();
        let sql = "INSERT INTO principal_group (id, name, display_name, created_at)";
        self.insert_rows(sql, &groups).await?;
        let members: Vec<_> = records.members.iter().map(|(g, m)| row![*g, *m]).collect();
        let sql = "INSERT INTO group_member (group_id, member_id)";
        self.insert_rows(sql, &members).await?;
        let grants: Vec<_> = records
            .grants
            .iter()
            .map(|g| {
                let (user, group) = match g.grantee {
                    Grantee::User(u) => (Some(u), None),
                    Grantee::Group(g) => (None, Some(g)),
                };
                let rank = g.privilege.rank();
                row![g.collection, user, group, rank, &g.created_by, g.created_at]
            })
            .collect();
        let sql = "INSERT INTO access_grant (collection_id, grantee_user, grantee_group, \
                   privilege, created_by, created_at)";
        self.insert_rows(sql, &grants).await
    }

    async fn load_collections(&self, records: &[CollectionRecord]) -> Result<()> {
        let components: Vec<String> = records
            .iter()
            .map(|r| r.collection.components.join(","))
            .collect();
        let values: Vec<_> = records
            .iter()
            .zip(&components)
            .map(|(record, components)| {
                let c = &record.collection;
                row![
                    c.id,
                    c.owner,
                    &c.path,
                    c.kind.as_str(),
                    components,
                    c.sync_seq,
                    c.created_at,
                    c.modified_at,
                    record.deleted_at,
                    c.target
                ]
            })
            .collect();
        let sql = "INSERT INTO collection (id, owner_id, path, kind, components, sync_seq, \
                   created_at, modified_at, deleted_at, target_id)";
        self.insert_rows(sql, &values).await
    }

    async fn load_objects(&self, records: &[ObjectRecord]) -> Result<()> {
        let objects: Vec<_> = records
            .iter()
            .map(|o| {
                let m = &o.meta;
                row![
                    o.id,
                    m.collection,
                    &m.name,
                    m.index.uid.as_ref(),
                    &m.etag,
                    &m.content_type,
                    m.index.component.as_ref(),
                    m.index.first_start.unwrap_or(UNBOUNDED_START),
                    m.index.last_end.unwrap_or(UNBOUNDED_END),
                    signed(m.size),
                    m.created_at,
                    m.modified_at,
                    m.modified_seq,
                    o.instances_until,
                    o.instances_floating
                ]
            })
            .collect();
        let sql = "INSERT INTO calendar_object (id, collection_id, name, uid, etag, \
                   content_type, component, first_start, last_end, size, created_at, \
                   modified_at, modified_seq, instances_until, instances_floating)";
        self.insert_rows(sql, &objects).await?;
        let data: Vec<_> = records
            .iter()
            .map(|o| row![o.id, o.data.as_ref()])
            .collect();
        let sql = "INSERT INTO calendar_object_data (object_id, data)";
        self.insert_rows(sql, &data).await?;
        let instances: Vec<_> = records
            .iter()
            .flat_map(|o| {
                let (id, collection, floating) = (o.id, o.meta.collection, o.instances_floating);
                let spans = o.instances.iter();
                spans.map(move |(start, end)| row![id, collection, floating, *start, *end])
            })
            .collect();
        let sql = "INSERT INTO calendar_object_instance (object_id, collection_id, floating, \
                   start_at, end_at)";
        self.insert_rows(sql, &instances).await
    }

    async fn load_properties(&self, records: &[PropertyRecord]) -> Result<()> {
        let values: Vec<_> = records
            .iter()
            .map(|p| {
                let property = &p.property;
                let (namespace, name) = (&property.namespace, &property.name);
                row![p.collection, &p.object, namespace, name, &property.xml]
            })
            .collect();
        let sql = "INSERT INTO dead_property (collection_id, object_name, namespace, name, \
                   value)";
        self.insert_rows(sql, &values).await
    }

    async fn load_versions(&self, records: &[Version]) -> Result<()> {
        let values: Vec<_> = records
            .iter()
            .map(|v| {
                let merge = v.merge.as_ref();
                row![
                    v.id,
                    v.collection,
                    v.seq,
                    v.kind.as_str(),
                    &v.name,
                    v.uid.as_ref(),
                    v.etag.as_ref(),
                    v.data.as_deref(),
                    &v.change.author,
                    v.change.client.as_ref(),
                    v.change.address.as_ref(),
                    v.at,
                    v.prev_hash.as_ref().map(|h| h.as_slice()),
                    v.hash.as_slice(),
                    i64::from(v.chain),
                    v.data_hash.as_ref().map(|h| h.as_slice()),
                    merge.map(|m| m.base.as_str()),
                    merge.map(|m| m.theirs.as_str()),
                    merge.map(|m| m.ours.as_slice()),
                ]
            })
            .collect();
        let sql = "INSERT INTO object_version (id, collection_id, seq, kind, name, uid, etag, \
                   data, author, client, address, at, prev_hash, hash, chain, data_hash, \
                   merge_base, merge_theirs, merge_ours)";
        self.insert_rows(sql, &values).await
    }

    /// Rows were inserted with their ids, which PostgreSQL's identity columns allow but do
    /// not count: each sequence continues after the largest id (at 1 for an empty table).
    async fn finish_load(&self) -> Result<()> {
        if C::DIALECT == Dialect::Sqlite {
            return Ok(());
        }
        for table in IDENTITY_TABLES {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE(max(id), 0) + 1, false) FROM {table}"
            );
            self.query_one(&sql, &[], |_| Ok(())).await?;
        }
        Ok(())
    }
}
