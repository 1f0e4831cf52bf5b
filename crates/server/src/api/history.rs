//! `/api/history`, `/api/calendars/deleted` and the restores: the signed-in user's own
//! calendars only.

use axum::http::StatusCode;
use dav::history::{
    self, pick_collection, rfc3339, Done, Prepared, Refused, RestoreRequest, RevertTo,
};
use dav::Caller;
use serde_json::{json, Value};

use super::{bad, get, store_error, ApiResult};
use store::{HistoryCollection, Store};

fn time(text: &str) -> Result<i64, (StatusCode, String)> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            bad(format!(
                "{text:?} is not an RFC 3339 time like 2026-11-21T13:50:00Z"
            ))
        })
}

async fn own_collections(
    store: &dyn Store,
    caller: &Caller,
) -> Result<Vec<HistoryCollection>, (StatusCode, String)> {
    store
        .history_collections(Some(caller.user.id))
        .await
        .map_err(store_error)
}

async fn own_calendar(
    store: &dyn Store,
    caller: &Caller,
    path: &str,
) -> Result<HistoryCollection, (StatusCode, String)> {
    let all = own_collections(store, caller).await?;
    pick_collection(&all, path.trim_matches('/')).ok_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            format!("you have no calendar {path:?}"),
        )
    })
}

pub(super) async fn list(store: &dyn Store, caller: &Caller, q: &[(String, String)]) -> ApiResult {
    let collections = match get(q, "calendar") {
        Some(path) => vec![own_calendar(store, caller, path).await?],
        None => own_collections(store, caller).await?,
    };
    let limit: usize = match get(q, "limit") {
        Some(l) => l.parse().map_err(|_| bad("limit is a number"))?,
        None => 1000,
    };
    let filter = history::Filter {
        object: get(q, "object").map(str::to_owned),
        since: get(q, "since").map(time).transpose()?,
        client: get(q, "client").map(str::to_owned),
        limit: Some(limit),
    };
    let all = history::list(store, &collections, &filter)
        .await
        .map_err(store_error)?;
    Ok(Value::Array(all.iter().map(|e| e.to_json()).collect()))
}

/// A version of one of the caller's own collections (404 for anyone else's: nothing leaks).
async fn own_version(
    store: &dyn Store,
    caller: &Caller,
    id: &str,
) -> Result<store::Version, (StatusCode, String)> {
    let id: i64 = id
        .parse()
        .map_err(|_| bad(format!("{id:?} is not a version number")))?;
    let missing = || (StatusCode::NOT_FOUND, format!("you have no version {id}"));
    let v = store
        .version(id)
        .await
        .map_err(store_error)?
        .ok_or_else(missing)?;
    let mine = own_collections(store, caller).await?;
    if !mine.iter().any(|c| c.collection.id == v.collection) {
        return Err(missing());
    }
    Ok(v)
}

pub(super) async fn show(store: &dyn Store, caller: &Caller, id: &str) -> ApiResult {
    let v = own_version(store, caller, id).await?;
    let shown = history::show(store, v).await.map_err(store_error)?;
    Ok(shown.to_json())
}

pub(super) async fn diff(store: &dyn Store, caller: &Caller, q: &[(String, String)]) -> ApiResult {
    let from = own_version(store, caller, get(q, "from").unwrap_or("")).await?;
    let to = own_version(store, caller, get(q, "to").unwrap_or("")).await?;
    if from.collection != to.collection || from.name != to.name {
        return Err(bad("the two versions are of different objects"));
    }
    let changes = history::diff_versions(from.data.as_deref(), to.data.as_deref());
    Ok(history::diff_json(&changes))
}

pub(super) async fn deleted(store: &dyn Store, caller: &Caller) -> ApiResult {
    let all = own_collections(store, caller).await?;
    Ok(Value::Array(
        all.iter()
            .filter(|c| c.deleted_at.is_some())
            .map(|c| {
                json!({"calendar": c.collection.path,
                "deleted_at": rfc3339(c.deleted_at.unwrap_or_default())})
            })
            .collect(),
    ))
}

