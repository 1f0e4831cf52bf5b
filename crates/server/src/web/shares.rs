//! What the pages show about sharing, read from the store: who has access to each of the
//! signed-in user's calendars, free/busy of all of them (a free-busy grant on the home),
//! their delegates (a read or write grant on the home), what others share with them and
//! where it shows in their home; the words people read for each access level; and how a
//! refused share reads on a page. The operations themselves are
//! [`crate::admin::sharing`]'s, as for `calvault share` and `/api/shares`: nothing here
//! decides who may be given what.

use std::collections::{HashMap, HashSet};

use store::{Collection, CollectionId, CollectionKind, Grant, Group, Privilege, Store, User};

use super::calendars::{self, CalendarInfo};
use super::error::WebError;
use crate::admin::sharing;
use crate::admin::AdminError;

/// What a calendar may be shared with: every grantable access.
pub const CALENDAR_ACCESS: [Privilege; 4] = Privilege::GRANTABLE;

/// What a delegate may be given (docs/sharing.md, "Delegation").
pub const DELEGATE_ACCESS: [Privilege; 2] = [Privilege::Read, Privilege::ReadWrite];

/// The form's value for the whole home, as on the command line (`OWNER/*`).
pub const ALL: &str = "*";

/// An access level as the page words it.
pub fn access_label(p: Privilege) -> &'static str {
    match p {
        Privilege::FreeBusy => "Free/busy only",
        Privilege::Read => "Read",
        Privilege::ReadWrite => "Read and write",
        Privilege::Admin => "Read, write and share",
        Privilege::Owner => "Owner",
    }
}

/// One of the user's calendars with its shares.
pub struct CalendarShares {
    pub calendar: CalendarInfo,
    pub grants: Vec<Grant>,
}

/// A collection of the user's that is shared but is no calendar on the page (a folder
/// shared from the command line): listed so that no access goes unseen.
pub struct OtherShares {
    pub path: String,
    pub grants: Vec<Grant>,
}

/// A calendar (or a whole home) another user shares with the signed-in one.
pub struct SharedWithMe {
    pub owner: String,
    /// The owner's name for it; None for the whole home (all their calendars).
    pub calendar: Option<String>,
    /// Where the owner has it: `/dav/calendars/OWNER/CALENDAR/`.
    pub href: String,
    pub privilege: Privilege,
    /// Where it shows in the user's own home, when it is bound there.
    pub binding: Option<String>,
}

/// Everything the sharing page shows.
pub struct Overview {
    pub calendars: Vec<CalendarShares>,
    /// The free-busy grants on the home: free/busy of all calendars at once.
    pub free_busy: Vec<Grant>,
    /// The read and write grants on the home: the delegates.
    pub delegates: Vec<Grant>,
    pub others: Vec<OtherShares>,
    pub shared_with_me: Vec<SharedWithMe>,
    /// The groups the user is in: what they can share with as `@NAME`.
    pub groups: Vec<Group>,
}

pub async fn overview(store: &dyn Store, user: &User) -> Result<Overview, WebError> {
    let mut by_collection: HashMap<CollectionId, Vec<Grant>> = HashMap::new();
    for g in store.grants_by_owner(user.id).await? {
        by_collection.entry(g.collection).or_default().push(g);
    }
    let home = store.collection(user.id, "").await?;
    let (delegates, free_busy): (Vec<Grant>, Vec<Grant>) = home
        .and_then(|h| by_collection.remove(&h.id))
        .unwrap_or_default()
        .into_iter()
        .partition(|g| g.privilege >= Privilege::Read);
    let mut calendars_shares = Vec::new();
    for calendar in calendars::list(store, user).await? {
        let grants = by_collection
            .remove(&calendar.collection.id)
            .unwrap_or_default();
        calendars_shares.push(CalendarShares { calendar, grants });
    }
    let mut others = Vec::new();
    for (id, grants) in by_collection {
        if let Some(c) = store.collection_by_id(id).await? {
            others.push(OtherShares {
                path: c.path,
                grants,
            });
        }
    }
    others.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Overview {
        calendars: calendars_shares,
        free_busy,
        delegates,
        others,
        shared_with_me: shared_with(store, user).await?,
        groups: store.groups_of(user.id).await?,
    })
}

/// The user's bindings (the shared calendars in their home) by the calendar each shows.
async fn bound(
    store: &dyn Store,
    user: &User,
) -> Result<HashMap<CollectionId, Collection>, WebError> {
    Ok(calendars::bindings(store, user)
        .await?
        .into_iter()
        .filter_map(|b| b.target.map(|t| (t, b)))
        .collect())
}

/// What others share with `user` (directly or through a group), by owner and name.
pub async fn shared_with(store: &dyn Store, user: &User) -> Result<Vec<SharedWithMe>, WebError> {
    let bound = bound(store, user).await?;
    let mut out = Vec::new();
    for r in store.reachable(user.id).await? {
        let c = &r.collection;
        let calendar = match c.is_home() {
            true => None,
            false => Some(calendars::display_name(store, c).await?),
        };
        out.push(SharedWithMe {
            href: dav::path::collection_href(&r.owner_name, &c.path),
            binding: bound
                .get(&c.id)
                .map(|b| dav::path::collection_href(&user.name, &b.path)),
            owner: r.owner_name,
            calendar,
            privilege: r.privilege,
        });
    }
    out.sort_by(|a, b| (&a.owner, &a.calendar).cmp(&(&b.owner, &b.calendar)));
    Ok(out)
}

