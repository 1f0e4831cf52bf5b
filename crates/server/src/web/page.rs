//! What every page handler stands on: the signed-in request ([`Ctx`], an axum extractor
//! that sends a browser without a session to "Sign in"), the CSRF check of a form, the
//! headers every answer of the web interface carries (a Content-Security-Policy without
//! inline script, `frame-ancestors 'none'`), and [`WebError`], a failure shown as a page.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use dav::Caller;
use maud::Markup;
use store::{Change, User};

use super::session::{self, Flash};
use crate::app::{AppState, RemoteAddr};

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
        Caller {
            user: self.user.clone(),
            change: self.change(),
        }
    }

    pub fn change(&self) -> Change {
        Change {
            author: self.user.name.clone(),
            client: Some(CLIENT.into()),
            address: self.address.clone(),
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

/// A 303 to `to`: the answer to every form that worked (POST, redirect, GET).
pub fn redirect(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A whole page.
pub fn html(markup: Markup) -> Response {
    html_with(StatusCode::OK, markup)
}

pub fn html_with(status: StatusCode, markup: Markup) -> Response {
    let mut res = (status, markup.into_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

/// Scripts and styles only from our own embedded files, no framing, forms only to us.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

/// The headers of every answer under `/web/` (a middleware over the web routes).
pub async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A failure, answered as a page that says what went wrong.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
}

impl WebError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        WebError {
            status,
            message: message.into(),
        }
    }

    pub fn bad(message: impl Into<String>) -> Self {
        WebError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        WebError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn csrf() -> Self {
        WebError::new(
            StatusCode::FORBIDDEN,
            "This form did not come from this calvault page (its security token is missing \
             or old). Go back, reload the page and send it again.",
        )
    }
}

impl From<store::StoreError> for WebError {
    fn from(e: store::StoreError) -> Self {
        let e = dav::DavError::from(e);
        WebError::new(e.status, e.detail)
    }
}

impl From<crate::admin::AdminError> for WebError {
    fn from(e: crate::admin::AdminError) -> Self {
        WebError::bad(e.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        html_with(
            self.status,
            super::layout::error_page(self.status, &self.message),
        )
    }
}

/// What a page handler answers.
pub type PageResult = Result<Response, WebError>;

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
