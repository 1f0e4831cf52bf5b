//! `/api/tokens`: the signed-in user's app passwords.

use axum::http::StatusCode;
use dav::Caller;
use serde_json::{json, Value};
use store::{AppToken, Store, TokenScope};

use super::{bad, store_error, ApiResult};
use crate::tokens;

fn describe(t: &AppToken) -> Value {
    json!({
        "label": t.label,
        "scope": t.scope.as_str(),
        "created_at": t.created_at,
        "last_used_at": t.last_used_at,
    })
}

pub(super) async fn list(store: &dyn Store, caller: &Caller) -> ApiResult {
    let all = store.tokens(caller.user.id).await.map_err(store_error)?;
    Ok(json!({ "tokens": all.iter().map(describe).collect::<Vec<_>>() }))
}

/// The secret is in this answer and nowhere else: the store keeps only its hash.
pub(super) async fn create(store: &dyn Store, caller: &Caller, body: &Value) -> ApiResult {
    let label = body
        .get("label")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("give the new app password a \"label\" (the device it is for)"))?;
    let scope = match body.get("scope").and_then(Value::as_str) {
        None => TokenScope::All,
        Some(s) => TokenScope::parse(s)
            .ok_or_else(|| bad(format!("scope must be \"all\" or \"read-only\", not {s:?}")))?,
    };
    let issued = tokens::issue(caller.user.id, label, scope).map_err(bad)?;
    let made = store.create_token(issued.new).await.map_err(|e| match e {
        store::StoreError::AlreadyExists => (
            StatusCode::CONFLICT,
            format!("you already have an app password labelled {label:?}"),
        ),
        other => store_error(other),
    })?;
    let mut answer = describe(&made);
    answer["token"] = json!(issued.secret.to_string());
    Ok(answer)
}

pub(super) async fn revoke(store: &dyn Store, caller: &Caller, label: &str) -> ApiResult {
    store
        .revoke_token(caller.user.id, label)
        .await
        .map_err(|e| match e {
            store::StoreError::NotFound => (
                StatusCode::NOT_FOUND,
                format!("you have no app password labelled {label:?}"),
            ),
            other => store_error(other),
        })?;
    Ok(json!({ "revoked": label }))
}
