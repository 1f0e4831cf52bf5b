//! "Administration", for accounts marked administrator (`calvault user add NAME --admin`,
//! `calvault user admin NAME on|off`): the users with their quota and usage, "Add user",
//! "Reset password", making an account an administrator or not, disabling it and its
//! quota ([`super::admin_accounts`]; all through [`crate::admin`], as the CLI does), and
//! the server's status: version, store, database size, the last background history
//! verification and the backup tool's last visit.

use std::sync::Arc;

use axum::extract::State;
use axum::Form;
use maud::html;
use serde::Deserialize;
use serde_json::Value;

use crate::state::AppState;
use crate::web::error::{PageResult, WebError};
use crate::web::frame::bytes;
use crate::web::frame::html;
use crate::web::layout::{csrf_field, page, when, Section};
use crate::web::page::Ctx;

/// The SQLite file and its write-ahead log, together.
fn database_size(app: &AppState) -> Option<u64> {
    let file = app.web.database_file.as_ref()?;
    let mut total = std::fs::metadata(file).ok()?.len();
    for suffix in ["-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        total += std::fs::metadata(&name).map(|m| m.len()).unwrap_or(0);
    }
    Some(total)
}

fn verification(ctx: &Ctx, last: Option<Value>) -> maud::Markup {
    let Some(v) = last else {
        return html! { "No check has run yet since the server started (it runs in the background, see verify_interval_hours)." };
    };
    let at = v
        .get("at")
        .and_then(Value::as_i64)
        .map(|t| when(ctx, t))
        .unwrap_or_default();
    match v.get("intact").and_then(Value::as_bool) {
        Some(true) => html! {
            span.badge { "Intact" } " " (at) ": "
            (v["calendars"]) " calendars, " (v["versions"]) " versions, " (v["objects"]) " objects; every hash chain verified."
        },
        Some(false) => html! {
            span.badge.deleted { "Problems" } " " (at)
            ul { @for p in v["problems"].as_array().into_iter().flatten() { li { (p["calendar"].as_str().unwrap_or("?")) ": " (p["problem"].as_str().unwrap_or("")) } } }
        },
        None => {
            html! { "The last check (" (at) ") could not read the store: " (v["error"].as_str().unwrap_or("")) }
        }
    }
}

/// What this node saw of the backup tool ([`crate::backups_seen`]): it runs elsewhere as a
/// CalDAV client and keeps its own record, so the page says where the knowledge ends.
fn last_backup(ctx: &Ctx, seen: Option<crate::backups_seen::Seen>) -> maud::Markup {
    match seen {
        Some(s) => html! {
            "Last backup seen by this server: " (when(ctx, s.at)) ", by " strong { (s.user) }
            " with " code { (s.agent) } " (since the server started)."
        },
        None => html! {
            "None since the server started. " span.muted { "This server notes the requests of calvault-backup in memory; the tool's own record is calvault snapshots." }
        },
    }
}

