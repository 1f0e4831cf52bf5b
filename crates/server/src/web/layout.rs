//! The frame of every page: head (our stylesheet and script only), the navigation with
//! "Calendars", "History", "Import and export", "Devices", "Sharing" and, for
//! administrators, "Administration", the account links with "Sign out", the one-shot
//! message, and shared pieces (byte sizes, times in the user's zone, the CSRF field).

use maud::{html, Markup, DOCTYPE};

use super::frame::{head, logo};
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

/// The hidden field every state-changing form carries.
pub fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
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
