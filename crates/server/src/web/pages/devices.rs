//! "Devices": app passwords, one per device ("New app password" with its "Label", shown
//! once with a QR code and the exact settings for Apple, DAVx5, Thunderbird and
//! Evolution), the list with last use, "Revoke", and a downloadable Apple configuration
//! profile with a new app password in it. Passwords are made by [`crate::tokens`] and kept
//! by the store as hashes only, as `calvault token add` and `/api/tokens` do.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use store::TokenScope;

use crate::state::AppState;
use crate::web::apple_profile::{self, ProfileTarget};
use crate::web::error::{PageResult, WebError};
use crate::web::frame::html;
use crate::web::layout::{csrf_field, page, when, Section};
use crate::web::page::Ctx;

/// The addresses a device needs.
struct Addresses {
    base: String,
    home: String,
    davx5: String,
}

fn addresses(app: &AppState, ctx: &Ctx) -> Addresses {
    let scheme = if app.web.secure { "https" } else { "http" };
    let base = format!("{scheme}://{}", ctx.host);
    Addresses {
        home: format!("{base}{}", dav::path::home_href(&ctx.user.name)),
        davx5: format!("{base}{}", dav::path::DAV_ROOT),
        base,
    }
}

/// DAVx5 opens its login screen for a `caldav(s)://` link (its manual, "Integration"):
/// with the user and password in it, scanning the code fills in everything.
fn davx5_link(app: &AppState, ctx: &Ctx, password: Option<&str>) -> String {
    let scheme = if app.web.secure { "caldavs" } else { "caldav" };
    let user =
        percent_encoding::utf8_percent_encode(&ctx.user.name, percent_encoding::NON_ALPHANUMERIC);
    let who = match password {
        Some(p) => format!("{user}:{p}@"),
        None => format!("{user}@"),
    };
    format!("{scheme}://{who}{}{}", ctx.host, dav::path::DAV_ROOT)
}

fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(180, 180)
        .quiet_zone(true)
        .build();
    // Inline in the page: the XML declaration has no place there.
    Some(match svg.find("<svg") {
        Some(at) => svg[at..].to_owned(),
        None => svg,
    })
}

fn settings(app: &AppState, ctx: &Ctx, password: Option<&str>) -> Markup {
    let a = addresses(app, ctx);
    let pw = password.unwrap_or("an app password made for that device");
    let (host, _) = apple_profile::split_host(&ctx.host, app.web.secure);
    html! {
        div.clients {
            div {
                h3 { "Apple (iPhone, iPad, Mac)" }
                dl.settings {
                    dt { "Where" } dd { "Settings → Calendar → Accounts → Add Account → Other → Add CalDAV Account (Mac: Calendar → Settings → Accounts → +, Other CalDAV Account, Manual)" }
                    dt { "Server" } dd { code { (host) } }
                    dt { "User name" } dd { code { (ctx.user.name) } }
                    dt { "Password" } dd { code { (pw) } }
                    dt { "Or" } dd { "download an Apple configuration profile on this page and open it on the device." }
                }
            }
            div {
                h3 { "DAVx5 (Android)" }
                dl.settings {
                    dt { "Where" } dd { "+ → Login with URL and user name" }
                    dt { "Base URL (DAVx5 login URL)" } dd { code { (a.davx5) } }
                    dt { "User name" } dd { code { (ctx.user.name) } }
                    dt { "Password" } dd { code { (pw) } }
                    dt { "Or open" } dd { code { (davx5_link(app, ctx, None)) } " on the phone" }
                }
            }
            div {
                h3 { "Thunderbird" }
                dl.settings {
                    dt { "Where" } dd { "Calendar → New Calendar → On the Network" }
                    dt { "Location" } dd { code { (a.home) } }
                    dt { "User name" } dd { code { (ctx.user.name) } }
                    dt { "Password" } dd { code { (pw) } " (asked for after Find Calendars)" }
                }
            }
            div {
                h3 { "Evolution (GNOME)" }
                dl.settings {
                    dt { "Where" } dd { "File → New → Calendar, Type: CalDAV" }
                    dt { "URL" } dd { code { (a.home) } }
                    dt { "User" } dd { code { (ctx.user.name) } }
                    dt { "Password" } dd { code { (pw) } " (asked for after Find Calendars)" }
                }
            }
        }
        p.muted { "Any other CalDAV app: server " code { (a.base) "/" } " finds the calendars by itself (RFC 6764)." }
    }
}

