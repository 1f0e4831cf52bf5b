//! The shared backend: PostgreSQL through a pool of tokio-postgres connections, for several
//! calvault nodes serving one database.
//!
//! This crate is PostgreSQL's side of `store::db`: where jobs run ([`database`]: a pool,
//! write transactions) and every statement in PostgreSQL's dialect, one module per table.
//! The order of a write's reads and writes and every rule that decides them live in the
//! `store` crate, for SQLite alike; the conformance suite there is the judge that both
//! behave the same. What SQLite gets from having a single writer, this backend gets from
//! row locks ([`locks`]): the writes of one user are serialised across all nodes while
//! different users write in parallel. Reads run on pooled connections without an explicit
//! transaction. This crate knows nothing of HTTP or DAV.

mod admin;
mod database;
mod locks;
mod objects;
mod schema;
mod sql;
mod status;
mod tls;

use tokio_postgres::config::Host;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use store::{Result, StoreError};

pub use admin::{database_url, drop_database, ensure_database, ScratchDatabase};
pub use database::PostgresDatabase;
#[doc(hidden)]
pub use schema::migrate_up_to;
pub use schema::SCHEMA_VERSION;

/// The store on PostgreSQL.
pub type PostgresStore = store::db::DbStore<PostgresDatabase>;

/// Connects (a pool), runs migrations (safe when several nodes start at once), returns the
/// store.
pub async fn connect(url: &str) -> Result<PostgresStore> {
    Ok(store::db::DbStore::new(
        PostgresDatabase::connect(url).await?,
    ))
}

/// One pooled connection, as the store's statements run on it.
pub struct PgConn {
    client: deadpool_postgres::Client,
}

/// The servers a config names, as `host:port` (sockets by their directory).
pub(crate) fn target_of(config: &tokio_postgres::Config) -> String {
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

pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl PgConn {
    /// A statement with PostgreSQL's own parameters (arrays), where `store::db::sql` has no
    /// value for them. Every statement runs prepared and cached per connection: the hot
    /// paths run the same few statements on every request, and planning them each time
    /// costs more than running them.
    async fn query_raw(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        let statement = self.client.prepare_cached(sql).await.map_err(backend)?;
        self.client.query(&statement, params).await.map_err(backend)
    }

    async fn execute_raw(&self, sql: &str, params: Params<'_>) -> Result<u64> {
        let statement = self.client.prepare_cached(sql).await.map_err(backend)?;
        self.client
            .execute(&statement, params)
            .await
            .map_err(backend)
    }
}
