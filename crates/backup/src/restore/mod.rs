//! `restore` (from a snapshot) and `migrate` (straight from another server): plan every
//! write first, show the plan, then carry it out with conditional requests.
//!
//! Creates use `If-None-Match: *` and updates `If-Match` on the version the plan saw, so a
//! change made on the target meanwhile is reported, never overwritten. Nothing is deleted
//! without `mirror`. A run that was interrupted is resumed by running it again: objects
//! already written compare equal and are left alone.
//!
//! The steps: [`snapshot_sources`] or [`server_sources`] say what to write, [`plan`]
//! compares it with the target and applies the conflict policy, [`carry_out`] writes, and
//! [`restore_shares`] shares the written calendars again as they were shared; [`write_all`]
//! runs these steps in order.

mod apply;
mod content;
mod held;
mod mapping;
mod plan;
mod planning;
mod policy;
mod report;
mod run;
mod shares;
mod source;

use bytes::Bytes;

pub use apply::{carry_out, Applied, FailureKind, Outcome, WriteFailure};
pub use mapping::Mapping;
pub use plan::{Action, CalendarPlan, Conflict, ConflictKind, KeptBecause, RestorePlan, Write};
pub use planning::plan;
pub use run::write_all;
pub use shares::{restore_shares, ShareOutcome, SharesRestored};
pub use source::{pick_snapshot, server_sources, snapshot_sources, Restoring};

/// What to do with an object the target holds in another version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnConflict {
    /// Leave the target's object alone and report it.
    Skip,
    /// Replace the target's object (with If-Match on the version seen).
    Overwrite,
    /// Replace it only when the source's object is newer (LAST-MODIFIED, then DTSTAMP).
    Newer,
    /// Write nothing when there is any conflict.
    Fail,
}

/// What a restore or a migration writes and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// Only these calendars, each into its target name; empty: every calendar, same names.
    pub calendars: Vec<Mapping>,
    /// Plan and report, write nothing.
    pub dry_run: bool,
    pub on_conflict: OnConflict,
    /// Also delete objects the target holds that the source does not.
    pub mirror: bool,
}

/// A calendar to write.
#[derive(Clone, Debug)]
pub struct SourceCalendar {
    pub name: String,
    pub props: client::CalendarProps,
    pub objects: Vec<SourceObject>,
    /// Who it was shared with on the source, for [`restore_shares`].
    pub sharees: Vec<client::Sharee>,
}

#[derive(Clone, Debug)]
pub struct SourceObject {
    /// The file name (last href segment, decoded).
    pub name: String,
    pub uid: Option<String>,
    pub data: Bytes,
}
