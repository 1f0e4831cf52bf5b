//! Retention: which snapshots a keep-policy keeps, with restic's semantics so that users who
//! know restic's `forget --keep-*` get what they expect. Pure: deciding is separate from
//! forgetting.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};

use crate::id::SnapshotId;
use crate::snapshot::Snapshot;

/// How many snapshots to keep per source. `None` and `Some(0)` both mean "no such rule";
/// a policy without any rule keeps everything (forgetting everything is never a default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeepPolicy {
    /// The N newest snapshots.
    pub last: Option<u32>,
    /// The newest snapshot of each of the N most recent days (UTC) that have snapshots.
    pub daily: Option<u32>,
    /// Same for ISO weeks.
    pub weekly: Option<u32>,
    /// Same for calendar months.
    pub monthly: Option<u32>,
}

impl KeepPolicy {
    /// True when the policy has no rule, and so keeps everything.
    pub fn is_empty(&self) -> bool {
        [self.last, self.daily, self.weekly, self.monthly]
            .iter()
            .all(|n| n.unwrap_or(0) == 0)
    }
}

/// A rule: how many to keep, and the period a snapshot falls in (`None` = every snapshot
/// is its own period, which is keep-last).
struct Rule {
    reason: &'static str,
    left: u32,
    period: fn(&DateTime<Utc>) -> Option<i64>,
    last_period: Option<Option<i64>>,
}

fn every(_: &DateTime<Utc>) -> Option<i64> {
    None
}

fn day(t: &DateTime<Utc>) -> Option<i64> {
    Some(i64::from(t.num_days_from_ce()))
}

fn iso_week(t: &DateTime<Utc>) -> Option<i64> {
    let week = t.iso_week();
    Some(i64::from(week.year()) * 100 + i64::from(week.week()))
}

fn month(t: &DateTime<Utc>) -> Option<i64> {
    Some(i64::from(t.year()) * 100 + i64::from(t.month()))
}

