//! Creating, opening, passphrases, dedup, round trips, interrupted writers, stats.

use std::fs;

use chrono::{Duration, Utc};
use tempfile::TempDir;

use super::*;
use crate::{BlobKind, Error, KdfParams, Repo};

#[test]
fn init_open_and_wrong_passphrase() {
    let (dir, repo) = new_repo();
    let path = repo_path(&dir);
    let reopened = Repo::open(&path, PASS).unwrap();
    assert_eq!(reopened.id(), repo.id());

    match Repo::open(&path, "wrong") {
        Err(e @ Error::WrongPassphrase { tried: 1 }) => {
            assert_eq!(
                e.to_string(),
                "the passphrase does not open this repository (tried 1 key)"
            );
        }
        other => panic!("expected WrongPassphrase, got {other:?}"),
    }
    assert!(matches!(
        Repo::init_with_kdf(&path, PASS, KdfParams::FAST),
        Err(Error::AlreadyExists(_))
    ));
    // An empty directory is fine for init; a directory without config is no repository.
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert!(matches!(
        Repo::open(&empty, PASS),
        Err(Error::NotARepository(_))
    ));
    Repo::init_with_kdf(&empty, PASS, KdfParams::FAST).unwrap();
}

#[test]
fn other_format_version_is_refused() {
    let (dir, _repo) = new_repo();
    let path = repo_path(&dir);
    let config = fs::read_to_string(path.join("config")).unwrap();
    fs::write(
        path.join("config"),
        config.replace("\"version\": 1", "\"version\": 2"),
    )
    .unwrap();
    assert!(matches!(
        Repo::open(&path, PASS),
        Err(Error::UnsupportedVersion(2))
    ));
    assert!(matches!(
        Repo::stats(&path),
        Err(Error::UnsupportedVersion(2))
    ));
}

#[test]
fn change_passphrase() {
    let (dir, mut repo) = new_repo();
    let path = repo_path(&dir);
    backup(&repo, &[("work", &[("a", "one")])]);
    repo.change_passphrase("new secret").unwrap();
    assert!(matches!(
        Repo::open(&path, PASS),
        Err(Error::WrongPassphrase { tried: 1 })
    ));
    let reopened = Repo::open(&path, "new secret").unwrap();
    let (_, snapshot) = reopened.find_snapshot("latest").unwrap();
    assert_eq!(reopened.load_tree(&snapshot).unwrap().calendars.len(), 1);
    assert_eq!(fs::read_dir(path.join("keys")).unwrap().count(), 1);
}

#[test]
fn dedup_within_and_across_sessions() {
    let (_dir, repo) = new_repo();
    let bytes = ics("same", "same text");
    let mut writer = repo.writer();
    let (id1, new1) = writer.add(BlobKind::Data, &bytes).unwrap();
    let (id2, new2) = writer.add(BlobKind::Data, &bytes).unwrap();
    assert_eq!((id1, new1, new2), (id2, true, false));
    assert!(!repo.has_blob(&id1), "not visible before finish");
    let stats = writer.finish().unwrap();
    assert_eq!(stats.blobs_added, 1);
    assert_eq!(stats.packs_written, 1);
    assert_eq!(stats.plain_bytes_added, bytes.len() as u64);
    assert!(repo.has_blob(&id1));

    let mut writer = repo.writer();
    assert_eq!(writer.add(BlobKind::Data, &bytes).unwrap(), (id1, false));
    assert_eq!(writer.bytes_written(), 0);
    let stats = writer.finish().unwrap();
    assert_eq!(stats, crate::WriteStats::default());
    assert_eq!(repo.read_blob(&id1).unwrap(), bytes);
    assert_eq!(Repo::stats(repo.path()).unwrap().packs, 1);
}

#[test]
fn snapshot_trees_and_blobs_round_trip() {
    let (dir, repo) = new_repo();
    let t0 = Utc::now() - Duration::hours(2);
    let (old_id, _) = backup_with(&repo, &[("home", &[("h", "home")])], t0, None);
    let (id, snapshot) = backup(
        &repo,
        &[
            ("work", &[("a", "standup"), ("b", "review")]),
            ("home", &[("c", "dinner")]),
        ],
    );
    let repo = Repo::open(&repo_path(&dir), PASS).unwrap();

    let all = repo.snapshots().unwrap();
    assert_eq!(
        all.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![old_id, id]
    );
    let (found, loaded) = repo.find_snapshot("latest").unwrap();
    assert_eq!((found, &loaded), (id, &snapshot));
    assert_eq!(repo.find_snapshot(&id.short()).unwrap().0, id);
    assert_eq!(
        repo.find_snapshot(&id.to_hex()[..4].to_uppercase())
            .unwrap()
            .0,
        id
    );

    let (account, calendars) = repo.load_calendars(&loaded).unwrap();
    assert_eq!(account, repo.load_tree(&loaded).unwrap());
    assert_eq!(account.calendars.len(), 2);
    assert_eq!(calendars[0].name, "work");
    assert_eq!(calendars[0].props.displayname.as_deref(), Some("WORK"));
    assert_eq!(calendars[0].objects.len(), 2);
    let object = &calendars[0].objects[0];
    assert_eq!(object.href, "/dav/calendars/ann/work/a.ics");
    assert_eq!(repo.read_blob(&object.blob).unwrap(), ics("a", "standup"));
    assert_eq!(object.size, ics("a", "standup").len() as u64);

    let report = repo.verify(true).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.snapshots, 2);
    // 4 distinct objects + 3 distinct calendar nodes, chunk groups and object chunks each
    // + 2 roots.
    assert_eq!(report.blobs, 15);
}

