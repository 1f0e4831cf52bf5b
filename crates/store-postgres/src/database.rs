//! Where PostgreSQL jobs run: a pool of connections per node; writes in a transaction each.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use store::db::{BoxFuture, Database, ReadCost};
use store::{Result, StoreError};

use crate::{backend, describe, schema, target_of, tls, PgConn};

/// Connections per node. Each request holds one for a few queries, so 16 keep a node's
/// requests from queueing behind each other, while several nodes together stay well below
/// PostgreSQL's default `max_connections` of 100.
const POOL_SIZE: usize = 16;
/// How long connecting may take when the URL does not say (`connect_timeout`): an unreachable
/// host otherwise waits for the operating system's TCP timeout, minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct PostgresDatabase {
    pool: Pool,
    /// `host:port` of the server, for error messages (never the URL: it may hold a password).
    target: Arc<str>,
}

impl PostgresDatabase {
    /// Connects (a pool), runs migrations (safe when several nodes start at once).
    pub async fn connect(url: &str) -> Result<Self> {
        let tls_target = tls::target(url);
        let mut config: tokio_postgres::Config = tls_target.url.parse().map_err(|e| {
            StoreError::Backend(format!("invalid PostgreSQL URL: {}", describe(&e)))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let target: Arc<str> = target_of(&config).into();
        let manager = Manager::from_config(
            config,
            tls_target.connector()?,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot set up the PostgreSQL pool: {e}")))?;
        let database = PostgresDatabase { pool, target };
        let mut client = database.client().await?;
        schema::migrate(&mut client).await?;
        Ok(database)
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

impl Database for PostgresDatabase {
    type Conn = PgConn;

    async fn read<T, F>(&self, _: ReadCost, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c PgConn) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let conn = PgConn {
            client: self.client().await?,
        };
        job(&conn).await
    }

    /// Writes plan each statement for its values. After five runs PostgreSQL may switch a
    /// prepared statement to a generic plan costed on the statistics of the moment; on a new
    /// installation those say "empty table", the plan scans, and every PUT got slower as the
    /// calendar grew (10,000-object import: 232 PUT/s and falling, 666 PUT/s steady with
    /// custom plans). Reads keep cached plans: planning every read cost more than it saved
    /// (PROPFIND Depth 1 on 10,000 objects: 37 -> 100 ms).
    async fn write<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c PgConn) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let mut tx = Transaction::begin(self.client().await?).await?;
        let result = job(tx.conn()?).await;
        tx.end(result.is_ok()).await?;
        result
    }
}

/// A write transaction on a pooled connection. Dropped before it ended (the request was
/// cancelled half-way), it takes its connection out of the pool: closing it is what makes
/// the server roll the transaction back, and no later request finds it open.
struct Transaction {
    conn: Option<PgConn>,
    open: bool,
}

impl Transaction {
    async fn begin(client: deadpool_postgres::Client) -> Result<Self> {
        client
            .batch_execute("BEGIN; SET LOCAL plan_cache_mode = force_custom_plan")
            .await
            .map_err(backend)?;
        Ok(Transaction {
            conn: Some(PgConn { client }),
            open: true,
        })
    }

    fn conn(&self) -> Result<&PgConn> {
        self.conn
            .as_ref()
            .ok_or_else(|| StoreError::Backend("the transaction has ended".into()))
    }

    /// Commits, or rolls back: a refused write stores nothing.
    async fn end(&mut self, commit: bool) -> Result<()> {
        let statement = if commit { "COMMIT" } else { "ROLLBACK" };
        let started = std::time::Instant::now();
        self.conn()?
            .client
            .batch_execute(statement)
            .await
            .map_err(backend)?;
        if let (true, Some(observer)) = (commit, store::observe::observer()) {
            observer.commit(started.elapsed());
        }
        self.open = false;
        Ok(())
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if let (true, Some(conn)) = (self.open, self.conn.take()) {
            drop(deadpool_postgres::Client::take(conn.client));
        }
    }
}
