//! What the commands that look into a repository show (`snapshots`, `ls`, `cat`,
//! `diff`): the snapshot table, a snapshot's calendars, a calendar's objects, one object's
//! data and the changes between two snapshots, as text (each value its lines, without the
//! final line end unless it says so) and as JSON. The caller holds a lock on the
//! repository.

use std::fmt::{self, Display, Formatter};

use serde_json::{json, Value};
use vault::{CalendarTree, Repo, Snapshot, SnapshotId};

use crate::browse::{count, diff, find_calendar, find_object, Change, ChangeKind};
use crate::discover::object_name;
use crate::error::Result;
use crate::units::human_bytes;

/// What `ls` lists: a snapshot's calendars, or one calendar's objects. Each line ends
/// with a line end, so an empty calendar shows nothing.
pub enum Listing {
    Calendars {
        id: SnapshotId,
        snapshot: Snapshot,
        trees: Vec<CalendarTree>,
    },
    Objects(CalendarTree),
}

/// The calendars of a snapshot (an id, a unique prefix or `latest`), or with `calendar`
/// that calendar's objects.
pub fn ls(repo: &Repo, snapshot: &str, calendar: Option<&str>) -> Result<Listing> {
    let (id, snapshot) = repo.find_snapshot(snapshot)?;
    let trees = repo.load_calendars(&snapshot)?.1;
    Ok(match calendar {
        Some(name) => Listing::Objects(find_calendar(&trees, name)?.clone()),
        None => Listing::Calendars {
            id,
            snapshot,
            trees,
        },
    })
}

impl Display for Listing {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Listing::Calendars {
                id,
                snapshot,
                trees,
            } => writeln!(
                f,
                "{}",
                Calendars {
                    id,
                    snapshot,
                    trees
                }
            ),
            Listing::Objects(tree) => write!(f, "{}", Objects(tree)),
        }
    }
}

/// One object of a snapshot, byte for byte: by `CALENDAR/NAME.ics`, href or UID.
pub fn cat(repo: &Repo, snapshot: &str, object: &str) -> Result<Vec<u8>> {
    let (_, snapshot) = repo.find_snapshot(snapshot)?;
    let trees = repo.load_calendars(&snapshot)?.1;
    let object = find_object(&trees, object)?;
    Ok(repo.read_blob(&object.blob)?)
}

/// The changes from snapshot `a` to snapshot `b`.
pub fn diff_snapshots(repo: &Repo, a: &str, b: &str) -> Result<SnapshotDiff> {
    let (from, a) = repo.find_snapshot(a)?;
    let (to, b) = repo.find_snapshot(b)?;
    let changes = diff(&repo.load_calendars(&a)?.1, &repo.load_calendars(&b)?.1);
    Ok(SnapshotDiff { from, to, changes })
}

/// Every snapshot of a repository, oldest first.
pub struct Snapshots<'a>(pub &'a [(SnapshotId, Snapshot)]);

impl Snapshots<'_> {
    pub fn to_json(&self) -> Value {
        let list = self.0.iter().map(|(id, s)| {
            json!({
                "id": id.to_string(),
                "short_id": id.short(),
                "time": s.time.to_rfc3339(),
                "source": { "url": s.source.url, "user": s.source.user },
                "parent": s.parent.map(|p| p.to_string()),
                "full_scan": s.full_scan,
                "selection": s.selection,
                "summary": serde_json::to_value(&s.summary).unwrap_or_default(),
            })
        });
        Value::Array(list.collect())
    }
}

impl Display for Snapshots<'_> {
    /// A table, a row per snapshot, then how many there are.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no snapshots yet (make one with `calvault backup`)");
        }
        writeln!(
            f,
            "{:<8}  {:<20}  {:<40}  {:>9}  {:>7}  {:>10}  {:>5}  {:>7}  {:>7}",
            "ID",
            "TIME (UTC)",
            "SOURCE",
            "CALENDARS",
            "OBJECTS",
            "SIZE",
            "NEW",
            "CHANGED",
            "REMOVED"
        )?;
        for (id, s) in self.0 {
            writeln!(
                f,
                "{:<8}  {:<20}  {:<40}  {:>9}  {:>7}  {:>10}  {:>5}  {:>7}  {:>7}",
                id.short(),
                s.time.format("%Y-%m-%d %H:%M:%S"),
                format!("{} @ {}", s.source.user, s.source.url),
                s.summary.calendars,
                s.summary.objects,
                human_bytes(s.summary.bytes),
                s.summary.new,
                s.summary.changed,
                s.summary.removed
            )?;
        }
        write!(f, "{} snapshot(s)", self.0.len())
    }
}

/// A snapshot's calendars (`ls SNAPSHOT`): the snapshot, then a line per calendar.
pub struct Calendars<'a> {
    pub id: &'a SnapshotId,
    pub snapshot: &'a Snapshot,
    pub trees: &'a [CalendarTree],
}

impl Display for Calendars<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let s = self.snapshot;
        write!(
            f,
            "snapshot {} of {} @ {} at {}",
            self.id.short(),
            s.source.user,
            s.source.url,
            s.time.to_rfc3339()
        )?;
        for tree in self.trees {
            write!(
                f,
                "\n{:<24} {:>7} objects {:>10}  {}  {}",
                tree.name,
                tree.objects.len(),
                human_bytes(tree.objects.iter().map(|o| o.size).sum()),
                tree.props.displayname.as_deref().unwrap_or("-"),
                tree.href
            )?;
        }
        Ok(())
    }
}

/// One calendar's objects (`ls SNAPSHOT CALENDAR`), a line each: name, component, start,
/// size and summary. Each line ends with a line end, so an empty calendar shows nothing.
pub struct Objects<'a>(pub &'a CalendarTree);

impl Display for Objects<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for o in &self.0.objects {
            writeln!(
                f,
                "{:<40} {:<9} {:<26} {:>8}  {}",
                object_name(&o.href),
                o.component.as_deref().unwrap_or("-"),
                o.start.as_deref().unwrap_or("-"),
                o.size,
                o.summary.as_deref().unwrap_or("")
            )?;
        }
        Ok(())
    }
}

/// The changes between two snapshots (`diff A B`).
pub struct SnapshotDiff {
    pub from: SnapshotId,
    pub to: SnapshotId,
    pub changes: Vec<Change>,
}

impl SnapshotDiff {
    fn counts(&self) -> [usize; 3] {
        [ChangeKind::Added, ChangeKind::Removed, ChangeKind::Changed]
            .map(|kind| count(&self.changes, kind))
    }

    pub fn to_json(&self) -> Value {
        let list: Vec<Value> = self
            .changes
            .iter()
            .map(|c| {
                let o = &c.entry;
                json!({
                    "change": c.kind.word(), "calendar": c.calendar, "uid": c.key, "href": o.href,
                    "summary": o.summary, "start": o.start, "component": o.component,
                })
            })
            .collect();
        let [added, removed, changed] = self.counts();
        json!({
            "from": self.from.to_string(), "to": self.to.to_string(),
            "added": added, "removed": removed, "changed": changed, "changes": list,
        })
    }
}

impl Display for SnapshotDiff {
    /// A line per change, then the counts.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        let [added, removed, changed] = self.counts();
        write!(
            f,
            "{} -> {}: {added} added, {removed} removed, {changed} changed",
            self.from.short(),
            self.to.short()
        )
    }
}
