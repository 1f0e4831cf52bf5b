//! The backup engine: discovery of an account's calendars, snapshots into a `vault`
//! repository (incremental through sync tokens, with an ETag comparison as the fallback),
//! looking into snapshots, and restores (from a snapshot or straight from another server)
//! planned first and written with conditional requests under a conflict policy.
//!
//! It talks CalDAV through the [`CalDav`] trait, which `client::Client` implements and
//! tests script, and reports progress through an [`Observer`]. It knows no command line:
//! no arguments, no progress bars, no printing; the `calvault` binary does those. What the
//! commands print is worded here, as `Display` values (`listing`, `maintain`, the reports of
//! `take` and `restore`), so every front end shows the same.

mod browse;
mod caldav;
mod discover;
mod error;
pub mod exit;
mod export;
mod facts;
mod fetch;
mod forget;
mod listing;
pub mod login;
mod maintain;
mod observe;
pub mod restore;
pub mod secrets;
mod selection;
mod take;
mod units;

#[cfg(test)]
mod tests;

pub use browse::{count, diff, find_calendar, find_object, Change, ChangeKind};
pub use caldav::{client_for, CalDav, OnBatch};
pub use discover::{object_name, pick_calendars, props_from_vault, props_to_vault};
pub use error::{with_causes, Error, Result};
pub use export::{export, export_snapshot, ExportRequest, Exported, SnapshotExport};
pub use facts::{facts, ObjectFacts};
pub use forget::{forget_policy, plan_forget, ForgetPlan};
pub use listing::{cat, diff_snapshots, ls, Calendars, Listing, Objects, SnapshotDiff, Snapshots};
pub use maintain::{check_repository, prune, verify, Checked, Pruned};
pub use observe::{Event, Observer, Quiet};
pub use selection::{parse_time, Selection};
pub use take::{take, BackupReport, BackupRequest, CalendarFailure};
pub use units::human_bytes;
