//! Health checks for load balancers, orchestrators and systemd, answered without
//! authentication and without touching anything a user owns: `/healthz` says the process
//! answers; `/readyz` that the store answers too and its schema is the one this build
//! expects (a node older or newer than the database it shares is taken out of rotation).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use store::Store;

fn text(status: StatusCode, body: String) -> Response {
    let mut res = (status, body + "\n").into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `/healthz`: the process is up and serving HTTP.
pub async fn live() -> Response {
    text(StatusCode::OK, "ok".into())
}

/// `/readyz`: 200 when the store answers with a current schema, else 503 and why.
pub async fn ready(store: &dyn Store) -> Response {
    match store.status().await {
        Ok(s) if s.schema_current() => text(StatusCode::OK, "ready".into()),
        Ok(s) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the store's schema is version {}, this calvault works with version {}",
                s.schema, s.schema_expected
            ),
        ),
        Err(e) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the store does not answer: {e}"),
        ),
    }
}