/// For each snapshot (in the input order), the reasons it is kept; an empty list means
/// forget it. Snapshots are grouped by source (url, user) and walked newest first; each
/// rule keeps the first snapshot of each new period until its count is used up.
pub fn apply_policy(
    snapshots: &[(SnapshotId, Snapshot)],
    policy: &KeepPolicy,
) -> Vec<(SnapshotId, Vec<&'static str>)> {
    if policy.is_empty() {
        return snapshots.iter().map(|(id, _)| (*id, vec!["all"])).collect();
    }
    let mut reasons: Vec<Vec<&'static str>> = vec![Vec::new(); snapshots.len()];
    let mut groups: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, (_, snapshot)) in snapshots.iter().enumerate() {
        groups
            .entry((&snapshot.source.url, &snapshot.source.user))
            .or_default()
            .push(i);
    }
    for members in groups.values_mut() {
        members.sort_by(|&a, &b| {
            let (ida, sa) = &snapshots[a];
            let (idb, sb) = &snapshots[b];
            sb.time.cmp(&sa.time).then(idb.cmp(ida))
        });
        let mut rules: Vec<Rule> = [
            (
                "last",
                policy.last,
                every as fn(&DateTime<Utc>) -> Option<i64>,
            ),
            ("daily", policy.daily, day),
            ("weekly", policy.weekly, iso_week),
            ("monthly", policy.monthly, month),
        ]
        .into_iter()
        .filter_map(|(reason, n, period)| {
            n.filter(|n| *n > 0).map(|left| Rule {
                reason,
                left,
                period,
                last_period: None,
            })
        })
        .collect();
        for &i in members.iter() {
            let time = &snapshots[i].1.time;
            for rule in &mut rules {
                let period = (rule.period)(time);
                let new_period = period.is_none() || rule.last_period != Some(period);
                if rule.left > 0 && new_period {
                    reasons[i].push(rule.reason);
                    rule.left -= 1;
                    rule.last_period = Some(period);
                }
            }
        }
    }
    snapshots.iter().map(|(id, _)| *id).zip(reasons).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::snapshot::{SnapshotSummary, Source};
    use crate::BlobId;
    use chrono::TimeZone;

    fn snap(n: u8, time: &str, user: &str) -> (SnapshotId, Snapshot) {
        (
            SnapshotId([n; 32]),
            Snapshot {
                time: crate::time::parse(time).unwrap(),
                source: Source {
                    url: "https://dav.example".into(),
                    user: user.into(),
                },
                root: BlobId([0; 32]),
                parent: None,
                full_scan: true,
                runs_since_full: 0,
                summary: SnapshotSummary::default(),
                tool_version: "test".into(),
                selection: String::new(),
            },
        )
    }

    fn kept(result: &[(SnapshotId, Vec<&'static str>)]) -> Vec<u8> {
        result
            .iter()
            .filter(|(_, r)| !r.is_empty())
            .map(|(id, _)| id.0[0])
            .collect()
    }

    /// Snapshots 1..=n, one every `hours` hours from 2024-01-01 00:00 UTC.
    fn series(n: u8, hours: i64) -> Vec<(SnapshotId, Snapshot)> {
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        (1..=n)
            .map(|i| {
                let t = start + chrono::Duration::hours(hours * i64::from(i - 1));
                snap(i, &crate::time::format(&t), "ann")
            })
            .collect()
    }

    #[test]
    fn empty_policy_keeps_all() {
        let s = series(5, 1);
        let r = apply_policy(&s, &KeepPolicy::default());
        assert_eq!(kept(&r), vec![1, 2, 3, 4, 5]);
        let zero = KeepPolicy {
            last: Some(0),
            ..KeepPolicy::default()
        };
        assert_eq!(kept(&apply_policy(&s, &zero)), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn keep_last() {
        let s = series(5, 1);
        let policy = KeepPolicy {
            last: Some(2),
            ..KeepPolicy::default()
        };
        let r = apply_policy(&s, &policy);
        assert_eq!(kept(&r), vec![4, 5]);
        assert_eq!(r[4].1, vec!["last"]);
    }

    #[test]
    fn keep_daily_across_days() {
        // Every 8 hours: three a day on 2024-01-01..03, one on 01-04 (10 snapshots).
        let s = series(10, 8);
        let policy = KeepPolicy {
            daily: Some(3),
            ..KeepPolicy::default()
        };
        // Newest of 01-04 (10), 01-03 (9), 01-02 (6).
        assert_eq!(kept(&apply_policy(&s, &policy)), vec![6, 9, 10]);
    }

    #[test]
    fn keep_weekly_uses_iso_weeks() {
        // 2024-01-01 is a Monday. Daily snapshots for 15 days: weeks 1, 2, 3 (one day).
        let s = series(15, 24);
        let policy = KeepPolicy {
            weekly: Some(2),
            ..KeepPolicy::default()
        };
        // Newest of week 3 (15, Monday 01-15) and of week 2 (14, Sunday 01-14).
        assert_eq!(kept(&apply_policy(&s, &policy)), vec![14, 15]);
    }

    #[test]
    fn keep_monthly() {
        let s = vec![
            snap(1, "2024-01-05T00:00:00Z", "ann"),
            snap(2, "2024-01-20T00:00:00Z", "ann"),
            snap(3, "2024-02-10T00:00:00Z", "ann"),
            snap(4, "2024-04-01T00:00:00Z", "ann"),
            snap(5, "2024-04-02T00:00:00Z", "ann"),
        ];
        let policy = KeepPolicy {
            monthly: Some(2),
            ..KeepPolicy::default()
        };
        assert_eq!(kept(&apply_policy(&s, &policy)), vec![3, 5]);
        let policy = KeepPolicy {
            monthly: Some(10),
            ..KeepPolicy::default()
        };
        assert_eq!(kept(&apply_policy(&s, &policy)), vec![2, 3, 5]);
    }

    #[test]
    fn combined_rules_and_groups() {
        let s = vec![
            snap(1, "2024-01-01T10:00:00Z", "ann"),
            snap(2, "2024-01-02T10:00:00Z", "ann"),
            snap(3, "2024-01-02T11:00:00Z", "ann"),
            snap(4, "2024-01-03T10:00:00Z", "ann"),
            snap(5, "2024-01-03T12:00:00Z", "ann"),
            snap(6, "2023-12-31T10:00:00Z", "bob"),
            snap(7, "2023-11-30T10:00:00Z", "bob"),
        ];
        let policy = KeepPolicy {
            last: Some(1),
            daily: Some(2),
            weekly: None,
            monthly: Some(2),
        };
        let r = apply_policy(&s, &policy);
        // ann: last = 5; daily = 5 (01-03), 3 (01-02); monthly = 5 (January), 1 is not
        // the newest of January. bob (separate group): last = 6; daily = 6, 7;
        // monthly = 6 (December), 7 (November).
        assert_eq!(kept(&r), vec![3, 5, 6, 7]);
        assert_eq!(r[4].1, vec!["last", "daily", "monthly"]);
        assert_eq!(r[2].1, vec!["daily"]);
        assert_eq!(r[6].1, vec!["daily", "monthly"]);
        assert!(r[0].1.is_empty());
    }
}
