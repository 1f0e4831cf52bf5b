//! The account page: "Change password" (the current one is checked through the same
//! authenticator and throttle as a sign-in; every other session of the account ends) and
//! the "Time zone" the pages show times in.

use std::sync::Arc;

use axum::extract::State;
use axum::Form;
use maud::html;
use serde::Deserialize;

use crate::state::AppState;
use crate::web::error::{PageResult, WebError};
use crate::web::frame::html;
use crate::web::layout::{csrf_field, page, Section};
use crate::web::page::{ClientAddress, Ctx};
use crate::web::writes;

pub async fn show(ctx: Ctx) -> PageResult {
    let zones = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name());
    let body = html! {
        div.pagehead { div { h1 { "Account" } p { "Signed in as " strong { (ctx.user.name) } @if ctx.user.admin { " · administrator" } } } }
        div.grid2 {
            section.card {
                h2 { "Change password" }
                form.fields method="post" action="/web/account/password" {
                    (csrf_field(&ctx))
                    input type="text" name="user" value=(ctx.user.name) autocomplete="username" hidden;
                    div.field { label for="current" { "Current password" } input #current type="password" name="current" autocomplete="current-password" required; }
                    div.field { label for="new" { "New password" } input #new type="password" name="new" autocomplete="new-password" minlength="8" required; span.hint { "At least 8 characters. Devices using app passwords keep working." } }
                    div.field { label for="repeat" { "Repeat new password" } input #repeat type="password" name="repeat" autocomplete="new-password" required; }
                    div { button type="submit" { "Change password" } }
                }
            }
            section.card {
                h2 { "Time zone" }
                p.muted { "Calendar views and history show times in this zone." }
                form.fields method="post" action="/web/account/timezone" {
                    (csrf_field(&ctx))
                    div.field {
                        label for="zone" { "Time zone" }
                        select #zone name="zone" {
                            @for z in zones {
                                option value=(z) selected[z == ctx.zone.name()] { (z) }
                            }
                        }
                    }
                    div { button type="submit" { "Save" } }
                }
            }
        }
    };
    Ok(html(page(&ctx, Section::Account, "Account", body)))
}

/// Passwords the pages set are at least this long (a person types them; devices use app
/// passwords).
const MIN_PASSWORD: usize = 8;

/// Why a new password cannot be used, if it cannot.
pub fn password_problem(password: &str) -> Option<String> {
    (password.chars().count() < MIN_PASSWORD)
        .then(|| format!("A password needs at least {MIN_PASSWORD} characters."))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn change_password(
    State(app): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let back = "/web/account";
    if let Some(problem) = password_problem(&f.new) {
        return Ok(ctx.redirect_with(&app, back, false, problem));
    }
    if f.new != f.repeat {
        return Ok(ctx.redirect_with(&app, back, false, "The two new passwords differ."));
    }
    let ip = address.unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    match app.auth.check(&ctx.user.name, &f.current, ip).await {
        Ok(id) if id.token.is_none() => {}
        _ => return Ok(ctx.redirect_with(&app, back, false, "The current password is wrong.")),
    }
    crate::admin::set_password(app.engine.store().as_ref(), &ctx.user.name, &f.new)
        .await
        .map_err(WebError::from)?;
    app.auth.forget_logins();
    app.web
        .sessions
        .end_user(&ctx.user.name, Some(&ctx.session));
    Ok(ctx.redirect_with(
        &app,
        back,
        true,
        "Password changed. Other browsers signed in to this account were signed out.",
    ))
}

#[derive(Deserialize)]
pub struct ZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    zone: String,
}

pub async fn set_time_zone(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<ZoneForm>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let zone: chrono_tz::Tz = f
        .zone
        .parse()
        .map_err(|_| WebError::bad(format!("{:?} is not a time zone.", f.zone)))?;
    writes::set_time_zone(&app.engine, &ctx.caller(), zone.name()).await?;
    app.web.sessions.set_time_zone(&ctx.session, zone.name());
    Ok(ctx.redirect_with(
        &app,
        "/web/account",
        true,
        format!("Times now show in {}.", zone.name()),
    ))
}
