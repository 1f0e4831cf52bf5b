//! What a store does, told to whoever watches (the server's `/metrics`): how long each
//! operation took, how many writes shared a commit and how long the commit took. The store
//! crates know no metrics library; one observer is set for the process, and with none set
//! each report is a single atomic load.

use std::sync::OnceLock;
use std::time::Duration;

/// The kinds of store operation timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A job on a reading connection.
    Read,
    /// A write transaction, from queueing to commit.
    Write,
}

/// Receives the store's reports; must be cheap (it runs on every operation).
pub trait Observer: Send + Sync + 'static {
    fn operation(&self, operation: Operation, took: Duration);
    /// Writes committed together (SQLite's writer groups the writes that wait).
    fn write_group(&self, writes: usize);
    /// One commit: SQLite's includes the sync of its write-ahead log; PostgreSQL's is the
    /// COMMIT round trip, the server's WAL flush included.
    fn commit(&self, took: Duration);
}

static OBSERVER: OnceLock<&'static dyn Observer> = OnceLock::new();

/// Sets the process's observer; false when one was set already (it stays).
pub fn set_observer(observer: &'static dyn Observer) -> bool {
    OBSERVER.set(observer).is_ok()
}

/// The observer, when one is set.
pub fn observer() -> Option<&'static dyn Observer> {
    OBSERVER.get().copied()
}