#[test]
fn snapshot_specs() {
    let (dir, repo) = new_repo();
    assert!(matches!(
        repo.find_snapshot("latest"),
        Err(Error::NoSnapshot(_))
    ));
    let (id, _) = backup(&repo, &[("work", &[("a", "x")])]);
    assert!(matches!(
        repo.find_snapshot("abc"),
        Err(Error::BadSnapshotSpec(_))
    ));
    assert!(matches!(
        repo.find_snapshot("zzzz"),
        Err(Error::BadSnapshotSpec(_))
    ));
    let other = if id.to_hex().starts_with("0000") {
        "1111"
    } else {
        "0000"
    };
    assert!(matches!(
        repo.find_snapshot(other),
        Err(Error::NoSnapshot(_))
    ));
    // Two names sharing a prefix (the files need not be real for the prefix search).
    let snapshots = repo_path(&dir).join("snapshots");
    fs::write(snapshots.join(format!("beef{}", "0".repeat(60))), b"x").unwrap();
    fs::write(snapshots.join(format!("beef{}", "1".repeat(60))), b"y").unwrap();
    assert!(matches!(
        repo.find_snapshot("beef"),
        Err(Error::AmbiguousSnapshot(_))
    ));
    assert!(matches!(
        repo.forget(&[crate::SnapshotId([9; 32])]),
        Err(Error::NoSnapshot(_))
    ));
}

#[test]
fn save_snapshot_needs_a_finished_writer() {
    let (_dir, repo) = new_repo();
    let mut writer = repo.writer();
    let root = writer.add_tree(&crate::AccountTree::default()).unwrap();
    let snapshot = Snapshot {
        time: Utc::now(),
        source: Source::default(),
        root,
        parent: None,
        full_scan: true,
        runs_since_full: 0,
        summary: SnapshotSummary::default(),
        tool_version: "test".into(),
        selection: String::new(),
    };
    assert!(matches!(
        repo.save_snapshot(&snapshot),
        Err(Error::BlobNotFound(_))
    ));
    writer.finish().unwrap();
    repo.save_snapshot(&snapshot).unwrap();
}

#[test]
fn interrupted_writer_leaves_a_valid_repository() {
    let (dir, repo) = new_repo();
    let path = repo_path(&dir);
    backup(&repo, &[("work", &[("a", "kept")])]);
    {
        let mut writer = repo.writer();
        writer.set_pack_target_size(1000);
        // Incompressible bytes fill the first pack, which is closed and renamed into place
        // but never indexed; the second blob stays in a temp file that the drop removes.
        let mut noise = vec![0u8; 2000];
        blake3::Hasher::new()
            .update(b"noise")
            .finalize_xof()
            .fill(&mut noise);
        writer.add(BlobKind::Data, &noise).unwrap();
        writer.add(BlobKind::Data, &ics("b", "lost")).unwrap();
        assert!(writer.bytes_written() > 2000);
        drop(writer);
    }
    assert_eq!(fs::read_dir(path.join("tmp")).unwrap().count(), 0);
    // A temp file as a killed process would leave it.
    fs::write(path.join("tmp").join("0123abcd"), b"half a pack").unwrap();

    let repo = Repo::open(&path, PASS).unwrap();
    assert!(!repo.has_blob(&repo.blob_id(&ics("b", "lost"))));
    let report = repo.verify(true).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.unindexed_packs, 1);
    let (_, snapshot) = repo.find_snapshot("latest").unwrap();
    assert_eq!(
        repo.load_calendars(&snapshot).unwrap().1[0].objects.len(),
        1
    );

    let _lock = repo.lock_exclusive().unwrap();
    let pruned = repo.prune().unwrap();
    assert_eq!(pruned.packs_deleted, 1);
    assert_eq!(pruned.blobs_removed, 0);
    assert_eq!(fs::read_dir(path.join("tmp")).unwrap().count(), 0);
    let report = repo.verify(true).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.unindexed_packs, 0);
}

#[test]
fn stats_need_no_passphrase() {
    let (dir, repo) = new_repo();
    backup(&repo, &[("work", &[("a", "one"), ("b", "two")])]);
    backup(&repo, &[("work", &[("a", "one"), ("b", "three")])]);
    let stats = Repo::stats(&repo_path(&dir)).unwrap();
    assert_eq!(stats.snapshots, 2);
    assert_eq!(stats.packs, 2);
    assert_eq!(stats.index_files, 2);
    assert_eq!(stats.keys, 1);
    assert_eq!(stats.locks, 0);
    assert!(stats.pack_bytes > 0 && stats.index_bytes > 0);
    let other = TempDir::new().unwrap();
    assert!(matches!(
        Repo::stats(other.path()),
        Err(Error::NotARepository(_))
    ));
}

#[test]
fn file_names_are_content_hashes() {
    let (dir, repo) = new_repo();
    backup(&repo, &[("work", &[("a", "marker-text-42")])]);
    let path = repo_path(&dir);
    let mut checked = 0;
    for sub in ["keys", "index", "snapshots"] {
        for entry in fs::read_dir(path.join(sub)).unwrap() {
            let entry = entry.unwrap();
            let bytes = fs::read(entry.path()).unwrap();
            let name = entry.file_name().into_string().unwrap();
            assert_eq!(crate::hex::encode(&crate::id::sha256(&bytes)), name);
            checked += 1;
        }
    }
    assert_eq!(checked, 3);
    // Nothing readable leaks into the files: the summary text is not in any of them.
    for pack in crate::files::list_packs(&path).unwrap() {
        let bytes = fs::read(path.join(&pack.rel)).unwrap();
        assert!(!bytes.windows(14).any(|w| w == b"marker-text-42"));
    }
}
