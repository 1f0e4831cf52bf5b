//! Looking after a repository: whether there is one, what `verify` found and what
//! `prune` freed, in the words the command line prints.

use std::fmt::{self, Display, Formatter};
use std::path::Path;

use vault::{PruneReport, Repo, VerifyReport};

use crate::error::{Error, Result};
use crate::units::human_bytes;

/// Refuses a directory that holds no repository, before any passphrase is asked for.
pub fn check_repository(path: &Path) -> Result<()> {
    match path.join("config").exists() {
        true => Ok(()),
        false => Err(Error::NoRepository(path.to_owned())),
    }
}

/// What `verify` checked and found.
#[derive(Clone, Debug)]
pub struct Checked {
    pub report: VerifyReport,
    /// Every blob was decrypted, not only those of damaged packs.
    pub read_data: bool,
}

/// Checks the repository; the caller holds a lock on it.
pub fn verify(repo: &Repo, read_data: bool) -> Result<Checked> {
    let report = repo.verify(read_data)?;
    Ok(Checked { report, read_data })
}

impl Checked {
    /// When something is damaged: how much, and what to do about it.
    pub fn damage_note(&self) -> Option<String> {
        let problems = self.report.problems.len();
        (problems > 0).then(|| {
            format!(
                "the repository has {problems} problem(s), listed above; the affected objects \
                 can be backed up again with `calvault backup --full`"
            )
        })
    }
}

impl Display for Checked {
    /// What was checked, then each problem with what it affects (or that there is none).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let r = &self.report;
        write!(
            f,
            "checked {} pack(s), {} blob(s), {} snapshot(s){}",
            r.packs,
            r.blobs,
            r.snapshots,
            if self.read_data {
                " (every blob decrypted)"
            } else {
                ""
            }
        )?;
        if r.problems.is_empty() {
            return write!(f, "\nno problems found");
        }
        for problem in &r.problems {
            write!(f, "\nDAMAGED {}: {}", problem.file, problem.detail)?;
            for a in &problem.affected {
                let (snapshot, calendar, object) = (&a.snapshot, &a.calendar, &a.object);
                write!(
                    f,
                    "\n  affects snapshot {snapshot} calendar {calendar} object {object}"
                )?;
            }
        }
        Ok(())
    }
}

/// What `prune` removed.
#[derive(Clone, Debug)]
pub struct Pruned(pub PruneReport);

/// Deletes the data no snapshot uses; the caller holds the exclusive lock.
pub fn prune(repo: &Repo) -> Result<Pruned> {
    Ok(Pruned(repo.prune()?))
}

impl Display for Pruned {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let r = &self.0;
        write!(
            f,
            "pruned: {} blob(s) removed, {} pack(s) deleted, {} rewritten, {} freed; {} \
             snapshot(s) remain",
            r.blobs_removed,
            r.packs_deleted,
            r.packs_rewritten,
            human_bytes(r.bytes_freed),
            r.snapshots_kept
        )
    }
}
