//! "Sharing": who else may see or change each of the signed-in user's calendars (a person
//! or an @group, at "Free/busy only", "Read", "Read and write" or "Read, write and
//! share"), "All calendars" at once, the account's "Delegates", and "Shared with me":
//! what others share with the user and where it shows in their home. Every form goes
//! through [`crate::admin::sharing`] as `calvault share` and `/api/shares` do; a share
//! shows in the sharee's home at once when the server's `sharing_accept` is "auto".

use std::sync::Arc;

use axum::extract::State;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use store::{Grant, Privilege};

use crate::admin::sharing;
use crate::state::AppState;
use crate::web::error::PageResult;
use crate::web::frame::{html, swatch};
use crate::web::layout::{csrf_field, page, when, Section};
use crate::web::page::Ctx;
use crate::web::shares::{
    self, access_label, Overview, ALL, ALL_CALENDARS_ACCESS, CALENDAR_ACCESS, DELEGATE_ACCESS,
};

const BACK: &str = "/web/sharing";

pub async fn show(State(app): State<Arc<AppState>>, ctx: Ctx) -> PageResult {
    let o = shares::overview(app.engine.store().as_ref(), &ctx.user).await?;
    let groups_hint = groups_hint(&o);
    let body = html! {
        div.pagehead { div { h1 { "Sharing" } p { "Who else may see or change your calendars, and what others share with you." } } }
        @for (i, c) in o.calendars.iter().enumerate() {
            @let id = format!("cal-{i}");
            section.card aria-labelledby=(id) {
                h2 id=(id) { (swatch(&c.calendar.colour)) (c.calendar.name) }
                (grant_table(&ctx, &c.calendar.collection.path, &c.grants, "Only you."))
                (share_form(&ctx, &c.calendar.collection.path, &c.calendar.name, &i.to_string(), &CALENDAR_ACCESS, &groups_hint))
            }
        }
        div.grid2 {
            section.card #all-calendars {
                h2 { "All calendars" }
                p.muted { "Free/busy or read access to every calendar you have, now and later." }
                (grant_table(&ctx, ALL, &o.all, "Nobody has access to all your calendars."))
                (share_form(&ctx, ALL, "all calendars", "all", &ALL_CALENDARS_ACCESS, &groups_hint))
            }
            section.card #delegates {
                h2 { "Delegates" }
                p.muted { "A delegate may read (or also change) all your calendars; Apple Calendar, iOS and DAVx5 show you to them as someone they manage calendars for. They are listed under All calendars too." }
                (grant_table(&ctx, ALL, &o.delegates, "No delegates."))
                (delegate_form(&ctx))
            }
        }
        @for (i, other) in o.others.iter().enumerate() {
            @let id = format!("other-{i}");
            section.card aria-labelledby=(id) {
                h2 id=(id) { "Folder " code { (other.path) } }
                p.muted { "Shared from the command line; everything in it is shared too." }
                (grant_table(&ctx, &other.path, &other.grants, ""))
            }
        }
        (shared_with_me(&o))
    };
    Ok(html(page(&ctx, Section::Sharing, "Sharing", body)))
}

/// "You are in @family, @team." under the share forms: whom `@NAME` can reach.
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
                    thead { tr { th { "Person or group" } th { "Access" } th.hide-narrow { "Shared by" } th { span.muted { "Actions" } } } }
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

/// "Person or group", "Access", "Share"; `key` keeps the field ids apart.
fn share_form(
    ctx: &Ctx,
    on: &str,
    name: &str,
    key: &str,
    offered: &[Privilege],
    hint: &str,
) -> Markup {
    let (who, access, hint_id) = (
        format!("who-{key}"),
        format!("access-{key}"),
        format!("who-hint-{key}"),
    );
    html! {
        form.fields method="post" action="/web/sharing" aria-label={ "Share " (name) } {
            (csrf_field(ctx))
            input type="hidden" name="c" value=(on);
            div.row {
                div.field {
                    label for=(who) { "Person or group" }
                    input id=(who) type="text" name="who" required autocomplete="off" placeholder="bob or @family" aria-describedby=(hint_id);
                }
                div.field {
                    label for=(access) { "Access" }
                    select id=(access) name="access" {
                        @for p in offered {
                            option value=(p.as_str()) selected[*p == Privilege::Read] { (access_label(*p)) }
                        }
                    }
                }
                div { button type="submit" { "Share" } }
            }
            span.hint id=(hint_id) { (hint) " Sharing again with someone changes their access." }
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
                div { button type="submit" { "Add delegate" } }
            }
        }
    }
}

