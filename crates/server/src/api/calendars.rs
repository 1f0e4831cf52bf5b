//! `/api/calendars`: the signed-in user's calendars, and importing and exporting `.ics`
//! files, for the web interface. The work is `dav::calendars`', as for `calvault calendar`;
//! an import's writes are recorded with client `calvault import` (author: the user), so one
//! rollback by client undoes it, and count against the user's quota.

use axum::http::{header, HeaderValue, Response, StatusCode};
use bytes::Bytes;
use dav::calendars::{self, Destination, Looks, NewCalendar, OnConflict};
use dav::{Caller, DavError, Engine};
use serde_json::{json, Value};
use store::Change;

use super::{bad, get, store_error, ApiResult};

fn refused(e: DavError) -> (StatusCode, String) {
    (e.status, e.detail)
}

pub(super) async fn list(engine: &Engine, caller: &Caller) -> ApiResult {
    let all = calendars::list(engine.store().as_ref(), &caller.user)
        .await
        .map_err(store_error)?;
    Ok(json!({ "calendars": all.iter().map(|c| c.to_json()).collect::<Vec<_>>() }))
}

/// `POST /api/calendars {"slug", "name"?, "color"?, "components"?}`.
pub(super) async fn create(engine: &Engine, caller: &Caller, body: &Value) -> ApiResult {
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    let new = NewCalendar {
        slug: text("slug").ok_or_else(|| bad("give the new calendar a \"slug\""))?,
        name: text("name"),
        color: text("color"),
        components: body
            .get("components")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    };
    let store = engine.store().as_ref();
    let made = calendars::create(store, &caller.user, &new, &caller.change)
        .await
        .map_err(refused)?;
    Ok(json!({ "created": made.path }))
}

/// `POST /api/calendars/{slug}/import?on_conflict=skip|replace|fail`, the body an `.ics`
/// file; the calendar is created when missing.
pub(super) async fn import(
    engine: &Engine,
    caller: &Caller,
    slug: &str,
    query: &[(String, String)],
    body: &Bytes,
) -> ApiResult {
    let on_conflict = match get(query, "on_conflict") {
        None => OnConflict::Skip,
        Some(text) => OnConflict::parse(text).ok_or_else(|| {
            bad(format!(
                "on_conflict is skip, replace or fail, not {text:?}"
            ))
        })?,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad("an .ics file is UTF-8 text"))?;
    let file = calendars::read_file(text).map_err(refused)?;
    let change = Change {
        client: Some(calendars::IMPORT_CLIENT.into()),
        ..caller.change.clone()
    };
    let store = engine.store().as_ref();
    let (collection, made) =
        calendars::calendar_for_import(store, &caller.user, slug, file.name.as_deref(), &change)
            .await
            .map_err(refused)?;
    let to = Destination {
        owner: &caller.user,
        collection: &collection,
        on_conflict,
        quota: engine.quota_for(&caller.user),
        change: &change,
    };
    let report = calendars::import(engine, &to, &file, &|_, _| {})
        .await
        .map_err(refused)?;
    let mut answer = report.to_json();
    answer["calendar"] = json!(collection.path);
    answer["created_calendar"] = json!(made);
    Ok(answer)
}

/// `GET /api/calendars/{slug}/export`: the calendar as one `.ics` file to save.
pub(super) async fn export(engine: &Engine, caller: &Caller, slug: &str) -> Response<Bytes> {
    let store = engine.store().as_ref();
    let result = async {
        let calendar = store
            .collection(caller.user.id, slug)
            .await
            .map_err(store_error)?
            .filter(|c| c.kind == store::CollectionKind::Calendar)
            .ok_or_else(|| {
                (
                    StatusCode::NOT_FOUND,
                    format!("you have no calendar {slug:?}"),
                )
            })?;
        let looks = Looks::of(store, &calendar).await.map_err(store_error)?;
        calendars::export(store, &calendar, &looks)
            .await
            .map_err(store_error)
    }
    .await;
    match result {
        Ok(export) => {
            let mut res = Response::new(Bytes::from(export.text));
            let headers = res.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            );
            // The slug is letters, digits and "-_." when the CLI or the API made it; a
            // client's MKCALENDAR may have used anything, so the file name falls back.
            let disposition =
                HeaderValue::from_str(&format!("attachment; filename=\"{slug}.ics\"")).unwrap_or(
                    HeaderValue::from_static("attachment; filename=\"calendar.ics\""),
                );
            headers.insert(header::CONTENT_DISPOSITION, disposition);
            res
        }
        Err((status, message)) => super::json_response(status, json!({ "error": message })),
    }
}
