//! "Sign in" and "Sign out". The password is checked by the server's one
//! [`crate::auth::Authenticator`], so failed sign-ins here count in the same throttle as
//! CalDAV's; an app password does not open the web pages (it is for a device). The sign-in
//! form carries a CSRF token of its own in a short-lived cookie, since no session exists yet.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

use crate::auth::{AuthError, Identity};
use crate::session::{self, cookie, SIGNIN_COOKIE};
use crate::state::AppState;
use crate::web::error::{PageResult, WebError};
use crate::web::frame::bare;
use crate::web::frame::{html_with, redirect};
use crate::web::page::{ClientAddress, Ctx};

/// `/web/`: the calendars when signed in, else "Sign in".
pub async fn home(ctx: Option<Ctx>) -> Response {
    match ctx {
        Some(_) => redirect("/web/calendars"),
        None => redirect("/web/signin"),
    }
}

fn form_page(app: &AppState, status: StatusCode, user: &str, error: Option<&str>) -> Response {
    let token = session::random_token();
    let body = html! {
        section.card.narrow {
            h1 { "Sign in" }
            p.lead { "Your calendars, their history, and the devices that sync them." }
            @if let Some(e) = error {
                div.flash.error role="alert" { (e) }
            }
            form.fields method="post" action="/web/signin" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="time_zone" value="" data-timezone;
                div.field {
                    label for="user" { "User name" }
                    input #user type="text" name="user" value=(user) autocomplete="username" autocapitalize="none" required autofocus;
                }
                div.field {
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                }
                button type="submit" { "Sign in" }
            }
        }
        p.muted { "Calendar apps connect to this same address with CalDAV. " a href="/web/devices" { "Devices" } " has the settings once you are signed in." }
    };
    let mut res = html_with(status, bare("Sign in", body));
    let c = session::set_cookie(
        SIGNIN_COOKIE,
        &token,
        Some(Duration::from_secs(3600)),
        app.web.secure,
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn form(State(app): State<Arc<AppState>>, ctx: Option<Ctx>) -> Response {
    match ctx {
        Some(_) => redirect("/web/calendars"),
        None => form_page(&app, StatusCode::OK, "", None),
    }
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    time_zone: String,
}

pub async fn submit(
    State(app): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(f): Form<SignIn>,
) -> PageResult {
    let expected = cookie(&headers, SIGNIN_COOKIE).unwrap_or("");
    if !session::same_secret(expected, &f.csrf) {
        return Err(WebError::csrf());
    }
    let ip = address.unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    let refused = |status, text: &str| Ok(form_page(&app, status, &f.user, Some(text)));
    let user = match app.auth.check(&f.user, &f.password, ip).await {
        Ok(Identity { token: Some(_), .. }) => return refused(
            StatusCode::UNAUTHORIZED,
            "That is an app password, which is for a device. Sign in with your account's password.",
        ),
        Ok(Identity { user, token: None }) => user,
        Err(AuthError::Missing | AuthError::Rejected) => {
            return refused(StatusCode::UNAUTHORIZED, "Wrong user name or password.")
        }
        Err(AuthError::Throttled) => {
            return refused(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed sign-ins for this account. Wait a minute and try again.",
            )
        }
        Err(AuthError::Unavailable) => {
            return refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "The account store cannot be reached. Try again later.",
            )
        }
    };
    let zone = saved_time_zone(&app, &user)
        .await
        .or_else(|| {
            f.time_zone
                .parse::<chrono_tz::Tz>()
                .ok()
                .map(|z| z.name().to_owned())
        })
        .unwrap_or_else(|| "UTC".into());
    let id = app.web.sessions.start(&user.name, &zone).ok_or_else(|| {
        WebError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no randomness for a session",
        )
    })?;
    let mut res = redirect("/web/calendars");
    for c in [
        session::session_cookie(&id, app.web.secure),
        session::expired_cookie(SIGNIN_COOKIE, app.web.secure),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// The zone the user chose on the account page, kept on their calendar home.
pub async fn saved_time_zone(app: &AppState, user: &store::User) -> Option<String> {
    let store = app.engine.store();
    let home = store.collection(user.id, "").await.ok()??;
    let props = store.properties(home.id, None).await.ok()?;
    let zone = crate::web::calendars::property_text(
        &props,
        dav_xml::CALVAULT,
        crate::web::writes::TIME_ZONE,
    )?;
    zone.parse::<chrono_tz::Tz>()
        .ok()
        .map(|z| z.name().to_owned())
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

pub async fn sign_out(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    app.web.sessions.end(&ctx.session);
    let mut res = redirect("/web/signin");
    if let Ok(v) = HeaderValue::from_str(&session::expired_cookie(session::COOKIE, app.web.secure))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res.into_response())
}
