//! Whole rows in and out, for moving an installation between backends (`store::dump`).

use rusqlite::{params, Connection};
use store::db::{DumpStatements, UNBOUNDED_END, UNBOUNDED_START};
use store::dump::{
    CollectionRecord, ObjectRecord, PrincipalRecord, PropertyRecord, SharingRecords, TokenRecord,
};
use store::{CollectionId, Result, Version};

use crate::rows::{
    self, COLLECTION_COLUMNS, GROUP_COLUMNS, OBJECT_META_COLUMNS, OBJECT_META_COUNT, TOKEN_COLUMNS,
    VERSION_COLUMNS,
};
use crate::{backend, query_all, query_one, signed, SqliteConn};

impl DumpStatements for SqliteConn {
    async fn dump_principals(&self) -> Result<Vec<PrincipalRecord>> {
        self.with(|c| {
            query_all(
                c,
                "SELECT id, name, display_name, email, password_hash, quota_bytes, created_at, \
                 disabled, admin FROM principal ORDER BY id",
                [],
                |r| {
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
                },
            )
        })
    }

    async fn dump_tokens(&self) -> Result<Vec<TokenRecord>> {
        self.with(|c| {
            let sql = format!("SELECT {TOKEN_COLUMNS}, hash FROM app_token ORDER BY id");
            query_all(c, &sql, [], |r| {
                Ok(TokenRecord {
                    token: rows::token_at(r, 0)?,
                    hash: r.get(6)?,
                })
            })
        })
    }

    async fn load_tokens(&self, rows: &[TokenRecord]) -> Result<()> {
        self.with(|c| {
            insert_each(
                c,
                "INSERT INTO app_token (id, principal_id, label, scope, created_at, \
                 last_used_at, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rows,
                |s, r| {
                    let t = &r.token;
                    s.execute(params![
                        t.id,
                        t.owner,
                        t.label,
                        t.scope.as_str(),
                        t.created_at,
                        t.last_used_at,
                        r.hash
                    ])
                },
            )
        })
    }

    async fn dump_sharing(&self) -> Result<SharingRecords> {
        self.with(|c| {
            let groups = query_all(
                c,
                &format!("SELECT {GROUP_COLUMNS} FROM principal_group ORDER BY id"),
                [],
                |r| rows::group_at(r, 0),
            )?;
            let members = query_all(
                c,
                "SELECT group_id, member_id FROM group_member ORDER BY group_id, member_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let grants = query_all(
                c,
                "SELECT g.grantee_user, g.grantee_group, coalesce(p.name, pg.name), g.privilege, \
                 g.created_by, g.created_at, g.collection_id FROM access_grant g \
                 LEFT JOIN principal p ON p.id = g.grantee_user \
                 LEFT JOIN principal_group pg ON pg.id = g.grantee_group ORDER BY g.id",
                [],
                |r| crate::access::grant_at(r, r.get(6)?),
            )?;
            Ok(SharingRecords {
                groups,
                members,
                grants,
            })
        })
    }

    async fn load_sharing(&self, rows: &SharingRecords) -> Result<()> {
        self.with(|c| {
            insert_each(
                c,
                "INSERT INTO principal_group (id, name, display_name, created_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                &rows.groups,
                |s, g| s.execute(params![g.id, g.name, g.display_name, g.created_at]),
            )?;
            insert_each(
                c,
                "INSERT INTO group_member (group_id, member_id) VALUES (?1, ?2)",
                &rows.members,
                |s, (g, m)| s.execute(params![g, m]),
            )?;
            insert_each(
                c,
                "INSERT INTO access_grant (collection_id, grantee_user, grantee_group, privilege, \
                 created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &rows.grants,
                |s, g| {
                    let (user, group) = match g.grantee {
                        store::Grantee::User(u) => (Some(u), None),
                        store::Grantee::Group(g) => (None, Some(g)),
                    };
                    s.execute(params![
                        g.collection,
                        user,
                        group,
                        g.privilege.rank(),
                        g.created_by,
                        g.created_at
                    ])
                },
            )
        })
    }

