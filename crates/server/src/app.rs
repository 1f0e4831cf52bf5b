//! The HTTP application: routes, layers, authentication, the per-request log line and
//! metrics. `/healthz` and `/readyz` (`health`) answer without authentication; `/metrics`
//! too, but on the main listener only to loopback addresses (and not at all when
//! `metrics_listen` gives it a listener of its own, [`metrics_router`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use axum::middleware::Next;
use axum::routing::{any, get};
use axum::Router;
use bytes::Bytes;
use dav::Caller;
use store::{Change, TokenScope};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

use crate::auth::{AuthError, Identity};
use crate::health;
use crate::logging::{self, RequestLine};
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
        .route("/healthz", get(health::live))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics_on_main))
        .fallback(dav_request)
        .with_state(state)
        .layer(axum::middleware::from_fn(crate::framing::check))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(count))
}

/// The listener of `metrics_listen`: metrics and health checks, nothing else.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(health::live))
        .route("/readyz", get(ready))
        .with_state(state)
        .layer(axum::middleware::from_fn(count))
}

async fn ready(State(app): State<Arc<AppState>>) -> axum::response::Response {
    health::ready(app.engine.store().as_ref()).await
}

/// Counts every answered request, timeouts and caught panics included.
async fn count(req: Request<Body>, next: Next) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().clone();
    let res = next.run(req).await;
    crate::metrics::metrics().request(&method, res.status().as_u16(), started.elapsed());
    res
}

async fn metrics(State(app): State<Arc<AppState>>) -> Response<Body> {
    let text = crate::metrics::metrics()
        .render(app.engine.store().as_ref())
        .await;
    let mut res = Response::new(Body::from(text));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
    );
    res
}

/// `/metrics` on the main listener: for loopback callers (a Prometheus or agent on the same
/// host), unless `metrics_listen` moved it; the numbers are nobody else's business.
async fn metrics_on_main(State(app): State<Arc<AppState>>, req: Request<Body>) -> Response<Body> {
    let loopback = req
        .extensions()
        .get::<RemoteAddr>()
        .is_none_or(|r| r.0.ip().is_loopback());
    match (app.metrics_here, loopback) {
        (true, true) => metrics(State(app)).await,
        (true, false) => plain(
            StatusCode::FORBIDDEN,
            "metrics are served to loopback addresses only; set metrics_listen to serve them \
             on an address of their own"
                .into(),
        )
        .map(Body::from),
        (false, _) => plain(
            StatusCode::NOT_FOUND,
            "metrics are served on the metrics_listen address".into(),
        )
        .map(Body::from),
    }
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
    let version = req.version();
    let remote = req.extensions().get::<RemoteAddr>().map(|r| r.0);
    let client = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let res = next.run(req).await;
    let bytes = res
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let line = RequestLine {
        remote,
        user: user.as_deref(),
        client: client.as_deref(),
        method: &method,
        version,
        path: &path,
        status: res.status(),
        bytes,
        started,
    };
    logging::request(&line, app.request_log);
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
    let version = req.version();
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
            let line = RequestLine {
                remote,
                user: None,
                client: None,
                method: &method,
                version,
                path: &path,
                status: res.status(),
                bytes: 0,
                started,
            };
            logging::request(&line, app.request_log);
            return res.map(Body::from);
        }
    };
    let req = Request::from_parts(parts, body);
    let client = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
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
                let change = Change {
                    author: tokens::author(&user.name, token.as_ref()),
                    client: client.clone(),
                    address: remote.map(|r| r.ip().to_string()),
                    locks: None,
                };
                let caller = Caller::new(user, change, read_only);
                let name = caller.user.name.clone();
                // Administration's "Last backup": the tool keeps its record elsewhere.
                app.web.last_backup.note(client.as_deref(), &name);
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
    let line = RequestLine {
        remote,
        user: user.as_deref(),
        client: client.as_deref(),
        method: &method,
        version,
        path: &path,
        status: response.status(),
        bytes: response.body().len(),
        started,
    };
    logging::request(&line, app.request_log);
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
    let change = Change {
        author: user.name.clone(),
        client: Some(crate::web::CLIENT.into()),
        address: remote.map(|r| r.ip().to_string()),
        locks: None,
    };
    let caller = Caller::new(user, change, false);
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
    match &e {
        AuthError::Rejected => crate::metrics::metrics().auth_failure(),
        AuthError::Throttled => crate::metrics::metrics().throttled(),
        AuthError::Missing | AuthError::Unavailable => {}
    }
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
