//! The JSON API under `/api/`, for signed-in users: Basic credentials (scripts), or the web
//! interface's session cookie together with its CSRF token in `X-CSRF-Token` (`server::app`
//! decides which, `server::session` checks the pair). Each
//! endpoint answers JSON; errors are `{"error": "..."}` with the status a store failure has
//! in DAV too (`dav::DavError`'s one mapping).
//!
//! History and restores of the user's own calendars ([`history`]): every restore is a new,
//! recorded write (author: the user, client: "calvault api"), exactly like the CLI's.
//! - `GET  /api/history?calendar=&object=&since=&client=&limit=`  changes, newest first
//! - `GET  /api/history/{version}`                                 one version with its data
//! - `GET  /api/history/diff?from=&to=`                            property-level diff
//! - `GET  /api/calendars/deleted`                                 deleted calendars
//! - `POST /api/undelete  {"calendar", "object"?, "deleted_since"?, "dry_run"?}`
//! - `POST /api/revert    {"calendar", "object", "to", "dry_run"?}` (to: version or time)
//! - `POST /api/rollback  {"calendar", "to"? | "client"+"since", "dry_run"?}`
//!
//! For administrators: `GET /api/admin/verification`, the background check's last result.
//!
//! Calendars of the user ([`calendars`]), the import and export the web interface uses:
//! - `GET  /api/calendars`                                     slug, name, colour, sizes
//! - `POST /api/calendars {"slug", "name"?, "color"?, "components"?}`  a new calendar
//! - `POST /api/calendars/{slug}/import?on_conflict=skip|replace|fail`  body: an .ics file;
//!   answers `{"calendar", "created_calendar", "created", "replaced", "skipped", "failed"}`
//! - `GET  /api/calendars/{slug}/export`                       the calendar as one .ics file
//!
//! App passwords of the user ([`tokens`]):
//! - `GET    /api/tokens`                            label, scope, created, last used
//! - `POST   /api/tokens  {"label", "scope"?}`       a new one; its secret is in this answer only
//! - `DELETE /api/tokens/{label}`                    revoked at once, on every node
//!
//! Sharing of the user's own calendars ([`sharing`], docs/sharing.md):
//! - `GET    /api/shares`                        shared by me (per calendar), shared with me
//! - `POST   /api/shares  {"calendar", "with", "access"}`  calendar `*`: every calendar;
//!   with `USER` or `@GROUP`; access read-free-busy | read | read-write | admin
//! - `DELETE /api/shares/{calendar}/{with}`
//! - `GET    /api/delegates`, `POST /api/delegates {"user", "write"?}`,
//!   `DELETE /api/delegates/{user}`: who may read (or write) every calendar
//! - `GET    /api/groups`                        the groups the user is in

mod calendars;
mod history;
mod sharing;
mod tokens;

use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use bytes::Bytes;
use dav::Caller;
use serde_json::{json, Value};

type ApiResult = Result<Value, (StatusCode, String)>;

