//! "History": every change of the user's calendars (or of one calendar, or one event),
//! newest first, with who made it, when, from which app or device and the property diff the
//! CLI shows; "Undo" on a change, "Restore calendar to this point" and "Undo everything
//! this app did since…" (each previewed as the rollback's dry run before "Confirm"), and
//! the calendar's deleted events with "Restore". Every restore is decided by
//! `dav::history::request` and is a new recorded write (client "web") that reports
//! conflicts instead of overwriting, exactly as on the CLI.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Form;
use chrono::TimeZone;
use dav::history::{
    self, describe, diff_versions, item_rows, pick_collection, Action, DoneText, EntryView,
    ItemEvent, PlanText, Prepared, RestoreRequest, RevertTo, VersionDiff,
};
use maud::{html, Markup};
use serde::Deserialize;
use store::{HistoryCollection, Version, VersionKind};

use crate::state::AppState;
use crate::web::error::{refusal, PageResult, WebError};
use crate::web::frame::enc;
use crate::web::frame::html;
use crate::web::layout::{csrf_field, page, when, Section};
use crate::web::page::Ctx;

/// Changes shown at most on one page.
const LIMIT: usize = 300;

async fn own(app: &AppState, ctx: &Ctx) -> Result<Vec<HistoryCollection>, WebError> {
    Ok(app
        .engine
        .store()
        .history_collections(Some(ctx.user.id))
        .await?)
}

async fn own_calendar(
    app: &AppState,
    ctx: &Ctx,
    path: &str,
) -> Result<HistoryCollection, WebError> {
    let all = own(app, ctx).await?;
    pick_collection(&all, path.trim_matches('/'))
        .ok_or_else(|| WebError::not_found(format!("You have no calendar {path:?}.")))
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    #[serde(default)]
    c: String,
    #[serde(default)]
    o: String,
}

/// Each object's versions in chain order (`dav::history::item_rows`), read once per listing.
type Rows<'a> = std::collections::BTreeMap<String, Vec<&'a Version>>;

/// The version of the same object just before `v`, in chain order.
fn previous<'a>(rows: &Rows<'a>, v: &Version) -> Option<&'a Version> {
    let row = rows.get(&v.name)?;
    let at = row.iter().position(|r| r.id == v.id)?;
    at.checked_sub(1).and_then(|i| row.get(i)).copied()
}

fn action_label(e: &EntryView) -> &'static str {
    match e.event {
        ItemEvent::Created => "Created",
        ItemEvent::Changed => "Changed",
        ItemEvent::Deleted => "Deleted",
        ItemEvent::Collection => match e.version.kind {
            VersionKind::CollectionCreate => "Calendar created",
            VersionKind::CollectionDelete => "Calendar deleted",
            VersionKind::CollectionRestore => "Calendar restored",
            VersionKind::CollectionMove => "Calendar moved",
            VersionKind::Properties => "Calendar settings",
            VersionKind::Prune => "History pruned",
            _ => "Calendar",
        },
    }
}

