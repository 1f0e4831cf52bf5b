//! A brand-new database per test, on the server `CALVAULT_TEST_POSTGRES` names.
#![allow(clippy::unwrap_used, dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

/// The server's URL without a database, e.g. `postgres://postgres@127.0.0.1:55432`.
pub fn base_url() -> String {
    std::env::var("CALVAULT_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "CALVAULT_TEST_POSTGRES is not set: point it at a PostgreSQL server a superuser \
             can create databases on, e.g. postgres://postgres@127.0.0.1:55432 \
             (tests/run-all.sh starts one)"
        )
    })
}

/// The URL of `database` on the test server, keeping any query (`?sslmode=...`).
pub fn url_of(database: &str) -> String {
    store_postgres::database_url(&base_url(), database)
}

/// A test's database, dropped when the test ends (pass or fail).
pub type Scratch = store_postgres::ScratchDatabase;

/// Creates an empty database with a name no other test (in this or another process) uses.
pub async fn create_database() -> Scratch {
    create_database_with("").await
}

/// [`create_database`] with extra `CREATE DATABASE` options (a locale, say).
pub async fn create_database_with(options: &str) -> Scratch {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!(
        "calvault_t_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    Scratch::create(&base_url(), &name, options).await.unwrap()
}
