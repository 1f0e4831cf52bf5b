//! "Import and export": upload one or more `.ics` files into a new or an existing calendar
//! (one object per UID; what was created, skipped and refused, with the reasons), and
//! download a calendar as one `.ics`. The work is `web::transfer`'s.

use std::sync::Arc;

use axum::extract::{Multipart, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::calendar_list::free_path;
use crate::state::AppState;
use crate::web::calendars::{self, DEFAULT_COLOUR};
use crate::web::error::{PageResult, WebError};
use crate::web::frame::enc;
use crate::web::frame::html;
use crate::web::frame::{bytes, swatch};
use crate::web::layout::{csrf_field, page, Section};
use crate::web::page::Ctx;
use crate::web::transfer::{self, ImportReport};
use crate::web::writes;

/// Marks "a new calendar" in the calendar choice (no calendar has the empty path).
const NEW: &str = "";

pub async fn show(State(app): State<Arc<AppState>>, ctx: Ctx) -> PageResult {
    let all = calendars::list(app.engine.store().as_ref(), &ctx.user).await?;
    let body = html! {
        div.pagehead { div { h1 { "Import and export" } p { "Bring events in from another calendar, or take a copy of one with you." } } }
        div.grid2 {
            section.card {
                h2 { "Import" }
                form.fields method="post" action="/web/import" enctype="multipart/form-data" {
                    (csrf_field(&ctx))
                    div.field {
                        label for="files" { "Files" }
                        input #files type="file" name="files" accept=".ics,text/calendar" multiple required;
                        span.hint { "One or more .ics files. Each event, task or series becomes one item; one that is already there is skipped." }
                    }
                    div.field {
                        label for="target" { "Into calendar" }
                        select #target name="c" {
                            @for c in &all { option value=(c.collection.path) { (c.name) } }
                            option value=(NEW) selected[all.is_empty()] { "A new calendar…" }
                        }
                    }
                    div.field {
                        label for="new_name" { "New calendar name" }
                        input #new_name type="text" name="new_name" placeholder="Imported";
                        span.hint { "Used when you import into a new calendar." }
                    }
                    div { button type="submit" { "Import" } }
                }
            }
            section.card {
                h2 { "Export" }
                @if all.is_empty() { p.empty { "No calendars to export." } }
                @else {
                    table {
                        thead { tr { th { "Calendar" } th.num { "Items" } th.num { "Size" } th { span.muted { "Download" } } } }
                        tbody {
                            @for c in &all {
                                tr {
                                    td { (swatch(&c.colour)) (c.name) }
                                    td.num { (c.objects) }
                                    td.num { (bytes(c.bytes)) }
                                    td { a.button.small.secondary href={ "/web/export?c=" (enc(&c.collection.path)) } download { "Export .ics" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html(page(
        &ctx,
        Section::Transfer,
        "Import and export",
        body,
    )))
}

pub async fn import(State(app): State<Arc<AppState>>, ctx: Ctx, mut form: Multipart) -> PageResult {
    let mut csrf = String::new();
    let mut target = String::new();
    let mut new_name = String::new();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut refused: Vec<(String, String)> = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| WebError::bad(format!("the upload broke off: {e}")))?
    {
        let name = field.name().unwrap_or("").to_owned();
        let file = field.file_name().map(str::to_owned);
        let data = field
            .bytes()
            .await
            .map_err(|e| WebError::bad(format!("the upload broke off: {e}")))?;
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&data).into_owned(),
            "c" => target = String::from_utf8_lossy(&data).into_owned(),
            "new_name" => new_name = String::from_utf8_lossy(&data).trim().to_owned(),
            "files" => {
                let file = file.unwrap_or_else(|| "upload".into());
                if data.is_empty() {
                    continue;
                }
                match String::from_utf8(data.to_vec()) {
                    Ok(text) => files.push((file, text)),
                    Err(_) => {
                        refused.push((file, "not UTF-8 text, so not an iCalendar file".into()))
                    }
                }
            }
            _ => {}
        }
    }
    ctx.check_csrf(&csrf)?;
    if files.is_empty() && refused.is_empty() {
        return Ok(ctx.redirect_with(&app, "/web/import", false, "Choose at least one .ics file."));
    }
    let store = app.engine.store().as_ref();
    let caller = ctx.caller();
    let calendar = match target.as_str() {
        NEW => {
            let name = match new_name.as_str() {
                "" => "Imported".to_owned(),
                n => n.to_owned(),
            };
            let path = free_path(&app, &ctx, &calendars::slug(&name)).await?;
            let href = dav::path::collection_href(&ctx.user.name, &path);
            writes::make_calendar(
                &app.engine,
                &caller,
                &href,
                &name,
                DEFAULT_COLOUR,
                &["VEVENT", "VTODO"],
            )
            .await?;
            calendars::find(store, &ctx.user, &path).await?
        }
        path => calendars::find(store, &ctx.user, path).await?,
    };
    let mut report = ImportReport {
        failed: refused,
        ..ImportReport::default()
    };
    for (file, text) in &files {
        transfer::import_ics(
            &app.engine,
            &caller,
            &calendar.collection,
            file,
            text,
            &mut report,
        )
        .await;
    }
    let c = enc(&calendar.collection.path);
    let body = html! {
        div.pagehead { div { h1 { "Import into " (calendar.name) } p { (files.len()) @if files.len() == 1 { " file" } @else { " files" } } } }
        section.card {
            div class=(if report.failed.is_empty() { "flash ok" } else { "flash error" }) role="status" {
                (report.created) " created, " (report.skipped) " skipped, " (report.failed.len()) " failed."
            }
            @if !report.failed.is_empty() {
                h3 { "Failed" }
                ul.plan { @for (what, why) in &report.failed { li { (what) ": " (why) } } }
            }
            div.actions {
                a.button href={ "/web/calendar?c=" (c) } { "Open " (calendar.name) }
                a.button.secondary href="/web/import" { "Import more" }
            }
        }
    };
    Ok(html(page(&ctx, Section::Transfer, "Import", body)))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    c: String,
}

pub async fn export(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<ExportQuery>,
) -> Result<Response, WebError> {
    let store = app.engine.store().as_ref();
    let cal = calendars::find(store, &ctx.user, &q.c).await?;
    let text = transfer::export_ics(store, &cal.collection).await?;
    let mut res = text.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    let file = format!(
        "attachment; filename=\"{}.ics\"",
        calendars::slug(&cal.name)
    );
    if let Ok(v) = HeaderValue::from_str(&file) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
