//! What every page handler stands on: the signed-in request ([`Ctx`], an axum extractor
//! that sends a browser without a session to "Sign in"), the caller its writes are
//! recorded as (client "web"), the CSRF check of a form, and the peer's address.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use dav::Caller;
use store::{Change, User};

use super::error::WebError;
use super::frame::redirect;
use crate::session::{self, Flash};
use crate::state::{AppState, RemoteAddr};

/// The client name the history records for every write made from these pages.
pub const CLIENT: &str = "web";

/// A request of a signed-in browser.
pub struct Ctx {
    pub user: User,
    /// The session cookie's value.
    pub session: String,
    pub csrf: String,
    pub zone: chrono_tz::Tz,
    pub flash: Option<Flash>,
    pub address: Option<String>,
    /// The Host the browser asked for: settings for devices name this server by it.
    pub host: String,
}

impl Ctx {
    /// The caller the engine sees for this user's writes: recorded as made by "web".
    pub fn caller(&self) -> Caller {
        Caller::new(self.user.clone(), self.change(), false)
    }

    /// What the user's writes record; like a WebDAV request's, they are held up by the
    /// locks others hold (docs/locks-and-merging.md).
    pub fn change(&self) -> Change {
        Change {
            author: self.user.name.clone(),
            client: Some(CLIENT.into()),
            address: self.address.clone(),
            locks: Some(store::LockClaim {
                principal: self.user.id,
                tokens: Vec::new(),
            }),
        }
    }

    /// Refuses the request unless the account is an administrator (the Administration
    /// page and its forms).
    pub fn only_admins(&self) -> Result<(), WebError> {
        match self.user.admin {
            true => Ok(()),
            false => Err(WebError::new(
                axum::http::StatusCode::FORBIDDEN,
                "Only an administrator may see this page (calvault user admin NAME on).",
            )),
        }
    }

    /// Refuses a form whose CSRF token is missing or not this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        match session::same_secret(&self.csrf, token) {
            true => Ok(()),
            false => Err(WebError::csrf()),
        }
    }

    /// Goes to `to` with a message shown there once.
    pub fn redirect_with(
        &self,
        app: &AppState,
        to: &str,
        ok: bool,
        text: impl Into<String>,
    ) -> Response {
        app.web.sessions.flash(&self.session, ok, text);
        redirect(to)
    }
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let sign_in = || redirect("/web/signin");
        let id = session::cookie(&parts.headers, session::COOKIE)
            .ok_or_else(sign_in)?
            .to_owned();
        let s = app.web.sessions.touch(&id).ok_or_else(sign_in)?;
        // The account is read on every request: a removed user's session ends with it.
        let user = match app.engine.store().user_by_name(&s.user).await {
            Ok(Some(user)) => user,
            Ok(None) => {
                app.web.sessions.end(&id);
                return Err(sign_in());
            }
            Err(e) => return Err(WebError::from(e).into_response()),
        };
        Ok(Ctx {
            user,
            session: id,
            csrf: s.csrf,
            zone: s.time_zone.parse().unwrap_or(chrono_tz::UTC),
            flash: s.flash,
            address: remote_address(parts),
            host: host(&parts.headers),
        })
    }
}

impl OptionalFromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<AppState>,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(<Ctx as FromRequestParts<_>>::from_request_parts(parts, app)
            .await
            .ok())
    }
}

pub fn remote_address(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<RemoteAddr>()
        .map(|r| r.0.ip().to_string())
}

pub fn host(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned()
}

/// The peer's address (None when the accept loop did not record one, as in tests).
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts.extensions.get::<RemoteAddr>().map(|r| r.0.ip()),
        ))
    }
}