fn shared_with_me(o: &Overview) -> Markup {
    html! {
        section.card #shared-with-me {
            h2 { "Shared with me" }
            @if o.shared_with_me.is_empty() {
                p.empty { "Nothing yet. A calendar someone shares with you shows here, and in your calendar apps." }
            } @else {
                div.tablewrap {
                    table {
                        thead { tr { th { "Calendar" } th { "Owner" } th { "Access" } th { "In your calendars" } } }
                        tbody {
                            @for s in &o.shared_with_me {
                                tr {
                                    td { @match &s.calendar { Some(name) => (name), None => "All calendars" } }
                                    td { (s.owner) }
                                    td { (access_label(s.privilege)) }
                                    td {
                                        @if let Some(b) = &s.binding {
                                            code { (b) }
                                        } @else if s.privilege == Privilege::FreeBusy {
                                            span.muted { "No: free/busy only, for scheduling" }
                                        } @else if s.calendar.is_none() {
                                            "As a delegate, at " code { (s.href) }
                                        } @else {
                                            "Not added; at " code { (s.href) }
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

#[derive(Deserialize)]
pub struct Share {
    #[serde(default)]
    csrf: String,
    /// The calendar's path, or `*` for all of them.
    #[serde(default)]
    c: String,
    /// `USER` or `@GROUP`.
    #[serde(default)]
    who: String,
    #[serde(default)]
    access: String,
}

/// "Share": gives (or changes) a share of one calendar, or of all.
pub async fn share(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Share>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let (ok, message) = match share_as_asked(&app, &ctx, &f).await {
        Ok(done) => (true, done),
        Err(why) => (false, why),
    };
    Ok(ctx.redirect_with(&app, BACK, ok, message))
}

async fn share_as_asked(app: &AppState, ctx: &Ctx, f: &Share) -> Result<String, String> {
    let store = app.engine.store().as_ref();
    let who = f.who.trim();
    let offered: &[Privilege] = match f.c == ALL {
        true => &ALL_CALENDARS_ACCESS,
        false => &CALENDAR_ACCESS,
    };
    let access = shares::chosen(&f.access, offered)?;
    let (on, label) = shares::target(store, &ctx.user, &f.c).await?;
    check_grantee(ctx, who, &label)?;
    // RFC-less but as CalDAV's CS:share does here: bound at once with `sharing_accept = "auto"`.
    let bind = app.engine.limits().sharing_accept == dav::SharingAccept::Auto;
    sharing::add_share(store, &on, who, access, bind, &ctx.change())
        .await
        .map_err(|e| shares::refusal(e, &f.c))?;
    Ok(format!(
        "Shared {label} with {who}: {}.",
        access_label(access)
    ))
}

/// A grantee the form may name: someone, and not the user themselves.
fn check_grantee(ctx: &Ctx, who: &str, label: &str) -> Result<(), String> {
    if who.is_empty() || who == "@" {
        return Err("Enter a user name, or a group as @name.".into());
    }
    if who == ctx.user.name {
        return Err(format!(
            "You own {label}: you have every access already."
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct Remove {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    c: String,
    #[serde(default)]
    who: String,
}

/// "Remove": takes a share (or a delegate, a share of all calendars) back.
pub async fn remove(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Remove>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let store = app.engine.store().as_ref();
    let removed = async {
        let (on, label) = shares::target(store, &ctx.user, &f.c).await?;
        sharing::remove_share(store, &on, &f.who, &ctx.change())
            .await
            .map_err(|e| shares::refusal(e, &f.c))?;
        Ok::<_, String>(format!("{} no longer has access to {label}.", f.who))
    }
    .await;
    let (ok, message) = match removed {
        Ok(done) => (true, done),
        Err(why) => (false, why),
    };
    Ok(ctx.redirect_with(&app, BACK, ok, message))
}

#[derive(Deserialize)]
pub struct Delegate {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    access: String,
}

/// "Add delegate": read (or read and write) on every calendar, a grant on the home.
pub async fn delegate(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Delegate>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let store = app.engine.store().as_ref();
    let added = async {
        let user = f.user.trim();
        let write = shares::chosen(&f.access, &DELEGATE_ACCESS)? >= Privilege::ReadWrite;
        let (home, label) = shares::target(store, &ctx.user, ALL).await?;
        check_grantee(&ctx, user, &label)?;
        let access = sharing::delegate_privilege(write);
        // A home is never bound into another's: delegates reach it at the owner's URLs.
        sharing::add_share(store, &home, user, access, false, &ctx.change())
            .await
            .map_err(|e| shares::refusal(e, ALL))?;
        let may = match write {
            true => "read and change",
            false => "read",
        };
        Ok::<_, String>(format!(
            "{user} is your delegate now: they may {may} all your calendars."
        ))
    }
    .await;
    let (ok, message) = match added {
        Ok(done) => (true, done),
        Err(why) => (false, why),
    };
    Ok(ctx.redirect_with(&app, BACK, ok, message))
}
