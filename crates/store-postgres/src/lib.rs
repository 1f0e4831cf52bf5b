//! The shared backend: PostgreSQL through a pool of tokio-postgres connections, for several
//! calvault nodes serving one database.
//!
//! It behaves exactly like `store-sqlite` (the conformance suite in `store` is the judge); the
//! SQL is a port of it, module for module. What SQLite gets from having a single writer, this
//! backend gets from row locks: every write transaction first locks the row of each principal
//! whose data it changes (see [`locks`]), so the writes of one user are serialised across all
//! nodes while different users write in parallel. Reads run on pooled connections without an
//! explicit transaction. This crate knows nothing of HTTP or DAV.

/// Runs `$body`, an async block using the transaction `$tx`, and commits. On an error the
/// transaction is dropped, which rolls it back: a refused write stores nothing.
///
/// Writes plan each statement for its values. After five runs PostgreSQL may switch a
/// prepared statement to a generic plan costed on the statistics of the moment; on a new
/// installation those say "empty table", the plan scans, and every PUT got slower as the
/// calendar grew (10,000-object import: 232 PUT/s and falling, 666 PUT/s steady with
/// custom plans). Reads keep cached plans: planning every read cost more than it saved
/// (PROPFIND Depth 1 on 10,000 objects: 37 -> 100 ms).
macro_rules! in_transaction {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut client = $store.client().await?;
        let $tx = client.transaction().await.map_err(crate::backend)?;
        $tx.batch_execute("SET LOCAL plan_cache_mode = force_custom_plan")
            .await
            .map_err(crate::backend)?;
        let value = $body.await?;
        $tx.commit().await.map_err(crate::backend)?;
        Ok(value)
    }};
}

mod accounts;
mod admin;
mod collections;
mod dump;
mod locks;
mod log;
mod objects;
mod properties;
mod rows;
mod schema;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use store::*;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

pub use admin::{database_url, ensure_database};
pub use schema::SCHEMA_VERSION;

/// Connections per node. Each request holds one for a few queries, so 16 keep a node's
/// requests from queueing behind each other, while several nodes together stay well below
/// PostgreSQL's default `max_connections` of 100.
const POOL_SIZE: usize = 16;
/// How long connecting may take when the URL does not say (`connect_timeout`): an unreachable
/// host otherwise waits for the operating system's TCP timeout, minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// `host:port` of the server, for error messages (never the URL: it may hold a password).
    target: Arc<str>,
}

impl PostgresStore {
    /// Connects (a pool), runs migrations (safe when several nodes start at once), returns the
    /// store.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Backend(format!("invalid PostgreSQL URL: {}", describe(&e)))
        })?;
        if matches!(config.get_ssl_mode(), SslMode::Require) {
            return Err(StoreError::Backend(
                "the PostgreSQL URL asks for sslmode=require, but TLS to PostgreSQL is not \
                 supported yet: connect over a local socket or a private network, or through \
                 a TLS tunnel"
                    .into(),
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let target: Arc<str> = target_of(&config).into();
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot set up the PostgreSQL pool: {e}")))?;
        let store = PostgresStore { pool, target };
        let mut client = store.client().await?;
        schema::migrate(&mut client).await?;
        Ok(store)
    }

    /// A pooled connection.
    async fn client(&self) -> Result<deadpool_postgres::Client> {
        self.pool.get().await.map_err(|e| {
            let why = match &e {
                deadpool_postgres::PoolError::Backend(e) => describe(e),
                other => other.to_string(),
            };
            StoreError::Unavailable(format!(
                "cannot connect to PostgreSQL at {}: {why}",
                self.target
            ))
        })
    }
}

/// The servers a config names, as `host:port` (sockets by their directory).
fn target_of(config: &tokio_postgres::Config) -> String {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            // One port applies to every host; otherwise they pair up.
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(dir) => format!("{}:{port}", dir.display()),
            }
        })
        .collect();
    if hosts.is_empty() {
        "the default host".into()
    } else {
        hosts.join(", ")
    }
}

