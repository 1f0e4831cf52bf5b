//! The embedded default backend: SQLite in WAL mode through rusqlite.
//!
//! One writer connection serialises writes (SQLite allows one writer anyway); a small pool
//! of reader connections serves reads concurrently. Database work runs on tokio's blocking
//! threads, except lookups by key, which are shorter than the hand-off to such a thread.
//! Every trait write is one IMMEDIATE transaction, so a refused or interrupted write leaves
//! nothing behind, and WAL with `synchronous=NORMAL` keeps every committed write across a
//! crash of the process.

mod accounts;
mod checkpoint;
mod collections;
mod dump;
mod log;
mod objects;
mod properties;
mod rows;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use store::*;

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
/// Writes holding a blocking thread: the one writing and the one next in line.
const WRITES_ON_THREADS: usize = 2;
/// Prepared statements kept per connection: more than the store has, so none is re-parsed.
const STATEMENT_CACHE: usize = 128;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Caps concurrent reads on blocking threads, and so the number of reader connections
    /// (each holds its own page cache): without it a burst of requests opens one connection
    /// per blocking thread. Lookups in place take none (see `read_by_key`), and only ever
    /// borrow a connection these reads opened.
    read_slots: tokio::sync::Semaphore,
    /// Writes wait their turn here, all but the next one: a write waiting on `writer`'s lock
    /// holds a blocking thread, and eight concurrent PUTs grew the pool to 30 threads whose
    /// allocator caches then held half the server's memory (50,000-object benchmark: peak
    /// RSS 106 MB, 61 MB once the idle threads had exited). The next write does wait on the
    /// lock, so that it starts the moment the current one commits.
    write_slots: tokio::sync::Semaphore,
    checkpointer: checkpoint::Checkpointer,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let mut writer = open_connection(path, true)?;
        schema::migrate(&mut writer).map_err(backend)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                read_slots: tokio::sync::Semaphore::new(IDLE_READERS),
                write_slots: tokio::sync::Semaphore::new(WRITES_ON_THREADS),
                checkpointer: checkpoint::Checkpointer::start(open_connection(path, false)?)?,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let _slot = wait_turn(&self.inner.read_slots).await?;
        let inner = self.inner.clone();
        blocking(move || {
            let pooled = lock(&inner.readers)?.pop();
            let conn = match pooled {
                Some(c) => c,
                None => open_connection(&inner.path, false)?,
            };
            let result = f(&conn);
            inner.give_back(conn)?;
            result
        })
        .await
    }

    /// A read of a few rows by key (a collection, an object), run on the calling thread when
    /// a pooled connection is idle. Handing such a read to a blocking thread and back costs
    /// more than the read itself: a GET makes two of them, and the two thread hand-offs took
    /// about a quarter of the server's CPU under load. Longer reads (listings, queries) keep
    /// to the blocking pool so that they never hold up the async workers.
    ///
    /// It takes no read slot: the slots are handed out fairly, so once one read waits for a
    /// slot no other could take one at once, and under a steady load every GET fell back to
    /// the blocking pool for good. An inline read is bounded by the async workers instead, and
    /// it only ever borrows an idle connection, never opens one.
    async fn read_by_key<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let pooled = lock(&self.inner.readers)?.pop();
        if let Some(conn) = pooled {
            let result = f(&conn);
            self.inner.give_back(conn)?;
            return result;
        }
        self.read(f).await
    }

    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let _turn = wait_turn(&self.inner.write_slots).await?;
        let inner = self.inner.clone();
        blocking(move || {
            let mut conn = lock(&inner.writer)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            let value = f(&tx)?;
            tx.commit().map_err(backend)?;
            inner.checkpointer.wrote();
            Ok(value)
        })
        .await
    }
}

async fn wait_turn(slots: &tokio::sync::Semaphore) -> Result<tokio::sync::SemaphorePermit<'_>> {
    slots
        .acquire()
        .await
        .map_err(|_| StoreError::Backend("the database is closing".into()))
}

async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Backend(format!("database task failed: {e}")))?
}

impl Inner {
    /// Returns a reader connection to the pool, or closes it when the pool is full.
    fn give_back(&self, conn: Connection) -> Result<()> {
        let mut idle = lock(&self.readers)?;
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        Ok(())
    }
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
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
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

/// `query_row` on a cached statement: the hot paths run the same few statements on every
/// request, and parsing SQL each time cost more than running it.
pub(crate) fn query_row<T, P, F>(
    conn: &Connection,
    sql: &str,
    params: P,
    f: F,
) -> rusqlite::Result<T>
where
    P: rusqlite::Params,
    F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
{
    conn.prepare_cached(sql)?.query_row(params, f)
}

/// `execute` on a cached statement (see [`query_row`]).
pub(crate) fn execute<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(&self, user: NewUser) -> Result<User> {
        self.write(move |tx| accounts::create_user(tx, &user)).await
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        let name = name.to_owned();
        self.read_by_key(move |c| accounts::user_by_name(c, &name))
            .await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        self.read(accounts::list_users).await
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.write(move |tx| accounts::set_password(tx, &name, &hash))
            .await
    }

