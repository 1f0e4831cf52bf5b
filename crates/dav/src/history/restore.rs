//! Putting things back: plans computed from a collection's history, then applied as new,
//! conditional writes (each guarded by the ETag the plan saw, so a client's concurrent edit
//! is never overwritten blindly).

use bytes::Bytes;
use store::{Change, Collection, CollectionKind, Expect, PutObject, Store, StoreError, Version};

use super::timeline::item_rows;
use crate::error::DavError;

/// One write of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Write a version's data as the object's content.
    Put {
        name: String,
        from_version: i64,
        data: Vec<u8>,
        /// The ETag the object has now (None: it does not exist).
        current_etag: Option<String>,
    },
    Delete {
        name: String,
        current_etag: String,
    },
}

impl Action {
    /// What it does, as a plan words it: `restore` an object that exists, `recreate` one
    /// that does not, `delete`.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Put {
                current_etag: Some(_),
                ..
            } => "restore",
            Action::Put { .. } => "recreate",
            Action::Delete { .. } => "delete",
        }
    }
}

impl Action {
    pub fn name(&self) -> &str {
        match self {
            Action::Put { name, .. } | Action::Delete { name, .. } => name,
        }
    }
}

/// An item a plan leaves alone, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// What a restore would do to one collection.
#[derive(Clone, Debug)]
pub struct Plan {
    pub collection: Collection,
    pub actions: Vec<Action>,
    pub skipped: Vec<Skipped>,
}

/// The state of one object at some point: its version, or absent.
enum State<'a> {
    Absent,
    Present(&'a Version),
}

fn state_of<'a>(row: Option<&&'a Version>) -> State<'a> {
    match row {
        Some(v) if v.kind == store::VersionKind::Put => State::Present(v),
        _ => State::Absent,
    }
}

/// The action that takes `name` from `now` to `target`, or why it cannot.
fn step(name: &str, target: State<'_>, now: State<'_>) -> Result<Option<Action>, Skipped> {
    match (target, now) {
        (State::Absent, State::Absent) => Ok(None),
        (State::Absent, State::Present(cur)) => Ok(Some(Action::Delete {
            name: name.to_owned(),
            current_etag: cur.etag.clone().unwrap_or_default(),
        })),
        (State::Present(want), now) => {
            let current_etag = match now {
                State::Present(cur) if cur.etag == want.etag => return Ok(None),
                State::Present(cur) => cur.etag.clone(),
                State::Absent => None,
            };
            let data = want.data.clone().ok_or_else(|| Skipped {
                name: name.to_owned(),
                reason: format!(
                    "version {} has no data left (dropped by history retention)",
                    want.id
                ),
            })?;
            Ok(Some(Action::Put {
                name: name.to_owned(),
                from_version: want.id,
                data,
                current_etag,
            }))
        }
    }
}

fn collect(collection: &Collection, steps: Vec<Result<Option<Action>, Skipped>>) -> Plan {
    let mut plan = Plan {
        collection: collection.clone(),
        actions: Vec::new(),
        skipped: Vec::new(),
    };
    for s in steps {
        match s {
            Ok(Some(a)) => plan.actions.push(a),
            Ok(None) => {}
            Err(skip) => plan.skipped.push(skip),
        }
    }
    // Deletions first: a restored object may take back a UID another one holds now.
    plan.actions
        .sort_by_key(|a| (matches!(a, Action::Put { .. }), a.name().to_owned()));
    plan
}

/// The whole collection as it was at `to` (ms).
pub fn plan_rollback(collection: &Collection, versions: &[Version], to: i64) -> Plan {
    let steps = item_rows(versions)
        .into_iter()
        .map(|(name, rows)| {
            let target = state_of(rows.iter().rfind(|v| v.at <= to));
            step(&name, target, state_of(rows.last()))
        })
        .collect();
    collect(collection, steps)
}

/// Undoes what clients whose User-Agent contains `client` (any case) did since `since`
/// (ms): each object they changed goes back to its state before their first change. An
/// object someone else changed afterwards is left alone and reported.
pub fn plan_rollback_client(
    collection: &Collection,
    versions: &[Version],
    client: &str,
    since: i64,
) -> Plan {
    let needle = client.to_lowercase();
    let by_client = |v: &Version| {
        v.change
            .client
            .as_deref()
            .is_some_and(|c| c.to_lowercase().contains(&needle))
    };
    let steps = item_rows(versions)
        .into_iter()
        .filter_map(|(name, rows)| {
            let first = rows.iter().position(|v| v.at >= since && by_client(v))?;
            let last = rows.last()?;
            if let Some(other) = rows[first..].iter().find(|v| !by_client(v)) {
                return Some(Err(Skipped {
                    name,
                    reason: format!(
                        "changed afterwards by {} ({}), version {}",
                        other.change.author,
                        other.change.client.as_deref().unwrap_or("unknown client"),
                        other.id
                    ),
                }));
            }
            let before = first.checked_sub(1).and_then(|i| rows.get(i));
            Some(step(&name, state_of(before), state_of(Some(last))))
        })
        .collect();
    collect(collection, steps)
}

