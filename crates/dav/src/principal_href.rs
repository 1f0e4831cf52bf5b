//! Who an href names, as clients write sharees, delegates and group members: a principal
//! URL (path or absolute), a `mailto:` address, or CalendarServer's `urn:x-uid:` form.

use store::{Grantee, Store};

use crate::error::DavResult;
use crate::path::{self, Target};

/// A user or group of this server, with its name; None when the href names no one here.
pub async fn grantee_of(store: &dyn Store, href: &str) -> DavResult<Option<(Grantee, String)>> {
    let href = href.trim();
    if let Some(address) = strip_prefix_ignore_case(href, "mailto:") {
        let users = store.list_users().await?;
        let user = users.into_iter().find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(address))
        });
        return Ok(user.map(|u| (Grantee::User(u.id), u.name)));
    }
    let name = match strip_prefix_ignore_case(href, "urn:x-uid:") {
        Some(uid) => Target::Principal(uid.to_owned()),
        None => match path::href_path(href, None).map(path::parse) {
            Some(Ok(target)) => target,
            _ => return Ok(None),
        },
    };
    Ok(match name {
        Target::Principal(name) => store
            .account_by_name(&name)
            .await?
            .map(|u| (Grantee::User(u.id), u.name)),
        Target::Group(name) => store
            .group_by_name(&name)
            .await?
            .map(|g| (Grantee::Group(g.id), g.name)),
        _ => None,
    })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}