    async fn remove_user(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.write(move |tx| accounts::remove_user(tx, &name)).await
    }

    async fn usage_bytes(&self, owner: PrincipalId) -> Result<u64> {
        self.read(move |c| accounts::usage_bytes(c, owner)).await
    }

    async fn collection(&self, owner: PrincipalId, path: &str) -> Result<Option<Collection>> {
        let path = path.to_owned();
        self.read_by_key(move |c| collections::by_path(c, owner, &path))
            .await
    }

    async fn collection_member(
        &self,
        owner: PrincipalId,
        path: &str,
        name: &str,
    ) -> Result<Option<(Collection, Option<StoredObject>)>> {
        let (path, name) = (path.to_owned(), name.to_owned());
        self.read_by_key(move |c| objects::collection_member(c, owner, &path, &name))
            .await
    }

    async fn child_collections(&self, owner: PrincipalId, parent: &str) -> Result<Vec<Collection>> {
        let parent = parent.to_owned();
        self.read(move |c| collections::children(c, owner, &parent))
            .await
    }

    async fn create_collection(&self, new: NewCollection, change: &Change) -> Result<Collection> {
        let change = change.clone();
        self.write(move |tx| collections::create(tx, &new, &change))
            .await
    }

    async fn delete_collection(
        &self,
        owner: PrincipalId,
        path: &str,
        change: &Change,
    ) -> Result<()> {
        let (path, change) = (path.to_owned(), change.clone());
        self.write(move |tx| collections::delete_tree(tx, owner, &path, &change))
            .await
    }

    async fn transfer_collection(
        &self,
        transfer: CollectionTransfer,
        change: &Change,
    ) -> Result<bool> {
        let change = change.clone();
        self.write(move |tx| collections::transfer(tx, &transfer, &change))
            .await
    }

    async fn objects(&self, collection: CollectionId) -> Result<Vec<ObjectMeta>> {
        self.read(move |c| objects::list(c, collection)).await
    }

