//! Where SQLite jobs run: reads on a small pool of reader connections (short lookups on the
//! calling thread, the rest on tokio's blocking threads), writes on one writer thread.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use store::db::{run_ready, BoxFuture, Database, ReadCost};
use store::{Result, StoreError};
use tokio::sync::Semaphore;

use crate::writer::Writer;
use crate::{backend, checkpoint, schema, SqliteConn};

/// Reader connections: at most this many reads run at once, each on a pooled connection.
/// Reads are CPU work once pages are cached, so one more than the cores is enough; each
/// connection's page cache counts in the memory budget (50,000-object benchmark, same hour:
/// 4 readers peak RSS 100.9 MB, 3 readers 72.5 MB, GET and query rates within noise).
const IDLE_READERS: usize = 3;
/// Page cache per connection (KiB). A reader's cache holds the hot metadata and index pages
/// of the calendars it serves (all of them take about 12 MB for 50,000 objects): without
/// them every query pays one system call per page. The pool hands out the most recently used
/// connection first, so a steady load keeps one cache warm. 8 MB rather than 12 keeps four
/// readers' caches within the memory budget (50,000-object benchmark: peak RSS 116 -> 100 MB,
/// 1-week query unchanged within noise).
const READER_CACHE_KIB: i64 = 8_000;
const WRITER_CACHE_KIB: i64 = 8_000;
/// WAL pages before the writer checkpoints itself (SQLite's default is 1,000, 4 MB): the
/// backstop behind the checkpoint thread (see [`checkpoint`]), which keeps the WAL copied
/// long before this.
const WAL_CHECKPOINT_PAGES: i64 = 16_000;
/// Prepared statements kept per connection: more than the store has, so none is re-parsed.
const STATEMENT_CACHE: usize = 128;

/// An SQLite database file with its connections.
pub struct SqliteDatabase {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// The WAL index (`calvault.db-shm`), for [`SqliteDatabase::commit_mark`].
    wal_index: Option<std::fs::File>,
    readers: Mutex<Vec<SqliteConn>>,
    /// Caps concurrent reads on blocking threads, and so the number of reader connections
    /// (each holds its own page cache): without it a burst of requests opens one connection
    /// per blocking thread. Lookups in place take none (see [`SqliteDatabase::read`]), and
    /// only ever borrow a connection these reads opened.
    read_slots: Semaphore,
    writer: Writer,
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let mut writer = open_connection(path, true)?;
        schema::migrate(&mut writer).map_err(backend)?;
        let checkpointer = checkpoint::Checkpointer::start(open_connection(path, false)?)?;
        Ok(SqliteDatabase {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                wal_index: std::fs::File::open(wal_index_path(path)).ok(),
                readers: Mutex::new(Vec::new()),
                read_slots: Semaphore::new(IDLE_READERS),
                writer: Writer::start(SqliteConn::new(writer), checkpointer)?,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }
}

impl Database for SqliteDatabase {
    type Conn = SqliteConn;

    /// A read of a few rows by key (a collection, an object) runs on the calling thread when
    /// a pooled connection is idle. Handing such a read to a blocking thread and back costs
    /// more than the read itself: a GET makes two of them, and the two thread hand-offs took
    /// about a quarter of the server's CPU under load. Longer reads (listings, queries) keep
    /// to the blocking pool so that they never hold up the async workers.
    ///
    /// An in-place read takes no read slot: the slots are handed out fairly, so once one read
    /// waits for a slot no other could take one at once, and under a steady load every GET
    /// fell back to the blocking pool for good. An inline read is bounded by the async
    /// workers instead, and it only ever borrows an idle connection, never opens one.
    fn read<T, F>(&self, cost: ReadCost, job: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c SqliteConn) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        async move {
            if cost == ReadCost::Key {
                let idle = lock(&inner.readers)?.pop();
                if let Some(conn) = idle {
                    let result = run_ready(job(&conn));
                    inner.give_back(conn)?;
                    return result?;
                }
            }
            let _slot = inner
                .read_slots
                .acquire()
                .await
                .map_err(|_| StoreError::Backend("the database is closing".into()))?;
            let reading = Arc::clone(&inner);
            tokio::task::spawn_blocking(move || {
                let pooled = lock(&reading.readers)?.pop();
                let conn = match pooled {
                    Some(c) => c,
                    None => SqliteConn::new(open_connection(&reading.path, false)?),
                };
                let result = run_ready(job(&conn));
                reading.give_back(conn)?;
                result?
            })
            .await
            .map_err(|e| StoreError::Backend(format!("database task failed: {e}")))?
        }
    }

    /// The WAL index header (https://sqlite.org/walformat.html): two copies of 48 bytes at
    /// the start of the `-shm` file, whose `iChange` grows with every commit of any
    /// connection in any process (the CLI's too). One read without a lock, as SQLite itself
    /// reads it: copies that differ are a header being written, an unset `isInit` one not
    /// yet built, and neither gives a mark, so the caller reads the database.
    #[cfg(unix)]
    fn commit_mark(&self) -> Option<u64> {
        use std::os::unix::fs::FileExt;
        let mut header = [0u8; 96];
        let file = self.inner.wal_index.as_ref()?;
        file.read_exact_at(&mut header, 0).ok()?;
        let (first, second) = header.split_at(48);
        if first != second || first[12] != 1 {
            return None;
        }
        // FNV-1a over the whole header: iChange, the frame count, the salts, the checksums.
        let mark = first.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
        Some(mark)
    }

    fn write<T, F>(&self, job: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c SqliteConn) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.inner.writer.write(job)
    }
}

impl Inner {
    /// Returns a reader connection to the pool, or closes it when the pool is full.
    /// A connection still inside a transaction is closed instead: it would serve one old
    /// snapshot from then on and hold back checkpoints.
    fn give_back(&self, conn: SqliteConn) -> Result<()> {
        if !conn.is_autocommit() {
            tracing::warn!("a reader connection was left inside a transaction; closing it");
            return Ok(());
        }
        let mut idle = lock(&self.readers)?;
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        Ok(())
    }
}

/// SQLite's WAL index file beside the database (`calvault.db-shm`), where SQLite puts it:
/// next to the file a link points to.
fn wal_index_path(db: &Path) -> PathBuf {
    let db = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_owned());
    let mut name = db.into_os_string();
    name.push("-shm");
    PathBuf::from(name)
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| StoreError::Backend("database lock poisoned".into()))
}

fn open_connection(path: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(backend)?;
    // Other processes (the CLI while the server runs) may hold the write lock briefly.
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(backend)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // FULL: every commit syncs the WAL before it returns, so a write is answered only once
    // it is on disk and a power cut cannot take back what a client was told is stored
    // (NORMAL syncs only at checkpoints). The writer thread commits the writes waiting
    // together, so the sync is paid once per group, not once per write.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )
    .map_err(backend)?;
    let cache_kib = if create {
        // Only as a backstop (see `checkpoint`).
        conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)
            .map_err(backend)?;
        WRITER_CACHE_KIB
    } else {
        READER_CACHE_KIB
    };
    conn.pragma_update(None, "cache_size", -cache_kib)
        .map_err(backend)?;
    Ok(conn)
}
