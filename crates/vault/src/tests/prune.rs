//! forget + prune: only what the forgotten snapshots alone used is removed, everything
//! else stays readable, and the repository verifies afterwards.

use std::fs;

use chrono::{Duration, Utc};

use super::*;
use crate::{BlobKind, Error, Repo};

#[test]
fn forget_and_prune_free_only_the_forgotten_blobs() {
    let (dir, repo) = new_repo();
    let t0 = Utc::now() - Duration::days(1);
    // Everything of the first snapshot in one pack, so prune has to rewrite it.
    let (old, _) = backup_with(
        &repo,
        &[("work", &[("x", "only old"), ("y", "shared")])],
        t0,
        None,
    );
    let (new, _) = backup(&repo, &[("work", &[("y", "shared"), ("z", "only new")])]);
    let x = repo.blob_id(&ics("x", "only old"));
    let y = repo.blob_id(&ics("y", "shared"));
    let z = repo.blob_id(&ics("z", "only new"));
    let packs_before = Repo::stats(repo.path()).unwrap().pack_bytes;

    repo.forget(&[old]).unwrap();
    assert!(matches!(
        repo.find_snapshot(&old.to_hex()),
        Err(Error::NoSnapshot(_))
    ));
    let lock = repo.lock_exclusive().unwrap();
    let report = repo.prune().unwrap();
    drop(lock);
    assert_eq!(report.snapshots_kept, 1);
    // x, the old object chunk, chunk group and calendar node, and the old root.
    assert_eq!(report.blobs_removed, 5);
    assert_eq!(report.packs_rewritten, 1);
    assert_eq!(report.packs_deleted, 0);
    assert!(report.bytes_freed > 0);
    assert!(Repo::stats(repo.path()).unwrap().pack_bytes < packs_before);
    assert_eq!(Repo::stats(repo.path()).unwrap().index_files, 1);

    assert!(!repo.has_blob(&x));
    assert!(repo.has_blob(&y) && repo.has_blob(&z));
    for repo in [&repo, &Repo::open(&repo_path(&dir), PASS).unwrap()] {
        assert!(!repo.has_blob(&x));
        assert_eq!(repo.read_blob(&y).unwrap(), ics("y", "shared"));
        let (id, snapshot) = repo.find_snapshot("latest").unwrap();
        assert_eq!(id, new);
        let (_, calendars) = repo.load_calendars(&snapshot).unwrap();
        assert_eq!(calendars[0].objects.len(), 2);
        let report = repo.verify(true).unwrap();
        assert!(report.is_ok(), "{:?}", report.problems);
        assert_eq!(report.blobs, 6);
    }
}

#[test]
fn prune_deletes_whole_unused_packs_and_keeps_used_ones() {
    let (_dir, repo) = new_repo();
    let t0 = Utc::now() - Duration::days(1);
    // One pack per blob: unused packs are deleted, not rewritten.
    let (old, _) = backup_with(
        &repo,
        &[("work", &[("x", "old"), ("y", "both")])],
        t0,
        Some(1),
    );
    backup_with(&repo, &[("work", &[("y", "both")])], Utc::now(), Some(1));
    let packs = Repo::stats(repo.path()).unwrap().packs;
    // Each snapshot's calendar is a node, one chunk group and one chunk of objects.
    assert_eq!(packs, 10);

    // Nothing to forget yet: prune changes nothing but merging the two index files.
    let lock = repo.lock_exclusive().unwrap();
    let report = repo.prune().unwrap();
    assert_eq!((report.packs_deleted, report.blobs_removed), (0, 0));
    assert_eq!(Repo::stats(repo.path()).unwrap().index_files, 1);

    repo.forget(&[old]).unwrap();
    let report = repo.prune().unwrap();
    drop(lock);
    assert_eq!(report.packs_deleted, 5);
    assert_eq!(report.packs_rewritten, 0);
    assert_eq!(report.blobs_removed, 5);
    assert_eq!(Repo::stats(repo.path()).unwrap().packs, 5);
    assert!(repo.verify(true).unwrap().is_ok());
}

#[test]
fn prune_after_forgetting_everything_empties_the_repository() {
    let (_dir, repo) = new_repo();
    let (id, _) = backup(&repo, &[("work", &[("a", "x")])]);
    // An unindexed blob from an interrupted session, too.
    let mut writer = repo.writer();
    writer.add(BlobKind::Data, b"orphan").unwrap();
    writer.set_pack_target_size(1);
    writer.add(BlobKind::Data, b"orphan 2").unwrap();
    drop(writer);
    repo.forget(&[id]).unwrap();
    let _lock = repo.lock_exclusive().unwrap();
    let report = repo.prune().unwrap();
    assert_eq!(report.snapshots_kept, 0);
    assert_eq!(report.packs_deleted, 2);
    let stats = Repo::stats(repo.path()).unwrap();
    assert_eq!((stats.packs, stats.index_files, stats.snapshots), (0, 0, 0));
    assert_eq!(fs::read_dir(repo.path().join("data")).unwrap().count(), 0);
    // The repository still works.
    drop(_lock);
    backup(&repo, &[("work", &[("a", "x")])]);
    assert!(repo.verify(true).unwrap().is_ok());
}
