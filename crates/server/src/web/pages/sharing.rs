//! "Sharing": who else may see or change each of the signed-in user's calendars (a user or
//! an @group, at "Free/busy only", "Read", "Read and write" or "Read, write and share"),
//! free/busy of all calendars at once, the account's "Delegates", and "Shared with me":
//! what others share with the user and where it shows in their home. Every form goes
//! through [`crate::admin::sharing`] as `calvault share` and `/api/shares` do, and the
//! store decides what may be granted (not to the owner, not on a sharee's binding); a
//! share shows in the sharee's home at once when the server's `sharing_accept` is "auto".

use std::sync::Arc;

use axum::extract::State;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use store::{Grant, Privilege};

use crate::admin::sharing;
use crate::admin::AdminError;
use crate::state::AppState;
use crate::web::error::PageResult;
use crate::web::frame::{html, swatch};
use crate::web::layout::{csrf_field, page, when, Section};
use crate::web::page::Ctx;
use crate::web::shares::{self, access_label, Overview, ALL, CALENDAR_ACCESS, DELEGATE_ACCESS};

const BACK: &str = "/web/sharing";

pub async fn show(State(app): State<Arc<AppState>>, ctx: Ctx) -> PageResult {
    let o = shares::overview(app.engine.store().as_ref(), &ctx.user).await?;
    let hint = groups_hint(&o);
    let body = html! {
        div.pagehead { div { h1 { "Sharing" } p { "Who else may see or change your calendars, and what others share with you." } } }
        @if o.calendars.is_empty() {
            section.card { p.empty { "You have no calendars to share yet. Create one under " a href="/web/calendars" { "Calendars" } "." } }
        }
        @for (i, c) in o.calendars.iter().enumerate() {
            @let id = format!("cal-{i}");
            section.card aria-labelledby=(id) {
                h2 id=(id) { (swatch(&c.calendar.colour)) (c.calendar.name) }
                (grant_table(&ctx, &c.calendar.collection.path, &c.grants, "Only you."))
                (share_form(&ctx, &c.calendar.collection.path, &c.calendar.name, &i.to_string(), &hint))
            }
        }
        div.grid2 {
            section.card #delegates aria-labelledby="delegates-title" {
                h2 #delegates-title { "Delegates" }
                p.muted { "A delegate may read (or also change) all your calendars, now and later. Apple Calendar, iOS and DAVx5 show you to them as someone whose calendars they manage." }
                (grant_table(&ctx, ALL, &o.delegates, "No delegates."))
                (delegate_form(&ctx))
            }
            section.card #free-busy aria-labelledby="free-busy-title" {
                h2 #free-busy-title { "Free/busy of all calendars" }
                p.muted { "Lets people see when you are busy in any of your calendars (for scheduling), but not what you are doing." }
                (grant_table(&ctx, ALL, &o.free_busy, "Nobody sees your free/busy."))
                (free_busy_form(&ctx, &hint))
            }
        }
        @for (i, other) in o.others.iter().enumerate() {
            @let id = format!("other-{i}");
            section.card aria-labelledby=(id) {
                h2 id=(id) { "Folder " code { (other.path) } }
                p.muted { "Shared from the command line; the calendars in it are shared too." }
                (grant_table(&ctx, &other.path, &other.grants, ""))
            }
        }
        (shared_with_me(&o))
    };
    Ok(html(page(&ctx, Section::Sharing, "Sharing", body)))
}

/// What `@NAME` can reach, under the share forms.
fn groups_hint(o: &Overview) -> String {
    let names: Vec<String> = o.groups.iter().map(|g| format!("@{}", g.name)).collect();
    match names.is_empty() {
        true => "A user name, or a group as @name.".into(),
        false => format!(
            "A user name, or a group as @name (yours: {}).",
            names.join(", ")
        ),
    }
}

