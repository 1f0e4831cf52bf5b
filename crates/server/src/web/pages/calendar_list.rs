//! "Calendars": every calendar with its colour, object count, size and last change; "New
//! calendar" (MKCALENDAR through the engine); rename and recolour (PROPPATCH); delete
//! (DELETE), which puts the calendar under "Recently deleted", from where "Restore" brings
//! it back with its events and history (`dav::history::request`, as `calvault undelete`).

use std::sync::Arc;

use axum::extract::State;
use axum::Form;
use dav::history::{self, DoneText, RestoreRequest};
use maud::html;
use serde::Deserialize;

use crate::state::AppState;
use crate::web::calendars::{self, clean_colour, DEFAULT_COLOUR};
use crate::web::error::{PageResult, WebError};
use crate::web::frame::enc;
use crate::web::frame::html;
use crate::web::frame::{bytes, swatch};
use crate::web::layout::{csrf_field, page, when, Section};
use crate::web::page::Ctx;
use crate::web::shares::{self, access_label, VisibleShared};
use crate::web::writes;

pub async fn show(State(app): State<Arc<AppState>>, ctx: Ctx) -> PageResult {
    let store = app.engine.store().as_ref();
    let all = calendars::list(store, &ctx.user).await?;
    let deleted = calendars::deleted(store, &ctx.user).await?;
    let shared = shares::visible_shared(store, &ctx.user).await?;
    let base = format!(
        "{}://{}",
        if app.web.secure { "https" } else { "http" },
        ctx.host
    );
    let body = html! {
        div.pagehead {
            div {
                h1 { "Calendars" }
                p { "Calendar apps find these at " code { (base) "/" } " with your user name and an app password from " a href="/web/devices" { "Devices" } "." }
            }
            a.button href="#new-calendar" { "New calendar" }
        }
        section.card {
            @if all.is_empty() {
                p.empty { "No calendars yet. Create one below, or import an .ics file." }
            } @else {
                div.tablewrap {
                    table {
                        thead { tr { th { "Calendar" } th.hide-narrow { "Holds" } th.num { "Items" } th.num.hide-narrow { "Size" } th.hide-narrow { "Last change" } th { span.muted { "Actions" } } } }
                        tbody {
                            @for c in &all {
                                @let path = &c.collection.path;
                                tr {
                                    td {
                                        (swatch(&c.colour))
                                        a.calname href={ "/web/calendar?c=" (enc(path)) } { (c.name) }
                                        details.edit {
                                            summary { "Rename or recolour" }
                                            form.fields method="post" action="/web/calendars/edit" {
                                                (csrf_field(&ctx))
                                                input type="hidden" name="c" value=(path);
                                                div.row {
                                                    div.field { label for={ "name-" (path) } { "Name" } input id={ "name-" (path) } type="text" name="name" value=(c.name) required; }
                                                    div.field { label for={ "colour-" (path) } { "Colour" } input id={ "colour-" (path) } type="color" name="colour" value=(c.colour); }
                                                    div { button type="submit" { "Save" } }
                                                }
                                            }
                                        }
                                    }
                                    td.hide-narrow { (holds(c)) }
                                    td.num { (c.objects) }
                                    td.num.hide-narrow { (bytes(c.bytes)) }
                                    td.hide-narrow { (when(&ctx, c.collection.modified_at)) }
                                    td {
                                        div.actions {
                                            a.button.small.secondary href={ "/web/calendar?c=" (enc(path)) "&view=week" } { "Open" }
                                            a.button.small.secondary href={ "/web/history?c=" (enc(path)) } { "History" }
                                            a.button.small.secondary href={ "/web/export?c=" (enc(path)) } { "Export" }
                                            form method="post" action="/web/calendars/delete" {
                                                (csrf_field(&ctx))
                                                input type="hidden" name="c" value=(path);
                                                button.small.danger type="submit" aria-label={ "Delete " (c.name) } { "Delete" }
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
        @if !shared.is_empty() {
            (shared_with_you(&shared))
        }
        div.grid2 {
            section.card #new-calendar {
                h2 { "New calendar" }
                form.fields method="post" action="/web/calendars" {
                    (csrf_field(&ctx))
                    div.row {
                        div.field { label for="new-name" { "Name" } input #new-name type="text" name="name" required placeholder="e.g. Work"; }
                        div.field { label for="new-colour" { "Colour" } input #new-colour type="color" name="colour" value=(DEFAULT_COLOUR); }
                    }
                    fieldset {
                        legend { "Holds" }
                        label.check { input type="checkbox" name="events" value="on" checked; "Events" }
                        label.check { input type="checkbox" name="tasks" value="on" checked; "Tasks" }
                    }
                    div { button type="submit" { "Create" } }
                }
            }
            section.card #recently-deleted {
                h2 { "Recently deleted" }
                @if deleted.is_empty() {
                    p.empty { "Nothing deleted. A calendar you delete waits here, with its events and history, until you restore it." }
                } @else {
                    table {
                        thead { tr { th { "Calendar" } th { "Deleted" } th.num { "Items" } th { span.muted { "Actions" } } } }
                        tbody {
                            @for d in &deleted {
                                tr {
                                    td { (d.calendar.collection.path) }
                                    td { (when(&ctx, d.calendar.deleted_at.unwrap_or_default())) }
                                    td.num { (d.objects) }
                                    td {
                                        form method="post" action="/web/calendars/restore" {
                                            (csrf_field(&ctx))
                                            input type="hidden" name="id" value=(d.calendar.collection.id);
                                            button.small type="submit" aria-label={ "Restore " (d.calendar.collection.path) } { "Restore" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html(page(&ctx, Section::Calendars, "Calendars", body)))
}

/// Calendars of others the user may read, marked shared, with the owner and the access,
/// and "Open" to see them in the calendar view (read only); the owner changes them, so
/// there is nothing to rename or delete here.
fn shared_with_you(shared: &[VisibleShared]) -> maud::Markup {
    html! {
        section.card #shared-with-you aria-labelledby="shared-with-you-title" {
            h2 #shared-with-you-title { "Shared with you" }
            div.tablewrap {
                table {
                    thead { tr { th { "Calendar" } th { "Owner" } th { "Access" } th.num { "Items" } th.hide-narrow { "In your calendar apps" } th { span.muted { "Actions" } } } }
                    tbody {
                        @for s in shared {
                            tr {
                                td {
                                    (swatch(&s.calendar.colour))
                                    span.calname { (s.calendar.name) }
                                    " " span.badge { @if s.delegated { "Delegated" } @else { "Shared" } }
                                }
                                td { (s.owner) }
                                td { (access_label(s.privilege)) }
                                td.num { (s.calendar.objects) }
                                td.hide-narrow { code { (s.href) } }
                                td { a.button.small.secondary href={ "/web/calendar?c=" (enc(&s.calendar.collection.path)) "&owner=" (enc(&s.owner)) "&view=week" } aria-label={ "Open " (s.calendar.name) } { "Open" } }
                            }
                        }
                    }
                }
            }
            p.muted { "Who shares what with you, and with whom you share, is on the " a href="/web/sharing" { "Sharing" } " page." }
        }
    }
}

fn holds(c: &calendars::CalendarInfo) -> &'static str {
    match (c.holds_events(), c.holds_tasks()) {
        (true, true) => "Events, tasks",
        (true, false) => "Events",
        (false, true) => "Tasks",
        (false, false) => "Other",
    }
}

#[derive(Deserialize)]
pub struct NewCalendar {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    colour: String,
    events: Option<String>,
    tasks: Option<String>,
}

pub async fn create(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<NewCalendar>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let back = "/web/calendars";
    let name = f.name.trim();
    if name.is_empty() {
        return Ok(ctx.redirect_with(&app, back, false, "Give the new calendar a name."));
    }
    let mut components = Vec::new();
    if f.events.is_some() {
        components.push("VEVENT");
    }
    if f.tasks.is_some() {
        components.push("VTODO");
    }
    if components.is_empty() {
        return Ok(ctx.redirect_with(
            &app,
            back,
            false,
            "A calendar holds events, tasks or both: tick at least one.",
        ));
    }
    let colour = clean_colour(&f.colour).unwrap_or_else(|| DEFAULT_COLOUR.into());
    let path = free_path(&app, &ctx, &calendars::slug(name)).await?;
    let href = dav::path::collection_href(&ctx.user.name, &path);
    writes::make_calendar(
        &app.engine,
        &ctx.caller(),
        &href,
        name,
        &colour,
        &components,
    )
    .await?;
    Ok(ctx.redirect_with(
        &app,
        back,
        true,
        format!("Created the calendar \u{201c}{name}\u{201d}."),
    ))
}

/// `slug`, or `slug-2`, `slug-3`... whichever no live collection has.
pub async fn free_path(app: &AppState, ctx: &Ctx, slug: &str) -> Result<String, WebError> {
    let store = app.engine.store();
    for n in 1..100 {
        let path = match n {
            1 => slug.to_owned(),
            n => format!("{slug}-{n}"),
        };
        if store.collection(ctx.user.id, &path).await?.is_none() {
            return Ok(path);
        }
    }
    Err(WebError::bad(format!(
        "Too many calendars are called {slug:?}; pick another name."
    )))
}

#[derive(Deserialize)]
pub struct EditCalendar {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    c: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    colour: String,
}

pub async fn edit(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<EditCalendar>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let c = calendars::find(app.engine.store().as_ref(), &ctx.user, &f.c).await?;
    let name = f.name.trim();
    let name = (!name.is_empty()).then_some(name);
    let colour = clean_colour(&f.colour);
    writes::rename(
        &app.engine,
        &ctx.caller(),
        &c.href(&ctx.user.name),
        name,
        colour.as_deref(),
    )
    .await?;
    Ok(ctx.redirect_with(
        &app,
        "/web/calendars",
        true,
        format!("Saved \u{201c}{}\u{201d}.", name.unwrap_or(&c.name)),
    ))
}

#[derive(Deserialize)]
pub struct CalendarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    c: String,
}

pub async fn delete(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<CalendarForm>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let c = calendars::find(app.engine.store().as_ref(), &ctx.user, &f.c).await?;
    writes::delete(&app.engine, &ctx.caller(), &c.href(&ctx.user.name), None).await?;
    Ok(ctx.redirect_with(
        &app,
        "/web/calendars#recently-deleted",
        true,
        format!("Deleted \u{201c}{}\u{201d}. It waits under Recently deleted, where Restore brings it back.", c.name),
    ))
}

#[derive(Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: i64,
}

pub async fn restore(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<RestoreForm>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let store = app.engine.store().as_ref();
    let gone = calendars::deleted(store, &ctx.user).await?;
    let Some(d) = gone.into_iter().find(|d| d.calendar.collection.id == f.id) else {
        return Err(WebError::not_found(
            "That deleted calendar is not yours or is back already.",
        ));
    };
    let quota = app.engine.quota_for(&ctx.user);
    let request: Result<RestoreRequest, WebError> = Ok(RestoreRequest::Calendar);
    let outcome = match history::prepare(store, &d.calendar, request, quota).await {
        Ok(prepared) => history::carry_out::<WebError>(store, &prepared, &ctx.change(), quota)
            .await
            .map(|done| {
                DoneText {
                    owner: &ctx.user.name,
                    prepared: &prepared,
                    done: &done,
                }
                .to_string()
            }),
        Err(r) => Err(r),
    };
    match outcome {
        Ok(text) => Ok(ctx.redirect_with(&app, "/web/calendars", true, text)),
        Err(r) => {
            Ok(ctx.redirect_with(&app, "/web/calendars", false, crate::web::error::refusal(r)))
        }
    }
}
