//! Verify on damaged repositories: it names the damaged file and what it affects, keeps
//! going, and never panics.

use std::fs;

use super::*;
use crate::{Affected, Error, Repo};

fn flip(path: &std::path::Path, at: u64) {
    let mut bytes = fs::read(path).unwrap();
    bytes[at as usize] ^= 0x40;
    fs::write(path, bytes).unwrap();
}

fn who(snapshot: &SnapshotId, calendar: &str, object: &str) -> Affected {
    Affected {
        snapshot: snapshot.short(),
        calendar: calendar.into(),
        object: object.into(),
    }
}

#[test]
fn flipped_byte_in_a_blob_names_the_pack_and_the_objects() {
    let (dir, repo) = new_repo();
    let (s1, _) = backup(&repo, &[("work", &[("a", "standup"), ("b", "review")])]);
    let (s2, _) = backup(
        &repo,
        &[
            ("work", &[("a", "standup"), ("b", "review 2")]),
            ("home", &[("c", "dinner")]),
        ],
    );
    let blob_a = repo.blob_id(&ics("a", "standup"));
    let pack = pack_of(&repo, &blob_a);
    let location = repo.index_read().get(&blob_a).unwrap();
    flip(&repo_path(&dir).join(&pack), location.entry.offset + 30);

    for read_data in [false, true] {
        let report = repo.verify(read_data).unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        let problem = &report.problems[0];
        assert_eq!(problem.file, pack);
        assert!(
            problem.detail.contains("does not hash to its name"),
            "{}",
            problem.detail
        );
        assert!(
            problem.detail.contains("1 of its 6 blobs are damaged"),
            "{}",
            problem.detail
        );
        let mut expected = vec![
            who(&s1, "work", "/dav/calendars/ann/work/a.ics"),
            who(&s2, "work", "/dav/calendars/ann/work/a.ics"),
        ];
        expected.sort();
        assert_eq!(problem.affected, expected);
    }
    match repo.read_blob(&blob_a) {
        Err(Error::Corrupt { file, .. }) => assert_eq!(file, pack),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    // The other objects of the pack still read.
    assert_eq!(
        repo.read_blob(&repo.blob_id(&ics("c", "dinner"))).unwrap(),
        ics("c", "dinner")
    );
}

#[test]
fn damage_outside_the_blobs_affects_nothing() {
    let (dir, repo) = new_repo();
    backup(&repo, &[("work", &[("a", "x")])]);
    let pack = pack_of(&repo, &repo.blob_id(&ics("a", "x")));
    let path = repo_path(&dir).join(&pack);
    let len = fs::metadata(&path).unwrap().len();
    flip(&path, len - 10); // inside the sealed header
    let report = repo.verify(false).unwrap();
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].file, pack);
    assert!(report.problems[0].affected.is_empty());
    assert!(report.problems[0].detail.contains("header cannot be read"));
}

#[test]
fn truncated_index_is_reported() {
    let (dir, repo) = new_repo();
    let (s1, _) = backup(&repo, &[("work", &[("a", "x")])]);
    let path = repo_path(&dir);
    let name = crate::files::list_names(&path.join("index")).unwrap()[0].clone();
    let file = path.join("index").join(&name);
    let bytes = fs::read(&file).unwrap();
    fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();

    let repo = Repo::open(&path, PASS).unwrap();
    assert_eq!(repo.unreadable_index_files(), vec![format!("index/{name}")]);
    let report = repo.verify(true).unwrap();
    let files: Vec<&str> = report.problems.iter().map(|p| p.file.as_str()).collect();
    assert!(
        files.contains(&format!("index/{name}").as_str()),
        "{files:?}"
    );
    // The root tree is now nowhere: the snapshot is reported with it.
    let snapshot_problem = report
        .problems
        .iter()
        .find(|p| p.file == format!("snapshots/{s1}"))
        .unwrap();
    assert_eq!(snapshot_problem.affected, vec![who(&s1, "", "")]);
    assert_eq!(report.unindexed_packs, 1);

    let _lock = repo.lock_exclusive().unwrap();
    assert!(matches!(repo.prune(), Err(Error::Corrupt { .. })));
}

#[test]
fn missing_pack_and_damaged_snapshot_are_reported() {
    let (dir, repo) = new_repo();
    let (s1, _) = backup(&repo, &[("work", &[("a", "x")])]);
    let mut writer = repo.writer();
    let blob_b = writer.add(crate::BlobKind::Data, &ics("b", "y")).unwrap().0;
    writer.finish().unwrap();
    let (s2, _) = backup(&repo, &[("work", &[("a", "x"), ("b", "y")])]);
    let path = repo_path(&dir);
    let pack_b = pack_of(&repo, &blob_b);
    fs::remove_file(path.join(&pack_b)).unwrap();
    flip(&path.join(format!("snapshots/{s1}")), 40);

    let report = repo.verify(false).unwrap();
    let missing = report.problems.iter().find(|p| p.file == pack_b).unwrap();
    assert!(missing.detail.contains("missing"), "{}", missing.detail);
    assert_eq!(
        missing.affected,
        vec![who(&s2, "work", "/dav/calendars/ann/work/b.ics")]
    );
    let damaged = report
        .problems
        .iter()
        .find(|p| p.file == format!("snapshots/{s1}"))
        .unwrap();
    assert!(damaged.detail.contains("hash"), "{}", damaged.detail);
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(matches!(
        repo.find_snapshot(&s1.short()),
        Err(Error::Corrupt { .. })
    ));
}

#[test]
fn garbage_files_never_panic() {
    let (dir, repo) = new_repo();
    backup(&repo, &[("work", &[("a", "x")])]);
    let path = repo_path(&dir);
    fs::write(path.join("keys").join("not-a-key"), b"{").unwrap();
    fs::write(path.join("index").join("ff".repeat(32)), b"").unwrap();
    fs::create_dir_all(path.join("data/zz")).unwrap();
    fs::write(path.join("data/zz/junk"), b"123").unwrap();
    fs::create_dir_all(path.join("data/ab")).unwrap();
    fs::write(path.join("data/ab").join("ab".repeat(32)), b"").unwrap();
    fs::write(path.join("snapshots").join("00".repeat(32)), b"short").unwrap();
    let repo = Repo::open(&path, PASS).unwrap();
    let report = repo.verify(true).unwrap();
    assert_eq!(report.problems.len(), 5, "{:#?}", report.problems);
    // Opening with a wrong passphrase counts the damaged key file as tried.
    assert!(matches!(
        Repo::open(&path, "nope"),
        Err(Error::WrongPassphrase { tried: 2 })
    ));
}