pub async fn show(State(app): State<Arc<AppState>>, ctx: Ctx) -> PageResult {
    ctx.only_admins()?;
    let store = app.engine.store().as_ref();
    let users = store.list_users().await?;
    let mut rows = Vec::new();
    for u in &users {
        rows.push((u, store.usage_bytes(u.id).await?, app.engine.quota_for(u)));
    }
    let body = html! {
        div.pagehead { div { h1 { "Administration" } p { (users.len()) @if users.len() == 1 { " account" } @else { " accounts" } " on this server." } } }
        section.card {
            h2 { "Users" }
            div.tablewrap {
                table {
                    thead { tr { th { "User" } th.num { "Usage" } th.num { "Quota" } th { "Role" } th { span.muted { "Actions" } } } }
                    tbody {
                        @for (u, used, quota) in &rows {
                            tr {
                                td {
                                    strong { (u.name) }
                                    @if u.disabled { " " span.badge.deleted { "Disabled" } }
                                    @if let Some(e) = &u.email { br; span.muted { (e) } }
                                }
                                td.num { (bytes(*used)) }
                                td.num {
                                    @match quota { Some(q) => (bytes(*q)), None => span.muted { "none" } }
                                    @if u.quota_bytes.is_none() && quota.is_some() { br; span.muted { "default" } }
                                }
                                td { @if u.admin { span.badge { "Administrator" } } @else { "User" } }
                                td {
                                    details.edit {
                                        summary { "Manage " (u.name) }
                                        form.fields method="post" action="/web/admin/password" {
                                            (csrf_field(&ctx))
                                            input type="hidden" name="user" value=(u.name);
                                            div.field { label for={ "pw-" (u.name) } { "New password" } input id={ "pw-" (u.name) } type="password" name="password" autocomplete="new-password" minlength="8" required; }
                                            div { button.small type="submit" { "Reset password" } }
                                        }
                                        @if u.name != ctx.user.name {
                                            form method="post" action="/web/admin/role" {
                                                (csrf_field(&ctx))
                                                input type="hidden" name="user" value=(u.name);
                                                input type="hidden" name="admin" value=(if u.admin { "off" } else { "on" });
                                                button.small.secondary type="submit" { @if u.admin { "Remove administrator" } @else { "Make administrator" } }
                                            }
                                        }
                                        (super::admin_accounts::forms(&ctx, u, app.engine.limits().default_quota))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.muted { "A disabled account cannot sign in (password, app passwords, browser sessions); its calendars, history and shares stay, and enabling it restores access. An account can be removed with calvault user remove." }
        }
        div.grid2 {
            section.card {
                h2 { "Add user" }
                form.fields method="post" action="/web/admin/users" {
                    (csrf_field(&ctx))
                    div.field { label for="new-user" { "User name" } input #new-user type="text" name="user" required autocomplete="off" pattern="[A-Za-z0-9._@-]+"; span.hint { "Letters, digits and . _ - @" } }
                    div.field { label for="new-password" { "Password" } input #new-password type="password" name="password" required minlength="8" autocomplete="new-password"; }
                    div.field { label for="new-quota" { "Quota in MB" } input #new-quota type="number" name="quota_mb" min="1"; span.hint { "Empty: the server's default." } }
                    label.check { input type="checkbox" name="admin" value="on"; "Administrator" }
                    div { button type="submit" { "Create" } }
                }
            }
            section.card.status {
                h2 { "Server status" }
                dl {
                    dt { "Version" } dd { "calvault " (env!("CARGO_PKG_VERSION")) }
                    dt { "Store" } dd { (app.web.store) }
                    dt { "Database size" } dd { @match database_size(&app) { Some(n) => (bytes(n)), None => span.muted { "not measured for this store" } } }
                    dt { "History verification" } dd {
                        (verification(&ctx, app.last_check.get()))
                        form method="post" action="/web/admin/verify" {
                            (csrf_field(&ctx))
                            button.small.secondary type="submit" { "Verify now" }
                        }
                    }
                    dt { "Last backup" } dd { (last_backup(&ctx, app.web.last_backup.get())) }
                }
            }
        }
    };
    Ok(html(page(
        &ctx,
        Section::Administration,
        "Administration",
        body,
    )))
}

#[derive(Deserialize)]
pub struct AddUser {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    quota_mb: String,
    admin: Option<String>,
}

pub async fn add_user(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<AddUser>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    ctx.only_admins()?;
    let back = "/web/admin";
    let store = app.engine.store().as_ref();
    let name = f.user.trim();
    if let Some(problem) = super::account::password_problem(&f.password) {
        return Ok(ctx.redirect_with(&app, back, false, problem));
    }
    let quota = match f.quota_mb.trim() {
        "" => None,
        q => Some(
            q.parse::<u64>()
                .map_err(|_| WebError::bad("The quota is a number of megabytes."))?
                .saturating_mul(1_000_000),
        ),
    };
    let added = async {
        crate::admin::check_user_name(name)?;
        crate::admin::ensure_new_user(store, name).await?;
        let account = crate::admin::Account {
            quota,
            admin: f.admin.is_some(),
            ..crate::admin::Account::named(name)
        };
        crate::admin::add_user(store, &account, &f.password).await
    }
    .await;
    match added {
        Ok(u) => Ok(ctx.redirect_with(
            &app,
            back,
            true,
            format!(
                "Added {} with the calendar \u{201c}{}\u{201d}.",
                u.name,
                crate::admin::FIRST_CALENDAR
            ),
        )),
        Err(e) => Ok(ctx.redirect_with(&app, back, false, e.to_string())),
    }
}

#[derive(Deserialize)]
pub struct ResetPassword {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<ResetPassword>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    ctx.only_admins()?;
    let back = "/web/admin";
    if let Some(problem) = super::account::password_problem(&f.password) {
        return Ok(ctx.redirect_with(&app, back, false, problem));
    }
    let store = app.engine.store().as_ref();
    let done = async {
        crate::admin::existing_user(store, &f.user).await?;
        crate::admin::set_password(store, &f.user, &f.password).await
    }
    .await;
    match done {
        Ok(()) => {
            app.auth.forget_logins();
            let keep = (f.user == ctx.user.name).then_some(ctx.session.as_str());
            app.web.sessions.end_user(&f.user, keep);
            Ok(ctx.redirect_with(
                &app,
                back,
                true,
                format!(
                    "New password set for {}; their browser sessions ended.",
                    f.user
                ),
            ))
        }
        Err(e) => Ok(ctx.redirect_with(&app, back, false, e.to_string())),
    }
}

#[derive(Deserialize)]
pub struct SetRole {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    admin: String,
}

pub async fn set_role(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<SetRole>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    ctx.only_admins()?;
    let on = f.admin == "on";
    match crate::admin::set_admin(app.engine.store().as_ref(), &f.user, on).await {
        Ok(()) => Ok(ctx.redirect_with(
            &app,
            "/web/admin",
            true,
            format!(
                "{} is {} an administrator.",
                f.user,
                if on { "now" } else { "no longer" }
            ),
        )),
        Err(e) => Ok(ctx.redirect_with(&app, "/web/admin", false, e.to_string())),
    }
}

#[derive(Deserialize)]
pub struct Verify {
    #[serde(default)]
    csrf: String,
}

/// Runs the background check now (every hash chain, every served object) and keeps its
/// result as the background run would.
pub async fn verify(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Verify>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    ctx.only_admins()?;
    let result = crate::verification::check_once(app.engine.store().as_ref()).await;
    let intact = result.get("intact").and_then(Value::as_bool);
    app.last_check.set(result);
    let text = match intact {
        Some(true) => "History verified: every hash chain intact.",
        Some(false) => "History verification found problems: see Server status.",
        None => "The store could not be read for the verification.",
    };
    Ok(ctx.redirect_with(&app, "/web/admin", intact == Some(true), text))
}
