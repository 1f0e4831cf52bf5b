//! Tests of the repository as a whole: helpers that make a repository and run a small
//! backup into it, and one module per area.

#![allow(clippy::unwrap_used)]

mod basic;
mod damage;
mod locks;
mod prune;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use tempfile::TempDir;

use crate::{
    AccountTree, BlobKind, CalendarProps, CalendarRef, CalendarTree, KdfParams, ObjectEntry, Repo,
    Snapshot, SnapshotId, SnapshotSummary, Source,
};

pub(crate) const PASS: &str = "correct horse";

/// A fresh repository (cheap KDF) in a temp directory.
pub(crate) fn new_repo() -> (TempDir, Repo) {
    let dir = TempDir::new().unwrap();
    let repo = Repo::init_with_kdf(&dir.path().join("repo"), PASS, KdfParams::FAST).unwrap();
    (dir, repo)
}

pub(crate) fn repo_path(dir: &TempDir) -> PathBuf {
    dir.path().join("repo")
}

/// An iCalendar object whose bytes depend on `uid` and `text`.
pub(crate) fn ics(uid: &str, text: &str) -> Vec<u8> {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nSUMMARY:{text}\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    .into_bytes()
}

/// A calendar for [`backup`]: its name and its objects as (href name, summary text).
pub(crate) type Cal<'a> = (&'a str, &'a [(&'a str, &'a str)]);

/// Stores the calendars as one snapshot, the way the CLI will: objects, calendar trees,
/// root tree, finish, snapshot. `pack_target` makes small packs when tests need several.
pub(crate) fn backup_with(
    repo: &Repo,
    calendars: &[Cal<'_>],
    time: DateTime<Utc>,
    pack_target: Option<u64>,
) -> (SnapshotId, Snapshot) {
    let mut writer = repo.writer();
    if let Some(target) = pack_target {
        writer.set_pack_target_size(target);
    }
    let mut account = AccountTree::default();
    let mut summary = SnapshotSummary::default();
    for (name, objects) in calendars {
        let href = format!("/dav/calendars/ann/{name}/");
        let mut entries = Vec::new();
        for (object, text) in *objects {
            let bytes = ics(object, text);
            let (blob, _) = writer.add(BlobKind::Data, &bytes).unwrap();
            summary.objects += 1;
            summary.bytes += bytes.len() as u64;
            entries.push(ObjectEntry {
                href: format!("{href}{object}.ics"),
                etag: Some(format!("\"{object}\"")),
                uid: Some(object.to_string()),
                component: Some("VEVENT".into()),
                summary: Some(text.to_string()),
                start: Some("20240102T100000Z".into()),
                blob,
                size: bytes.len() as u64,
            });
        }
        entries.sort_by(|a, b| a.href.cmp(&b.href));
        let tree = CalendarTree {
            href: href.clone(),
            name: name.to_string(),
            props: CalendarProps {
                displayname: Some(name.to_uppercase()),
                components: vec!["VEVENT".into()],
                ..CalendarProps::default()
            },
            sync_token: Some("token-1".into()),
            ctag: None,
            objects: entries,
            chunks: Vec::new(),
            groups: Vec::new(),
            sharees: Vec::new(),
        };
        let tree_id = Repo::save_calendar(&mut writer, &tree).unwrap();
        account.calendars.push(CalendarRef {
            href,
            name: name.to_string(),
            tree: tree_id,
            objects: tree.objects.len() as u64,
        });
        summary.calendars += 1;
    }
    let root = Repo::save_tree(&mut writer, &account).unwrap();
    let stats = writer.finish().unwrap();
    summary.bytes_added = stats.stored_bytes_added;
    let snapshot = Snapshot {
        time,
        source: Source {
            url: "https://dav.example/".into(),
            user: "ann".into(),
        },
        root,
        parent: None,
        full_scan: true,
        runs_since_full: 0,
        summary,
        tool_version: "test".into(),
        selection: String::new(),
    };
    let id = repo.save_snapshot(&snapshot).unwrap();
    (id, snapshot)
}

pub(crate) fn backup(repo: &Repo, calendars: &[Cal<'_>]) -> (SnapshotId, Snapshot) {
    backup_with(repo, calendars, Utc::now(), None)
}

/// The repository-relative path of the pack holding a blob.
pub(crate) fn pack_of(repo: &Repo, blob: &crate::BlobId) -> String {
    crate::files::pack_rel(&repo.index_read().get(blob).unwrap().pack)
}