pub(super) async fn restore(
    store: &dyn Store,
    caller: &Caller,
    quota: Option<u64>,
    what: &str,
    body: &Value,
) -> ApiResult {
    let calendar_path = body
        .get("calendar")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("give \"calendar\""))?;
    let calendar = own_calendar(store, caller, calendar_path).await?;
    let dry_run = body
        .get("dry_run")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let request = restore_request(what, body);
    let prepared = history::prepare(store, &calendar, request, quota)
        .await
        .map_err(|r| refused(what, r))?;
    let mut out = match &prepared {
        Prepared::Calendar { calendar, .. } => {
            json!({"calendar": calendar.collection.path, "restore_calendar": true})
        }
        Prepared::Objects(plan) => plan.to_json(),
    };
    if dry_run {
        out["dry_run"] = json!(true);
        return Ok(out);
    }
    let change = store::Change {
        author: caller.user.name.clone(),
        client: Some("calvault api".into()),
        address: caller.change.address.clone(),
        locks: caller.change.locks.clone(),
    };
    match history::carry_out(store, &prepared, &change, quota)
        .await
        .map_err(|r| refused(what, r))?
    {
        Done::Calendar(c) => Ok(json!({"calendar": c.path, "restore_calendar": true})),
        Done::Objects(applied) => {
            out["applied"] = json!({
                "done": applied.done,
                "failed": applied.failed.iter().map(|(n, r)| json!({"object": n, "reason": r})).collect::<Vec<_>>(),
            });
            out["dry_run"] = json!(false);
            Ok(out)
        }
    }
}

/// The body of `POST /api/{undelete,revert,rollback}` as a request.
fn restore_request(what: &str, body: &Value) -> Result<RestoreRequest, (StatusCode, String)> {
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    Ok(match what {
        "undelete" => match (text("object"), text("deleted_since")) {
            (Some(o), None) => RestoreRequest::Undelete {
                object: o.to_owned(),
            },
            (None, Some(s)) => RestoreRequest::UndeleteSince { since: time(s)? },
            (None, None) => RestoreRequest::Calendar,
            _ => return Err(bad("give \"object\" or \"deleted_since\"")),
        },
        "revert" => RestoreRequest::Revert {
            object: text("object")
                .ok_or_else(|| bad("give \"object\""))?
                .to_owned(),
            to: match body.get("to") {
                Some(Value::Number(n)) => RevertTo::Version(n.as_i64().unwrap_or(-1)),
                Some(Value::String(s)) => RevertTo::Time(time(s)?),
                _ => return Err(bad("give \"to\": a version number or a time")),
            },
        },
        _ => match (text("to"), text("client"), text("since")) {
            (Some(to), None, _) => RestoreRequest::Rollback { to: time(to)? },
            (None, Some(client), Some(since)) => RestoreRequest::RollbackClient {
                client: client.to_owned(),
                since: time(since)?,
            },
            _ => return Err(bad("give \"to\", or \"client\" with \"since\"")),
        },
    })
}

/// A refused restore as the API's status and message.
fn refused(what: &str, r: Refused<(StatusCode, String)>) -> (StatusCode, String) {
    match r {
        Refused::CalendarDeleted => (
            StatusCode::CONFLICT,
            "the calendar is deleted; undelete it first".into(),
        ),
        Refused::CalendarNotDeleted if what == "undelete" => {
            bad("give \"object\" or \"deleted_since\"")
        }
        Refused::CalendarNotDeleted => bad("the calendar is not deleted"),
        Refused::OverQuota { size, quota } => (
            StatusCode::INSUFFICIENT_STORAGE,
            format!("restoring it ({size} bytes) would take you past your quota of {quota} bytes"),
        ),
        Refused::PathTaken => (
            StatusCode::CONFLICT,
            "another calendar lives at that path now".into(),
        ),
        Refused::Invalid(e) => e,
        Refused::Plan(e) => (e.status, e.detail),
        Refused::Store(e) => store_error(e),
    }
}
