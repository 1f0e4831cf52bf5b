//! The history as text, the way `calvault history`, `undelete`, `revert` and `rollback`
//! print it (the JSON views are in `view.rs` and `overview.rs`): listings, one version, a
//! diff, the chain check, deleted calendars, sizes, restore plans and what they did. Each
//! value is its lines without the final line end.

use std::fmt::{self, Display, Formatter};

use store::{Version, VersionKind};

use super::describe::{describe, VersionDiff};
use super::overview::{BrokenChain, CalendarStats, ChainCheck, Deleted, DeletedCalendar};
use super::request::{Done, Prepared};
use super::restore::{Action, Plan};
use super::timeline::ItemEvent;
use super::view::{rfc3339, EntryView};

impl Display for EntryView {
    /// `2026-11-21T13:50:01Z  v12  alice  DAVx5/4.3  deleted  work/a.ics  "Lunch" 2026-11-24 12:00Z`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let v = &self.version;
        let what = match self.event {
            ItemEvent::Collection => v.kind.as_str(),
            e => e.as_str(),
        };
        write!(
            f,
            "{}  v{}  {}  {}  {what}  {}/{}",
            rfc3339(v.at),
            v.id,
            v.change.author,
            v.change.client.as_deref().unwrap_or("-"),
            self.calendar,
            v.name
        )?;
        if let Some(s) = &self.described.summary {
            write!(f, "  {s:?}")?;
        }
        if let Some(s) = &self.described.start {
            write!(f, " {s}")?;
        }
        Ok(())
    }
}

/// A listing of changes, one line each, or that none match.
pub struct Changes<'a>(pub &'a [EntryView]);

impl Display for Changes<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("No changes match.");
        }
        lines(f, self.0)
    }
}

/// One version: who, when, what, and its data.
pub struct VersionText<'a>(pub &'a Version);

impl Display for VersionText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let v = self.0;
        writeln!(f, "version  {}", v.id)?;
        writeln!(f, "time     {}", rfc3339(v.at))?;
        writeln!(f, "what     {} {}", v.kind.as_str(), v.name)?;
        writeln!(f, "author   {}", v.change.author)?;
        writeln!(f, "client   {}", v.change.client.as_deref().unwrap_or("-"))?;
        write!(f, "address  {}", v.change.address.as_deref().unwrap_or("-"))?;
        if let Some(etag) = &v.etag {
            write!(f, "\netag     \"{etag}\"")?;
        }
        match &v.data {
            Some(data) => write!(f, "\n\n{}", String::from_utf8_lossy(data).trim_end()),
            None if v.kind == VersionKind::Put => {
                write!(f, "\n\n(data dropped by history retention)")
            }
            None => Ok(()),
        }
    }
}

impl Display for VersionDiff {
    /// Each property that differs with its lines before (`-`) and after (`+`).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            let (older, newer) = (self.older, self.newer);
            return write!(
                f,
                "No property differs between versions {older} and {newer}."
            );
        }
        for (i, c) in self.changes.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{} {}:", c.component, c.property)?;
            for line in &c.before {
                write!(f, "\n  - {line}")?;
            }
            for line in &c.after {
                write!(f, "\n  + {line}")?;
            }
        }
        Ok(())
    }
}

impl Display for BrokenChain {
    /// `history of ann/work does not verify at version 12 (sequence 7): REASON`, or
    /// `history of ann/work: object b.ics: REASON`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (owner, path) = (&self.calendar.owner_name, &self.calendar.collection.path);
        match &self.problem {
            store::verify::Problem::Chain(at) => write!(
                f,
                "history of {owner}/{path} does not verify at version {} (sequence {}): {}",
                at.id, at.seq, at.reason
            ),
            object => write!(f, "history of {owner}/{path}: {object}"),
        }
    }
}

impl Display for ChainCheck {
    /// The verdict: every chain intact, or how many are broken (each is named by its
    /// [`BrokenChain`]).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let calendars = self.calendars;
        if self.is_intact() {
            let (versions, objects) = (self.versions, self.objects);
            return write!(
                f,
                "History verified: {calendars} calendars, {versions} versions, {objects} objects: \
                 every hash chain intact and every served object as its history recorded it."
            );
        }
        write!(
            f,
            "{} problems in {calendars} calendars: the database was changed outside calvault \
             (see the versions and objects named above)",
            self.broken.len(),
        )
    }
}

impl Display for Deleted {
    /// A line per calendar, with how to bring it back.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.calendars.is_empty() {
            return write!(f, "{} has no deleted calendars.", self.user);
        }
        lines(f, &self.calendars)
    }
}

