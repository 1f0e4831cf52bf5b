//! The previous snapshot of the same account: its calendars are what an incremental run
//! compares against, and its run count decides when a full comparison is due.

use std::collections::HashMap;

use vault::{CalendarRef, CalendarTree, Repo, Snapshot, SnapshotId, Source};

use crate::error::Result;

pub(super) struct Previous {
    snapshot: Option<(SnapshotId, Snapshot)>,
    /// By calendar href; empty when the previous snapshot selected objects another way
    /// (its objects cannot stand in for this run's).
    calendars: HashMap<String, (CalendarRef, CalendarTree)>,
}

impl Previous {
    pub(super) fn load(repo: &Repo, source: &Source, selection: &str) -> Result<Previous> {
        let snapshot = repo
            .snapshots()?
            .into_iter()
            .rev()
            .find(|(_, s)| s.source == *source);
        let mut calendars = HashMap::new();
        if let Some((_, previous)) = &snapshot {
            if previous.selection == selection {
                for reference in repo.load_tree(previous)?.calendars {
                    let tree = repo.load_calendar(&reference)?;
                    calendars.insert(reference.href.clone(), (reference, tree));
                }
            }
        }
        Ok(Previous {
            snapshot,
            calendars,
        })
    }

    pub(super) fn id(&self) -> Option<SnapshotId> {
        self.snapshot.as_ref().map(|(id, _)| *id)
    }

    /// Incremental runs since the last full comparison, counting this one.
    pub(super) fn runs_since_full(&self) -> u32 {
        self.snapshot
            .as_ref()
            .map_or(0, |(_, s)| s.runs_since_full + 1)
    }

    /// Whether this run compares every ETag: asked for, nothing to compare against, or
    /// `full_every` runs since the last full one.
    pub(super) fn needs_full_scan(&self, asked: bool, full_every: u32) -> bool {
        asked || self.calendars.is_empty() || self.runs_since_full() >= full_every.max(1)
    }

    pub(super) fn calendar(&self, href: &str) -> Option<&(CalendarRef, CalendarTree)> {
        self.calendars.get(href)
    }

    /// Objects of previously backed-up calendars the account no longer has.
    pub(super) fn objects_of_calendars_gone(&self, now: &[client::Calendar]) -> u64 {
        self.calendars
            .values()
            .filter(|(r, _)| !now.iter().any(|c| c.path == r.href))
            .map(|(_, tree)| tree.objects.len() as u64)
            .sum()
    }
}
