//! "New event", editing and deleting a simple event. The event is written by a PUT
//! through the engine (If-None-Match: * for a new one, If-Match: the ETag the form was made
//! from for an edit, so a change made meanwhile by another device is reported, not
//! overwritten), recorded in the history with client "web".

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use crate::session::random_token;
use crate::state::AppState;
use crate::web::calendars::{self, CalendarInfo};
use crate::web::error::{PageResult, WebError};
use crate::web::event_text::{self, EventForm, Repeat};
use crate::web::frame::enc;
use crate::web::frame::{html, html_with};
use crate::web::layout::{csrf_field, page, Section};
use crate::web::page::Ctx;
use crate::web::writes::{self, Expect};

#[derive(Deserialize)]
pub struct EventQuery {
    #[serde(default)]
    c: String,
    #[serde(default)]
    o: String,
    #[serde(default)]
    date: String,
}

/// The form filled from an event (dates and times in its own zone).
fn values_of(e: &event_text::SimpleEvent, etag: &str) -> EventForm {
    EventForm {
        title: e.title.clone(),
        all_day: e.all_day.then(|| "on".into()),
        start_date: e.start.format("%Y-%m-%d").to_string(),
        start_time: e.start.format("%H:%M").to_string(),
        end_date: e.end.format("%Y-%m-%d").to_string(),
        end_time: e.end.format("%H:%M").to_string(),
        zone: e.zone.name().to_owned(),
        location: e.location.clone(),
        description: e.description.clone(),
        repeat: e.repeat.key().to_owned(),
        etag: etag.to_owned(),
        ..EventForm::default()
    }
}

