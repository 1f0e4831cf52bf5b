//! What the administrator's history commands name: `USER[/CALENDAR[/OBJECT]]`, and times
//! as RFC 3339.

use dav::history::pick_collection;
use store::{HistoryCollection, Store, User};

use super::AdminError;

/// A resolved `USER[/CALENDAR[/OBJECT]]`.
#[derive(Clone, Debug)]
pub struct Target {
    pub user: User,
    pub calendar: Option<HistoryCollection>,
    pub object: Option<String>,
}

/// Resolves the text against the store. A calendar may be deleted (then the most recently
/// deleted one of that path is meant, unless a live one holds it); the last segment is an
/// object name when the rest names a calendar and the whole does not.
pub async fn resolve(store: &dyn Store, text: &str) -> Result<Target, AdminError> {
    let text = text.trim_matches('/');
    let (user_name, rest) = text.split_once('/').unwrap_or((text, ""));
    let user = store
        .account_by_name(user_name)
        .await?
        .ok_or_else(|| AdminError::NoSuchUser(user_name.to_owned()))?;
    let target = |calendar, object| Target {
        user: user.clone(),
        calendar,
        object,
    };
    if rest.is_empty() {
        return Ok(target(None, None));
    }
    let collections = store.history_collections(Some(user.id)).await?;
    let find = |path: &str| pick_collection(&collections, path);
    if let Some(calendar) = find(rest) {
        return Ok(target(Some(calendar), None));
    }
    if let Some((path, object)) = rest.rsplit_once('/') {
        if let Some(calendar) = find(path) {
            return Ok(target(Some(calendar), Some(object.to_owned())));
        }
    }
    let known: Vec<&str> = collections
        .iter()
        // The scheduling inbox and outbox are no calendars to name here.
        .filter(|c| !c.collection.path.is_empty() && !c.collection.is_scheduling())
        .map(|c| c.collection.path.as_str())
        .collect();
    Err(AdminError::NoSuchCalendar {
        user: user_name.to_owned(),
        calendar: rest.to_owned(),
        known: known.join(", "),
    })
}

/// `2026-11-21T13:50:00Z` (any RFC 3339 offset) as milliseconds since the epoch.
pub fn parse_time(text: &str) -> Result<i64, AdminError> {
    match chrono::DateTime::parse_from_rfc3339(text.trim()) {
        Ok(t) => Ok(t.timestamp_millis()),
        Err(e) => Err(AdminError::NotATime {
            text: text.to_owned(),
            reason: e.to_string(),
        }),
    }
}

impl Target {
    /// The calendar, for a command that needs one.
    pub fn calendar(&self, command: &'static str) -> Result<&HistoryCollection, AdminError> {
        self.calendar
            .as_ref()
            .ok_or(AdminError::NeedsCalendar(command))
    }

    /// The object, for a command that needs one.
    pub fn object(&self, command: &'static str) -> Result<&str, AdminError> {
        self.object
            .as_deref()
            .ok_or(AdminError::NeedsObject(command))
    }

    /// The calendars whose history it covers: the one it names, else all of the user's.
    pub async fn collections(&self, store: &dyn Store) -> store::Result<Vec<HistoryCollection>> {
        match &self.calendar {
            Some(c) => Ok(vec![c.clone()]),
            None => store.history_collections(Some(self.user.id)).await,
        }
    }
}
