//! The writer thread: SQLite allows one writer at a time, so every write job goes to one
//! thread that owns the writer connection. A transaction takes in every write that is
//! waiting when it starts or arrives while it runs, each under a savepoint of its own (one
//! refusal does not undo the others), and commits once none is waiting; its writes are
//! answered once it has committed. A group costs one commit (one sync) however many writes
//! it holds.
//!
//! Before this thread, writes waited for the writer's lock on tokio's blocking threads, and
//! eight concurrent PUTs grew that pool to 30 threads whose allocator caches then held half
//! the server's memory (50,000-object benchmark: peak RSS 106 MB). Queued jobs hold no thread.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

use store::db::{run_ready, BoxFuture};
use store::{Result, StoreError};
use tokio::sync::oneshot;

use crate::checkpoint::Checkpointer;
use crate::{backend, SqliteConn};

/// Writes one transaction holds at most, and the time it may take them in: bound how long
/// the first of them waits for its answer behind the others.
const MAX_GROUP: usize = 64;
const MAX_GROUP_TIME: Duration = Duration::from_millis(5);

/// The async side of the writer thread; the thread ends when this is dropped.
pub struct Writer {
    queue: Sender<Box<dyn Queued>>,
}

impl Writer {
    pub fn start(conn: SqliteConn, checkpointer: Checkpointer) -> Result<Self> {
        let (queue, jobs) = channel::<Box<dyn Queued>>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(&conn, &jobs, &checkpointer))
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { queue })
    }

    /// Queues `job` and waits for its answer, which comes once its transaction committed.
    pub fn write<T, F>(&self, job: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c SqliteConn) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let queued = self.queue.send(Box::new(Pending {
            job: Some(job),
            result: None,
            reply,
        }));
        async move {
            queued.map_err(|_| stopped())?;
            answer.await.map_err(|_| stopped())?
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the database writer has stopped".into())
}

/// A write waiting for the writer thread.
trait Queued: Send {
    /// Runs the job on the writer's connection; true when it succeeded.
    fn run(&mut self, conn: &SqliteConn) -> bool;
    /// Answers the job: its own result, unless the transaction holding it failed to commit.
    fn answer(self: Box<Self>, commit: &Result<()>);
}

struct Pending<T, F> {
    job: Option<F>,
    result: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Queued for Pending<T, F>
where
    T: Send + 'static,
    F: for<'c> FnOnce(&'c SqliteConn) -> BoxFuture<'c, Result<T>> + Send + 'static,
{
    fn run(&mut self, conn: &SqliteConn) -> bool {
        let Some(job) = self.job.take() else {
            return false;
        };
        // A bug in one job must not take the writer thread down with every later write.
        let result = catch_unwind(AssertUnwindSafe(|| run_ready(job(conn))))
            .unwrap_or_else(|_| Err(StoreError::Backend("a database write panicked".into())))
            .and_then(|r| r);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, commit: &Result<()>) {
        let result = match (self.result, commit) {
            (Some(Err(refused)), _) => Err(refused),
            (_, Err(failed)) => Err(failed.clone()),
            (Some(ok), Ok(())) => ok,
            (None, Ok(())) => Err(stopped()),
        };
        // The requester may have gone away; the write stands all the same.
        let _ = self.reply.send(result);
    }
}

fn run(conn: &SqliteConn, jobs: &Receiver<Box<dyn Queued>>, checkpointer: &Checkpointer) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        let commit = commit_group(conn, &mut group, jobs);
        let written = group.len();
        for job in group {
            job.answer(&commit);
        }
        if commit.is_ok() {
            checkpointer.wrote(written);
            if let Some(observer) = store::observe::observer() {
                observer.write_group(written);
            }
        }
    }
}

/// Runs the jobs of one IMMEDIATE transaction, each under its own savepoint, taking in the
/// writes that arrive while it runs, until none is waiting (or the group is full or has
/// taken [`MAX_GROUP_TIME`]); then commits. On any failure of the transaction itself,
/// nothing of it stays.
fn commit_group(
    conn: &SqliteConn, group: &mut Vec<Box<dyn Queued>>, jobs: &Receiver<Box<dyn Queued>>,
) -> Result<()> {
    sql(conn, "BEGIN IMMEDIATE")?;
    let started = Instant::now();
    let mut done = Ok(());
    let mut next = 0;
    while next < group.len() {
        done = run_one(conn, &mut group[next]);
        if done.is_err() {
            break;
        }
        next += 1;
        if next == group.len() && group.len() < MAX_GROUP && started.elapsed() < MAX_GROUP_TIME {
            if let Ok(job) = jobs.try_recv() {
                group.push(job);
            }
        }
    }
    let done = done.and_then(|()| commit(conn));
    if done.is_err() {
        // Leave no transaction open for the next group.
        let _ = sql(conn, "ROLLBACK");
    }
    done
}

/// COMMIT, timed for the observer: with `synchronous=FULL` it is the sync of the WAL.
fn commit(conn: &SqliteConn) -> Result<()> {
    let started = Instant::now();
    let done = sql(conn, "COMMIT");
    if let Some(observer) = store::observe::observer() {
        observer.commit(started.elapsed());
    }
    done
}

fn run_one(conn: &SqliteConn, job: &mut Box<dyn Queued>) -> Result<()> {
    sql(conn, "SAVEPOINT job")?;
    if !job.run(conn) {
        sql(conn, "ROLLBACK TO job")?;
    }
    sql(conn, "RELEASE job")
}

fn sql(conn: &SqliteConn, statement: &str) -> Result<()> {
    conn.with(|c| c.execute_batch(statement).map_err(backend))
}

/// Writes run one at a time on this thread, so a write's reads and writes never interleave
/// with another's: there is nothing to lock.
impl store::db::OwnerLockStatements for SqliteConn {
    async fn lock_principals(&self, _: &[store::PrincipalId]) -> Result<()> {
        Ok(())
    }

    async fn lock_owners_of(&self, _: &[store::CollectionId]) -> Result<()> {
        Ok(())
    }

    async fn lock_all_principals(&self) -> Result<()> {
        Ok(())
    }
}
