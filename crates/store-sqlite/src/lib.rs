//! The embedded default backend: SQLite in WAL mode through rusqlite.
//!
//! This crate is SQLite's side of `store::db`: where jobs run ([`database`]: a pool of
//! reader connections and one writer thread) and every statement in SQLite's dialect, one
//! module per table. The order of a write's reads and writes, and every rule that decides
//! them, live in the `store` crate for every backend alike. Every write job is one IMMEDIATE
//! transaction (or a savepoint inside one shared by the writes that waited together), so a
//! refused or interrupted write leaves nothing behind, and WAL with `synchronous=FULL` has
//! every acknowledged write on disk: it survives a crash of the process and a power cut.

mod checkpoint;
mod database;
mod objects;
mod schema;
mod sql;
mod status;
mod writer;

use std::path::Path;
use std::sync::Mutex;

use rusqlite::Connection;
use store::{Result, StoreError};

pub use database::SqliteDatabase;

/// The store on SQLite.
pub type SqliteStore = store::db::DbStore<SqliteDatabase>;

/// Opens (creating if needed) the database file and brings its schema up to date.
pub fn open(path: &Path) -> Result<SqliteStore> {
    Ok(store::db::DbStore::new(SqliteDatabase::open(path)?))
}

/// One SQLite connection, as the store's statements run on it. The mutex is never
/// contended (a connection serves one job at a time); it lets the statements take `&self`
/// from a job that may move between threads, which a bare connection does not allow.
pub struct SqliteConn {
    conn: Mutex<Connection>,
}

impl SqliteConn {
    fn new(conn: Connection) -> Self {
        SqliteConn {
            conn: Mutex::new(conn),
        }
    }

    /// True outside a transaction.
    fn is_autocommit(&self) -> bool {
        self.with(|c| Ok(c.is_autocommit())).unwrap_or(false)
    }

    /// Runs `f` on the connection. The statements' async functions never wait: SQLite is
    /// done when a call returns, so a job on this connection completes in one poll.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        match self.conn.lock() {
            Ok(conn) => f(&conn),
            Err(_) => Err(StoreError::Backend("database connection poisoned".into())),
        }
    }
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}