/// Brings back one deleted object as it was before its deletion.
pub fn plan_undelete(
    collection: &Collection,
    versions: &[Version],
    name: &str,
) -> Result<Plan, DavError> {
    let rows = item_rows(versions);
    let rows = rows.get(name).ok_or_else(|| {
        DavError::new(
            http::StatusCode::NOT_FOUND,
            format!("{name:?} has no history in this calendar"),
        )
    })?;
    let last = rows.last().ok_or_else(DavError::not_found)?;
    if last.kind != store::VersionKind::Delete {
        return Err(DavError::conflict(format!(
            "{name:?} is not deleted (its latest version {} is a {})",
            last.id,
            last.kind.as_str()
        )));
    }
    let target = rows
        .iter()
        .rev()
        .find(|v| v.kind == store::VersionKind::Put);
    let steps = vec![step(name, state_of(target), State::Absent)];
    Ok(collect(collection, steps))
}

/// Brings back every object deleted at or after `since` (ms) and still deleted.
pub fn plan_undelete_since(collection: &Collection, versions: &[Version], since: i64) -> Plan {
    let steps = item_rows(versions)
        .into_iter()
        .filter_map(|(name, rows)| {
            let last = rows.last()?;
            if last.kind != store::VersionKind::Delete || last.at < since {
                return None;
            }
            let target = rows
                .iter()
                .rev()
                .find(|v| v.kind == store::VersionKind::Put);
            Some(step(&name, state_of(target), State::Absent))
        })
        .collect();
    collect(collection, steps)
}

/// Where a revert goes: a version of the object, or its state at a time (ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevertTo {
    Version(i64),
    Time(i64),
}

/// One object back to a version or a point in time.
pub fn plan_revert(
    collection: &Collection,
    versions: &[Version],
    name: &str,
    to: RevertTo,
) -> Result<Plan, DavError> {
    let rows = item_rows(versions);
    let rows = rows.get(name).ok_or_else(|| {
        DavError::new(
            http::StatusCode::NOT_FOUND,
            format!("{name:?} has no history in this calendar"),
        )
    })?;
    let target = match to {
        RevertTo::Version(id) => {
            let found = rows.iter().find(|v| v.id == id).ok_or_else(|| {
                DavError::new(
                    http::StatusCode::NOT_FOUND,
                    format!("version {id} is not a version of {name:?}"),
                )
            })?;
            state_of(Some(found))
        }
        RevertTo::Time(t) => state_of(rows.iter().rfind(|v| v.at <= t)),
    };
    let steps = vec![step(name, target, state_of(rows.last()))];
    Ok(collect(collection, steps))
}

/// What applying a plan did.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    pub done: Vec<String>,
    pub failed: Vec<(String, String)>,
}

/// Applies a plan as new writes recorded with `change`. Each write is conditional on the
/// state the plan saw; one that fails (someone changed the object meanwhile, a UID now held
/// by another object) is reported and the rest go on.
pub async fn apply(store: &dyn Store, plan: &Plan, change: &Change, quota: Option<u64>) -> Applied {
    let mut out = Applied::default();
    for action in &plan.actions {
        let result = match action {
            Action::Delete { name, current_etag } => store
                .delete_object(
                    plan.collection.id,
                    name,
                    Expect::Etag(current_etag.clone()),
                    change,
                )
                .await
                .map_err(|e| explain(&e)),
            Action::Put {
                name,
                data,
                current_etag,
                ..
            } => {
                let put = PutBack {
                    name,
                    data,
                    current_etag,
                    quota,
                };
                put_back(store, &plan.collection, put, change).await
            }
        };
        match result {
            Ok(()) => out.done.push(action.name().to_owned()),
            Err(reason) => out.failed.push((action.name().to_owned(), reason)),
        }
    }
    out
}

/// One object to write back.
struct PutBack<'a> {
    name: &'a str,
    data: &'a [u8],
    current_etag: &'a Option<String>,
    /// The owner's quota when a user restores for themselves; None for the administrator.
    quota: Option<u64>,
}

async fn put_back(
    store: &dyn Store,
    collection: &Collection,
    put: PutBack<'_>,
    change: &Change,
) -> Result<(), String> {
    let PutBack {
        name,
        data,
        current_etag,
        quota,
    } = put;
    let checked = if collection.kind == CollectionKind::Calendar {
        // The data was accepted once; only today's date limits are not held against it.
        let open = ical::ValidationLimits {
            min_date_time: i64::MIN,
            max_date_time: i64::MAX,
        };
        crate::method::put::index_calendar_data(collection, data, &open)
            .map_err(|e| e.detail.clone())?
    } else {
        crate::method::put::CheckedObject {
            content_type: "application/octet-stream".into(),
            index: Default::default(),
            instances: None,
        }
    };
    let expect = match current_etag {
        Some(etag) => Expect::Etag(etag.clone()),
        None => Expect::Absent,
    };
    store
        .put_object(
            PutObject {
                collection: collection.id,
                name: name.to_owned(),
                data: Bytes::copy_from_slice(data),
                content_type: checked.content_type,
                index: checked.index,
                instances: checked.instances,
                expect,
                quota,
                merge: None,
                mail: Vec::new(),
            },
            change,
        )
        .await
        .map(|_| ())
        .map_err(|e| explain(&e))
}

fn explain(e: &StoreError) -> String {
    match e {
        StoreError::PreconditionFailed => {
            "it changed since the plan was made; run the command again".into()
        }
        StoreError::QuotaExceeded { quota, .. } => {
            format!("it would take the account past its quota of {quota} bytes")
        }
        StoreError::UidConflict { uid, existing_name } => {
            format!("its UID {uid:?} is now held by {existing_name:?}")
        }
        other => other.to_string(),
    }
}
