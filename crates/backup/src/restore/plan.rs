//! The plan: for each source calendar, the target calendar it goes into (existing or to
//! create), the properties to set, and every object write, decided before anything is
//! written.

use bytes::Bytes;
use client::Url;

use super::OnConflict;

/// Everything a restore will do.
#[derive(Clone, Debug)]
pub struct RestorePlan {
    pub calendars: Vec<CalendarPlan>,
    pub on_conflict: OnConflict,
    pub dry_run: bool,
}

/// Everything one calendar needs.
#[derive(Clone, Debug)]
pub struct CalendarPlan {
    pub source: String,
    pub target: String,
    pub url: Url,
    /// Create the calendar with these properties: the target has none of that name.
    pub create: Option<client::CalendarProps>,
    /// Properties to set on an existing calendar (missing there, or replaced by
    /// `OnConflict::Overwrite`).
    pub set_props: client::CalendarProps,
    pub writes: Vec<Write>,
    /// Objects the target already holds with the same content.
    pub unchanged: usize,
    pub conflicts: Vec<Conflict>,
}

/// One object write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// The object's name in the target calendar.
    pub name: String,
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// PUT with `If-None-Match: *`.
    Create { url: Url, data: Bytes },
    /// PUT with `If-Match` on the version the plan saw.
    Update { url: Url, etag: String, data: Bytes },
    /// DELETE with `If-Match` (only with `mirror`).
    Delete { url: Url, etag: String },
}

/// Something the plan leaves alone because the target disagrees with the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The target calendar.
    pub calendar: String,
    pub kind: ConflictKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConflictKind {
    /// The target holds another version of the object (by name or by UID).
    OtherVersion {
        object: String,
        /// Why it was not replaced, when the policy alone does not say.
        reason: Option<KeptBecause>,
    },
    /// Mirroring would delete it, but the target gave no ETag to delete it safely.
    NoEtagToDelete { object: String },
    /// A calendar property differs.
    Property {
        name: &'static str,
        on_target: String,
        in_source: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeptBecause {
    /// `OnConflict::Newer`, and the target's version is not older.
    NotOlder,
    /// The target gave no ETag, so it cannot be replaced conditionally.
    NoEtag,
}

impl RestorePlan {
    pub fn conflict_count(&self) -> usize {
        self.calendars.iter().map(|p| p.conflicts.len()).sum()
    }

    pub fn write_count(&self) -> usize {
        self.calendars.iter().map(|p| p.writes.len()).sum()
    }

    pub fn unchanged_count(&self) -> usize {
        self.calendars.iter().map(|p| p.unchanged).sum()
    }
}

impl CalendarPlan {
    /// Deletions first, so a UID that moved to another name can be written back.
    pub fn ordered_writes(&self) -> impl Iterator<Item = &Write> {
        let is_delete = |w: &&Write| matches!(w.action, Action::Delete { .. });
        self.writes
            .iter()
            .filter(is_delete)
            .chain(self.writes.iter().filter(move |w| !is_delete(w)))
    }

    pub(super) fn push(&mut self, name: &str, action: Action) {
        self.writes.push(Write {
            name: name.to_owned(),
            action,
        });
    }

    pub(super) fn conflict(&mut self, kind: ConflictKind) {
        self.conflicts.push(Conflict {
            calendar: self.target.clone(),
            kind,
        });
    }
}

/// A name as one URL path segment (RFC 3986 §3.3), keeping the characters servers
/// commonly leave as they are.
pub(super) fn encode_segment(name: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'@')
        .remove(b'+');
    percent_encoding::utf8_percent_encode(name, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_encoded_as_one_segment() {
        assert_eq!(encode_segment("a b/é.ics"), "a%20b%2F%C3%A9.ics");
    }
}