    async fn dump_collections(&self) -> Result<Vec<CollectionRecord>> {
        self.with(|c| {
            let sql =
                format!("SELECT {COLLECTION_COLUMNS}, deleted_at FROM collection ORDER BY id");
            query_all(c, &sql, [], crate::collections::record)
        })
    }

    async fn dump_objects(
        &self, collection: CollectionId, after: i64, limit: usize,
    ) -> Result<Vec<ObjectRecord>> {
        self.with(|c| {
            let sql = format!(
                "SELECT {OBJECT_META_COLUMNS}, id, data, instances_until, instances_floating \
                 FROM calendar_object JOIN calendar_object_data ON object_id = id \
                 WHERE collection_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
            );
            let mut objects = query_all(c, &sql, params![collection, after, signed(limit)], |r| {
                let at = |i: usize| OBJECT_META_COUNT + i;
                Ok(ObjectRecord {
                    meta: rows::object_meta(r)?,
                    id: r.get(at(0))?,
                    data: r.get::<_, Vec<u8>>(at(1))?.into(),
                    instances_until: r.get(at(2))?,
                    instances_floating: r.get::<_, i64>(at(3))? != 0,
                    instances: Vec::new(),
                })
            })?;
            for object in &mut objects {
                object.instances = query_all(
                    c,
                    "SELECT start_at, end_at FROM calendar_object_instance WHERE object_id = ?1 \
                     ORDER BY start_at, end_at",
                    [object.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
            }
            Ok(objects)
        })
    }

    async fn dump_properties(&self, collection: CollectionId) -> Result<Vec<PropertyRecord>> {
        self.with(|c| {
            query_all(
                c,
                "SELECT object_name, namespace, name, value FROM dead_property \
                 WHERE collection_id = ?1 ORDER BY object_name, namespace, name",
                [collection],
                |r| {
                    Ok(PropertyRecord {
                        collection,
                        object: r.get(0)?,
                        property: crate::properties::property_at(r, 1)?,
                    })
                },
            )
        })
    }

    async fn dump_versions(
        &self, collection: CollectionId, after: i64, limit: usize,
    ) -> Result<Vec<Version>> {
        self.with(|c| {
            let sql = format!(
                "SELECT {VERSION_COLUMNS} FROM object_version WHERE collection_id = ?1 AND id > ?2 \
                 ORDER BY id LIMIT ?3"
            );
            query_all(
                c,
                &sql,
                params![collection, after, signed(limit)],
                rows::version,
            )
        })
    }

    async fn is_empty(&self) -> Result<bool> {
        self.with(|c| {
            query_one(
                c,
                "SELECT NOT EXISTS (SELECT 1 FROM principal) \
                 AND NOT EXISTS (SELECT 1 FROM object_version)",
                [],
                |r| r.get(0),
            )
        })
    }

    async fn load_principals(&self, rows: &[PrincipalRecord]) -> Result<()> {
        self.with(|c| {
            insert_each(
                c,
                "INSERT INTO principal (id, name, display_name, email, password_hash, \
                 quota_bytes, created_at, disabled, admin) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                rows,
                |s, p| {
                    s.execute(params![
                        p.id,
                        p.name,
                        p.display_name,
                        p.email,
                        p.password_hash,
                        p.quota_bytes,
                        p.created_at,
                        p.disabled,
                        p.admin
                    ])
                },
            )
        })
    }

    async fn load_collections(&self, rows: &[CollectionRecord]) -> Result<()> {
        self.with(|c| {
            insert_each(
                c,
                "INSERT INTO collection (id, owner_id, path, kind, components, sync_seq, \
                 created_at, modified_at, deleted_at, target_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                rows,
                |s, record| {
                    let c = &record.collection;
                    s.execute(params![
                        c.id,
                        c.owner,
                        c.path,
                        c.kind.as_str(),
                        c.components.join(","),
                        c.sync_seq,
                        c.created_at,
                        c.modified_at,
                        record.deleted_at,
                        c.target
                    ])
                },
            )
        })
    }

    async fn load_objects(&self, rows: &[ObjectRecord]) -> Result<()> {
        self.with(|c| {
            let mut data = c
                .prepare_cached(
                    "INSERT INTO calendar_object_data (object_id, data) VALUES (?1, ?2)",
                )
                .map_err(backend)?;
            let mut instance = c
                .prepare_cached(
                    "INSERT INTO calendar_object_instance (object_id, collection_id, floating, \
                     start_at, end_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(backend)?;
            insert_each(
                c,
                "INSERT INTO calendar_object (id, collection_id, name, uid, etag, content_type, \
                 component, first_start, last_end, size, created_at, modified_at, modified_seq, \
                 instances_until, instances_floating) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                rows,
                |object, o| {
                    let m = &o.meta;
                    object.execute(params![
                        o.id,
                        m.collection,
                        m.name,
                        m.index.uid,
                        m.etag,
                        m.content_type,
                        m.index.component,
                        m.index.first_start.unwrap_or(UNBOUNDED_START),
                        m.index.last_end.unwrap_or(UNBOUNDED_END),
                        signed(m.size),
                        m.created_at,
                        m.modified_at,
                        m.modified_seq,
                        o.instances_until,
                        o.instances_floating
                    ])?;
                    data.execute(params![o.id, o.data.as_ref()])?;
                    for (start, end) in &o.instances {
                        instance.execute(params![
                            o.id,
                            m.collection,
                            o.instances_floating,
                            start,
                            end
                        ])?;
                    }
                    Ok(1)
                },
            )
        })
    }

    async fn load_properties(&self, rows: &[PropertyRecord]) -> Result<()> {
        self.with(|c| {
            insert_each(
                c,
                "INSERT INTO dead_property (collection_id, object_name, namespace, name, value) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                rows,
                |s, p| {
                    s.execute(params![
                        p.collection,
                        p.object,
                        p.property.namespace,
                        p.property.name,
                        p.property.xml
                    ])
                },
            )
        })
    }

    async fn load_versions(&self, rows: &[Version]) -> Result<()> {
        self.with(|c| {
            insert_each(
                c,
                "INSERT INTO object_version (id, collection_id, seq, kind, name, uid, etag, data, \
                 author, client, address, at, prev_hash, hash, chain, data_hash, merge_base, \
                 merge_theirs, merge_ours) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
                 ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
                rows,
                |s, v| {
                    s.execute(params![
                        v.id,
                        v.collection,
                        v.seq,
                        v.kind.as_str(),
                        v.name,
                        v.uid,
                        v.etag,
                        v.data,
                        v.change.author,
                        v.change.client,
                        v.change.address,
                        v.at,
                        v.prev_hash.as_ref().map(|h| h.as_slice()),
                        v.hash.as_slice(),
                        v.chain,
                        v.data_hash.as_ref().map(|h| h.as_slice()),
                        v.merge.as_ref().map(|m| m.base.as_str()),
                        v.merge.as_ref().map(|m| m.theirs.as_str()),
                        v.merge.as_ref().map(|m| m.ours.as_slice()),
                    ])
                },
            )
        })
    }

    /// SQLite gives new rows ids past the largest there is: nothing to move.
    async fn finish_load(&self) -> Result<()> {
        Ok(())
    }
}

/// Runs one insert statement for each row.
fn insert_each<T>(
    c: &Connection, sql: &str, rows: &[T],
    mut insert: impl FnMut(&mut rusqlite::CachedStatement<'_>, &T) -> rusqlite::Result<usize>,
) -> Result<()> {
    let mut stmt = c.prepare_cached(sql).map_err(backend)?;
    for row in rows {
        insert(&mut stmt, row).map_err(backend)?;
    }
    Ok(())
}
