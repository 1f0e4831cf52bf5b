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
use dav::Caller;
use store::{Change, TokenScope};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

use crate::auth::{AuthError, Identity};
use crate::tokens;

pub use crate::state::{AppState, RemoteAddr};

pub fn router(state: Arc<AppState>, request_timeout: Duration) -> Router {
    let max_body = state.max_request_body;
    Router::new()
        .route("/", any(root))
        .merge(
            crate::web::routes(max_body).layer(axum::middleware::from_fn_with_state(
                state.clone(),
                log_page,
            )),
        )
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

/// The log line of a web page request, as DAV requests get theirs, with the user of the
/// session the request came with (a failed sign-in is logged by the authenticator).
async fn log_page(
    State(app): State<Arc<AppState>>,
    req: Request<Body>,
    next: axum::middleware::Next,
) -> Response<Body> {
    let started = Instant::now();
    let user = crate::session::cookie(req.headers(), crate::session::COOKIE)
        .and_then(|id| app.web.sessions.peek(id))
        .map(|s| s.user);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let remote = req.extensions().get::<RemoteAddr>().map(|r| r.0);
    let res = next.run(req).await;
    let bytes = res
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    log_request(
        remote,
        user.as_deref(),
        &method,
        &path,
        res.status(),
        bytes,
        started,
    );
    res
}

/// `/`: a browser's visit goes to the web interface; everything else (a CalDAV client's
/// discovery) to DAV.
async fn root(State(app): State<Arc<AppState>>, req: Request<Body>) -> Response<Body> {
    match crate::web::wants_page(&req) {
        true => {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::SEE_OTHER;
            res.headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static("/web/"));
            res
        }
        false => dav_request(State(app), req).await,
    }
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
    let api_session = match (path.starts_with("/api/"), &authorization) {
        (true, None) => crate::session::api_user(&app.web.sessions, req.headers()),
        _ => None,
    };
    let (response, user) = if method == Method::OPTIONS && authorization.is_none() {
        (app.engine.options(), None)
    } else if let Some(session) = api_session {
        api_with_session(&app, &req, session, remote).await
    } else {
        let ip = remote
            .map(|r| r.ip())
            .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        match app.auth.authenticate(authorization.as_deref(), ip).await {
            Ok(Identity { user, token }) => {
                let read_only = token
                    .as_ref()
                    .is_some_and(|t| t.scope == TokenScope::ReadOnly);
                let caller = Caller {
                    change: Change {
                        author: tokens::author(&user.name, token.as_ref()),
                        client: req
                            .headers()
                            .get(header::USER_AGENT)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                        address: remote.map(|r| r.ip().to_string()),
                    },
                    user,
                    read_only,
                };
                let name = caller.user.name.clone();
                // The engine decides for DAV requests itself (crate::dav::access); the
                // API's writes are refused here.
                let api = path.starts_with("/api/");
                let response = if api && read_only && !is_safe(&method) {
                    plain(
                        StatusCode::FORBIDDEN,
                        "this app password may only read; sign in with another to change \
                         anything"
                            .into(),
                    )
                } else if api {
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

/// `/api/` for a browser signed in to the web interface: the session cookie counts only
/// with its CSRF token in the `X-CSRF-Token` header, which another site's page cannot send.
async fn api_with_session(
    app: &AppState,
    req: &Request<Bytes>,
    session: Result<String, ()>,
    remote: Option<SocketAddr>,
) -> (Response<Bytes>, Option<String>) {
    let refused = |text: &str| (plain(StatusCode::FORBIDDEN, text.into()), None);
    let Ok(name) = session else {
        return refused("the session cookie counts for /api/ only with the X-CSRF-Token header");
    };
    let user = match app.engine.store().user_by_name(&name).await {
        Ok(Some(user)) => user,
        _ => return refused("the session's account is gone; sign in again"),
    };
    let caller = Caller {
        change: Change {
            author: user.name.clone(),
            client: Some(crate::web::CLIENT.into()),
            address: remote.map(|r| r.ip().to_string()),
        },
        user,
        read_only: false,
    };
    (crate::api::handle(app, req, &caller).await, Some(name))
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