/// A calendar of another user that the signed-in one may read, for the Calendars page.
pub struct VisibleShared {
    /// The owner's calendar, with the sharee's own name and colour for it when it is bound
    /// in their home (they may rename it there).
    pub calendar: CalendarInfo,
    pub owner: String,
    pub privilege: Privilege,
    /// Reached as a delegate (a grant on the owner's home), not as a share of this one.
    pub delegated: bool,
    /// Where a calendar app finds it: the binding in the user's home, else the owner's URL.
    pub href: String,
}

/// Every calendar of others the user may read: those shared with them (bound in their
/// home or not) and, for a delegate, each calendar of the delegator. Free/busy alone shows
/// no calendar. By owner, then name.
pub async fn visible_shared(
    store: &dyn Store,
    user: &User,
) -> Result<Vec<VisibleShared>, WebError> {
    let bound = bound(store, user).await?;
    let reached = store.reachable(user.id).await?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    // Shares of one calendar first: their access is the one to show (it already counts a
    // grant on the home, see `Sharing::reachable`).
    for r in reached.iter().filter(|r| !r.collection.is_home()) {
        let calendar_kind = r.collection.kind == CollectionKind::Calendar;
        if !calendar_kind || r.privilege < Privilege::Read || !seen.insert(r.collection.id) {
            continue;
        }
        let mut calendar = calendars::describe(store, r.collection.clone()).await?;
        let href = match bound.get(&r.collection.id) {
            Some(b) => {
                let own = calendars::describe(store, b.clone()).await?;
                calendar.name = own.name;
                calendar.colour = own.colour;
                dav::path::collection_href(&user.name, &b.path)
            }
            None => dav::path::collection_href(&r.owner_name, &r.collection.path),
        };
        out.push(VisibleShared {
            calendar,
            owner: r.owner_name.clone(),
            privilege: r.privilege,
            delegated: false,
            href,
        });
    }
    for r in reached.iter().filter(|r| r.collection.is_home()) {
        if r.privilege < Privilege::Read {
            continue;
        }
        let Some(owner) = store.account_by_name(&r.owner_name).await? else {
            continue;
        };
        for calendar in calendars::list(store, &owner).await? {
            if !seen.insert(calendar.collection.id) {
                continue;
            }
            out.push(VisibleShared {
                href: calendar.href(&owner.name),
                calendar,
                owner: owner.name.clone(),
                privilege: r.privilege,
                delegated: true,
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.owner, a.calendar.name.to_lowercase()).cmp(&(&b.owner, b.calendar.name.to_lowercase()))
    });
    Ok(out)
}

/// The user's calendar (or, for [`ALL`], their home) that a form names, and how the page
/// calls it: “Work”, or "all your calendars".
pub async fn target(
    store: &dyn Store,
    user: &User,
    c: &str,
) -> Result<(sharing::Shared, String), String> {
    let on = sharing::shared_of(store, user.clone(), c)
        .await
        .map_err(|e| refusal(e, c))?;
    let label = match on.collection.is_home() {
        true => "all your calendars".to_owned(),
        false => {
            let name = calendars::display_name(store, &on.collection)
                .await
                .map_err(|e| e.message)?;
            format!("\u{201c}{name}\u{201d}")
        }
    };
    Ok((on, label))
}

/// How a refused share reads on the page; `on` is what the form named.
pub fn refusal(e: AdminError, on: &str) -> String {
    match e {
        AdminError::NoSuchUser(name) => format!(
            "There is no user \u{201c}{name}\u{201d}. Check the user name; a group is written \
             with @ in front, like @family."
        ),
        AdminError::NoSuchGroup(name) => format!(
            "There is no group \u{201c}{}\u{201d}. Groups are made by an administrator; the \
             ones you are in are named under the form.",
            name.trim_start_matches('@')
        ),
        AdminError::NoSuchCalendar { .. } => {
            format!("You have no calendar \u{201c}{on}\u{201d} (any more): reload the page.")
        }
        AdminError::NoSuchShare(_, who) => {
            format!("{who} has no access to it (any more): reload the page.")
        }
        AdminError::BadAccess(_) => "Choose an access level from the list.".into(),
        AdminError::Refused(why) => format!("Not shared: {why}."),
        AdminError::Store(e) => WebError::from(e).message,
        other => other.to_string(),
    }
}

/// The privilege a form's access field names, if it is one of `offered`.
pub fn chosen(value: &str, offered: &[Privilege]) -> Result<Privilege, String> {
    Privilege::parse(value)
        .filter(|p| offered.contains(p))
        .ok_or_else(|| refusal(AdminError::BadAccess(value.to_owned()), ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grantable_access_has_a_label_and_the_offers_are_grantable() {
        let labels: Vec<_> = CALENDAR_ACCESS.into_iter().map(access_label).collect();
        assert_eq!(
            labels,
            [
                "Free/busy only",
                "Read",
                "Read and write",
                "Read, write and share"
            ]
        );
        assert_eq!(chosen("read", &CALENDAR_ACCESS), Ok(Privilege::Read));
        assert!(chosen("admin", &DELEGATE_ACCESS).is_err());
        assert!(chosen("owner", &CALENDAR_ACCESS).is_err());
        assert!(chosen("", &CALENDAR_ACCESS).is_err());
        assert_eq!(
            chosen("read-write", &DELEGATE_ACCESS),
            Ok(Privilege::ReadWrite)
        );
    }

    #[test]
    fn refusals_name_what_was_wrong() {
        let unknown = refusal(AdminError::NoSuchUser("zed".into()), "work");
        assert!(unknown.starts_with("There is no user \u{201c}zed\u{201d}"));
        let group = refusal(AdminError::NoSuchGroup("@team".into()), "work");
        assert!(group.starts_with("There is no group \u{201c}team\u{201d}"));
    }
}
