//! Repository locks (`locks/<random>`): plaintext JSON naming the holder, so that two runs
//! never prune and back up at once and a user can see who holds a lock. Shared locks
//! (backup, verify, restore) coexist; an exclusive lock (prune) excludes everything.
//!
//! A lock is stale, ignored and removed, when its process is gone on this host or when it
//! has not been refreshed for an hour. A live [`Lock`] refreshes itself from a background
//! thread every few minutes, so a long run never looks stale.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{Error, Result};
use crate::files;
use crate::hex;
use crate::repo::Repo;
use crate::time;

/// A lock not refreshed for this long is stale.
const STALE_AFTER: Duration = Duration::from_secs(60 * 60);
/// How often a held lock rewrites its time.
const REFRESH_EVERY: Duration = Duration::from_secs(5 * 60);

/// The JSON of a lock file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LockInfo {
    pub host: String,
    pub pid: u32,
    #[serde(with = "crate::time::rfc3339")]
    pub time: DateTime<Utc>,
    pub exclusive: bool,
}

impl LockInfo {
    fn describe(&self) -> String {
        format!(
            "{} lock of process {} on {} since {}",
            if self.exclusive {
                "an exclusive"
            } else {
                "a shared"
            },
            self.pid,
            self.host,
            time::format(&self.time)
        )
    }

    fn is_stale(&self, now: DateTime<Utc>, this_host: &str) -> bool {
        let age = now.signed_duration_since(self.time);
        if age.to_std().is_ok_and(|age| age > STALE_AFTER) {
            return true;
        }
        self.host == this_host && process_is_gone(self.pid)
    }
}

/// True when /proc exists (so it can be asked) and has no entry for the pid.
fn process_is_gone(pid: u32) -> bool {
    Path::new("/proc/self").exists() && !Path::new("/proc").join(pid.to_string()).exists()
}

/// This machine's host name, for lock files.
pub(crate) fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .chain(std::env::var("HOSTNAME").ok())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// A held lock. Dropping it stops the refresh thread and removes the lock file.
#[derive(Debug)]
pub struct Lock {
    root: PathBuf,
    rel: String,
    info: LockInfo,
    exclusive_count: Option<Arc<AtomicUsize>>,
    stop: Option<mpsc::Sender<()>>,
    refresher: Option<JoinHandle<()>>,
}

impl Lock {
    /// Whether this is an exclusive lock.
    pub fn is_exclusive(&self) -> bool {
        self.info.exclusive
    }

