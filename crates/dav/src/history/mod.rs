//! History operations over the store, shared by the CLI and the `/api/` endpoints: what
//! changed (listing, one version, a property-level diff) and putting things back (undelete,
//! revert, rollback). Restores never rewrite history: they are new, recorded writes with new
//! ETags and sync tokens, which every client picks up through normal sync. Each view is
//! JSON (`view.rs`, `overview.rs`) and text (`text.rs`), so every front end words it alike.

mod describe;
mod merged;
mod overview;
mod request;
mod restore;
mod text;
mod timeline;
mod view;

pub use describe::{describe, diff_versions, Described, PropertyChange, VersionDiff};
pub use merged::{show, MergeView, Shown};
pub use overview::{
    check_chains, deleted_calendars, stats, BrokenChain, CalendarStats, ChainCheck, Deleted,
    DeletedCalendar,
};
pub use request::{carry_out, prepare, Done, Prepared, Refused, RestoreRequest};
pub use restore::{
    apply, plan_revert, plan_rollback, plan_rollback_client, plan_undelete, plan_undelete_since,
    Action, Applied, Plan, RevertTo, Skipped,
};
pub use text::{Changes, DoneText, PlanText, StatsText, VersionText};
pub use timeline::{annotate, item_rows, ItemEvent, Listing};
pub use view::{diff_json, entries, list, rfc3339, version_json, EntryView, Filter};

use store::HistoryCollection;

/// The collection a path names in the history: the live one, else the latest deleted.
pub fn pick_collection(all: &[HistoryCollection], path: &str) -> Option<HistoryCollection> {
    all.iter()
        .filter(|c| c.collection.path == path)
        .max_by_key(|c| (c.deleted_at.is_none(), c.deleted_at))
        .cloned()
}

impl Plan {
    /// The plan as JSON: what would be written, and what is left alone.
    pub fn to_json(&self) -> serde_json::Value {
        let actions: Vec<serde_json::Value> = self
            .actions
            .iter()
            .map(|a| match a {
                Action::Put {
                    name,
                    from_version,
                    data,
                    ..
                } => {
                    let d = describe(data);
                    serde_json::json!({"action": a.verb(), "object": name,
                        "from_version": from_version, "summary": d.summary, "start": d.start})
                }
                Action::Delete { name, .. } => {
                    serde_json::json!({"action": a.verb(), "object": name})
                }
            })
            .collect();
        let skipped: Vec<serde_json::Value> = self
            .skipped
            .iter()
            .map(|s| serde_json::json!({"object": s.name, "reason": s.reason}))
            .collect();
        serde_json::json!({"calendar": self.collection.path, "actions": actions, "skipped": skipped})
    }
}
