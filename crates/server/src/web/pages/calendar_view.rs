//! One calendar: agenda, week and month views of its events in the user's time zone
//! (recurring events expanded by the engine, `web::occurrences`), its tasks with their due
//! dates, and "New event". A calendar another user shares with the signed-in one
//! (`owner=NAME`, read access or more) shows the same views, read only: it is changed in
//! a calendar app, or by its owner.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use chrono::{Datelike, NaiveDate, TimeZone};
use maud::{html, Markup};
use serde::Deserialize;
use store::Privilege;

use crate::state::AppState;
use crate::web::calendars::{self, CalendarInfo};
use crate::web::error::PageResult;
use crate::web::frame::enc;
use crate::web::frame::html;
use crate::web::frame::swatch;
use crate::web::layout::{page, Section};
use crate::web::occurrences::{self, Occurrence};
use crate::web::page::Ctx;
use crate::web::shares::access_label;

#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Agenda,
    Week,
    Month,
}

const VIEWS: [(View, &str, &str); 3] = [
    (View::Agenda, "agenda", "Agenda"),
    (View::Week, "week", "Week"),
    (View::Month, "month", "Month"),
];

/// How many days the agenda shows.
const AGENDA_DAYS: u64 = 30;

#[derive(Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    c: String,
    /// Whose calendar: empty for the user's own.
    #[serde(default)]
    owner: String,
    #[serde(default)]
    view: String,
    #[serde(default)]
    date: String,
}

/// The first and last day (inclusive) a view shows around `day`, and the days to step.
fn span(view: View, day: NaiveDate) -> (NaiveDate, NaiveDate) {
    match view {
        View::Agenda => (day, day + chrono::Days::new(AGENDA_DAYS - 1)),
        View::Week => {
            let monday = day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()));
            (monday, monday + chrono::Days::new(6))
        }
        View::Month => {
            let first = day.with_day(1).unwrap_or(day);
            let next = first + chrono::Months::new(1);
            let last = next.pred_opt().unwrap_or(first);
            let start =
                first - chrono::Days::new(u64::from(first.weekday().num_days_from_monday()));
            let end =
                last + chrono::Days::new(u64::from(6 - last.weekday().num_days_from_monday()));
            (start, end)
        }
    }
}

fn step(view: View, day: NaiveDate, forward: bool) -> NaiveDate {
    let moved = match (view, forward) {
        (View::Agenda, true) => day.checked_add_days(chrono::Days::new(AGENDA_DAYS)),
        (View::Agenda, false) => day.checked_sub_days(chrono::Days::new(AGENDA_DAYS)),
        (View::Week, true) => day.checked_add_days(chrono::Days::new(7)),
        (View::Week, false) => day.checked_sub_days(chrono::Days::new(7)),
        (View::Month, true) => day.checked_add_months(chrono::Months::new(1)),
        (View::Month, false) => day.checked_sub_months(chrono::Months::new(1)),
    };
    moved.unwrap_or(day)
}

/// Local midnight of `day` in `zone` as UTC seconds.
fn midnight(zone: chrono_tz::Tz, day: NaiveDate) -> i64 {
    zone.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.timestamp())
        .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp())
}

