//! How a restore describes its plan, its outcome and what went wrong.

use std::fmt;

use super::apply::{Applied, FailureKind, WriteFailure};
use super::plan::{Action, CalendarPlan, Conflict, ConflictKind, KeptBecause, RestorePlan};
use super::OnConflict;

impl fmt::Display for RestorePlan {
    /// `plan:`, then a line per calendar with its counts, the properties to set, each
    /// write (in a dry run) and each conflict.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plan:")?;
        for plan in &self.calendars {
            write!(f, "\n{}", CalendarLine(plan))?;
            if plan.set_props != client::CalendarProps::default() {
                write!(f, "\n    set properties: {}", prop_names(&plan.set_props))?;
            }
            if self.dry_run {
                for write in &plan.writes {
                    write!(
                        f,
                        "\n    {} {}/{}",
                        verb(&write.action),
                        plan.target,
                        write.name
                    )?;
                }
            }
            let what = match self.on_conflict {
                OnConflict::Fail => "conflict",
                _ => "skip (conflict)",
            };
            for conflict in &plan.conflicts {
                write!(f, "\n    {what}: {conflict}")?;
            }
        }
        Ok(())
    }
}

/// `  work -> office (new calendar): 3 to create, ...`
struct CalendarLine<'a>(&'a CalendarPlan);

impl fmt::Display for CalendarLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = self.0;
        let count = |f: fn(&Action) -> bool| plan.writes.iter().filter(|w| f(&w.action)).count();
        write!(
            f,
            "  {} -> {}{}: {} to create, {} to update, {} to delete, {} unchanged, {} conflict(s)",
            plan.source,
            plan.target,
            if plan.create.is_some() {
                " (new calendar)"
            } else {
                ""
            },
            count(|a| matches!(a, Action::Create { .. })),
            count(|a| matches!(a, Action::Update { .. })),
            count(|a| matches!(a, Action::Delete { .. })),
            plan.unchanged,
            plan.conflicts.len()
        )
    }
}

fn verb(action: &Action) -> &'static str {
    match action {
        Action::Create { .. } => "create",
        Action::Update { .. } => "update",
        Action::Delete { .. } => "delete",
    }
}

fn prop_names(p: &client::CalendarProps) -> String {
    p.text_props()
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let calendar = &self.calendar;
        match &self.kind {
            ConflictKind::OtherVersion { object, reason } => write!(
                f,
                "{calendar}/{object}: the target holds another version{}",
                match reason {
                    Some(KeptBecause::NotOlder) => " (not older than the backed-up one)",
                    Some(KeptBecause::NoEtag) => " (without an ETag to replace it safely)",
                    None => "",
                }
            ),
            ConflictKind::NoEtagToDelete { object } => write!(
                f,
                "{calendar}/{object}: not in the source, but the target gave no ETag to delete \
                 it safely; left alone"
            ),
            ConflictKind::Property {
                name,
                on_target,
                in_source,
            } => write!(
                f,
                "{calendar}: property {name} is {on_target:?} on the target, {in_source:?} in \
                 the source"
            ),
        }
    }
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "done: {} object(s) written, {} deleted, {} unchanged, {} conflict(s) skipped, {} \
             failed, {} requests",
            self.written,
            self.deleted,
            self.unchanged,
            self.conflicts,
            self.failed.len(),
            self.requests
        )
    }
}

impl Applied {
    /// What was not written, when something was not.
    pub fn failure_note(&self) -> Option<String> {
        if self.failed.is_empty() {
            return None;
        }
        let lines: Vec<String> = self.failed.iter().map(|f| f.to_string()).collect();
        Some(format!(
            "{} object(s) were not written:\n  {}\nrun the same command again to retry them",
            self.failed.len(),
            lines.join("\n  ")
        ))
    }
}

impl fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let calendar = &self.calendar;
        match &self.kind {
            FailureKind::CalendarNotCreated { reason, objects } => write!(
                f,
                "{calendar}: the calendar could not be created ({reason}); its {objects} \
                 object(s) were not written"
            ),
            FailureKind::PropertyRefused(property) => write!(f, "{calendar}: property {property}"),
            FailureKind::ChangedMeanwhile { object } => write!(
                f,
                "{calendar}/{object}: changed on the target since the plan was made; left alone"
            ),
            FailureKind::Refused {
                object,
                status,
                condition,
                body,
            } => {
                write!(f, "{calendar}/{object}: the server answered {status}")?;
                match (condition, body.is_empty()) {
                    (Some(c), _) => write!(f, " ({c})"),
                    (None, false) => write!(f, ": {body}"),
                    (None, true) => Ok(()),
                }
            }
            FailureKind::Failed { object, reason } => write!(f, "{calendar}/{object}: {reason}"),
        }
    }
}
