//! The HTTP application: routes, layers, authentication and the per-request log line.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use axum::routing::any;
use axum::Router;
use bytes::Bytes;
use dav::{Caller, Engine};
use store::{Change, TokenScope};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

use crate::auth::{AuthError, Authenticator, Identity};
use crate::tokens;

/// The peer's address, put into each request's extensions by the accept loop.
#[derive(Clone, Copy, Debug)]
pub struct RemoteAddr(pub SocketAddr);

pub struct AppState {
    pub engine: Engine,
    pub auth: Authenticator,
    pub max_request_body: usize,
    /// The background verification's last result, for administrators.
    pub last_check: crate::verification::LastCheck,
}

pub fn router(state: Arc<AppState>, request_timeout: Duration) -> Router {
    Router::new()
        .route("/.well-known/caldav", any(well_known))
        .route("/.well-known/caldav/", any(well_known))
        .fallback(dav_request)
        .with_state(state)
        .layer(axum::middleware::from_fn(crate::framing::check))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(CatchPanicLayer::new())
}

/// RFC 6764 §5: the well-known URI redirects to the DAV root, for every method (Apple
/// re-sends its PROPFIND to the new location).
async fn well_known() -> Response<Body> {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::MOVED_PERMANENTLY;
    res.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_static(dav::path::DAV_ROOT),
    );
    res
}

async fn dav_request(State(app): State<Arc<AppState>>, req: Request<Body>) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let remote = req.extensions().get::<RemoteAddr>().map(|r| r.0);
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, app.max_request_body).await {
        Ok(b) => b,
        Err(_) => {
            let res = plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {} bytes",
                    app.max_request_body
                ),
            );
            log_request(remote, None, &method, &path, res.status(), 0, started);
            return res.map(Body::from);
        }
    };
    let req = Request::from_parts(parts, body);
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (response, user) = if method == Method::OPTIONS && authorization.is_none() {
        (app.engine.options(), None)
    } else {
        let ip = remote
            .map(|r| r.ip())
            .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        match app.auth.authenticate(authorization.as_deref(), ip).await {
            Ok(Identity { user, token }) => {
                let read_only = token
                    .as_ref()
                    .is_some_and(|t| t.scope == TokenScope::ReadOnly);
                let change = Change {
                    author: tokens::author(&user.name, token.as_ref()),
                    client: req
                        .headers()
                        .get(header::USER_AGENT)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    address: remote.map(|r| r.ip().to_string()),
                    locks: None,
                };
                let caller = Caller::new(user, change);
                let name = caller.user.name.clone();
                let response = if read_only && !is_safe(&method) {
                    plain(
                        StatusCode::FORBIDDEN,
                        "this app password may only read; sign in with another to change \
                         anything"
                            .into(),
                    )
                } else if path.starts_with("/api/") {
                    crate::api::handle(&app, &req, &caller).await
                } else {
                    app.engine.handle(req, &caller).await
                };
                (response, Some(name))
            }
            Err(e) => (auth_failure(e), None),
        }
    };
    let bytes = response.body().len();
    log_request(
        remote,
        user.as_deref(),
        &method,
        &path,
        response.status(),
        bytes,
        started,
    );
    response.map(Body::from)
}

/// Methods that change nothing (RFC 9110 §9.2.1, and the WebDAV reads).
fn is_safe(method: &Method) -> bool {
    matches!(
        method.as_str(),
        "GET" | "HEAD" | "OPTIONS" | "PROPFIND" | "REPORT"
    )
}

fn auth_failure(e: AuthError) -> Response<Bytes> {
    match e {
        AuthError::Missing | AuthError::Rejected => {
            let mut res = plain(
                StatusCode::UNAUTHORIZED,
                "sign in with your calvault user name and password".into(),
            );
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"calvault\", charset=\"UTF-8\""),
            );
            res
        }
        AuthError::Throttled => {
            let mut res = plain(
                StatusCode::TOO_MANY_REQUESTS,
                "too many failed sign-ins for this account; wait a minute, or use an app \
                 password"
                    .into(),
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            res
        }
        AuthError::Unavailable => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "the account store is unavailable; try again later".into(),
        ),
    }
}

fn plain(status: StatusCode, text: String) -> Response<Bytes> {
    let mut res = Response::new(Bytes::from(text + "\n"));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// One line per request; credentials are never part of it.
fn log_request(
    remote: Option<SocketAddr>,
    user: Option<&str>,
    method: &Method,
    path: &str,
    status: StatusCode,
    bytes: usize,
    started: Instant,
) {
    let address = remote
        .map(|r| r.ip().to_string())
        .unwrap_or_else(|| "-".into());
    tracing::info!(
        target: "calvault::request",
        "{address} {} {method} {path} {} {bytes}B {}ms",
        user.unwrap_or("-"),
        status.as_u16(),
        started.elapsed().as_millis()
    );
}
