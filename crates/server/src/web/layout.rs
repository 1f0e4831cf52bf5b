//! The frame of every page: head (our stylesheet and script only), the navigation with
//! "Calendars", "History", "Import and export", "Devices", "Sharing" and, for
//! administrators, "Administration", the account links with "Sign out", the one-shot
//! message, and shared pieces (byte sizes, times in the user's zone, the CSRF field).

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::page::Ctx;

/// The sections of the navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Calendars,
    History,
    Transfer,
    Devices,
    Sharing,
    Administration,
    Account,
}

const SECTIONS: [(Section, &str, &str); 5] = [
    (Section::Calendars, "/web/calendars", "Calendars"),
    (Section::History, "/web/history", "History"),
    (Section::Transfer, "/web/import", "Import and export"),
    (Section::Devices, "/web/devices", "Devices"),
    (Section::Sharing, "/web/sharing", "Sharing"),
];

fn head(title: &str, csrf: Option<&str>) -> Markup {
    html! {
        head {
            @if let Some(token) = csrf { meta name="csrf-token" content=(token); }
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="color-scheme" content="light dark";
            title { (title) " · calvault" }
            link rel="icon" href="/web/assets/icon.svg" type="image/svg+xml";
            link rel="stylesheet" href="/web/assets/app.css";
            script src="/web/assets/app.js" defer {}
        }
    }
}

fn logo() -> Markup {
    html! {
        a.brand href="/web/calendars" {
            img src="/web/assets/icon.svg" alt="" width="28" height="28";
            span { "calvault" }
        }
    }
}

/// A signed-in page.
pub fn page(ctx: &Ctx, section: Section, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, Some(&ctx.csrf)))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    (logo())
                    nav aria-label="Main" {
                        ul {
                            @for (s, href, label) in SECTIONS {
                                li { a href=(href) aria-current=[(s == section).then_some("page")] { (label) } }
                            }
                            @if ctx.user.admin {
                                li { a href="/web/admin" aria-current=[(section == Section::Administration).then_some("page")] { "Administration" } }
                            }
                        }
                    }
                    div.account {
                        a href="/web/account" aria-current=[(section == Section::Account).then_some("page")] title="Account: change password, time zone" { (ctx.user.name) }
                        form method="post" action="/web/signout" {
                            (csrf_field(ctx))
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main #main {
                    @if let Some(f) = &ctx.flash {
                        div class=(if f.ok { "flash ok" } else { "flash error" }) role="status" { (f.text) }
                    }
                    (body)
                }
                footer.bottom {
                    "calvault " (env!("CARGO_PKG_VERSION")) " · CalDAV at "
                    code { (dav::path::home_href(&ctx.user.name)) }
                }
            }
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

/// The hidden field every state-changing form carries.
pub fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
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

/// Milliseconds since the epoch in the user's zone: `Sun 6 Dec 2026, 22:15`.
pub fn when(ctx: &Ctx, ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&ctx.zone)
                .format("%a %-d %b %Y, %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "-".into())
}

/// A colour swatch (the colour is checked to be `#rrggbb` before it gets here).
pub fn swatch(colour: &str) -> Markup {
    html! { span.swatch aria-hidden="true" { (PreEscaped(format!(r#"<svg viewBox="0 0 10 10" width="14" height="14"><circle cx="5" cy="5" r="5" fill="{colour}"/></svg>"#))) } }
}
