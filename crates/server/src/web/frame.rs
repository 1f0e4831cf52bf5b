//! What every answer of the interface is framed in, signed in or not: the document head
//! (our stylesheet and script only), the page without navigation (signing in, errors), the
//! response builders, the headers of every answer (a Content-Security-Policy without inline
//! script, `frame-ancestors 'none'`) and the small formatters pages share.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The document head: our own stylesheet, script and icon only (the CSP allows nothing
/// else), and for a signed-in page the session's CSRF token for scripts calling `/api/`.
pub fn head(title: &str, csrf: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            @if let Some(token) = csrf { meta name="csrf-token" content=(token); }
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="color-scheme" content="light dark";
            title { (title) " · calvault" }
            link rel="icon" href="/web/assets/icon.svg" type="image/svg+xml";
            link rel="stylesheet" href="/web/assets/app.css";
            script src="/web/assets/app.js" defer {}
        }
    }
}

/// The name and icon, a link to the calendars.
pub fn logo() -> Markup {
    html! {
        a.brand href="/web/calendars" {
            img src="/web/assets/icon.svg" alt="" width="28" height="28";
            span { "calvault" }
        }
    }
}

/// A page without navigation (signing in, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body.bare {
                main #main {
                    div.brandline { (logo()) }
                    (body)
                }
            }
        }
    }
}

/// A failure's page: what went wrong, and the way back.
pub fn error_page(status: axum::http::StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    bare(
        title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p { (message) }
                p { a.button href="/web/calendars" { "Back to Calendars" } }
            }
        },
    )
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

/// `12.3 KB`
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} bytes"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

/// A colour swatch (the colour is checked to be `#rrggbb` before it gets here).
pub fn swatch(colour: &str) -> Markup {
    html! { span.swatch aria-hidden="true" { (PreEscaped(format!(r#"<svg viewBox="0 0 10 10" width="14" height="14"><circle cx="5" cy="5" r="5" fill="{colour}"/></svg>"#))) } }
}
/// A query-string value.
pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
