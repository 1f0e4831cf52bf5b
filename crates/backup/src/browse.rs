//! Looking into snapshots: finding a calendar or an object by the names people use, and
//! what changed between two snapshots.

use std::collections::BTreeMap;
use std::fmt;

use vault::{CalendarTree, ObjectEntry};

use crate::discover::object_name;
use crate::error::{Error, Result};

/// A snapshot's calendar by URL name, href or display name.
pub fn find_calendar<'a>(trees: &'a [CalendarTree], name: &str) -> Result<&'a CalendarTree> {
    trees
        .iter()
        .find(|t| names_calendar(t, name))
        .ok_or_else(|| Error::NotInSnapshot {
            name: name.to_owned(),
            available: trees
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

pub(crate) fn names_calendar(tree: &CalendarTree, name: &str) -> bool {
    tree.name == name || tree.href == name || tree.props.displayname.as_deref() == Some(name)
}

/// An object by `CALENDAR/NAME.ics`, its href, or (when neither matches) its UID.
pub fn find_object<'a>(trees: &'a [CalendarTree], wanted: &str) -> Result<&'a ObjectEntry> {
    let by_path = |t: &CalendarTree, o: &ObjectEntry| {
        o.href == wanted || format!("{}/{}", t.name, object_name(&o.href)) == wanted
    };
    let mut found: Vec<&ObjectEntry> = trees
        .iter()
        .flat_map(|t| t.objects.iter().filter(move |o| by_path(t, o)))
        .collect();
    if found.is_empty() {
        found = trees
            .iter()
            .flat_map(|t| &t.objects)
            .filter(|o| o.uid.as_deref() == Some(wanted))
            .collect();
    }
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::NoSuchObject {
            wanted: wanted.to_owned(),
        }),
        many => Err(Error::AmbiguousObject {
            wanted: wanted.to_owned(),
            count: many.len(),
            hrefs: many
                .iter()
                .map(|o| o.href.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn word(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }

    fn mark(self) -> char {
        match self {
            ChangeKind::Added => '+',
            ChangeKind::Removed => '-',
            ChangeKind::Changed => '~',
        }
    }
}

/// One object that differs between two snapshots.
#[derive(Clone, Debug)]
pub struct Change {
    pub kind: ChangeKind,
    /// The calendar's name (in the newer snapshot when it has it).
    pub calendar: String,
    /// The object's UID, or its href when it has none.
    pub key: String,
    /// The newer entry, or the removed one.
    pub entry: ObjectEntry,
}

/// Every change, calendar by calendar (in href order) and object by object (by key).
pub fn diff(older: &[CalendarTree], newer: &[CalendarTree]) -> Vec<Change> {
    let mut hrefs: Vec<&str> = older.iter().chain(newer).map(|t| t.href.as_str()).collect();
    hrefs.sort();
    hrefs.dedup();
    let mut changes = Vec::new();
    for href in hrefs {
        let (before, after) = (by_key(older, href), by_key(newer, href));
        let calendar = newer
            .iter()
            .chain(older)
            .find(|t| t.href == href)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let (kind, entry) = match (before.get(key), after.get(key)) {
                (None, Some(o)) => (ChangeKind::Added, o),
                (Some(o), None) => (ChangeKind::Removed, o),
                (Some(x), Some(y)) if x.blob != y.blob => (ChangeKind::Changed, y),
                _ => continue,
            };
            changes.push(Change {
                kind,
                calendar: calendar.clone(),
                key: key.clone(),
                entry: (*entry).clone(),
            });
        }
    }
    changes
}

/// A calendar's objects by diff key: UID, or href when it has none.
fn by_key<'a>(trees: &'a [CalendarTree], href: &str) -> BTreeMap<String, &'a ObjectEntry> {
    trees
        .iter()
        .filter(|t| t.href == href)
        .flat_map(|t| &t.objects)
        .map(|o| (o.uid.clone().unwrap_or_else(|| o.href.clone()), o))
        .collect()
}

/// How many changes are of this kind.
pub fn count(changes: &[Change], kind: ChangeKind) -> usize {
    changes.iter().filter(|c| c.kind == kind).count()
}

impl fmt::Display for Change {
    /// `+ work  uid@example  "Summary"  2026-11-24 09:00Z`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}  {}  {:?}  {}",
            self.kind.mark(),
            self.calendar,
            self.key,
            self.entry.summary.as_deref().unwrap_or(""),
            self.entry.start.as_deref().unwrap_or("-")
        )
    }
}