impl Display for DeletedCalendar {
    /// `ann/old  deleted 2026-11-21T13:50:01Z  3 objects  (calvault undelete ann/old)`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let c = &self.calendar;
        let at = format!("{}/{}", c.owner_name, c.collection.path);
        let deleted = rfc3339(c.deleted_at.unwrap_or_default());
        let objects = self.objects;
        write!(
            f,
            "{at}  deleted {deleted}  {objects} objects  (calvault undelete {at})"
        )
    }
}

/// The history's size per calendar, then in total.
pub struct StatsText<'a>(pub &'a [CalendarStats]);

impl Display for StatsText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for s in self.0 {
            writeln!(
                f,
                "{}\t{} versions\t{} pruned\t{} bytes of data",
                s.calendar, s.versions, s.pruned, s.data_bytes
            )?;
        }
        let versions: u64 = self.0.iter().map(|s| s.versions).sum();
        let bytes: u64 = self.0.iter().map(|s| s.data_bytes).sum();
        write!(f, "total\t{versions} versions\t{bytes} bytes of data")
    }
}

/// A prepared restore, shown before it is carried out. `owner` is the calendar's owner.
pub struct PlanText<'a> {
    pub owner: &'a str,
    pub prepared: &'a Prepared,
}

impl Display for PlanText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let plan = match self.prepared {
            Prepared::Calendar {
                calendar, objects, ..
            } => {
                let (owner, path) = (&calendar.owner_name, &calendar.collection.path);
                return write!(
                    f,
                    "Plan: restore the deleted calendar {owner}/{path} with its {objects} objects and history."
                );
            }
            Prepared::Objects(plan) => plan,
        };
        let at = format!("{}/{}", self.owner, plan.collection.path);
        if plan.actions.is_empty() {
            write!(f, "Nothing to do: {at} already matches.")?;
        } else {
            write!(f, "Plan for {at}:")?;
        }
        for a in &plan.actions {
            write!(f, "\n  {}", ActionLine(a))?;
        }
        for s in &plan.skipped {
            write!(f, "\n  skip {}: {}", s.name, s.reason)?;
        }
        Ok(())
    }
}

/// `recreate a.ics from version 12  "Lunch" 2026-11-24 12:00Z`, `delete b.ics`
struct ActionLine<'a>(&'a Action);

impl Display for ActionLine<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let verb = self.0.verb();
        match self.0 {
            Action::Put {
                name,
                from_version,
                data,
                ..
            } => {
                write!(f, "{verb} {name} from version {from_version}")?;
                let d = describe(data);
                if let Some(s) = d.summary {
                    write!(f, "  {s:?}")?;
                }
                if let Some(s) = d.start {
                    write!(f, " {s}")?;
                }
                Ok(())
            }
            Action::Delete { name, .. } => write!(f, "{verb} {name}"),
        }
    }
}

/// What carrying out a restore did. `owner` is the calendar's owner.
pub struct DoneText<'a> {
    pub owner: &'a str,
    pub prepared: &'a Prepared,
    pub done: &'a Done,
}

impl DoneText<'_> {
    fn plan(&self) -> Option<&Plan> {
        match self.prepared {
            Prepared::Objects(plan) => Some(plan),
            Prepared::Calendar { .. } => None,
        }
    }

    /// `ann/work/a.ics was not restored: REASON`, one per write that failed.
    pub fn failures(&self) -> Vec<String> {
        let (Done::Objects(applied), Some(plan)) = (self.done, self.plan()) else {
            return Vec::new();
        };
        let at = format!("{}/{}", self.owner, plan.collection.path);
        applied
            .failed
            .iter()
            .map(|(name, reason)| format!("{at}/{name} was not restored: {reason}"))
            .collect()
    }

    /// When some writes failed, how many of how many.
    pub fn failure_note(&self) -> Option<String> {
        let (Done::Objects(applied), Some(plan)) = (self.done, self.plan()) else {
            return None;
        };
        let (failed, all) = (applied.failed.len(), plan.actions.len());
        (failed > 0).then(|| format!("{failed} of {all} writes failed (see above)"))
    }
}

impl Display for DoneText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.done {
            Done::Calendar(c) => write!(f, "Restored {}/{}.", self.owner, c.path),
            Done::Objects(applied) => write!(
                f,
                "Done: {} written, {} failed, {} skipped. Clients get the changes at their next sync.",
                applied.done.len(),
                applied.failed.len(),
                self.plan().map_or(0, |p| p.skipped.len())
            ),
        }
    }
}