pub async fn show(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<HistoryQuery>,
) -> PageResult {
    let store = app.engine.store().as_ref();
    let all = own(&app, &ctx).await?;
    let live: Vec<&HistoryCollection> = all
        .iter()
        .filter(|c| c.deleted_at.is_none() && c.collection.kind == store::CollectionKind::Calendar)
        .collect();
    let chosen: Vec<HistoryCollection> = match q.c.as_str() {
        "" => live.iter().map(|c| (*c).clone()).collect(),
        path => vec![own_calendar(&app, &ctx, path).await?],
    };
    let mut rows: Vec<(EntryView, Option<Vec<history::PropertyChange>>)> = Vec::new();
    let mut deleted_events: Vec<(String, Version, history::Described)> = Vec::new();
    let mut clients: BTreeSet<String> = BTreeSet::new();
    for c in &chosen {
        let versions = store.versions(c.collection.id).await?;
        for v in &versions {
            if let Some(client) = &v.change.client {
                clients.insert(client.clone());
            }
        }
        let by_object = item_rows(&versions);
        for e in history::entries(c, &versions) {
            if !q.o.is_empty() && e.version.name != q.o {
                continue;
            }
            let diff = match e.event {
                ItemEvent::Changed => Some(diff_versions(
                    previous(&by_object, &e.version).and_then(|p| p.data.as_deref()),
                    e.version.data.as_deref(),
                )),
                _ => None,
            };
            rows.push((e, diff));
        }
        if chosen.len() == 1 {
            for (name, row) in &by_object {
                let Some(last) = row.last() else { continue };
                if last.kind == VersionKind::Delete && (q.o.is_empty() || q.o == *name) {
                    let before = row
                        .iter()
                        .rev()
                        .find_map(|v| v.data.as_deref())
                        .map(describe)
                        .unwrap_or_default();
                    deleted_events.push((name.clone(), (*last).clone(), before));
                }
            }
        }
    }
    rows.sort_by_key(|(e, _)| std::cmp::Reverse((e.version.at, e.version.id)));
    let more = rows.len() > LIMIT;
    rows.truncate(LIMIT);
    deleted_events.sort_by_key(|(_, v, _)| std::cmp::Reverse(v.at));
    let single = (chosen.len() == 1).then(|| chosen[0].clone());
    let now_local = chrono::Utc::now().with_timezone(&ctx.zone);
    let since_default = (now_local - chrono::TimeDelta::hours(24))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    // One event's page is named by its newest title (a deleted one's last), not its file.
    let event_title = rows
        .iter()
        .find_map(|(e, _)| e.described.summary.as_deref());
    let title = match (&single, q.o.as_str()) {
        (Some(c), "") => format!("History of {}", c.collection.path),
        (Some(_), o) => format!("History of {}", event_title.unwrap_or(o)),
        (None, _) => "History".into(),
    };
    let body = html! {
        div.pagehead {
            div { h1 { (title) } p { "Every change, newest first. Undo and restores are new changes: devices pick them up at their next sync." } }
        }
        form.row.picker method="get" action="/web/history" {
            div.field {
                label for="calendar" { "Calendar" }
                select #calendar name="c" {
                    option value="" selected[q.c.is_empty()] { "All calendars" }
                    @for c in &live { option value=(c.collection.path) selected[q.c == c.collection.path] { (c.collection.path) } }
                }
            }
            div { button.secondary type="submit" { "Show" } }
        }
        @if let Some(c) = &single {
            div.grid2 {
                section.card {
                    h2 { "Undo everything this app did since…" }
                    form.fields method="get" action="/web/history/rollback" {
                        input type="hidden" name="c" value=(c.collection.path);
                        div.row {
                            div.field {
                                label for="client" { "App or device" }
                                select #client name="client" { @for cl in &clients { option value=(cl) { (cl) } } }
                            }
                            div.field { label for="since" { "Since" } input #since type="datetime-local" name="since" value=(since_default) required; }
                        }
                        div { button type="submit" { "Preview" } }
                    }
                }
                section.card #deleted-events {
                    h2 { "Recently deleted" }
                    @if deleted_events.is_empty() { p.empty { "No deleted events in this calendar." } }
                    @else {
                        table {
                            thead { tr { th { "Item" } th { "Deleted" } th { span.muted { "Actions" } } } }
                            tbody {
                                @for (name, v, d) in &deleted_events {
                                    tr {
                                        td { (d.summary.as_deref().unwrap_or(name)) @if let Some(s) = &d.start { br; span.muted { (s) } } }
                                        td { (when(&ctx, v.at)) br; span.muted { (v.change.author) } }
                                        td {
                                            form method="post" action="/web/history/undelete" {
                                                (csrf_field(&ctx))
                                                input type="hidden" name="c" value=(c.collection.path);
                                                input type="hidden" name="o" value=(name);
                                                button.small type="submit" aria-label={ "Restore " (d.summary.as_deref().unwrap_or(name)) } { "Restore" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            @if rows.is_empty() { p.empty { "No changes yet." } }
            @else {
                div.tablewrap {
                    table.history {
                        thead { tr { th { "When" } th { "Who" } th.hide-narrow { "App or device" } th { "What" } th { span.muted { "Actions" } } } }
                        tbody {
                            @for (e, diff) in &rows { (row(&ctx, e, diff.as_deref(), single.is_some())) }
                        }
                    }
                }
                @if more { p.muted { "Showing the newest " (LIMIT) " changes." } }
            }
        }
    };
    Ok(html(page(&ctx, Section::History, "History", body)))
}

fn row(
    ctx: &Ctx,
    e: &EntryView,
    diff: Option<&[history::PropertyChange]>,
    per_calendar: bool,
) -> Markup {
    let v = &e.version;
    let object = !v.name.is_empty();
    html! {
        tr {
            td { (when(ctx, v.at)) }
            td { (v.change.author) }
            td.hide-narrow { (v.change.client.as_deref().unwrap_or("-")) }
            td {
                strong { (action_label(e)) } " "
                @if object {
                    a href={ "/web/history?c=" (enc(&e.calendar)) "&o=" (enc(&v.name)) } { (e.described.summary.as_deref().unwrap_or(&v.name)) }
                    @if let Some(s) = &e.described.start { " " span.muted { (s) } }
                } @else { span.muted { (e.calendar) } }
                @if !per_calendar { br; span.muted { (e.calendar) } }
                @if let Some(changes) = diff.filter(|d| !d.is_empty()) {
                    pre.diff { (VersionDiff { older: 0, newer: v.id, changes: changes.to_vec() }.to_string()) }
                }
            }
            td {
                div.actions {
                    @if object {
                        form method="post" action="/web/history/undo" {
                            (csrf_field(ctx))
                            input type="hidden" name="c" value=(e.calendar);
                            input type="hidden" name="version" value=(v.id);
                            button.small type="submit" title="Put this event back as it was before this change" { "Undo" }
                        }
                    }
                    a.button.small.secondary href={ "/web/history/rollback?c=" (enc(&e.calendar)) "&to=" (v.at) } { "Restore calendar to this point" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct UndoForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    c: String,
    #[serde(default)]
    version: i64,
}

/// Prepares and carries out one restore; the message for the next page.
async fn restore(
    app: &AppState,
    ctx: &Ctx,
    calendar: &HistoryCollection,
    request: RestoreRequest,
) -> (bool, String) {
    let store = app.engine.store().as_ref();
    let quota = app.engine.quota_for(&ctx.user);
    let prepared = match history::prepare::<WebError>(store, calendar, Ok(request), quota).await {
        Ok(p) => p,
        Err(r) => return (false, refusal(r)),
    };
    if prepared.changes_nothing() {
        // Nothing to write is fine, unless something had to be left alone.
        let skipped = matches!(&prepared, Prepared::Objects(p) if !p.skipped.is_empty());
        return (
            !skipped,
            PlanText {
                owner: &ctx.user.name,
                prepared: &prepared,
            }
            .to_string(),
        );
    }
    match history::carry_out::<WebError>(store, &prepared, &ctx.change(), quota).await {
        Ok(done) => {
            let text = DoneText {
                owner: &ctx.user.name,
                prepared: &prepared,
                done: &done,
            };
            let failures = text.failures();
            match failures.is_empty() {
                true => (true, text.to_string()),
                false => (false, format!("{} {}", text, failures.join("; "))),
            }
        }
        Err(r) => (false, refusal(r)),
    }
}

pub async fn undo(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<UndoForm>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let calendar = own_calendar(&app, &ctx, &f.c).await?;
    let versions = app.engine.store().versions(calendar.collection.id).await?;
    let v = versions
        .iter()
        .find(|v| v.id == f.version && !v.name.is_empty())
        .ok_or_else(|| {
            WebError::not_found(format!(
                "Version {} is not a change of an event in {}.",
                f.version, f.c
            ))
        })?;
    // Undo = the event as it was just before this change (absent, for its creation).
    let to = match previous(&item_rows(&versions), v) {
        Some(p) => RevertTo::Version(p.id),
        None => RevertTo::Time(v.at - 1),
    };
    let request = RestoreRequest::Revert {
        object: v.name.clone(),
        to,
    };
    let (ok, text) = restore(&app, &ctx, &calendar, request).await;
    let back = format!("/web/history?c={}", enc(&calendar.collection.path));
    Ok(ctx.redirect_with(&app, &back, ok, text))
}

#[derive(Deserialize)]
pub struct UndeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    c: String,
    #[serde(default)]
    o: String,
}

pub async fn undelete(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<UndeleteForm>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let calendar = own_calendar(&app, &ctx, &f.c).await?;
    let (ok, text) = restore(
        &app,
        &ctx,
        &calendar,
        RestoreRequest::Undelete {
            object: f.o.clone(),
        },
    )
    .await;
    let back = format!("/web/history?c={}", enc(&calendar.collection.path));
    Ok(ctx.redirect_with(&app, &back, ok, text))
}

/// "Restore calendar to this point" (`to`, ms) or "Undo everything this app did since…"
/// (`client` and `since`, a local time).
#[derive(Deserialize)]
pub struct RollbackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    c: String,
    to: Option<i64>,
    #[serde(default)]
    client: String,
    #[serde(default)]
    since: String,
}

impl RollbackForm {
    fn request(&self, ctx: &Ctx) -> Result<RestoreRequest, WebError> {
        if let Some(to) = self.to {
            return Ok(RestoreRequest::Rollback { to });
        }
        let local = chrono::NaiveDateTime::parse_from_str(self.since.trim(), "%Y-%m-%dT%H:%M")
            .map_err(|_| WebError::bad("Since is not a time like 2026-12-06T09:30."))?;
        let since = ctx
            .zone
            .from_local_datetime(&local)
            .earliest()
            .ok_or_else(|| WebError::bad("That time does not exist in your time zone."))?
            .timestamp_millis();
        if self.client.is_empty() {
            return Err(WebError::bad(
                "Choose the app or device whose changes to undo.",
            ));
        }
        Ok(RestoreRequest::RollbackClient {
            client: self.client.clone(),
            since,
        })
    }

    fn heading(&self, ctx: &Ctx) -> String {
        match self.to {
            Some(to) => format!("Restore calendar to {}", when(ctx, to)),
            None => format!(
                "Undo everything {} did since {}",
                self.client,
                self.since.replace('T', " ")
            ),
        }
    }
}

pub async fn preview(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Query(f): Query<RollbackForm>,
) -> PageResult {
    let calendar = own_calendar(&app, &ctx, &f.c).await?;
    let store = app.engine.store().as_ref();
    let quota = app.engine.quota_for(&ctx.user);
    let prepared = history::prepare(store, &calendar, f.request(&ctx), quota)
        .await
        .map_err(|r| WebError::bad(refusal(r)))?;
    let Prepared::Objects(plan) = &prepared else {
        return Err(WebError::bad(
            "The calendar is deleted: restore it under Calendars first.",
        ));
    };
    let back = format!("/web/history?c={}", enc(&calendar.collection.path));
    let body = html! {
        div.pagehead { div { h1 { (f.heading(&ctx)) } p { "Preview: nothing has changed yet. " (PlanText { owner: &ctx.user.name, prepared: &prepared }.to_string().lines().next().unwrap_or("")) } } }
        section.card {
            @if plan.actions.is_empty() {
                p { "Nothing to do: the calendar already matches." }
            } @else {
                h2 { "What will change" }
                ul.plan {
                    @for a in &plan.actions {
                        li {
                            @match a {
                                Action::Put { name, from_version, data, .. } => {
                                    @let d = describe(data);
                                    strong { (a.verb()) } " " (d.summary.as_deref().unwrap_or(name))
                                    @if let Some(s) = &d.start { " " span.muted { (s) } }
                                    " " span.muted { "(from version " (from_version) ")" }
                                }
                                Action::Delete { name, .. } => { strong { (a.verb()) } " " (name) }
                            }
                        }
                    }
                }
            }
            @if !plan.skipped.is_empty() {
                h3 { "Left alone" }
                ul.plan { @for s in &plan.skipped { li { (s.name) ": " (s.reason) } } }
            }
            div.actions {
                @if !plan.actions.is_empty() {
                    form method="post" action="/web/history/rollback" {
                        (csrf_field(&ctx))
                        input type="hidden" name="c" value=(calendar.collection.path);
                        @if let Some(to) = f.to { input type="hidden" name="to" value=(to); }
                        @else {
                            input type="hidden" name="client" value=(f.client);
                            input type="hidden" name="since" value=(f.since);
                        }
                        button type="submit" { "Confirm" }
                    }
                }
                a.button.secondary href=(back) { "Cancel" }
            }
        }
    };
    Ok(html(page(&ctx, Section::History, "Preview", body)))
}

pub async fn confirm(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<RollbackForm>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let calendar = own_calendar(&app, &ctx, &f.c).await?;
    let request = f.request(&ctx)?;
    let (ok, text) = restore(&app, &ctx, &calendar, request).await;
    let back = format!("/web/history?c={}", enc(&calendar.collection.path));
    Ok(ctx.redirect_with(&app, &back, ok, text))
}