/// A database error as a message: PostgreSQL's own words and SQLSTATE, or the chain of
/// causes of a client-side error (tokio-postgres shows only the outermost by itself).
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut text = format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
        if let Some(detail) = db.detail() {
            text.push_str(&format!(": {detail}"));
        }
        return text;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

pub(crate) fn backend(e: tokio_postgres::Error) -> StoreError {
    let text = format!("PostgreSQL: {}", describe(&e));
    // A connection lost mid-request (server restart, failover) is worth retrying.
    if e.is_closed() {
        StoreError::Unavailable(text)
    } else {
        StoreError::Backend(text)
    }
}

/// True when the error is a unique-constraint violation (SQLSTATE 23505).
pub(crate) fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Every statement runs prepared and cached per connection: the hot paths run the same few
/// statements on every request, and planning them each time costs more than running them.
pub(crate) async fn query(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Row>> {
    let statement = c.prepare_cached(sql).await.map_err(backend)?;
    c.query(&statement, params).await.map_err(backend)
}

pub(crate) async fn query_opt(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>> {
    let statement = c.prepare_cached(sql).await.map_err(backend)?;
    c.query_opt(&statement, params).await.map_err(backend)
}

pub(crate) async fn query_one(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Row> {
    let statement = c.prepare_cached(sql).await.map_err(backend)?;
    c.query_one(&statement, params).await.map_err(backend)
}

pub(crate) async fn execute(c: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<u64> {
    let statement = c.prepare_cached(sql).await.map_err(backend)?;
    c.execute(&statement, params).await.map_err(backend)
}

#[async_trait]
impl Store for PostgresStore {
    async fn create_user(&self, user: NewUser) -> Result<User> {
        // No lock: the principal is new, and the unique name settles a race for it.
        in_transaction!(self, |tx| accounts::create_user(&tx, &user))
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        accounts::user_by_name(&self.client().await?, name).await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        accounts::list_users(&self.client().await?).await
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()> {
        in_transaction!(self, |tx| accounts::set_password(&tx, name, password_hash))
    }

    async fn remove_user(&self, name: &str) -> Result<()> {
        in_transaction!(self, |tx| accounts::remove_user(&tx, name))
    }

    async fn usage_bytes(&self, owner: PrincipalId) -> Result<u64> {
        accounts::usage_bytes(&self.client().await?, owner).await
    }

    async fn collection(&self, owner: PrincipalId, path: &str) -> Result<Option<Collection>> {
        collections::by_path(&self.client().await?, owner, path).await
    }

    async fn collection_member(
        &self,
        owner: PrincipalId,
        path: &str,
        name: &str,
    ) -> Result<Option<(Collection, Option<StoredObject>)>> {
        objects::collection_member(&self.client().await?, owner, path, name).await
    }

    async fn child_collections(&self, owner: PrincipalId, parent: &str) -> Result<Vec<Collection>> {
        collections::children(&self.client().await?, owner, parent).await
    }

    async fn create_collection(&self, new: NewCollection, change: &Change) -> Result<Collection> {
        in_transaction!(self, |tx| async {
            locks::principals(&tx, &[new.owner]).await?;
            collections::create(&tx, &new, change).await
        })
    }

    async fn delete_collection(
        &self,
        owner: PrincipalId,
        path: &str,
        change: &Change,
    ) -> Result<()> {
        in_transaction!(self, |tx| async {
            locks::principals(&tx, &[owner]).await?;
            collections::delete_tree(&tx, owner, path, change).await
        })
    }

    async fn transfer_collection(
        &self,
        transfer: CollectionTransfer,
        change: &Change,
    ) -> Result<bool> {
        in_transaction!(self, |tx| async {
            locks::principals(&tx, &[transfer.owner]).await?;
            collections::transfer(&tx, &transfer, change).await
        })
    }

    async fn objects(&self, collection: CollectionId) -> Result<Vec<ObjectMeta>> {
        objects::list(&self.client().await?, collection).await
    }

    async fn objects_page(
        &self,
        collection: CollectionId,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<ObjectMeta>> {
        objects::page(&self.client().await?, collection, after.as_deref(), limit).await
    }

    async fn object_count(&self, collection: CollectionId) -> Result<u64> {
        objects::count(&self.client().await?, collection).await
    }

    async fn object(&self, collection: CollectionId, name: &str) -> Result<Option<StoredObject>> {
        objects::get_one(&self.client().await?, collection, name).await
    }

    async fn objects_in_range(
        &self,
        collection: CollectionId,
        component: Option<&str>,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Vec<ObjectMeta>> {
        objects::in_range(&self.client().await?, collection, component, start, end).await
    }

    async fn events_in_range(&self, query: EventRange) -> Result<EventCandidates> {
        objects::events_in_range(&self.client().await?, &query).await
    }

    async fn objects_by_name(
        &self,
        collection: CollectionId,
        names: &[String],
    ) -> Result<Vec<StoredObject>> {
        objects::get_many(&self.client().await?, collection, names).await
    }

    async fn put_object(&self, put: PutObject, change: &Change) -> Result<PutOutcome> {
        in_transaction!(self, |tx| async {
            locks::owners_of(&tx, &[put.collection]).await?;
            objects::put(&tx, &put, change).await
        })
    }

    async fn delete_object(
        &self,
        collection: CollectionId,
        name: &str,
        expect: Expect,
        change: &Change,
    ) -> Result<()> {
        in_transaction!(self, |tx| async {
            locks::owners_of(&tx, &[collection]).await?;
            objects::delete(&tx, collection, name, &expect, change).await
        })
    }

    async fn transfer_object(&self, transfer: ObjectTransfer, change: &Change) -> Result<bool> {
        in_transaction!(self, |tx| async {
            locks::owners_of(&tx, &[transfer.from, transfer.to]).await?;
            objects::transfer(&tx, &transfer, change).await
        })
    }

    async fn properties(
        &self,
        collection: CollectionId,
        object: Option<&str>,
    ) -> Result<Vec<Property>> {
        properties::of(&self.client().await?, collection, object.unwrap_or("")).await
    }

    async fn member_properties(&self, collection: CollectionId) -> Result<Vec<(String, Property)>> {
        properties::of_members(&self.client().await?, collection).await
    }

    async fn patch_properties(&self, patch: PropertyPatch, change: &Change) -> Result<()> {
        in_transaction!(self, |tx| async {
            locks::owners_of(&tx, &[patch.collection]).await?;
            properties::patch(&tx, &patch, change).await
        })
    }

    async fn changes_since(
        &self,
        collection: CollectionId,
        after: i64,
        upto: i64,
    ) -> Result<Vec<ChangedMember>> {
        log::changes_since(&self.client().await?, collection, after, upto).await
    }

    async fn versions(&self, collection: CollectionId) -> Result<Vec<Version>> {
        log::versions(&self.client().await?, collection).await
    }

    async fn history_collections(
        &self,
        owner: Option<PrincipalId>,
    ) -> Result<Vec<HistoryCollection>> {
        collections::with_history(&self.client().await?, owner).await
    }

    async fn version(&self, id: i64) -> Result<Option<Version>> {
        log::version(&self.client().await?, id).await
    }

    async fn restore_collection(&self, id: CollectionId, change: &Change) -> Result<Collection> {
        in_transaction!(self, |tx| async {
            locks::owners_of(&tx, &[id]).await?;
            collections::restore(&tx, id, change).await
        })
    }

    async fn prune_history(&self, before: i64, change: &Change) -> Result<u64> {
        in_transaction!(self, |tx| async {
            locks::all_principals(&tx).await?;
            log::prune(&tx, before, change).await
        })
    }

    async fn history_stats(&self) -> Result<Vec<HistoryStats>> {
        log::stats(&self.client().await?).await
    }
}
