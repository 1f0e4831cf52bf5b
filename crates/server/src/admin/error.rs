//! Why an administrator's command could not be done. Each message names what was wrong
//! and the command or flag that helps; the command line prints them as they are.

use std::path::PathBuf;

use dav::history::BrokenChain;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("there is no user {0:?} (see `calvault user list`)")]
    NoSuchUser(String),

    #[error("{0}")]
    BadTokenLabel(String),

    #[error("{0:?} is not a size: give bytes (1500000), a number with a unit (500MB, 1.5GiB), or \"default\" for the server's default_quota")]
    BadSize(String),

    #[error("{0} already has an app password labelled {1:?} (see `calvault token list {0}`)")]
    TokenExists(String, String),

    #[error("{0} has no app password labelled {1:?} (see `calvault token list {0}`)")]
    NoSuchToken(String, String),

    /// `user remove` of a name no account has.
    #[error("there is no user {0:?}")]
    NoUserToRemove(String),

    #[error("user {user:?} has no calendar {calendar:?}; their calendars are: {known}")]
    NoSuchCalendar {
        user: String,
        calendar: String,
        known: String,
    },

    #[error("{text:?} is not an RFC 3339 time like 2026-11-21T13:50:00Z ({reason})")]
    NotATime { text: String, reason: String },

    #[error("{0} needs USER/CALENDAR, not just a user")]
    NeedsCalendar(&'static str),

    #[error("{0} needs USER/CALENDAR/OBJECT")]
    NeedsObject(&'static str),

    #[error("there is no version {0} (see `calvault history USER`)")]
    NoSuchVersion(i64),

    #[error("versions {older} ({older_name}) and {newer} ({newer_name}) are of different objects")]
    DifferentObjects {
        older: i64,
        older_name: String,
        newer: i64,
        newer_name: String,
    },

    #[error("give either USER/CALENDAR/OBJECT or --deleted-since, not both")]
    ObjectAndDeletedSince,

    #[error("give --to TIME, or --client TEXT with --since TIME")]
    RollbackNeedsTimeOrClient,

    #[error("rollback works on a whole calendar; for one event use `calvault revert`")]
    RollbackOfOneEvent,

    /// `undelete` of something inside a deleted calendar.
    #[error("the calendar {0} is deleted; bring it back first with `calvault undelete {0}`")]
    UndeleteCalendarFirst(String),

    #[error("the calendar is deleted; bring it back first with `calvault undelete`")]
    CalendarDeleted,

    #[error(
        "the calendar {0} is not deleted; name an object (USER/CALENDAR/OBJECT) or use \
         --deleted-since TIME"
    )]
    CalendarNotDeleted(String),

    #[error("another calendar now lives at {0}; move or delete it first")]
    PathTaken(String),

    #[error("restoring it ({size} bytes) would go past the quota of {quota} bytes")]
    OverQuota { size: u64, quota: u64 },

    /// The history does not allow the restore (no such object, version...).
    #[error("{0}")]
    Refused(String),

    #[error(
        "user names are 1-64 characters of letters, digits, '.', '_', '-' or '@'; {0:?} is not"
    )]
    BadUserName(String),

    #[error("user {0:?} already exists; use `calvault user passwd {0}` to change the password")]
    UserExists(String),

    /// Another process created the user between the check and the write.
    #[error("user {0:?} already exists")]
    UserCreatedMeanwhile(String),

    #[error("{0}")]
    PasswordHash(String),

    #[error("--from and --to name the same store")]
    SameStore,

    #[error("there is no SQLite database at {} (--from)", .0.display())]
    NoSqliteSource(PathBuf),

    /// The copy failed part way; the target holds some rows now. (The store's error is
    /// part of the message, not a cause: the advice comes after it.)
    #[error(
        "{error}\nThe copy into {into} stopped part way: empty that store (for PostgreSQL, \
         drop and create the database again) before trying again."
    )]
    CopyStopped { error: StoreError, into: String },

    #[error("verification failed (was the source changed during the copy?)")]
    CopyDiffers(#[source] StoreError),

    #[error("the copy does not verify: {0}")]
    CopyChainBroken(Box<BrokenChain>),

    #[error("{0} needs OWNER/CALENDAR, or OWNER/* for every calendar of OWNER")]
    ShareNeedsCalendar(String),

    #[error("access is read-free-busy, read, read-write or admin, not {0:?}")]
    BadAccess(String),

    #[error("{0} is not shared with {1} (see `calvault share list {0}`)")]
    NoSuchShare(String, String),

    #[error("there is no group {0:?} (see `calvault group list`)")]
    NoSuchGroup(String),

    #[error("group {0:?} already exists")]
    GroupExists(String),

    #[error(
        "group names are 1-64 characters of letters, digits, '.', '_', '-' or '@'; {0:?} is not"
    )]
    BadGroupName(String),

    #[error("{0} is not a member of {1} (see `calvault group list`)")]
    NotAMember(String, String),
    #[error("name a calendar as USER/SLUG (e.g. ann/work), not {0:?}")]
    NotACalendar(String),

    /// A calendar operation refused (a bad slug or colour, a file that is not iCalendar,
    /// UIDs already there with `--on-conflict fail`...).
    #[error("{0}")]
    Calendar(String),

    #[error("cannot read {}: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{0} is not UTF-8 text; an .ics file is (RFC 5545 §3.1.4)")]
    NotUtf8(String),

    #[error(transparent)]
    Store(#[from] StoreError),
}