fn form_markup(
    ctx: &Ctx,
    cal: &CalendarInfo,
    v: &EventForm,
    object: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let c = &cal.collection.path;
    let heading = if object.is_some() {
        "Edit event"
    } else {
        "New event"
    };
    html! {
        div.pagehead {
            div { h1 { (heading) } p { "In " a href={ "/web/calendar?c=" (enc(c)) } { (cal.name) } } }
            @if let Some(o) = object {
                a.button.secondary href={ "/web/history?c=" (enc(c)) "&o=" (enc(o)) } { "History of this event" }
            }
        }
        section.card {
            @if let Some(e) = error { div.flash.error role="alert" { (e) } }
            form.fields method="post" action="/web/event" {
                (csrf_field(ctx))
                input type="hidden" name="c" value=(c);
                @if let Some(o) = object { input type="hidden" name="o" value=(o); }
                input type="hidden" name="etag" value=(v.etag);
                div.field { label for="title" { "Title" } input #title type="text" name="title" value=(v.title) required; }
                label.check { input type="checkbox" name="all_day" value="on" checked[v.all_day.is_some()]; "All day" }
                div.row {
                    div.field { label for="start_date" { "Start date" } input #start_date type="date" name="start_date" value=(v.start_date) required; }
                    div.field data-timed { label for="start_time" { "Start time" } input #start_time type="time" name="start_time" value=(v.start_time); }
                    div.field { label for="end_date" { "End date" } input #end_date type="date" name="end_date" value=(v.end_date); }
                    div.field data-timed { label for="end_time" { "End time" } input #end_time type="time" name="end_time" value=(v.end_time); }
                }
                div.row {
                    div.field data-timed {
                        label for="zone" { "Time zone" }
                        select #zone name="zone" {
                            @for z in chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()) {
                                option value=(z) selected[z == v.zone] { (z) }
                            }
                        }
                    }
                    div.field {
                        label for="repeat" { "Repeat" }
                        select #repeat name="repeat" {
                            @for (_, key, label) in Repeat::ALL {
                                option value=(key) selected[key == v.repeat] { (label) }
                            }
                        }
                    }
                }
                div.field { label for="location" { "Location" } input #location type="text" name="location" value=(v.location); }
                div.field { label for="description" { "Description" } textarea #description name="description" { (v.description) } }
                div.actions {
                    button type="submit" { @if object.is_some() { "Save" } @else { "Create" } }
                    a.button.secondary href={ "/web/calendar?c=" (enc(c)) } { "Cancel" }
                }
            }
            @if let Some(o) = object {
                (delete_form(ctx, c, o, &v.etag))
            }
        }
    }
}

fn delete_form(ctx: &Ctx, c: &str, o: &str, etag: &str) -> Markup {
    html! {
        form.inline method="post" action="/web/event/delete" {
            (csrf_field(ctx))
            input type="hidden" name="c" value=(c);
            input type="hidden" name="o" value=(o);
            input type="hidden" name="etag" value=(etag);
            h3 { "Delete" }
            p.muted { "Deleting is undone from History: the event comes back exactly as it was." }
            button.danger type="submit" { "Delete" }
        }
    }
}

pub async fn form(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<EventQuery>,
) -> PageResult {
    let store = app.engine.store().as_ref();
    let cal = calendars::find(store, &ctx.user, &q.c).await?;
    if q.o.is_empty() {
        let date = chrono::NaiveDate::parse_from_str(&q.date, "%Y-%m-%d")
            .unwrap_or_else(|_| chrono::Utc::now().with_timezone(&ctx.zone).date_naive());
        let v = EventForm {
            start_date: date.format("%Y-%m-%d").to_string(),
            end_date: date.format("%Y-%m-%d").to_string(),
            start_time: "09:00".into(),
            end_time: "10:00".into(),
            zone: ctx.zone.name().to_owned(),
            repeat: "never".into(),
            ..EventForm::default()
        };
        let body = form_markup(&ctx, &cal, &v, None, None);
        return Ok(html(page(&ctx, Section::Calendars, "New event", body)));
    }
    let object = store
        .object(cal.collection.id, &q.o)
        .await?
        .ok_or_else(|| {
            WebError::not_found(format!("{:?} is not in {} any more.", q.o, cal.name))
        })?;
    let text = String::from_utf8_lossy(&object.data).into_owned();
    let root = ical::parse(&text).ok();
    let simple = root
        .as_ref()
        .and_then(|r| event_text::from_ical(r, ctx.zone));
    let body = match simple {
        Some(e) => form_markup(
            &ctx,
            &cal,
            &values_of(&e, &object.meta.etag),
            Some(&q.o),
            None,
        ),
        None => {
            let d = dav::history::describe(&object.data);
            html! {
                div.pagehead { div { h1 { (d.summary.as_deref().unwrap_or("(no title)")) } p { "In " (cal.name) @if let Some(s) = &d.start { " · starts " (s) } } } }
                section.card {
                    p { "This item repeats or is shaped in a way this page cannot edit without losing something; change it in your calendar app. Its history is below." }
                    div.actions {
                        a.button.secondary href={ "/web/history?c=" (enc(&cal.collection.path)) "&o=" (enc(&q.o)) } { "History of this event" }
                    }
                    (delete_form(&ctx, &cal.collection.path, &q.o, &object.meta.etag))
                }
            }
        }
    };
    Ok(html(page(&ctx, Section::Calendars, "Edit event", body)))
}

#[derive(Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    c: String,
    #[serde(default)]
    o: String,
    #[serde(flatten)]
    event: EventForm,
}

pub async fn save(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<SaveForm>,
) -> PageResult {
    ctx.check_csrf(&f.event.csrf)?;
    let store = app.engine.store().as_ref();
    let cal = calendars::find(store, &ctx.user, &f.c).await?;
    let object = (!f.o.is_empty()).then_some(f.o.as_str());
    let again = |error: &str| {
        let body = form_markup(&ctx, &cal, &f.event, object, Some(error));
        Ok(html_with(
            StatusCode::BAD_REQUEST,
            page(&ctx, Section::Calendars, "Event", body),
        ))
    };
    let e = match f.event.check() {
        Ok(e) => e,
        Err(message) => return again(&message),
    };
    let now = chrono::Utc::now();
    let day = e.start.format("%Y-%m-%d");
    let result = match object {
        None => {
            let uid = format!("{}@calvault", &random_token()[..26]);
            let name = format!("{}.ics", &uid[..26]);
            let href = dav::path::object_href(&ctx.user.name, &cal.collection.path, &name);
            let text = event_text::to_ical(&e, &uid, now, None);
            writes::put(&app.engine, &ctx.caller(), &href, text, Expect::Absent).await
        }
        Some(name) => {
            let current = store
                .object(cal.collection.id, name)
                .await?
                .ok_or_else(|| WebError::not_found("The event was deleted meanwhile."))?;
            let old = String::from_utf8_lossy(&current.data).into_owned();
            let root = ical::parse(&old).map_err(|e| WebError::bad(e.to_string()))?;
            let uid = root
                .components
                .iter()
                .find_map(|c| c.property("UID"))
                .map(|p| p.value.clone())
                .unwrap_or_default();
            let text = event_text::to_ical(&e, &uid, now, Some(&root));
            let href = dav::path::object_href(&ctx.user.name, &cal.collection.path, name);
            writes::put(
                &app.engine,
                &ctx.caller(),
                &href,
                text,
                Expect::Etag(&f.event.etag),
            )
            .await
        }
    };
    match result {
        Ok(_) => {
            let to = format!("/web/calendar?c={}&view=week&date={day}", enc(&cal.collection.path));
            Ok(ctx.redirect_with(&app, &to, true, format!("Saved \u{201c}{}\u{201d}.", e.title)))
        }
        Err(err) if err.status == StatusCode::PRECONDITION_FAILED => {
            again("Another device changed this event after you opened it. Open it again to see its current state.")
        }
        Err(err) => again(&err.message),
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    c: String,
    #[serde(default)]
    o: String,
    #[serde(default)]
    etag: String,
}

pub async fn delete(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<DeleteForm>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let cal = calendars::find(app.engine.store().as_ref(), &ctx.user, &f.c).await?;
    let href = dav::path::object_href(&ctx.user.name, &cal.collection.path, &f.o);
    let etag = (!f.etag.is_empty()).then_some(f.etag.as_str());
    writes::delete(&app.engine, &ctx.caller(), &href, etag).await?;
    let to = format!("/web/calendar?c={}", enc(&cal.collection.path));
    Ok(ctx.redirect_with(&app, &to, true, "Deleted. History can undo it."))
}
