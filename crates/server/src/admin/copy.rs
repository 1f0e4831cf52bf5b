//! `store copy`: a whole installation into another, empty store (SQLite to PostgreSQL, or
//! back), history included, then proven by reading both back row by row and recomputing
//! every hash chain of the copy. The source must not change meanwhile.

use std::fmt;
use std::time::Instant;

use dav::history::check_chains;
use store::dump::{self, CopyReport, Progress};

use super::AdminError;
use crate::{Backend, Location};

/// Refuses a copy that cannot start: into the store itself, or from an SQLite file that
/// does not exist (opening it would create an empty one).
pub fn check_copy(from: &Location, to: &Location) -> Result<(), AdminError> {
    if from == to {
        return Err(AdminError::SameStore);
    }
    match from {
        Location::Sqlite(path) if !path.exists() => Err(AdminError::NoSqliteSource(path.clone())),
        _ => Ok(()),
    }
}

/// What a copy moved, from where to where, and how long it took.
#[derive(Clone, Debug)]
pub struct Copied {
    pub report: CopyReport,
    /// Both stores as [`Location::describe`] names them (no passwords).
    pub from: String,
    pub to: String,
    pub seconds: f64,
}

/// Copies every row of `source` into the empty `target`.
pub async fn copy(
    source: &Backend,
    target: &Backend,
    progress: Progress<'_>,
) -> Result<Copied, AdminError> {
    let started = Instant::now();
    let into = || target.location().describe();
    let report = dump::copy(source.dump(), target.dump(), progress)
        .await
        .map_err(|error| AdminError::CopyStopped {
            error,
            into: into(),
        })?;
    Ok(Copied {
        report,
        from: source.location().describe(),
        to: into(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A copy proven: the same rows in both stores, and every chain of the copy intact.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verified {
    /// History chains (one per collection) recomputed in the copy.
    pub chains: usize,
    pub seconds: f64,
}

/// Reads both stores back row by row, then recomputes every hash chain of the copy.
pub async fn verify(
    source: &Backend,
    target: &Backend,
    progress: Progress<'_>,
) -> Result<Verified, AdminError> {
    let started = Instant::now();
    dump::verify_copy(source.dump(), target.dump(), progress)
        .await
        .map_err(AdminError::CopyDiffers)?;
    let check = check_chains(&**target).await?;
    if let Some(broken) = check.broken.into_iter().next() {
        return Err(AdminError::CopyChainBroken(Box::new(broken)));
    }
    Ok(Verified {
        chains: check.calendars,
        seconds: started.elapsed().as_secs_f64(),
    })
}

impl fmt::Display for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Verified: both stores hold the same rows, and the {} history chains of the copy \
             verify ({:.1} s).",
            self.chains, self.seconds
        )
    }
}