/// Who has access to `on` (a calendar's path or [`ALL`]), each with "Remove".
fn grant_table(ctx: &Ctx, on: &str, grants: &[Grant], empty: &str) -> Markup {
    html! {
        @if grants.is_empty() {
            p.empty { (empty) }
        } @else {
            div.tablewrap {
                table {
                    thead { tr { th { "User or group" } th { "Access" } th.hide-narrow { "Shared by" } th { span.muted { "Actions" } } } }
                    tbody {
                        @for g in grants {
                            @let who = sharing::grantee_text(g);
                            tr {
                                td { (who) }
                                td { (access_label(g.privilege)) }
                                td.hide-narrow { (g.created_by) ", " (when(ctx, g.created_at)) }
                                td {
                                    form method="post" action="/web/sharing/remove" {
                                        (csrf_field(ctx))
                                        input type="hidden" name="c" value=(on);
                                        input type="hidden" name="who" value=(who);
                                        button.small.danger type="submit" aria-label={ "Remove " (who) } { "Remove" }
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

/// The "User or group" field, described by the hint under its row; `key` keeps the ids
/// of the page's forms apart.
fn who_field(key: &str) -> Markup {
    let id = format!("who-{key}");
    html! {
        div.field {
            label for=(id) { "User or group" }
            input id=(id) type="text" name="who" required autocomplete="off" placeholder="bob or @family" aria-describedby={ "who-hint-" (key) };
        }
    }
}

fn who_hint(key: &str, hint: &str) -> Markup {
    html! { span.hint id={ "who-hint-" (key) } { (hint) } }
}

/// "User or group", "Access", "Share" for one calendar.
fn share_form(ctx: &Ctx, on: &str, name: &str, key: &str, hint: &str) -> Markup {
    let access = format!("access-{key}");
    html! {
        form.fields method="post" action="/web/sharing" aria-label={ "Share " (name) } {
            (csrf_field(ctx))
            input type="hidden" name="c" value=(on);
            div.row {
                (who_field(key))
                div.field {
                    label for=(access) { "Access" }
                    select id=(access) name="access" {
                        @for p in CALENDAR_ACCESS {
                            option value=(p.as_str()) selected[p == Privilege::Read] { (access_label(p)) }
                        }
                    }
                }
                div { button type="submit" { "Share" } }
            }
            (who_hint(key, &format!("{hint} Sharing again with someone changes their access.")))
        }
    }
}

/// Free/busy of every calendar: a free-busy grant on the home.
fn free_busy_form(ctx: &Ctx, hint: &str) -> Markup {
    html! {
        form.fields method="post" action="/web/sharing" aria-label="Share free/busy of all calendars" {
            (csrf_field(ctx))
            input type="hidden" name="c" value=(ALL);
            input type="hidden" name="access" value=(Privilege::FreeBusy.as_str());
            div.row {
                (who_field("free-busy"))
                div { button type="submit" { "Share" } }
            }
            (who_hint("free-busy", hint))
        }
    }
}

fn delegate_form(ctx: &Ctx) -> Markup {
    html! {
        form.fields method="post" action="/web/sharing/delegates" aria-label="Add a delegate" {
            (csrf_field(ctx))
            div.row {
                div.field {
                    label for="delegate-user" { "User name" }
                    input #delegate-user type="text" name="user" required autocomplete="off";
                }
                div.field {
                    label for="delegate-access" { "Access" }
                    select #delegate-access name="access" {
                        @for p in DELEGATE_ACCESS {
                            option value=(p.as_str()) { (access_label(p)) }
                        }
                    }
                }
                div { button type="submit" { "Delegate" } }
            }
        }
    }
}

fn shared_with_me(o: &Overview) -> Markup {
    html! {
        section.card #shared-with-me aria-labelledby="shared-with-me-title" {
            h2 #shared-with-me-title { "Shared with me" }
            @if o.shared_with_me.is_empty() {
                p.empty { "Nothing yet. A calendar someone shares with you shows here, and in your calendar apps." }
            } @else {
                div.tablewrap {
                    table {
                        thead { tr { th { "Calendar" } th { "Owner" } th { "Access" } th { "In your calendar apps" } } }
                        tbody {
                            @for s in &o.shared_with_me {
                                tr {
                                    td { @match &s.calendar { Some(name) => (name), None => "All calendars (as a delegate)" } }
                                    td { (s.owner) }
                                    td { (access_label(s.privilege)) }
                                    td {
                                        @if let Some(b) = &s.binding {
                                            code { (b) }
                                        } @else if s.privilege == Privilege::FreeBusy {
                                            span.muted { "Free/busy only, for scheduling" }
                                        } @else if s.calendar.is_none() {
                                            "At " code { (s.href) }
                                        } @else {
                                            "Not added to your calendars; at " code { (s.href) }
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
}

/// The outcome of a form: back to the page with what was done, or why not.
fn back(app: &AppState, ctx: &Ctx, outcome: Result<String, String>) -> axum::response::Response {
    let (ok, message) = match outcome {
        Ok(done) => (true, done),
        Err(why) => (false, why),
    };
    ctx.redirect_with(app, BACK, ok, message)
}

/// `who` as typed, or why it cannot be anyone.
fn named(who: &str) -> Result<&str, String> {
    match who.trim() {
        "" | "@" => Err("Enter a user name, or a group as @name.".into()),
        who => Ok(who),
    }
}

/// How the store's refusal reads: sharing with oneself is worded for the one who tried
/// (the store refuses every grant to a calendar's owner).
fn refused(ctx: &Ctx, who: &str, label: &str, on: &str, e: AdminError) -> String {
    match e {
        AdminError::Refused(_) if who == ctx.user.name => format!(
            "You cannot share with yourself: you own {label} and have every access already."
        ),
        e => shares::refusal(e, on),
    }
}

/// The "Share" forms. A missing field reads as empty and is refused in words.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Share {
    csrf: String,
    /// The calendar's path, or `*` for all of them.
    c: String,
    /// `USER` or `@GROUP`.
    who: String,
    access: String,
}

/// "Share": gives (or changes) a share of one calendar, or free/busy of all.
pub async fn share(State(app): State<Arc<AppState>>, ctx: Ctx, Form(f): Form<Share>) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let outcome = share_as_asked(&app, &ctx, &f).await;
    Ok(back(&app, &ctx, outcome))
}

async fn share_as_asked(app: &AppState, ctx: &Ctx, f: &Share) -> Result<String, String> {
    let store = app.engine.store().as_ref();
    let who = named(&f.who)?;
    // The home takes free/busy here; read and write of everything is a delegate's.
    let offered: &[Privilege] = match f.c == ALL {
        true => &[Privilege::FreeBusy],
        false => &CALENDAR_ACCESS,
    };
    let access = shares::chosen(&f.access, offered)?;
    let (on, label) = shares::target(store, &ctx.user, &f.c).await?;
    let bind = sharing::binds_at_once(app.engine.limits());
    sharing::add_share(store, &on, who, access, bind, &ctx.change())
        .await
        .map_err(|e| refused(ctx, who, &label, &f.c, e))?;
    Ok(match on.collection.is_home() {
        true => format!("{who} may see when you are busy in all your calendars now."),
        false => format!("Shared {label} with {who}: {}.", access_label(access)),
    })
}

/// A "Remove" button's form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Remove {
    csrf: String,
    c: String,
    who: String,
}

/// "Remove": takes a share (or a delegate: a share of the home) back.
pub async fn remove(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Remove>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let store = app.engine.store().as_ref();
    let outcome = async {
        let who = named(&f.who)?;
        let (on, label) = shares::target(store, &ctx.user, &f.c).await?;
        sharing::remove_share(store, &on, who, &ctx.change())
            .await
            .map_err(|e| shares::refusal(e, &f.c))?;
        Ok(format!("{who} no longer has access to {label}."))
    }
    .await;
    Ok(back(&app, &ctx, outcome))
}

/// The "Delegate" form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Delegate {
    csrf: String,
    user: String,
    access: String,
}

/// "Delegate": read (or read and write) of every calendar, a grant on the home, as
/// `calvault delegate add` and `/api/delegates` make it.
pub async fn delegate(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Delegate>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let store = app.engine.store().as_ref();
    let outcome = async {
        let user = named(&f.user)?;
        let write = shares::chosen(&f.access, &DELEGATE_ACCESS)? >= Privilege::ReadWrite;
        let (home, label) = shares::target(store, &ctx.user, ALL).await?;
        sharing::add_delegate(store, &home, user, write, &ctx.change())
            .await
            .map_err(|e| refused(&ctx, user, &label, ALL, e))?;
        let may = match write {
            true => "read and change",
            false => "read",
        };
        Ok(format!(
            "{user} is your delegate now: they may {may} all your calendars."
        ))
    }
    .await;
    Ok(back(&app, &ctx, outcome))
}
