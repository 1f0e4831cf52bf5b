//! The crate's one error type. Messages are printed as they are by the command line, so
//! each says what was wrong and what to do next.

use std::path::PathBuf;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Client(#[from] client::Error),

    #[error(transparent)]
    Vault(#[from] vault::Error),

    #[error("cannot find the calendars of {url}")]
    DiscoverSource {
        url: String,
        #[source]
        source: client::Error,
    },

    #[error("cannot find the calendars at the target {url}")]
    DiscoverTarget {
        url: String,
        #[source]
        source: client::Error,
    },

    #[error("the account has no calendars")]
    NoCalendars,

    #[error("there is no calendar {name:?}; the account has: {available}")]
    NoSuchCalendar { name: String, available: String },

    #[error("the snapshot has no calendar {name:?}; it has: {available}")]
    NotInSnapshot { name: String, available: String },

    #[error(
        "snapshot {snapshot} holds only part of each calendar ({selection}), so --mirror would \
         delete everything outside it; restore without --mirror"
    )]
    MirrorOfPartialSnapshot { snapshot: String, selection: String },

    #[error(
        "the repository holds snapshots of {count} accounts ({accounts}), none of them {user} @ \
         {url}; name the snapshot to restore by its id (see `calvault snapshots`)"
    )]
    OtherAccounts {
        count: usize,
        accounts: String,
        user: String,
        url: String,
    },

    #[error(
        "calendars {first:?} and {second:?} would both be restored into {target:?}; pick \
         targets with --calendar A:B"
    )]
    SameTarget {
        first: String,
        second: String,
        target: String,
    },

    #[error(
        "the target URL names a single calendar, so calendar {name:?} cannot be created \
         there; give the server's URL instead"
    )]
    SingleCalendarTarget { name: String },

    /// The work finished, but some calendars or objects failed; the note names them
    /// (what `backup`, `restore` and `migrate` end with then).
    #[error("{0}")]
    Partial(String),

    /// `verify` found damage; the note says how much and what to do.
    #[error("{0}")]
    Damaged(String),

    /// `--on-conflict fail` found conflicts; nothing was written.
    #[error("{count} conflict(s) and --on-conflict fail: nothing was written")]
    Conflicts { count: usize },

    #[error(
        "no object {wanted:?} in this snapshot (give CALENDAR/NAME.ics, an href or a UID; \
         `calvault ls SNAPSHOT CALENDAR` lists them)"
    )]
    NoSuchObject { wanted: String },

    #[error("{wanted:?} matches {count} objects ({hrefs}); give CALENDAR/NAME.ics")]
    AmbiguousObject {
        wanted: String,
        count: usize,
        hrefs: String,
    },

    #[error("{flag} {text:?} is not a time: use RFC 3339 (2026-11-21T09:00:00Z) or YYYY-MM-DD")]
    NotATime { flag: &'static str, text: String },

    #[error("cannot read the CA certificate {}", .path.display())]
    CaCert {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "there is no calvault repository at {} (create one with `calvault init --repo {}`)",
        .0.display(), .0.display()
    )]
    NoRepository(PathBuf),

    #[error("say what to forget: snapshot ids, or a policy such as --keep-daily 7")]
    NothingToForget,

    #[error("cannot create {} (existing files are not replaced)", .path.display())]
    ExportFileExists {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot {action} {}", .path.display())]
    Export {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An error with its causes, `outer: inner: innermost`, the way the command line prints
/// errors; for failures that are reported inside a result rather than returned.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
