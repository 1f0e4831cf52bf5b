//! One restore from the history, as the CLI and `/api/` ask for it: the rules that decide
//! what it may do (a deleted calendar comes back whole before anything in it; a user's
//! restore of a calendar counts against their quota), the plan, and carrying it out.
//! Both front ends parse their own input into a [`RestoreRequest`] and word the
//! [`Refused`] reasons for their users; the decisions are made here, once.

use store::{Change, Collection, HistoryCollection, Store, StoreError};

use super::restore::{
    apply, plan_revert, plan_rollback, plan_rollback_client, plan_undelete, plan_undelete_since,
    Applied, Plan, RevertTo,
};
use crate::error::DavError;

/// What to put back in one calendar. Times are milliseconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreRequest {
    /// The deleted calendar itself, with its objects and history.
    Calendar,
    /// One deleted object, as it was before its deletion.
    Undelete { object: String },
    /// Every object deleted at or after `since` and still deleted.
    UndeleteSince { since: i64 },
    /// One object back to a version or a point in time.
    Revert { object: String, to: RevertTo },
    /// The whole calendar as it was at `to`.
    Rollback { to: i64 },
    /// Undo what clients whose User-Agent contains `client` did since `since`.
    RollbackClient { client: String, since: i64 },
}

/// A restore ready to be carried out (and shown first).
#[derive(Clone, Debug)]
pub enum Prepared {
    /// Bring the deleted calendar back.
    Calendar {
        calendar: HistoryCollection,
        objects: usize,
        bytes: u64,
    },
    /// Writes to the objects of a live calendar.
    Objects(Plan),
}

impl Prepared {
    /// True when carrying it out would write nothing: every object already matches.
    pub fn changes_nothing(&self) -> bool {
        match self {
            Prepared::Calendar { .. } => false,
            Prepared::Objects(plan) => plan.actions.is_empty(),
        }
    }
}

/// What carrying a restore out did.
#[derive(Clone, Debug)]
pub enum Done {
    /// The calendar is back (at this path).
    Calendar(Collection),
    Objects(Applied),
}

/// Why a restore cannot be done. `E` is the front end's own reason its input could not
/// become a request; it is reported only after the calendar's state, which comes first.
#[derive(Debug)]
pub enum Refused<E> {
    /// The calendar is deleted, and the request is about what is in it.
    CalendarDeleted,
    /// The whole calendar was asked for, but it is not deleted.
    CalendarNotDeleted,
    /// Bringing the calendar back would take its owner past their quota.
    OverQuota {
        size: u64,
        quota: u64,
    },
    /// Another calendar lives at the deleted one's path now.
    PathTaken,
    /// The front end's input did not make a request.
    Invalid(E),
    /// The history does not allow it (no such object, not deleted, no such version).
    Plan(DavError),
    Store(StoreError),
}

impl<E> From<StoreError> for Refused<E> {
    fn from(e: StoreError) -> Self {
        Refused::Store(e)
    }
}

/// Checks the request against the calendar and plans it. `quota` is the owner's when a
/// user restores for themselves, None for the administrator.
pub async fn prepare<E>(
    store: &dyn Store,
    calendar: &HistoryCollection,
    request: Result<RestoreRequest, E>,
    quota: Option<u64>,
) -> Result<Prepared, Refused<E>> {
    if calendar.deleted_at.is_some() {
        return match request {
            Ok(RestoreRequest::Calendar) => prepare_calendar(store, calendar, quota).await,
            _ => Err(Refused::CalendarDeleted),
        };
    }
    let request = request.map_err(Refused::Invalid)?;
    let versions = store.versions(calendar.collection.id).await?;
    let c = &calendar.collection;
    let plan = match request {
        RestoreRequest::Calendar => return Err(Refused::CalendarNotDeleted),
        RestoreRequest::Undelete { object } => {
            plan_undelete(c, &versions, &object).map_err(Refused::Plan)?
        }
        RestoreRequest::UndeleteSince { since } => plan_undelete_since(c, &versions, since),
        RestoreRequest::Revert { object, to } => {
            plan_revert(c, &versions, &object, to).map_err(Refused::Plan)?
        }
        RestoreRequest::Rollback { to } => plan_rollback(c, &versions, to),
        RestoreRequest::RollbackClient { client, since } => {
            plan_rollback_client(c, &versions, &client, since)
        }
    };
    Ok(Prepared::Objects(plan))
}

/// A deleted calendar comes back with everything it held, which must fit the quota.
async fn prepare_calendar<E>(
    store: &dyn Store,
    calendar: &HistoryCollection,
    quota: Option<u64>,
) -> Result<Prepared, Refused<E>> {
    let objects = store.objects(calendar.collection.id).await?;
    let bytes: u64 = objects.iter().map(|o| o.size).sum();
    if let Some(quota) = quota {
        let used = store.usage_bytes(calendar.collection.owner).await?;
        if used.saturating_add(bytes) > quota {
            return Err(Refused::OverQuota { size: bytes, quota });
        }
    }
    Ok(Prepared::Calendar {
        calendar: calendar.clone(),
        objects: objects.len(),
        bytes,
    })
}

/// Carries out a prepared restore as new writes recorded with `change`.
pub async fn carry_out<E>(
    store: &dyn Store,
    prepared: &Prepared,
    change: &Change,
    quota: Option<u64>,
) -> Result<Done, Refused<E>> {
    match prepared {
        Prepared::Calendar { calendar, .. } => {
            match store
                .restore_collection(calendar.collection.id, change)
                .await
            {
                Ok(c) => Ok(Done::Calendar(c)),
                Err(StoreError::AlreadyExists) => Err(Refused::PathTaken),
                Err(e) => Err(Refused::Store(e)),
            }
        }
        Prepared::Objects(plan) => Ok(Done::Objects(apply(store, plan, change, quota).await)),
    }
}
