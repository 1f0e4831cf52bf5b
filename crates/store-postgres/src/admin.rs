//! Creating a database for calvault on a PostgreSQL server, for setup scripts and for the
//! test suites, which each want a database of their own. The schema itself is made by
//! [`crate::PostgresStore::connect`].

use store::{Result, StoreError};
use tokio_postgres::error::SqlState;

use crate::describe;

/// The URL of database `name` on the server `server_url` names (a URL without a database,
/// e.g. `postgres://postgres@127.0.0.1:5432`), keeping any query such as `?sslmode=disable`.
pub fn database_url(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (server_url, String::new()),
    };
    format!("{}/{name}{query}", base.trim_end_matches('/'))
}

/// Creates database `name` unless it exists and returns its URL. `options` are appended to
/// `CREATE DATABASE` (a locale, say). The name must be a plain identifier (lower-case
/// letters, digits, '_'), since it is written into the statement.
pub async fn ensure_database(server_url: &str, name: &str, options: &str) -> Result<String> {
    let client = MaintenanceClient::connect(server_url, name).await?;
    let exists = client
        .client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .map_err(crate::backend)?
        .is_some();
    if !exists {
        match client
            .client
            .batch_execute(&format!("CREATE DATABASE {name} {options}"))
            .await
        {
            // Someone else made it between the check and now: as good.
            Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) => {}
            other => other.map_err(crate::backend)?,
        }
    }
    client.close().await;
    Ok(database_url(server_url, name))
}

/// Drops database `name` if it exists, ending the connections still open to it.
pub async fn drop_database(server_url: &str, name: &str) -> Result<()> {
    let client = MaintenanceClient::connect(server_url, name).await?;
    let dropped = client
        .client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .map_err(crate::backend);
    client.close().await;
    dropped
}

/// A database that lives as long as this value: made by [`ScratchDatabase::create`],
/// dropped on drop, so test suites and benchmarks that want a database each leave no disk
/// behind (a test that fails included).
pub struct ScratchDatabase {
    server_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    pub async fn create(server_url: &str, name: &str, options: &str) -> Result<Self> {
        let url = ensure_database(server_url, name, options).await?;
        Ok(Self {
            server_url: server_url.to_owned(),
            name: name.to_owned(),
            url,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and the owner's runtime may be shutting down: a thread with a
        // runtime of its own does it.
        let (server_url, name) = (self.server_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(drop_database(&server_url, &name)).ok()
        });
        // A database left behind only costs disk: never panic in drop over it.
        let _ = dropped.join();
    }
}

/// A connection to the server's `postgres` database, for statements about database `name`,
/// which must be a plain identifier since it is written into them.
struct MaintenanceClient {
    client: tokio_postgres::Client,
    driver: tokio::task::JoinHandle<std::result::Result<(), tokio_postgres::Error>>,
}

impl MaintenanceClient {
    async fn connect(server_url: &str, name: &str) -> Result<Self> {
        let plain = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !plain {
            return Err(StoreError::Backend(format!(
                "{name:?} is not a plain database name (lower-case letters, digits and '_')"
            )));
        }
        let target = crate::tls::target(&database_url(server_url, "postgres"));
        let (client, connection) = tokio_postgres::connect(&target.url, target.connector()?)
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!("cannot connect to PostgreSQL: {}", describe(&e)))
            })?;
        let driver = tokio::spawn(connection);
        Ok(Self { client, driver })
    }

    async fn close(self) {
        drop(self.client);
        let _ = self.driver.await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn database_urls_keep_the_query() {
        assert_eq!(
            database_url("postgres://u@h:5/", "db"),
            "postgres://u@h:5/db"
        );
        assert_eq!(
            database_url("postgres://u@h:5?sslmode=disable", "db"),
            "postgres://u@h:5/db?sslmode=disable"
        );
    }

    #[tokio::test]
    async fn names_that_are_not_plain_are_refused_before_connecting() {
        let err = ensure_database("postgres://nobody@127.0.0.1:1", "x; DROP", "")
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("not a plain database name"),
            "{err}"
        );
    }
}
