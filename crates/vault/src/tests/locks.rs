//! Exclusive and shared locks, stale locks, and prune's need for the exclusive lock.

use std::fs;

use chrono::{Duration, Utc};

use super::*;
use crate::{Error, LockInfo};

fn write_foreign_lock(repo: &Repo, name: &str, info: &LockInfo) {
    let path = repo.path().join("locks").join(name);
    fs::write(path, serde_json::to_vec(info).unwrap()).unwrap();
}

fn lock_count(repo: &Repo) -> usize {
    fs::read_dir(repo.path().join("locks")).unwrap().count()
}

#[test]
fn exclusive_excludes_and_shared_coexist() {
    let (_dir, repo) = new_repo();
    let shared1 = repo.lock_shared().unwrap();
    let shared2 = repo.lock_shared().unwrap();
    assert!(!shared1.is_exclusive());
    match repo.lock_exclusive() {
        Err(Error::Locked { holder }) => {
            assert!(holder.contains("shared lock of process"), "{holder}");
            assert!(holder.contains(&std::process::id().to_string()), "{holder}");
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    assert_eq!(
        lock_count(&repo),
        2,
        "the failed attempt removed its own lock file"
    );
    drop(shared1);
    drop(shared2);
    assert_eq!(lock_count(&repo), 0);

    let exclusive = repo.lock_exclusive().unwrap();
    assert!(matches!(repo.lock_shared(), Err(Error::Locked { .. })));
    assert!(matches!(repo.lock_exclusive(), Err(Error::Locked { .. })));
    exclusive.refresh().unwrap();
    drop(exclusive);
    repo.lock_shared().unwrap();
}

#[test]
fn stale_locks_are_ignored_and_removed() {
    let (_dir, repo) = new_repo();
    let host = crate::lock::host_name();
    // A dead process on this host (no pid is this large).
    write_foreign_lock(
        &repo,
        "dead",
        &LockInfo {
            host: host.clone(),
            pid: u32::MAX - 1,
            time: Utc::now(),
            exclusive: true,
        },
    );
    // Another host, not refreshed for two hours.
    write_foreign_lock(
        &repo,
        "old",
        &LockInfo {
            host: "elsewhere.example".into(),
            pid: 1,
            time: Utc::now() - Duration::hours(2),
            exclusive: true,
        },
    );
    let lock = repo.lock_exclusive().unwrap();
    assert_eq!(lock_count(&repo), 1);
    drop(lock);

    // A fresh lock from another host is live: it cannot be checked, so it is respected.
    write_foreign_lock(
        &repo,
        "live",
        &LockInfo {
            host: "elsewhere.example".into(),
            pid: 1,
            time: Utc::now(),
            exclusive: false,
        },
    );
    match repo.lock_exclusive() {
        Err(Error::Locked { holder }) => assert!(holder.contains("elsewhere.example")),
        other => panic!("expected Locked, got {other:?}"),
    }
    let shared = repo.lock_shared().unwrap();
    assert_eq!(repo.locks().unwrap().len(), 2);
    assert_eq!(repo.remove_locks(false).unwrap(), 0);
    drop(shared);
    assert_eq!(repo.remove_locks(true).unwrap(), 1);
    assert_eq!(lock_count(&repo), 0);
}

#[test]
fn prune_needs_the_exclusive_lock() {
    let (_dir, repo) = new_repo();
    assert!(matches!(repo.prune(), Err(Error::NotLocked)));
    let shared = repo.lock_shared().unwrap();
    assert!(matches!(repo.prune(), Err(Error::NotLocked)));
    drop(shared);
    let exclusive = repo.lock_exclusive().unwrap();
    repo.prune().unwrap();
    drop(exclusive);
    assert!(matches!(repo.prune(), Err(Error::NotLocked)));
}
