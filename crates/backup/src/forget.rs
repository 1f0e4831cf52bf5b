//! `forget`: which snapshots go, by id and by a keep policy, decided before any is
//! removed so a dry run can show it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use vault::{KeepPolicy, Repo, SnapshotId};

use crate::error::Result;

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