pub async fn show(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    let store = app.engine.store().as_ref();
    let (cal, access) = calendars::find_readable(store, &ctx.user, &q.owner, &q.c).await?;
    // Only the user's own calendars have the event, history and export pages.
    let own = access == Privilege::Owner;
    let view = VIEWS
        .iter()
        .find(|(_, key, _)| *key == q.view)
        .map_or(View::Agenda, |(v, _, _)| *v);
    let today = chrono::Utc::now().with_timezone(&ctx.zone).date_naive();
    let day = NaiveDate::parse_from_str(&q.date, "%Y-%m-%d").unwrap_or(today);
    let (first, last) = span(view, day);
    let from = midnight(ctx.zone, first);
    let to = midnight(ctx.zone, last + chrono::Days::new(1));
    let max = app.engine.limits().max_instances;
    let (events, problems) =
        occurrences::events(store, &cal.collection, from, to, ctx.zone, max).await?;
    let tasks = match cal.holds_tasks() {
        true => occurrences::tasks(store, &cal.collection, ctx.zone).await?,
        false => Vec::new(),
    };
    let mut by_day: BTreeMap<NaiveDate, Vec<&Occurrence>> = BTreeMap::new();
    for e in &events {
        for d in e.days().filter(|d| *d >= first && *d <= last) {
            by_day.entry(d).or_default().push(e);
        }
    }
    let c = match own {
        true => enc(&cal.collection.path),
        false => format!("{}&owner={}", enc(&cal.collection.path), enc(&q.owner)),
    };
    let key = VIEWS
        .iter()
        .find(|(v, _, _)| *v == view)
        .map_or("agenda", |(_, k, _)| k);
    let link = |d: NaiveDate| {
        format!(
            "/web/calendar?c={c}&view={key}&date={}",
            d.format("%Y-%m-%d")
        )
    };
    let title = match view {
        View::Month => day.format("%B %Y").to_string(),
        _ => format!("{} – {}", first.format("%-d %b"), last.format("%-d %b %Y")),
    };
    let body = html! {
        div.pagehead {
            div {
                h1 { (swatch(&cal.colour)) (cal.name) }
                p {
                    (cal.objects) " items · times in " (ctx.zone.name())
                    @if !own { " · shared by " (q.owner) " (" (access_label(access)) "), read only here" }
                }
            }
            @if own { div.actions {
                @if cal.holds_events() { a.button href={ "/web/event?c=" (c) "&date=" (day.format("%Y-%m-%d")) } { "New event" } }
                a.button.secondary href={ "/web/history?c=" (c) } { "History" }
                a.button.secondary href={ "/web/export?c=" (c) } { "Export" }
            } }
        }
        nav.tabs aria-label="View" {
            @for (v, k, label) in VIEWS {
                a href={ "/web/calendar?c=" (c) "&view=" (k) "&date=" (day.format("%Y-%m-%d")) } aria-current=[(v == view).then_some("page")] { (label) }
            }
        }
        div.pager {
            a.button.small.secondary href=(link(step(view, day, false))) { "Previous" }
            a.button.small.secondary href=(link(today)) { "Today" }
            a.button.small.secondary href=(link(step(view, day, true))) { "Next" }
            strong { (title) }
        }
        @if !problems.is_empty() {
            p.muted { "Not shown (they could not be expanded): " (problems.join("; ")) }
        }
        section.card {
            @match view {
                View::Agenda => (agenda(&cal, own, &by_day)),
                View::Week => (week(&cal, own, first, today, &by_day)),
                View::Month => (month(&cal, own, first, last, day, today, &by_day)),
            }
        }
        @if cal.holds_tasks() {
            section.card {
                h2 { "Tasks" }
                @if tasks.is_empty() { p.empty { "No tasks." } }
                @else {
                    table {
                        thead { tr { th { "Task" } th { "Due" } th { "Status" } } }
                        tbody {
                            @for t in &tasks {
                                tr {
                                    td { (t.summary) }
                                    td { @match t.due { Some(d) => (d.format("%a %-d %b %Y, %H:%M").to_string()), None => span.muted { "no due date" } } }
                                    td { @if t.done { span.badge { "Done" } } @else { "Open" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html(page(&ctx, Section::Calendars, &cal.name, body)))
}

/// An event as a link to its page in the user's own calendar, as text in a shared one.
fn event_ref(cal: &CalendarInfo, own: bool, e: &Occurrence, class: &str, inner: Markup) -> Markup {
    match own {
        true => {
            let href = format!(
                "/web/event?c={}&o={}",
                enc(&cal.collection.path),
                enc(&e.object)
            );
            html! { a class=(class) href=(href) { (inner) } }
        }
        false => html! { span class=(class) { (inner) } },
    }
}

fn time_of(e: &Occurrence) -> String {
    match e.all_day {
        true => "All day".into(),
        false => format!("{} – {}", e.start.format("%H:%M"), e.end.format("%H:%M")),
    }
}

fn agenda(cal: &CalendarInfo, own: bool, by_day: &BTreeMap<NaiveDate, Vec<&Occurrence>>) -> Markup {
    html! {
        @if by_day.is_empty() { p.empty { "Nothing in these 30 days." } }
        @for (day, events) in by_day {
            div.agenda-day {
                h3 { (day.format("%A %-d %B %Y")) }
                @for e in events {
                    div.event {
                        span.time { (time_of(e)) }
                        div {
                            (event_ref(cal, own, e, "title", html! { (e.summary) }))
                            @if e.recurring { " " span.badge { "repeats" } }
                            @if let Some(l) = &e.location { div.where { (l) } }
                        }
                    }
                }
            }
        }
    }
}

fn week(
    cal: &CalendarInfo,
    own: bool,
    monday: NaiveDate,
    today: NaiveDate,
    by_day: &BTreeMap<NaiveDate, Vec<&Occurrence>>,
) -> Markup {
    html! {
        div.week {
            @for d in monday.iter_days().take(7) {
                div class=(if d == today { "day today" } else { "day" }) {
                    h3 { (d.format("%a %-d %b")) }
                    @for e in by_day.get(&d).into_iter().flatten() {
                        (event_ref(cal, own, e, "chip", html! { span.t { (time_of(e)) } (e.summary) }))
                    }
                }
            }
        }
    }
}

fn month(
    cal: &CalendarInfo,
    own: bool,
    first: NaiveDate,
    last: NaiveDate,
    day: NaiveDate,
    today: NaiveDate,
    by_day: &BTreeMap<NaiveDate, Vec<&Occurrence>>,
) -> Markup {
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    html! {
        table.month {
            thead { tr { @for n in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] { th { (n) } } } }
            tbody {
                @for w in days.chunks(7) {
                    tr {
                        @for d in w {
                            @let class = if *d == today { "today" } else if d.month() != day.month() { "other" } else { "" };
                            td class=(class) {
                                div.n { (d.day()) }
                                @for e in by_day.get(d).into_iter().flatten() {
                                    (event_ref(cal, own, e, "chip", html! { (e.summary) }))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
