//! What history commands name: `USER[/CALENDAR[/OBJECT]]`, and times as RFC 3339.

use anyhow::{bail, Context};
use store::{HistoryCollection, Store, User};

/// A resolved `USER[/CALENDAR[/OBJECT]]`.
pub struct Target {
    pub user: User,
    pub calendar: Option<HistoryCollection>,
    pub object: Option<String>,
}

/// Resolves the text against the store. A calendar may be deleted (then the most recently
/// deleted one of that path is meant, unless a live one holds it); the last segment is an
/// object name when the rest names a calendar and the whole does not.
pub async fn resolve(store: &dyn Store, text: &str) -> anyhow::Result<Target> {
    let text = text.trim_matches('/');
    let (user_name, rest) = text.split_once('/').unwrap_or((text, ""));
    let user = store
        .user_by_name(user_name)
        .await?
        .with_context(|| format!("there is no user {user_name:?} (see `calvault user list`)"))?;
    if rest.is_empty() {
        return Ok(Target {
            user,
            calendar: None,
            object: None,
        });
    }
    let collections = store.history_collections(Some(user.id)).await?;
    let find = |path: &str| dav::history::pick_collection(&collections, path);
    if let Some(calendar) = find(rest) {
        return Ok(Target {
            user,
            calendar: Some(calendar),
            object: None,
        });
    }
    if let Some((path, object)) = rest.rsplit_once('/') {
        if let Some(calendar) = find(path) {
            return Ok(Target {
                user,
                calendar: Some(calendar),
                object: Some(object.to_owned()),
            });
        }
    }
    let known: Vec<&str> = collections
        .iter()
        .filter(|c| !c.collection.path.is_empty())
        .map(|c| c.collection.path.as_str())
        .collect();
    bail!(
        "user {user_name:?} has no calendar {rest:?}; their calendars are: {}",
        known.join(", ")
    )
}

/// `2026-11-21T13:50:00Z` (any RFC 3339 offset) as milliseconds since the epoch.
pub fn parse_time(text: &str) -> anyhow::Result<i64> {
    match chrono::DateTime::parse_from_rfc3339(text.trim()) {
        Ok(t) => Ok(t.timestamp_millis()),
        Err(e) => bail!("{text:?} is not an RFC 3339 time like 2026-11-21T13:50:00Z ({e})"),
    }
}

impl Target {
    pub fn calendar(&self, what: &str) -> anyhow::Result<&HistoryCollection> {
        self.calendar
            .as_ref()
            .with_context(|| format!("{what} needs USER/CALENDAR, not just a user"))
    }

    pub fn object(&self, what: &str) -> anyhow::Result<&str> {
        self.object
            .as_deref()
            .with_context(|| format!("{what} needs USER/CALENDAR/OBJECT"))
    }
}
