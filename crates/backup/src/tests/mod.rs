//! The engine against a scripted server (no network): every conflict policy and every
//! partial-failure path, asserting what is written where and what is reported.

#![allow(clippy::unwrap_used)]

mod backup;
mod browse;
mod migrate;
mod restore;
mod scripted;
mod shares;

use std::sync::Mutex;

use tempfile::TempDir;
use vault::{KdfParams, Repo};

use crate::observe::{Event, Observer};
use crate::selection::Selection;
use crate::take::BackupRequest;

/// A fresh repository (cheap key derivation) in a temporary directory.
fn new_repo() -> (TempDir, Repo) {
    let dir = TempDir::new().unwrap();
    let repo = Repo::init_with_kdf(&dir.path().join("repo"), "pass", KdfParams::FAST).unwrap();
    (dir, repo)
}

/// A backup of every calendar of `user` at `url`, everything selected, incremental.
fn backup_request<'a>(start: &'a client::Url, url: &str, user: &str) -> BackupRequest<'a> {
    BackupRequest {
        start,
        source: vault::Source {
            url: url.to_owned(),
            user: user.to_owned(),
        },
        calendars: &[],
        include_shared: false,
        selection: Selection::default(),
        full: false,
        full_every: 10,
        tool_version: "test",
    }
}

/// A VEVENT with this UID, summary and DTSTAMP (`20260101T000000Z`).
fn event(uid: &str, summary: &str, stamp: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:{stamp}\r\nDTSTART:20261124T090000Z\r\nDURATION:PT1H\r\nSUMMARY:{summary}\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn todo(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nSUMMARY:{summary}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
}

/// Records every event as a short line.
#[derive(Default)]
struct Recorder {
    lines: Mutex<Vec<String>>,
}

impl Recorder {
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    fn has(&self, line: &str) -> bool {
        self.lines().iter().any(|l| l == line)
    }
}

impl Observer for Recorder {
    fn event(&self, event: Event<'_>) {
        let line = match event {
            Event::Discovering => "discovering".to_owned(),
            Event::Selected { calendars } => format!("selected {}", calendars.join(",")),
            Event::SyncFallback { calendar, reason } => {
                format!("sync fallback {calendar}: {reason}")
            }
            Event::Fetching { calendar, objects } => format!("fetching {calendar} {objects}"),
            Event::Fetched { objects, bytes } => format!("fetched {objects} ({bytes} bytes)"),
            Event::FetchDone => "fetch done".to_owned(),
            Event::Writing { writes } => format!("writing {writes}"),
            Event::Wrote { count } => format!("wrote {count}"),
            Event::WritingDone => "writing done".to_owned(),
            Event::CreatedWithout { calendar, refused } => {
                format!("created {calendar} without {}", refused.join(","))
            }
            Event::Exporting { objects } => format!("exporting {objects}"),
            Event::Exported => "exported".to_owned(),
            Event::ExportDone => "export done".to_owned(),
        };
        self.lines.lock().unwrap().push(line);
    }
}
