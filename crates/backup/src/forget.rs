//! `forget`: which snapshots go, by id and by a keep policy, decided before any is
//! removed so a dry run can show it.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Utc};
use vault::{KeepPolicy, Repo, SnapshotId};

use crate::error::{Error, Result};

/// The keep policy of a `forget`, None when no rule was given (a rule of 0 counts: it
/// keeps none). A forget that names neither snapshots nor a rule is refused.
pub fn forget_policy(named: &[String], policy: KeepPolicy) -> Result<Option<KeepPolicy>> {
    let rules = [policy.last, policy.daily, policy.weekly, policy.monthly];
    match (rules.iter().any(Option::is_some), named.is_empty()) {
        (true, _) => Ok(Some(policy)),
        (false, false) => Ok(None),
        (false, true) => Err(Error::NothingToForget),
    }
}

/// The snapshots to forget, and why the others stay.
#[derive(Clone, Debug, Default)]
pub struct ForgetPlan {
    /// Snapshots the policy keeps, with its reasons (`daily`, `last`...), in its order.
    pub kept: Vec<(SnapshotId, Vec<&'static str>)>,
    /// Snapshots to forget, oldest first, with their times.
    pub forget: Vec<(SnapshotId, DateTime<Utc>)>,
}

/// The named snapshots (ids, prefixes or `latest`), plus those `policy` does not keep.
pub fn plan_forget(
    repo: &Repo,
    named: &[String],
    policy: Option<&KeepPolicy>,
) -> Result<ForgetPlan> {
    let all = repo.snapshots()?;
    let mut doomed = HashSet::new();
    for spec in named {
        doomed.insert(repo.find_snapshot(spec)?.0);
    }
    let mut plan = ForgetPlan::default();
    if let Some(policy) = policy {
        for (id, reasons) in vault::apply_policy(&all, policy) {
            if reasons.is_empty() {
                doomed.insert(id);
            } else if !doomed.contains(&id) {
                plan.kept.push((id, reasons));
            }
        }
    }
    plan.forget = all
        .iter()
        .filter(|(id, _)| doomed.contains(id))
        .map(|(id, s)| (*id, s.time))
        .collect();
    Ok(plan)
}

impl ForgetPlan {
    /// The snapshots to forget, oldest first.
    pub fn doomed(&self) -> Vec<SnapshotId> {
        self.forget.iter().map(|(id, _)| *id).collect()
    }
}

impl fmt::Display for ForgetPlan {
    /// `keep   ID (daily, last)` per kept snapshot, then `forget ID (TIME)` per forgotten
    /// one. Each line ends with a line end, so a plan without either shows nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (id, reasons) in &self.kept {
            writeln!(f, "keep   {} ({})", id.short(), reasons.join(", "))?;
        }
        for (id, time) in &self.forget {
            writeln!(f, "forget {} ({})", id.short(), time.to_rfc3339())?;
        }
        Ok(())
    }
}