    /// Rewrites the lock's time now (the background thread does this periodically).
    pub fn refresh(&self) -> Result<()> {
        write_lock(
            &self.root,
            &self.rel,
            &self.info.host,
            self.info.pid,
            self.info.exclusive,
        )
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(handle) = self.refresher.take() {
            let _ = handle.join();
        }
        let _ = files::remove_file(&self.root.join(&self.rel));
        if let Some(count) = &self.exclusive_count {
            count.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn write_lock(root: &Path, rel: &str, host: &str, pid: u32, exclusive: bool) -> Result<()> {
    let info = LockInfo {
        host: host.to_string(),
        pid,
        time: Utc::now(),
        exclusive,
    };
    let json = serde_json::to_vec_pretty(&info).map_err(|e| Error::Encode {
        what: "lock",
        detail: e.to_string(),
    })?;
    files::write_atomic(root, rel, &json)
}

/// A lock file found in `locks/`.
struct Found {
    name: String,
    /// `None` when the file is not lock JSON (a foreign or damaged file).
    info: Option<LockInfo>,
    modified: Option<DateTime<Utc>>,
}

impl Repo {
    /// Takes an exclusive lock: fails with [`Error::Locked`] if any other live lock exists.
    /// Taking a lock also reloads the index from disk.
    pub fn lock_exclusive(&self) -> Result<Lock> {
        self.lock(true)
    }

    /// Takes a shared lock: fails with [`Error::Locked`] if a live exclusive lock exists.
    pub fn lock_shared(&self) -> Result<Lock> {
        self.lock(false)
    }

    /// The lock files present, with their content where readable.
    pub fn locks(&self) -> Result<Vec<(String, Option<LockInfo>)>> {
        Ok(self
            .found_locks()?
            .into_iter()
            .map(|f| (f.name, f.info))
            .collect())
    }

    /// Removes stale locks, or every lock when `all` (for a user who knows the holder is
    /// dead). Returns how many were removed.
    pub fn remove_locks(&self, all: bool) -> Result<u64> {
        let now = Utc::now();
        let host = host_name();
        let mut removed = 0;
        for found in self.found_locks()? {
            if all || found_is_stale(&found, now, &host) {
                files::remove_file(&self.path().join(files::LOCKS).join(&found.name))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn found_locks(&self) -> Result<Vec<Found>> {
        let dir = self.path().join(files::LOCKS);
        let mut out = Vec::new();
        for name in files::list_names(&dir)? {
            let path = dir.join(&name);
            // A lock can vanish between listing and reading: its holder finished.
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let modified = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .map(DateTime::<Utc>::from);
            out.push(Found {
                name,
                info: serde_json::from_slice(&bytes).ok(),
                modified,
            });
        }
        Ok(out)
    }

    /// Writes our lock first and only then looks at the others, so two runs racing for
    /// the repository can both fail but never both succeed.
    fn lock(&self, exclusive: bool) -> Result<Lock> {
        let host = host_name();
        let pid = std::process::id();
        let name = hex::encode(&crypto::random_bytes::<16>()?);
        let rel = format!("{}/{name}", files::LOCKS);
        write_lock(self.path(), &rel, &host, pid, exclusive)?;
        let conflict = self.conflicting_lock(&name, exclusive, &host);
        let conflict = match conflict {
            Ok(conflict) => conflict,
            Err(e) => {
                let _ = files::remove_file(&self.path().join(&rel));
                return Err(e);
            }
        };
        if let Some(holder) = conflict {
            files::remove_file(&self.path().join(&rel))?;
            return Err(Error::Locked { holder });
        }
        // Whatever ran before we held the lock (a prune, another backup) may have changed
        // the index; deduplicating against a stale one could skip blobs that are gone.
        if let Err(e) = self.reload_index() {
            let _ = files::remove_file(&self.path().join(&rel));
            return Err(e);
        }
        let exclusive_count = exclusive.then(|| {
            self.exclusive_locks.fetch_add(1, Ordering::SeqCst);
            Arc::clone(&self.exclusive_locks)
        });
        let (stop, stopped) = mpsc::channel::<()>();
        let root = self.path().to_path_buf();
        let (thread_rel, thread_host) = (rel.clone(), host.clone());
        let refresher = std::thread::Builder::new()
            .name("calvault-lock".into())
            .spawn(move || {
                // Ends when the Lock drops its sender.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(REFRESH_EVERY) {
                    let _ = write_lock(&root, &thread_rel, &thread_host, pid, exclusive);
                }
            })
            .ok();
        Ok(Lock {
            root: self.path().to_path_buf(),
            rel,
            info: LockInfo {
                host,
                pid,
                time: Utc::now(),
                exclusive,
            },
            exclusive_count,
            stop: Some(stop),
            refresher,
        })
    }

    /// The description of a live lock that conflicts with ours; stale locks met on the
    /// way are removed.
    fn conflicting_lock(&self, ours: &str, exclusive: bool, host: &str) -> Result<Option<String>> {
        let now = Utc::now();
        for found in self.found_locks()? {
            if found.name == ours {
                continue;
            }
            if found_is_stale(&found, now, host) {
                files::remove_file(&self.path().join(files::LOCKS).join(&found.name))?;
                continue;
            }
            let holder = match &found.info {
                Some(info) if exclusive || info.exclusive => info.describe(),
                Some(_) => continue,
                None => format!("an unreadable lock file locks/{}", found.name),
            };
            return Ok(Some(holder));
        }
        Ok(None)
    }
}

/// A readable lock is judged by its content; an unreadable one by its file's age.
fn found_is_stale(found: &Found, now: DateTime<Utc>, host: &str) -> bool {
    match (&found.info, found.modified) {
        (Some(info), _) => info.is_stale(now, host),
        (None, Some(modified)) => now
            .signed_duration_since(modified)
            .to_std()
            .is_ok_and(|age| age > STALE_AFTER),
        (None, None) => false,
    }
}
