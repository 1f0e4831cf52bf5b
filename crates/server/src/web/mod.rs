//! The web interface: server-rendered pages (maud templates, HTML-escaped by default) for
//! people in a browser, on the same listener as CalDAV. A browser asking `/` for HTML is
//! sent to `/web/`; CalDAV clients keep DAV on every URL, and DAV never accepts the
//! session cookie (it stays Basic-only). Every page works without JavaScript; the one
//! embedded script only enhances.
//!
//! What the pages do they do through what already exists: sign-in through
//! [`crate::auth::Authenticator`] (the same throttle as CalDAV), calendar writes as DAV
//! requests to the engine ([`writes`]), views from the engine's own recurrence expansion
//! ([`occurrences`]), history and restores through `dav::history` (`request`, `text`),
//! app passwords through [`crate::tokens`] and the store, accounts through
//! [`crate::admin`]. Nothing here decides what those decide.
//!
//! ```text
//! /web/signin, /web/signout, /web/account     sign in and out, password, time zone
//! /web/calendars                               calendars, New calendar, Recently deleted
//! /web/calendar?c=PATH&view=agenda|week|month  one calendar's events and tasks
//! /web/event?c=PATH&o=NAME                     New event / edit / delete
//! /web/history?c=PATH&o=NAME                   changes, Undo, Restore calendar to this point
//! /web/import, /web/export?c=PATH              Import and export
//! /web/devices                                 App passwords, settings per client, profile
//! /web/sharing                                 shares of each calendar, delegates, shared with me
//! /web/admin                                   Administration (administrators only):
//!                                              users, their state and quota, server status
//! /web/assets/NAME                             the embedded stylesheet, script and icon
//! ```

mod apple_profile;
mod assets;
mod calendars;
mod error;
mod event_text;
mod frame;
mod layout;
mod occurrences;
mod page;
mod pages;
mod shares;
mod transfer;
mod writes;
mod zone_text;

use std::sync::Arc;

use axum::http::{header, Method, Request};
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;
pub use page::CLIENT;

/// A browser's visit rather than a client's request: GET or HEAD, HTML wanted, no
/// credentials sent.
pub fn wants_page<B>(req: &Request<B>) -> bool {
    let html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    (req.method() == Method::GET || req.method() == Method::HEAD)
        && html
        && !req.headers().contains_key(header::AUTHORIZATION)
}

/// Every page of the interface, each answer with [`page::security_headers`]; forms may be
/// as large as a DAV request body (`max_request_body`: an import of big files).
pub fn routes(max_body: usize) -> Router<Arc<AppState>> {
    use pages::*;
    Router::new()
        .route("/web", get(signin::home))
        .route("/web/", get(signin::home))
        .route("/web/signin", get(signin::form).post(signin::submit))
        .route("/web/signout", post(signin::sign_out))
        .route("/web/account", get(account::show))
        .route("/web/account/password", post(account::change_password))
        .route("/web/account/timezone", post(account::set_time_zone))
        .route(
            "/web/calendars",
            get(calendar_list::show).post(calendar_list::create),
        )
        .route("/web/calendars/edit", post(calendar_list::edit))
        .route("/web/calendars/delete", post(calendar_list::delete))
        .route("/web/calendars/restore", post(calendar_list::restore))
        .route("/web/calendar", get(calendar_view::show))
        .route("/web/event", get(event::form).post(event::save))
        .route("/web/event/delete", post(event::delete))
        .route("/web/history", get(history::show))
        .route("/web/history/undo", post(history::undo))
        .route("/web/history/undelete", post(history::undelete))
        .route(
            "/web/history/rollback",
            get(history::preview).post(history::confirm),
        )
        .route(
            "/web/import",
            get(import_export::show).post(import_export::import),
        )
        .route("/web/export", get(import_export::export))
        .route("/web/devices", get(devices::show).post(devices::create))
        .route("/web/devices/revoke", post(devices::revoke))
        .route("/web/devices/profile", post(devices::profile))
        .route("/web/sharing", get(sharing::show).post(sharing::share))
        .route("/web/sharing/remove", post(sharing::remove))
        .route("/web/sharing/delegates", post(sharing::delegate))
        .route("/web/admin", get(admin::show))
        .route("/web/admin/users", post(admin::add_user))
        .route("/web/admin/password", post(admin::reset_password))
        .route("/web/admin/role", post(admin::set_role))
        .route("/web/admin/state", post(admin_accounts::set_state))
        .route("/web/admin/quota", post(admin_accounts::set_quota))
        .route("/web/admin/verify", post(admin::verify))
        .route("/web/assets/{name}", get(assets::serve))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(frame::security_headers))
}

#[cfg(test)]
mod tests;