    async fn objects_page(
        &self,
        collection: CollectionId,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<ObjectMeta>> {
        self.read(move |c| objects::page(c, collection, after.as_deref(), limit))
            .await
    }

    async fn object_count(&self, collection: CollectionId) -> Result<u64> {
        self.read(move |c| objects::count(c, collection)).await
    }

    async fn object(&self, collection: CollectionId, name: &str) -> Result<Option<StoredObject>> {
        let name = name.to_owned();
        self.read_by_key(move |c| objects::get(c, collection, &name))
            .await
    }

    async fn objects_in_range(
        &self,
        collection: CollectionId,
        component: Option<&str>,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Vec<ObjectMeta>> {
        let component = component.map(str::to_owned);
        self.read(move |c| objects::in_range(c, collection, component.as_deref(), start, end))
            .await
    }

    async fn events_in_range(&self, query: EventRange) -> Result<EventCandidates> {
        self.read(move |c| objects::events_in_range(c, &query))
            .await
    }

    async fn objects_by_name(
        &self,
        collection: CollectionId,
        names: &[String],
    ) -> Result<Vec<StoredObject>> {
        let names = names.to_vec();
        self.read(move |c| objects::get_many(c, collection, &names))
            .await
    }

    async fn put_object(&self, put: PutObject, change: &Change) -> Result<PutOutcome> {
        let change = change.clone();
        self.write(move |tx| objects::put(tx, &put, &change)).await
    }

    async fn delete_object(
        &self,
        collection: CollectionId,
        name: &str,
        expect: Expect,
        change: &Change,
    ) -> Result<()> {
        let (name, change) = (name.to_owned(), change.clone());
        self.write(move |tx| objects::delete(tx, collection, &name, &expect, &change))
            .await
    }

    async fn transfer_object(&self, transfer: ObjectTransfer, change: &Change) -> Result<bool> {
        let change = change.clone();
        self.write(move |tx| objects::transfer(tx, &transfer, &change))
            .await
    }

    async fn properties(
        &self,
        collection: CollectionId,
        object: Option<&str>,
    ) -> Result<Vec<Property>> {
        let object = object.unwrap_or("").to_owned();
        self.read_by_key(move |c| properties::of(c, collection, &object))
            .await
    }

    async fn member_properties(&self, collection: CollectionId) -> Result<Vec<(String, Property)>> {
        self.read(move |c| properties::of_members(c, collection))
            .await
    }

    async fn patch_properties(&self, patch: PropertyPatch, change: &Change) -> Result<()> {
        let change = change.clone();
        self.write(move |tx| properties::patch(tx, &patch, &change))
            .await
    }

    async fn changes_since(
        &self,
        collection: CollectionId,
        after: i64,
        upto: i64,
    ) -> Result<Vec<ChangedMember>> {
        self.read(move |c| log::changes_since(c, collection, after, upto))
            .await
    }

    async fn versions(&self, collection: CollectionId) -> Result<Vec<Version>> {
        self.read(move |c| log::versions(c, collection)).await
    }

    async fn history_collections(
        &self,
        owner: Option<PrincipalId>,
    ) -> Result<Vec<HistoryCollection>> {
        self.read(move |c| collections::with_history(c, owner))
            .await
    }

    async fn version(&self, id: i64) -> Result<Option<Version>> {
        self.read(move |c| log::version(c, id)).await
    }

    async fn restore_collection(&self, id: CollectionId, change: &Change) -> Result<Collection> {
        let change = change.clone();
        self.write(move |tx| collections::restore(tx, id, &change))
            .await
    }

    async fn prune_history(&self, before: i64, change: &Change) -> Result<u64> {
        let change = change.clone();
        self.write(move |tx| log::prune(tx, before, &change)).await
    }

    async fn history_stats(&self) -> Result<Vec<HistoryStats>> {
        self.read(log::stats).await
    }
}

#[async_trait]
impl store::dump::Dump for SqliteStore {
    async fn dump_principals(&self) -> Result<Vec<store::dump::PrincipalRecord>> {
        self.read(dump::principals).await
    }

    async fn dump_collections(&self) -> Result<Vec<store::dump::CollectionRecord>> {
        self.read(dump::collections).await
    }

    async fn dump_objects(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<store::dump::ObjectRecord>> {
        self.read(move |c| dump::objects(c, collection, after, limit))
            .await
    }

    async fn dump_properties(
        &self,
        collection: CollectionId,
    ) -> Result<Vec<store::dump::PropertyRecord>> {
        self.read(move |c| dump::properties(c, collection)).await
    }

    async fn dump_versions(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Version>> {
        self.read(move |c| dump::versions(c, collection, after, limit))
            .await
    }

    async fn is_empty(&self) -> Result<bool> {
        self.read(dump::is_empty).await
    }

    async fn load_principals(&self, rows: Vec<store::dump::PrincipalRecord>) -> Result<()> {
        self.write(move |tx| dump::load_principals(tx, &rows)).await
    }

    async fn load_collections(&self, rows: Vec<store::dump::CollectionRecord>) -> Result<()> {
        self.write(move |tx| dump::load_collections(tx, &rows))
            .await
    }

    async fn load_objects(&self, rows: Vec<store::dump::ObjectRecord>) -> Result<()> {
        self.write(move |tx| dump::load_objects(tx, &rows)).await
    }

    async fn load_properties(&self, rows: Vec<store::dump::PropertyRecord>) -> Result<()> {
        self.write(move |tx| dump::load_properties(tx, &rows)).await
    }

    async fn load_versions(&self, rows: Vec<Version>) -> Result<()> {
        self.write(move |tx| dump::load_versions(tx, &rows)).await
    }

    /// SQLite gives a new row the largest id plus one: nothing to move.
    async fn finish_load(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lookup by key must not queue behind the reads waiting for a slot: the slots are
    /// handed out in turn, and a GET that waits there runs on the blocking pool after all.
    #[tokio::test]
    async fn a_read_by_key_runs_while_every_read_slot_is_taken() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = SqliteStore::open(&dir.path().join("calvault.db")).expect("open");
        let ann = store
            .create_user(store::conformance::new_user("ann"))
            .await
            .expect("create user");
        // A first read leaves an idle connection in the pool; then every slot is taken.
        store.list_users().await.expect("list users");
        let _every_slot = store
            .inner
            .read_slots
            .acquire_many(IDLE_READERS as u32)
            .await
            .expect("read slots");
        let found = tokio::time::timeout(Duration::from_secs(5), store.user_by_name("ann"))
            .await
            .expect("the lookup waited for a read slot")
            .expect("lookup");
        assert_eq!(found.map(|u| u.id), Some(ann.id));
    }
}