pub async fn handle(
    app: &crate::app::AppState,
    req: &Request<Bytes>,
    caller: &Caller,
) -> Response<Bytes> {
    let engine = &app.engine;
    let store = engine.store().as_ref();
    let quota = engine.quota_for(&caller.user);
    let path = req.uri().path().trim_end_matches('/');
    let query = query_pairs(req.uri().query().unwrap_or(""));
    let calendar_action = path
        .strip_prefix("/api/calendars/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(slug, action)| (decode(slug), action));
    if let (&Method::GET, Some((slug, "export"))) = (req.method(), &calendar_action) {
        return calendars::export(engine, caller, slug).await;
    }
    let result = match (req.method(), path) {
        (&Method::GET, "/api/history") => history::list(store, caller, &query).await,
        (&Method::GET, "/api/history/diff") => history::diff(store, caller, &query).await,
        (&Method::GET, "/api/calendars/deleted") => history::deleted(store, caller).await,
        (&Method::GET, p) if p.starts_with("/api/history/") => {
            history::show(store, caller, &p["/api/history/".len()..]).await
        }
        (&Method::POST, "/api/undelete" | "/api/revert" | "/api/rollback") => {
            match json_body(req) {
                Ok(body) => {
                    history::restore(store, caller, quota, &path["/api/".len()..], &body).await
                }
                Err(e) => Err(e),
            }
        }
        (&Method::GET, "/api/calendars") => calendars::list(engine, caller).await,
        (&Method::POST, "/api/calendars") => match json_body(req) {
            Ok(body) => calendars::create(engine, caller, &body).await,
            Err(e) => Err(e),
        },
        (&Method::POST, _) if matches!(&calendar_action, Some((_, "import"))) => {
            let slug = calendar_action.as_ref().map_or("", |(s, _)| s.as_str());
            calendars::import(engine, caller, slug, &query, req.body()).await
        }
        (&Method::GET, "/api/tokens") => tokens::list(store, caller).await,
        (&Method::POST, "/api/tokens") => match json_body(req) {
            Ok(body) => tokens::create(store, caller, &body).await,
            Err(e) => Err(e),
        },
        (&Method::DELETE, p) if p.starts_with("/api/tokens/") => {
            tokens::revoke(store, caller, &decode(&p["/api/tokens/".len()..])).await
        }
        (&Method::GET, "/api/shares") => sharing::list(store, caller).await,
        (&Method::POST, "/api/shares") => match json_body(req) {
            Ok(body) => {
                let bind = crate::admin::sharing::binds_at_once(engine.limits());
                sharing::share(store, caller, bind, &body).await
            }
            Err(e) => Err(e),
        },
        (&Method::DELETE, p) if p.starts_with("/api/shares/") => {
            sharing::unshare(store, caller, &decode(&p["/api/shares/".len()..])).await
        }
        (&Method::GET, "/api/delegates") => sharing::delegates(store, caller).await,
        (&Method::POST, "/api/delegates") => match json_body(req) {
            Ok(body) => sharing::delegate(store, caller, &body).await,
            Err(e) => Err(e),
        },
        (&Method::DELETE, p) if p.starts_with("/api/delegates/") => {
            sharing::undelegate(store, caller, &decode(&p["/api/delegates/".len()..])).await
        }
        (&Method::GET, "/api/groups") => sharing::groups(store, caller).await,
        (&Method::GET, "/api/admin/verification") => admin(caller).map(|()| {
            app.last_check.get().unwrap_or_else(
                || json!({ "at": null, "intact": null, "note": "no check has run yet" }),
            )
        }),
        _ => Err((
            StatusCode::NOT_FOUND,
            format!("no API endpoint {} {path}", req.method()),
        )),
    };
    let (status, body) = match result {
        Ok(v) => (StatusCode::OK, v),
        Err((status, message)) => (status, json!({ "error": message })),
    };
    json_response(status, body)
}

/// A JSON answer, with Retry-After when the status asks to try again.
fn json_response(status: StatusCode, body: Value) -> Response<Bytes> {
    let mut res = Response::new(Bytes::from(body.to_string()));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(seconds) = dav::DavError::retry_after(status) {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
    }
    res
}

/// Endpoints under `/api/admin/` are for administrators (`calvault user admin NAME on`).
fn admin(caller: &Caller) -> Result<(), (StatusCode, String)> {
    match caller.user.admin {
        true => Ok(()),
        false => Err((
            StatusCode::FORBIDDEN,
            "only an administrator may see this".into(),
        )),
    }
}

fn json_body(req: &Request<Bytes>) -> Result<Value, (StatusCode, String)> {
    serde_json::from_slice::<Value>(req.body())
        .map_err(|e| bad(format!("the body is not JSON: {e}")))
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

pub(super) fn query_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

pub(super) fn get<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

pub(super) fn bad(message: impl Into<String>) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, message.into())
}

/// A store failure answers as the DAV engine answers it (`dav::DavError`'s one mapping):
/// 404 for what is missing, 409/412 for conflicts, 503 (with Retry-After) when the database
/// is out of reach, 500 for the rest.
pub(super) fn store_error(e: store::StoreError) -> (StatusCode, String) {
    let e = dav::DavError::from(e);
    (e.status, e.detail)
}
