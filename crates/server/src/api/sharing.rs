//! `/api/shares`, `/api/delegates` and `/api/groups`: what the signed-in user shares, with
//! whom, and who shares with them. The operations are `crate::admin::sharing`'s, on the
//! user's own calendars only.

use axum::http::StatusCode;
use dav::Caller;
use serde_json::{json, Value};
use store::Store;

use super::{bad, store_error, ApiResult};
use crate::admin::sharing::{self, ShareList};
use crate::admin::AdminError;

/// A refused operation with the status its cause has.
fn refused(e: AdminError) -> (StatusCode, String) {
    if let AdminError::Store(inner) = e {
        return store_error(inner);
    }
    let status = match &e {
        AdminError::NoSuchUser(_)
        | AdminError::NoSuchGroup(_)
        | AdminError::NoSuchCalendar { .. }
        | AdminError::NoSuchShare(..) => StatusCode::NOT_FOUND,
        AdminError::Refused(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    (status, e.to_string())
}

fn text<'a>(body: &'a Value, key: &str) -> Result<&'a str, (StatusCode, String)> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("the body needs {key:?}")))
}

/// What the user shares (by calendar; `*` is every calendar), and what is shared with them.
pub(super) async fn list(store: &dyn Store, caller: &Caller) -> ApiResult {
    let ShareList { rows, .. } = sharing::share_list(store, &caller.user.name)
        .await
        .map_err(refused)?;
    let mine: Vec<Value> = rows
        .iter()
        .map(|(calendar, g)| {
            json!({
                "calendar": calendar,
                "with": sharing::grantee_text(g),
                "access": g.privilege.as_str(),
                "by": g.created_by,
                "at": g.created_at,
            })
        })
        .collect();
    let reached = store.reachable(caller.user.id).await.map_err(store_error)?;
    let theirs: Vec<Value> = reached
        .iter()
        .map(|r| {
            let calendar = if r.collection.is_home() {
                "*"
            } else {
                &r.collection.path
            };
            json!({
                "owner": r.owner_name,
                "calendar": calendar,
                "access": r.privilege.as_str(),
            })
        })
        .collect();
    Ok(json!({ "shared_by_me": mine, "shared_with_me": theirs }))
}

/// `{"calendar", "with": "USER" | "@GROUP", "access"}`.
pub(super) async fn share(
    store: &dyn Store,
    caller: &Caller,
    bind: bool,
    body: &Value,
) -> ApiResult {
    let calendar = text(body, "calendar")?;
    let with = text(body, "with")?;
    let access = sharing::privilege(text(body, "access")?).map_err(refused)?;
    let on = sharing::shared_of(store, caller.user.clone(), calendar)
        .await
        .map_err(refused)?;
    sharing::add_share(store, &on, with, access, bind, &caller.change)
        .await
        .map_err(refused)?;
    Ok(json!({ "calendar": calendar, "with": with, "access": access.as_str() }))
}

/// `DELETE /api/shares/{calendar}/{with}`.
pub(super) async fn unshare(store: &dyn Store, caller: &Caller, rest: &str) -> ApiResult {
    let (calendar, with) = rest
        .rsplit_once('/')
        .ok_or_else(|| bad("name the share as /api/shares/CALENDAR/USER (or @GROUP)"))?;
    let on = sharing::shared_of(store, caller.user.clone(), calendar)
        .await
        .map_err(refused)?;
    sharing::remove_share(store, &on, with, &caller.change)
        .await
        .map_err(refused)?;
    Ok(json!({ "calendar": calendar, "removed": with }))
}

pub(super) async fn delegates(store: &dyn Store, caller: &Caller) -> ApiResult {
    let list = sharing::delegate_list(store, &caller.user.name)
        .await
        .map_err(refused)?;
    let rows: Vec<Value> = list
        .grants
        .iter()
        .map(|g| json!({ "user": sharing::grantee_text(g), "write": g.privilege >= store::Privilege::ReadWrite }))
        .collect();
    Ok(json!({ "delegates": rows }))
}

/// `{"user", "write": bool}`: may read (and with write, change) every calendar.
pub(super) async fn delegate(store: &dyn Store, caller: &Caller, body: &Value) -> ApiResult {
    let user = text(body, "user")?;
    let write = body.get("write").and_then(Value::as_bool).unwrap_or(false);
    let home = sharing::shared_of(store, caller.user.clone(), "*")
        .await
        .map_err(refused)?;
    sharing::add_delegate(store, &home, user, write, &caller.change)
        .await
        .map_err(refused)?;
    Ok(json!({ "user": user, "write": write }))
}

pub(super) async fn undelegate(store: &dyn Store, caller: &Caller, user: &str) -> ApiResult {
    let home = sharing::shared_of(store, caller.user.clone(), "*")
        .await
        .map_err(refused)?;
    sharing::remove_share(store, &home, user, &caller.change)
        .await
        .map_err(refused)?;
    Ok(json!({ "removed": user }))
}

/// The groups the user is in: what they can share with by `@NAME`.
pub(super) async fn groups(store: &dyn Store, caller: &Caller) -> ApiResult {
    let groups = store.groups_of(caller.user.id).await.map_err(store_error)?;
    let rows: Vec<Value> = groups
        .iter()
        .map(|g| json!({ "name": g.name, "display_name": g.display_name }))
        .collect();
    Ok(json!({ "groups": rows }))
}
