//! "Sharing": who else may see or change a calendar. The sharing model (grants, groups,
//! delegates) is being built; until it lands this page says so instead of offering a form
//! that could not work.

use maud::html;

use crate::web::error::PageResult;
use crate::web::frame::html;
use crate::web::layout::{page, Section};
use crate::web::page::Ctx;

pub async fn show(ctx: Ctx) -> PageResult {
    let body = html! {
        div.pagehead { div { h1 { "Sharing" } p { "Who else may see or change your calendars." } } }
        section.card {
            h2 { "Sharing is coming" }
            p { "Soon you will be able to give people and groups access to each calendar (read, read and write, or free/busy only) and name delegates for your account, right here." }
            p.muted { "Until then every calendar is yours alone. To let another device in, create an app password under " a href="/web/devices" { "Devices" } "." }
        }
    };
    Ok(html(page(&ctx, Section::Sharing, "Sharing", body)))
}
