//! `stats`: what anyone with read access can see without the passphrase — counts and sizes
//! of the repository's files, nothing about calendars or their content.

use std::path::Path;

use crate::config::Config;
use crate::error::{io_err, Result};
use crate::files;
use crate::repo::Repo;

/// Counts and sizes of a repository's files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RepoStats {
    pub snapshots: u64,
    pub packs: u64,
    pub pack_bytes: u64,
    pub index_files: u64,
    pub index_bytes: u64,
    pub keys: u64,
    pub locks: u64,
}

/// Number and total size of the files in one directory.
fn count(dir: &Path) -> Result<(u64, u64)> {
    let names = files::list_names(dir)?;
    let mut bytes = 0;
    for name in &names {
        let path = dir.join(name);
        bytes += std::fs::metadata(&path).map_err(io_err(&path))?.len();
    }
    Ok((names.len() as u64, bytes))
}

impl Repo {
    /// Counts and sizes, without a passphrase (the config is still checked, so a wrong
    /// path or an unsupported version is reported as such).
    pub fn stats(path: &Path) -> Result<RepoStats> {
        Config::load(path)?;
        let packs = files::list_packs(path)?;
        let (index_files, index_bytes) = count(&path.join(files::INDEX))?;
        Ok(RepoStats {
            snapshots: count(&path.join(files::SNAPSHOTS))?.0,
            packs: packs.len() as u64,
            pack_bytes: packs.iter().map(|p| p.size).sum(),
            index_files,
            index_bytes,
            keys: count(&path.join(files::KEYS))?.0,
            locks: count(&path.join(files::LOCKS))?.0,
        })
    }
}
