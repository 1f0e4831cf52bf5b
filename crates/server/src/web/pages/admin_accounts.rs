//! The Administration page's forms for one account's state: "Disable" and "Enable"
//! (`calvault user disable | enable`) and its quota with "Save" (`calvault user set
//! --quota`), each through [`crate::admin`] as the CLI does. An administrator cannot
//! disable their own account here: they would lock themselves out of this very page.

use std::sync::Arc;

use axum::extract::State;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use store::User;

use crate::admin::{self, QuotaText};
use crate::state::AppState;
use crate::web::error::PageResult;
use crate::web::layout::csrf_field;
use crate::web::page::Ctx;

const BACK: &str = "/web/admin";

/// Inside "Manage NAME": the quota field with "Save", and "Disable" or "Enable".
pub fn forms(ctx: &Ctx, u: &User, default_quota: Option<u64>) -> Markup {
    let id = format!("quota-{}", u.name);
    let default = match default_quota {
        Some(q) => format!("the server's default ({})", QuotaText(q)),
        None => "the server's default (no limit)".into(),
    };
    html! {
        form.fields method="post" action="/web/admin/quota" {
            (csrf_field(ctx))
            input type="hidden" name="user" value=(u.name);
            div.field {
                label for=(id) { "Quota" }
                input id=(id) type="text" name="quota" value=[u.quota_bytes.map(|q| QuotaText(q).to_string())] placeholder="e.g. 500 MB" aria-describedby={ (id) "-hint" };
                span.hint id={ (id) "-hint" } { "500 MB, 2 GB, 1.5 GiB; empty: " (default) "." }
            }
            div { button.small type="submit" aria-label={ "Save quota of " (u.name) } { "Save" } }
        }
        @if u.name == ctx.user.name {
            p.muted { "You cannot disable your own account." }
        } @else {
            form method="post" action="/web/admin/state" {
                (csrf_field(ctx))
                input type="hidden" name="user" value=(u.name);
                input type="hidden" name="disabled" value=(if u.disabled { "off" } else { "on" });
                @if u.disabled {
                    button.small type="submit" aria-label={ "Enable " (u.name) } { "Enable" }
                } @else {
                    button.small.danger type="submit" aria-label={ "Disable " (u.name) } { "Disable" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct SetState {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    disabled: String,
}

/// Disables or enables an account; disabling ends its browser sessions at once (its
/// CalDAV clients and app passwords are refused from their next request on).
pub async fn set_state(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<SetState>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    ctx.only_admins()?;
    let disable = f.disabled == "on";
    if disable && f.user == ctx.user.name {
        let text = "You cannot disable your own account: you would be signed out of it for \
                    good. Another administrator can, or calvault user disable NAME.";
        return Ok(ctx.redirect_with(&app, BACK, false, text));
    }
    let store = app.engine.store().as_ref();
    match admin::set_disabled(store, &f.user, disable).await {
        Ok(()) if disable => {
            app.web.sessions.end_user(&f.user, None);
            let text = format!(
                "{} is disabled: they cannot sign in and their browser sessions ended; their \
                 calendars and shares stay.",
                f.user
            );
            Ok(ctx.redirect_with(&app, BACK, true, text))
        }
        Ok(()) => {
            let text = format!("{} is enabled again and can sign in.", f.user);
            Ok(ctx.redirect_with(&app, BACK, true, text))
        }
        Err(e) => Ok(ctx.redirect_with(&app, BACK, false, e.to_string())),
    }
}

#[derive(Deserialize)]
pub struct SetQuota {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    quota: String,
}

/// Sets an account's quota; an empty field gives it the server's default again.
pub async fn set_quota(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Form(f): Form<SetQuota>,
) -> PageResult {
    ctx.check_csrf(&f.csrf)?;
    ctx.only_admins()?;
    let store = app.engine.store().as_ref();
    let done = async {
        let quota = match f.quota.trim() {
            "" => None,
            text => admin::parse_quota(text)?,
        };
        admin::set_quota(store, &f.user, quota).await?;
        Ok::<_, admin::AdminError>(quota)
    }
    .await;
    match done {
        Ok(quota) => {
            let text = match quota {
                Some(q) => format!("The quota of {} is now {}.", f.user, QuotaText(q)),
                None => format!("{} has the server's default quota again.", f.user),
            };
            Ok(ctx.redirect_with(&app, BACK, true, text))
        }
        Err(e) => Ok(ctx.redirect_with(&app, BACK, false, e.to_string())),
    }
}