async fn devices_page(app: &AppState, ctx: &Ctx, created: Option<(String, String)>) -> PageResult {
    let tokens = app.engine.store().tokens(ctx.user.id).await?;
    let body = html! {
        div.pagehead { div { h1 { "Devices" } p { "Give each phone, tablet and computer an app password of its own: revoke one and only that device stops syncing." } } }
        @if let Some((label, secret)) = &created {
            section.card #new-password {
                h2 { "App password for " (label) }
                p { "Enter it on the device now: it is shown only this once." }
                div.row {
                    div {
                        p.secret.mono #secret { (secret) }
                        button.small.secondary type="button" data-copy="secret" hidden { "Copy" }
                        p.muted { "DAVx5 on Android: scan the code to fill in the server, user name and this password." }
                    }
                    @if let Some(svg) = qr_svg(&davx5_link(app, ctx, Some(secret))) {
                        div.qr role="img" aria-label="QR code with the DAVx5 login link and this app password" { (PreEscaped(svg)) }
                    }
                }
                h3 { "Settings" }
                (settings(app, ctx, Some(secret)))
            }
        }
        div.grid2 {
            section.card {
                h2 { "New app password" }
                form.fields method="post" action="/web/devices" {
                    (csrf_field(ctx))
                    div.field { label for="label" { "Label" } input #label type="text" name="label" required maxlength="100" placeholder="Ann's phone"; span.hint { "The device it is for; changes it makes show this name in History." } }
                    div.field {
                        label for="scope" { "Access" }
                        select #scope name="scope" { option value="all" { "Read and change" } option value="read-only" { "Read only" } }
                    }
                    div { button type="submit" { "Create" } }
                }
            }
            section.card {
                h2 { "Apple configuration profile" }
                p.muted { "A .mobileconfig file that adds this account to an iPhone, iPad or Mac, with a new app password of its own." }
                form.fields method="post" action="/web/devices/profile" {
                    (csrf_field(ctx))
                    div.field { label for="profile-label" { "Label" } input #profile-label type="text" name="label" required maxlength="100" value="Apple device"; }
                    div { button type="submit" { "Download profile" } }
                }
            }
        }
        section.card {
            h2 { "App passwords" }
            @if tokens.is_empty() { p.empty { "None yet. Devices can also sign in with your account password, but an app password per device is safer." } }
            @else {
                div.tablewrap {
                    table {
                        thead { tr { th { "Label" } th { "Access" } th.hide-narrow { "Created" } th { "Last used" } th { span.muted { "Actions" } } } }
                        tbody {
                            @for t in &tokens {
                                tr {
                                    td { (t.label) }
                                    td { @if t.scope == TokenScope::ReadOnly { "Read only" } @else { "Read and change" } }
                                    td.hide-narrow { (when(ctx, t.created_at)) }
                                    td { @match t.last_used_at { Some(at) => (when(ctx, at)), None => span.muted { "never" } } }
                                    td {
                                        form method="post" action="/web/devices/revoke" {
                                            (csrf_field(ctx))
                                            input type="hidden" name="label" value=(t.label);
                                            button.small.danger type="submit" aria-label={ "Revoke " (t.label) } { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if created.is_none() {
            section.card {
                h2 { "Settings per app" }
                (settings(app, ctx, None))
            }
        }
    };
    Ok(html(page(ctx, Section::Devices, "Devices", body)))
}

pub async fn show(State(app): State<Arc<AppState>>, ctx: Ctx) -> PageResult {
    devices_page(&app, &ctx, None).await
}

#[derive(Deserialize)]
pub struct NewToken {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    scope: String,
}

/// Makes an app password for the signed-in user; the secret, to be shown once.
async fn issue(
    app: &AppState,
    ctx: &Ctx,
    label: &str,
    scope: TokenScope,
) -> Result<(String, String), WebError> {
    let issued = crate::tokens::issue(ctx.user.id, label, scope).map_err(WebError::bad)?;
    let label = issued.new.label.clone();
    match app.engine.store().create_token(issued.new).await {
        Ok(_) => Ok((label, issued.secret.to_string())),
        Err(store::StoreError::AlreadyExists) => Err(WebError::new(
            StatusCode::CONFLICT,
            format!("You already have an app password labelled \u{201c}{label}\u{201d}: revoke it first or choose another label."),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<NewToken>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    let scope = TokenScope::parse(&f.scope).unwrap_or(TokenScope::All);
    match issue(&app, &ctx, &f.label, scope).await {
        Ok(made) => devices_page(&app, &ctx, Some(made)).await,
        Err(e) => Ok(ctx.redirect_with(&app, "/web/devices", false, e.message)),
    }
}

#[derive(Deserialize)]
pub struct Revoke {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
}

pub async fn revoke(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Revoke>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    match app.engine.store().revoke_token(ctx.user.id, &f.label).await {
        Ok(()) => Ok(ctx.redirect_with(
            &app,
            "/web/devices",
            true,
            format!(
                "Revoked \u{201c}{}\u{201d}: that device can no longer sign in with it.",
                f.label
            ),
        )),
        Err(store::StoreError::NotFound) => Ok(ctx.redirect_with(
            &app,
            "/web/devices",
            false,
            "That app password is gone already.",
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn profile(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<Revoke>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&f.csrf)?;
    // Each download is a device of its own: "Apple device", "Apple device 2", ...
    let taken: Vec<String> = app
        .engine
        .store()
        .tokens(ctx.user.id)
        .await?
        .into_iter()
        .map(|t| t.label)
        .collect();
    let base = f.label.trim();
    let label = (1..)
        .map(|n| match n {
            1 => base.to_owned(),
            n => format!("{base} {n}"),
        })
        .find(|l| !taken.contains(l))
        .unwrap_or_else(|| base.to_owned());
    let (_, secret) = match issue(&app, &ctx, &label, TokenScope::All).await {
        Ok(made) => made,
        Err(e) => return Ok(ctx.redirect_with(&app, "/web/devices", false, e.message)),
    };
    let (host, port) = apple_profile::split_host(&ctx.host, app.web.secure);
    let text = apple_profile::mobileconfig(&ProfileTarget {
        host: &host,
        port,
        tls: app.web.secure,
        user: &ctx.user.name,
        password: &secret,
    });
    let mut res = text.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-apple-aspen-config"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"calvault.mobileconfig\""),
    );
    Ok(res)
}
