//! What a database backend provides, and the store built on it once for every backend.
//!
//! A backend implements two traits: [`Database`] runs a job on one of its connections, in a
//! write transaction or for reading, and [`Statements`] is every query it can run, in its own
//! SQL dialect. Everything else — the order of reads and writes in each transaction, the
//! rules that decide them ([`crate::rules`]), the history rows they append — is written once
//! here ([`write`], and [`locking`] for WebDAV locks), and [`DbStore`] implements every
//! store trait on top of it. So a rule
//! changes in one place, whatever the backend.
//!
//! Jobs are async so that one sequence serves both kinds of driver: PostgreSQL's statements
//! are network round trips, which independent statements share (they are awaited together
//! and go out as one pipeline); SQLite's run on the calling thread and are ready at once, so
//! a whole job completes in a single poll (see [`run_ready`]).

pub mod columns;
mod lock_guard;
pub mod locking;
mod mail;
pub mod rows;
pub mod sharing;
pub mod sql;
mod statements;
mod store;
mod tables;
pub mod write;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

pub use statements::*;
pub use store::DbStore;

use crate::{Result, StoreError};

/// A future that may be sent between threads, borrowing for `'a`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How long a read is expected to take, so that a backend may run short ones in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadCost {
    /// A lookup of a few rows by key (a user, a collection, an object).
    Key,
    /// A listing, a range query, a whole table.
    Scan,
}

/// A database a backend reaches: where jobs run.
pub trait Database: Send + Sync + 'static {
    /// A connection with the backend's statements.
    type Conn: Statements;

    /// Runs `job` on a connection for reading.
    fn read<T, F>(&self, cost: ReadCost, job: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Self::Conn) -> BoxFuture<'c, Result<T>> + Send + 'static;

    /// [`crate::Accounts::commit_mark`]: a mark of the last commit, by anyone, read without
    /// a query; None when the backend cannot tell so cheaply.
    fn commit_mark(&self) -> Option<u64> {
        None
    }

    /// Runs `job` in one write transaction: committed when it returns Ok (and only then
    /// answered), rolled back otherwise, so a refused write stores nothing.
    fn write<T, F>(&self, job: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Self::Conn) -> BoxFuture<'c, Result<T>> + Send + 'static;
}

/// Completes a future whose every step is ready at once, as a job on a synchronous driver
/// is: its statements run when they are called and return ready futures. A job that waits
/// on anything else is a bug in the backend, reported rather than spun on.
pub fn run_ready<F: Future>(future: F) -> Result<F::Output> {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => Ok(value),
        Poll::Pending => Err(StoreError::Backend(
            "a database job waited on something other than its own statements".into(),
        )),
    }
}

/// The current time in Unix milliseconds, as every write records it.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_ready_job_completes_in_one_poll_and_a_waiting_one_is_an_error() {
        assert_eq!(run_ready(async { 1 + 1 }).ok(), Some(2));
        let waits = async {
            std::future::pending::<()>().await;
        };
        assert!(matches!(run_ready(waits), Err(StoreError::Backend(_))));
    }
}
