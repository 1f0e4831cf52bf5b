//! What `calvault history` looks up: the changes a target names, one version, the diff
//! of two, deleted calendars, and the administrator's retention run.

use std::fmt;

use dav::history::{self, diff_versions, rfc3339, Deleted, EntryView, Filter, VersionDiff};
use store::{Store, Version};

use super::{change, parse_time, resolve, AdminError};

/// The changes to `target` (`USER[/CALENDAR[/OBJECT]]`) at or after `since` (RFC 3339),
/// by clients whose User-Agent contains `client`, newest first, at most `limit`.
pub async fn changes(
    store: &dyn Store,
    target: &str,
    since: Option<&str>,
    client: Option<String>,
    limit: Option<usize>,
) -> Result<Vec<EntryView>, AdminError> {
    let target = resolve(store, target).await?;
    let collections = target.collections(store).await?;
    let filter = Filter {
        object: target.object,
        since: since.map(parse_time).transpose()?,
        client,
        limit,
    };
    Ok(history::list(store, &collections, &filter).await?)
}

/// A version by its number.
pub async fn version(store: &dyn Store, id: i64) -> Result<Version, AdminError> {
    store
        .version(id)
        .await?
        .ok_or(AdminError::NoSuchVersion(id))
}

/// What changed between two versions of one object, property by property.
pub async fn diff(store: &dyn Store, older: i64, newer: i64) -> Result<VersionDiff, AdminError> {
    let a = version(store, older).await?;
    let b = version(store, newer).await?;
    if a.collection != b.collection || a.name != b.name {
        return Err(AdminError::DifferentObjects {
            older,
            older_name: a.name,
            newer,
            newer_name: b.name,
        });
    }
    let changes = diff_versions(a.data.as_deref(), b.data.as_deref());
    Ok(VersionDiff {
        older,
        newer,
        changes,
    })
}

/// The deleted calendars of the user `user` names (as `USER`, or any target of theirs).
pub async fn deleted(store: &dyn Store, user: &str) -> Result<Deleted, AdminError> {
    let target = resolve(store, user).await?;
    let calendars = history::deleted_calendars(store, target.user.id).await?;
    Ok(Deleted {
        user: user.to_owned(),
        calendars,
    })
}

/// What `history prune` dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pruned {
    /// Superseded versions whose data is gone now.
    pub versions: u64,
    /// The time they were older than (ms).
    pub before: i64,
}

/// Drops the data of versions older than `older_than` (RFC 3339) that later versions
/// replaced, recorded as the administrator's `history prune`.
pub async fn prune(store: &dyn Store, older_than: &str) -> Result<Pruned, AdminError> {
    let before = parse_time(older_than)?;
    let versions = store
        .prune_history(before, &change("history prune"))
        .await?;
    Ok(Pruned { versions, before })
}

impl fmt::Display for Pruned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Dropped the data of {} superseded versions older than {}; the chains still verify.",
            self.versions,
            rfc3339(self.before)
        )
    }
}