/// Each item on its own line.
fn lines<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            writeln!(f)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use store::{Change, Collection, CollectionKind, HistoryCollection};

    use super::*;
    use crate::history::{Applied, Described, PropertyChange, Skipped};

    const DATA: &str = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTART:20261124T120000Z\r\n\
        SUMMARY:Lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    fn collection(path: &str) -> Collection {
        Collection {
            id: 1,
            owner: 1,
            path: path.into(),
            kind: CollectionKind::Calendar,
            components: vec!["VEVENT".into()],
            sync_seq: 0,
            created_at: 0,
            modified_at: 0,
            target: None,
        }
    }

    fn version(kind: VersionKind, name: &str, data: Option<&str>) -> Version {
        Version {
            id: 12,
            collection: 1,
            seq: 7,
            kind,
            name: name.into(),
            uid: None,
            etag: data.map(|_| "e1".into()),
            data: data.map(|d| d.as_bytes().to_vec()),
            data_hash: None,
            change: Change {
                author: "ann".into(),
                client: Some("DAVx5/4.3".into()),
                address: None,
                locks: None,
            },
            at: 1_795_268_400_000,
            chain: 2,
            prev_hash: None,
            hash: [0; 32],
            merge: None,
        }
    }

    fn deleted(path: &str) -> HistoryCollection {
        HistoryCollection {
            collection: collection(path),
            owner_name: "ann".into(),
            deleted_at: Some(1_795_268_400_000),
        }
    }

    #[test]
    fn a_listing_has_a_line_per_change_or_says_none_match() {
        let entry = EntryView {
            version: version(VersionKind::Delete, "a.ics", None),
            owner: "ann".into(),
            calendar: "work".into(),
            event: ItemEvent::Deleted,
            described: Described {
                summary: Some("Lunch".into()),
                start: Some("2026-11-24 12:00Z".into()),
            },
        };
        let mut home = entry.clone();
        home.version.name.clear();
        home.version.kind = VersionKind::CollectionCreate;
        home.event = ItemEvent::Collection;
        home.described = Described::default();
        assert_eq!(
            Changes(&[entry, home]).to_string(),
            "2026-11-21T13:40:00Z  v12  ann  DAVx5/4.3  deleted  work/a.ics  \"Lunch\" \
             2026-11-24 12:00Z\n\
             2026-11-21T13:40:00Z  v12  ann  DAVx5/4.3  collection-create  work/"
        );
        assert_eq!(Changes(&[]).to_string(), "No changes match.");
    }

    #[test]
    fn a_version_shows_its_data_or_that_retention_dropped_it() {
        let put = version(VersionKind::Put, "a.ics", Some("BEGIN:VCALENDAR\r\n\r\n"));
        assert_eq!(
            VersionText(&put).to_string(),
            "version  12\ntime     2026-11-21T13:40:00Z\nwhat     put a.ics\nauthor   ann\n\
             client   DAVx5/4.3\naddress  -\netag     \"e1\"\n\nBEGIN:VCALENDAR"
        );
        let pruned = version(VersionKind::Put, "a.ics", None);
        assert!(VersionText(&pruned)
            .to_string()
            .ends_with("address  -\n\n(data dropped by history retention)"));
        let gone = version(VersionKind::Delete, "a.ics", None);
        assert!(VersionText(&gone).to_string().ends_with("address  -"));
    }

    #[test]
    fn a_diff_lists_each_property_before_and_after() {
        let changes = [
            PropertyChange {
                component: "VEVENT".into(),
                property: "SUMMARY".into(),
                before: vec!["SUMMARY:Lunch".into()],
                after: vec!["SUMMARY:Brunch".into()],
            },
            PropertyChange {
                component: "VEVENT".into(),
                property: "LOCATION".into(),
                before: vec![],
                after: vec!["LOCATION:Home".into()],
            },
        ];
        let text = VersionDiff {
            older: 1,
            newer: 2,
            changes: changes.to_vec(),
        };
        assert_eq!(text.to_json()[1]["after"][0], "LOCATION:Home");
        assert_eq!(
            text.to_string(),
            "VEVENT SUMMARY:\n  - SUMMARY:Lunch\n  + SUMMARY:Brunch\nVEVENT LOCATION:\n  + LOCATION:Home"
        );
        let none = VersionDiff {
            changes: vec![],
            ..text
        };
        assert_eq!(
            none.to_string(),
            "No property differs between versions 1 and 2."
        );
    }

    #[test]
    fn the_chain_check_names_each_break_and_counts_them() {
        let mut check = ChainCheck {
            calendars: 2,
            versions: 9,
            objects: 4,
            broken: vec![],
        };
        assert!(check
            .to_string()
            .starts_with("History verified: 2 calendars, 9 versions"));
        check.broken.push(BrokenChain {
            calendar: deleted("work"),
            problem: store::verify::Problem::Chain(store::history::ChainBreak {
                id: 12,
                seq: 7,
                reason: "data does not match".into(),
            }),
        });
        check.broken.push(BrokenChain {
            calendar: deleted("work"),
            problem: store::verify::Problem::Object {
                name: "b.ics".into(),
                reason: "its bytes do not match its ETag".into(),
            },
        });
        assert!(check.to_string().starts_with("2 problems in 2 calendars"));
        assert_eq!(
            check.broken[0].to_string(),
            "history of ann/work does not verify at version 12 (sequence 7): data does not match"
        );
        assert_eq!(
            check.broken[1].to_string(),
            "history of ann/work: object b.ics: its bytes do not match its ETag"
        );
    }

    #[test]
    fn deleted_calendars_say_how_to_bring_them_back() {
        let gone = Deleted {
            user: "ann".into(),
            calendars: vec![DeletedCalendar {
                calendar: deleted("old"),
                objects: 3,
            }],
        };
        assert_eq!(
            gone.to_string(),
            "ann/old  deleted 2026-11-21T13:40:00Z  3 objects  (calvault undelete ann/old)"
        );
        let none = Deleted {
            calendars: vec![],
            ..gone
        };
        assert_eq!(none.to_string(), "ann has no deleted calendars.");
    }

    #[test]
    fn stats_end_with_the_total() {
        let stats = [
            CalendarStats {
                calendar: "ann/work".into(),
                versions: 3,
                pruned: 1,
                data_bytes: 100,
            },
            CalendarStats {
                calendar: "ann/old (deleted)".into(),
                versions: 2,
                pruned: 0,
                data_bytes: 50,
            },
        ];
        assert_eq!(
            StatsText(&stats).to_string(),
            "ann/work\t3 versions\t1 pruned\t100 bytes of data\n\
             ann/old (deleted)\t2 versions\t0 pruned\t50 bytes of data\n\
             total\t5 versions\t150 bytes of data"
        );
    }

    #[test]
    fn a_plan_lists_its_writes_and_what_it_skips_and_its_outcome_counts_them() {
        let plan = Plan {
            collection: collection("work"),
            actions: vec![
                Action::Put {
                    name: "a.ics".into(),
                    from_version: 4,
                    data: DATA.as_bytes().to_vec(),
                    current_etag: None,
                },
                Action::Delete {
                    name: "b.ics".into(),
                    current_etag: "e".into(),
                },
            ],
            skipped: vec![Skipped {
                name: "c.ics".into(),
                reason: "changed afterwards by ann".into(),
            }],
        };
        let prepared = Prepared::Objects(plan);
        assert_eq!(
            PlanText {
                owner: "ann",
                prepared: &prepared
            }
            .to_string(),
            "Plan for ann/work:\n  recreate a.ics from version 4  \"Lunch\" 2026-11-24 12:00Z\n  \
             delete b.ics\n  skip c.ics: changed afterwards by ann"
        );
        let done = Done::Objects(Applied {
            done: vec!["a.ics".into()],
            failed: vec![("b.ics".into(), "412".into())],
        });
        let text = DoneText {
            owner: "ann",
            prepared: &prepared,
            done: &done,
        };
        assert_eq!(
            text.to_string(),
            "Done: 1 written, 1 failed, 1 skipped. Clients get the changes at their next sync."
        );
        assert_eq!(text.failures(), ["ann/work/b.ics was not restored: 412"]);
        assert_eq!(
            text.failure_note().as_deref(),
            Some("1 of 2 writes failed (see above)")
        );
    }

    #[test]
    fn a_deleted_calendar_comes_back_whole() {
        let prepared = Prepared::Calendar {
            calendar: deleted("old"),
            objects: 3,
            bytes: 900,
        };
        assert!(!prepared.changes_nothing());
        let plan = PlanText {
            owner: "ann",
            prepared: &prepared,
        };
        assert_eq!(
            plan.to_string(),
            "Plan: restore the deleted calendar ann/old with its 3 objects and history."
        );
        let done = Done::Calendar(collection("old"));
        let text = DoneText {
            owner: "ann",
            prepared: &prepared,
            done: &done,
        };
        assert_eq!(text.to_string(), "Restored ann/old.");
        assert!(text.failures().is_empty() && text.failure_note().is_none());
    }

    #[test]
    fn an_empty_plan_says_there_is_nothing_to_do() {
        let prepared = Prepared::Objects(Plan {
            collection: collection("work"),
            actions: vec![],
            skipped: vec![],
        });
        assert!(prepared.changes_nothing());
        let text = PlanText {
            owner: "ann",
            prepared: &prepared,
        };
        assert_eq!(text.to_string(), "Nothing to do: ann/work already matches.");
    }
}
