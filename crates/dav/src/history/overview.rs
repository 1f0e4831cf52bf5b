//! The history calendar by calendar: whether every hash chain verifies, which calendars
//! are deleted (and could come back), and how big each calendar's history is.

use std::collections::HashMap;

use serde_json::{json, Value};
use store::verify::Problem;
use store::{HistoryCollection, PrincipalId, Store};

/// A calendar whose history or served objects do not verify, and what is wrong.
#[derive(Clone, Debug)]
pub struct BrokenChain {
    pub calendar: HistoryCollection,
    pub problem: Problem,
}

/// Every calendar's hash chain recomputed, and every served object checked against it.
#[derive(Clone, Debug, Default)]
pub struct ChainCheck {
    /// Calendars checked (live and deleted).
    pub calendars: usize,
    /// Versions that matched, in the chains that verify.
    pub versions: usize,
    /// Objects checked against their ETag and history.
    pub objects: usize,
    pub broken: Vec<BrokenChain>,
}

impl ChainCheck {
    pub fn is_intact(&self) -> bool {
        self.broken.is_empty()
    }
}

/// The whole store against its history (`calvault history verify`, the proof of a `store
/// copy`): `store::verify::check`, for the views.
pub async fn check_chains(store: &dyn Store) -> store::Result<ChainCheck> {
    let report = store::verify::check(store).await?;
    Ok(ChainCheck {
        calendars: report.collections,
        versions: report.versions,
        objects: report.objects,
        broken: report
            .problems
            .into_iter()
            .map(|(calendar, problem)| BrokenChain { calendar, problem })
            .collect(),
    })
}

/// A deleted calendar, with the objects it would come back with.
#[derive(Clone, Debug)]
pub struct DeletedCalendar {
    pub calendar: HistoryCollection,
    pub objects: usize,
}

/// A user's deleted calendars.
#[derive(Clone, Debug)]
pub struct Deleted {
    /// The user, as the request named them.
    pub user: String,
    pub calendars: Vec<DeletedCalendar>,
}

/// The user's deleted calendars, as the store lists them.
pub async fn deleted_calendars(
    store: &dyn Store,
    owner: PrincipalId,
) -> store::Result<Vec<DeletedCalendar>> {
    let mut out = Vec::new();
    for calendar in store.history_collections(Some(owner)).await? {
        if calendar.deleted_at.is_some() {
            let objects = store.objects(calendar.collection.id).await?.len();
            out.push(DeletedCalendar { calendar, objects });
        }
    }
    Ok(out)
}

/// The size of one calendar's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarStats {
    /// `ann/work`, `ann/old (deleted)`, or `?` for a collection the history no longer names.
    pub calendar: String,
    pub versions: u64,
    /// Versions whose data retention dropped.
    pub pruned: u64,
    pub data_bytes: u64,
}

impl CalendarStats {
    pub fn to_json(&self) -> Value {
        json!({"calendar": self.calendar, "versions": self.versions,
            "pruned": self.pruned, "data_bytes": self.data_bytes})
    }
}

/// The history's size, per calendar, in the store's order.
pub async fn stats(store: &dyn Store) -> store::Result<Vec<CalendarStats>> {
    let names: HashMap<_, _> = store
        .history_collections(None)
        .await?
        .into_iter()
        .map(|c| (c.collection.id, calendar_name(&c)))
        .collect();
    Ok(store
        .history_stats()
        .await?
        .into_iter()
        .map(|s| CalendarStats {
            calendar: names
                .get(&s.collection)
                .cloned()
                .unwrap_or_else(|| "?".into()),
            versions: s.versions,
            pruned: s.pruned,
            data_bytes: s.data_bytes,
        })
        .collect())
}

/// `ann/work`, with ` (deleted)` when it is.
fn calendar_name(c: &HistoryCollection) -> String {
    let deleted = if c.deleted_at.is_some() {
        " (deleted)"
    } else {
        ""
    };
    format!("{}/{}{deleted}", c.owner_name, c.collection.path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use store::conformance::{new_user, put};
    use store::{Change, Expect};

    use super::*;

    const EVENT: &str =
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[tokio::test]
    async fn deleted_calendars_stats_and_chains_cover_every_calendar() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_sqlite::open(&dir.path().join("db")).unwrap();
        let store: &dyn Store = &store;
        let ann = store.create_user(new_user("ann")).await.unwrap();
        let change = Change {
            author: "ann".into(),
            client: None,
            address: None,
            locks: None,
        };
        let calendar = store.collection(ann.id, "calendar").await.unwrap().unwrap();
        let write = put(calendar.id, "a.ics", EVENT, "u", Expect::Absent);
        store.put_object(write, &change).await.unwrap();
        assert!(deleted_calendars(store, ann.id).await.unwrap().is_empty());

        store
            .delete_collection(ann.id, "calendar", &change)
            .await
            .unwrap();
        let gone = deleted_calendars(store, ann.id).await.unwrap();
        assert_eq!(gone.len(), 1);
        assert_eq!(
            (gone[0].calendar.collection.id, gone[0].objects),
            (calendar.id, 1)
        );

        let sizes = stats(store).await.unwrap();
        let of_calendar = sizes
            .iter()
            .find(|s| s.calendar == "ann/calendar (deleted)")
            .unwrap();
        // Its creation, the event, its deletion; the collection's own data counts too.
        assert!(of_calendar.versions >= 3, "{of_calendar:?}");
        assert!(
            of_calendar.data_bytes > EVENT.len() as u64,
            "{of_calendar:?}"
        );
        assert_eq!(of_calendar.to_json()["calendar"], "ann/calendar (deleted)");

        let check = check_chains(store).await.unwrap();
        assert!(check.is_intact());
        assert_eq!(check.calendars, sizes.len());
        assert!(check.versions >= 3, "{check:?}");
    }
}
