//! The writer thread: SQLite allows one writer at a time, so every write job goes to one
//! thread that owns the writer connection. The writes that are waiting when it starts a
//! transaction run together in it, each under a savepoint of its own (one refusal does not
//! undo the others), and are answered once that transaction has committed: a group costs
//! one commit however many writes it holds.
//!
//! Before this thread, writes waited for the writer's lock on tokio's blocking threads, and
//! eight concurrent PUTs grew that pool to 30 threads whose allocator caches then held half
//! the server's memory (50,000-object benchmark: peak RSS 106 MB). Queued jobs hold no thread.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};

use store::db::{run_ready, BoxFuture};
use store::{Result, StoreError};
use tokio::sync::oneshot;

use crate::checkpoint::Checkpointer;
use crate::{backend, SqliteConn};

/// Writes one transaction holds at most: bounds how long the first of them waits for its
/// answer behind the others.
const MAX_GROUP: usize = 64;

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
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let commit = commit_group(conn, &mut group);
        let written = group.len();
        for job in group {
            job.answer(&commit);
        }
        if commit.is_ok() {
            checkpointer.wrote(written);
        }
    }
}

/// Runs a group of jobs in one IMMEDIATE transaction, each under its own savepoint, and
/// commits; on any failure of the transaction itself, nothing of it stays.
fn commit_group(conn: &SqliteConn, group: &mut [Box<dyn Queued>]) -> Result<()> {
    sql(conn, "BEGIN IMMEDIATE")?;
    let done = run_group(conn, group).and_then(|()| sql(conn, "COMMIT"));
    if done.is_err() {
        // Leave no transaction open for the next group.
        let _ = sql(conn, "ROLLBACK");
    }
    done
}

fn run_group(conn: &SqliteConn, group: &mut [Box<dyn Queued>]) -> Result<()> {
    for job in group.iter_mut() {
        sql(conn, "SAVEPOINT job")?;
        if !job.run(conn) {
            sql(conn, "ROLLBACK TO job")?;
        }
        sql(conn, "RELEASE job")?;
    }
    Ok(())
}

fn sql(conn: &SqliteConn, statement: &str) -> Result<()> {
    conn.with(|c| c.execute_batch(statement).map_err(backend))
}

/// Writes run one at a time on this thread, so a write's reads and writes never interleave
/// with another's: there is nothing to lock.
impl store::db::LockStatements for SqliteConn {
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
