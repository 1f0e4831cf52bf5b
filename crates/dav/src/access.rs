//! Who may do what, decided in one place (docs/sharing.md).
//!
//! What a caller holds on a collection: everything on their own (no lookup: an owner's
//! request costs nothing here), else the greatest grant to them or to one of their groups,
//! on the collection or on its owner's whole home (delegation); a read-only app password
//! caps it at read. [`required`] names what each request needs on the resource it names,
//! and [`check`] compares the two before the body is read. Without any privilege a
//! resource is absent (404, as if it did not exist: RFC 3744 §7.1.1 lets a server hide it);
//! with too little it is 403 `DAV:need-privileges`, naming resource and privilege.
//!
//! Who may see whom (principals, search) is here too: [`Visibility`].

use std::collections::HashSet;

use dav_xml::{QName, CALDAV, DAV};
use http::Method;
use store::{Collection, CollectionId, CollectionKind, Grantee, PrincipalId, Privilege, User};

use crate::condition::Condition;
use crate::cx::Cx;
use crate::error::{DavError, DavResult};
use crate::resource::{Resolved, Resource, Seen};

/// What the caller holds on a collection of another user: None when nothing at all.
pub async fn granted(cx: &Cx<'_>, collection: CollectionId) -> DavResult<Option<Privilege>> {
    let me = cx.caller.user.id;
    let held = cx.engine.store.privilege(me, collection).await?;
    Ok(held.map(|p| capped(cx, p)))
}

/// What the caller holds on what is their own.
pub fn owned(cx: &Cx<'_>) -> Privilege {
    capped(cx, Privilege::Owner)
}

/// A read-only app password may read whatever its user may, and change nothing.
fn capped(cx: &Cx<'_>, p: Privilege) -> Privilege {
    if cx.caller.read_only {
        p.min(Privilege::Read)
    } else {
        p
    }
}

/// A privilege a request needs, with the name RFC 3744 (or RFC 4791) gives it, which the
/// refusal reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub level: Privilege,
    pub name: &'static str,
    pub ns: &'static str,
    /// On a binding itself, the caller's own privilege on their binding stands in for the
    /// shared calendar's (renaming, removing, naming it); not for what reaches the
    /// calendar's content: binding members into it, sharing it, locking it.
    binding_stands_in: bool,
}

impl Need {
    pub const FREE_BUSY: Need = Need::caldav(Privilege::FreeBusy, "read-free-busy");
    pub const READ: Need = Need::dav(Privilege::Read, "read");
    pub const WRITE_CONTENT: Need = Need::dav(Privilege::ReadWrite, "write-content");
    pub const WRITE_PROPERTIES: Need = Need::dav(Privilege::ReadWrite, "write-properties");
    pub const BIND: Need = Need::dav(Privilege::ReadWrite, "bind").content_only();
    pub const UNBIND: Need = Need::dav(Privilege::ReadWrite, "unbind");
    /// Sharing further (draft-pot-webdav-resource-sharing's `DAV:share`).
    pub const SHARE: Need = Need::dav(Privilege::Admin, "share").content_only();
    /// A lock (RFC 4918 §7): a write's privilege, on the content even through a binding,
    /// since a lock of the binding locks the shared calendar (RFC 3744 appendix B).
    pub const LOCK: Need = Need::dav(Privilege::ReadWrite, "write-content").content_only();
    /// Changing who else may act as the owner (delegates, group members).
    pub const WRITE_ACL: Need = Need::dav(Privilege::Owner, "write-acl");
    /// RFC 6638 §6.1.2: asking others' free-busy through an outbox, as its owner (or one
    /// who writes for them).
    pub const SCHEDULE_SEND: Need = Need::caldav(Privilege::ReadWrite, "schedule-send");

    const fn dav(level: Privilege, name: &'static str) -> Need {
        Need {
            level,
            name,
            ns: DAV,
            binding_stands_in: true,
        }
    }

    const fn caldav(level: Privilege, name: &'static str) -> Need {
        Need {
            level,
            name,
            ns: CALDAV,
            binding_stands_in: true,
        }
    }

    const fn content_only(self) -> Need {
        Need {
            binding_stands_in: false,
            ..self
        }
    }
}

/// What a request needs on the resource its path names (its parent for one still to be
/// created). REPORT needs free-busy at least; the report itself asks for read unless it is
/// a free-busy-query ([`check_resource`]). None: nothing to check (OPTIONS, or a method the
/// engine refuses anyway).
pub fn required(method: &Method, target: &Resolved) -> Option<Need> {
    let found = matches!(target, Resolved::Found(_));
    Some(match method.as_str() {
        "GET" | "HEAD" | "PROPFIND" => Need::READ,
        "REPORT" => Need::FREE_BUSY,
        "PUT" if found => Need::WRITE_CONTENT,
        "PUT" | "MKCOL" | "MKCALENDAR" => Need::BIND,
        "PROPPATCH" => Need::WRITE_PROPERTIES,
        "DELETE" => Need::UNBIND,
        "COPY" => Need::READ,
        "MOVE" => Need::UNBIND,
        "POST" if is_outbox(target) => Need::SCHEDULE_SEND,
        "POST" => Need::SHARE,
        // RFC 3744 appendix B: a lock is a write's — write-content on a mapped URL, bind
        // on the parent of an unmapped one (it may create an empty resource there, RFC
        // 4918 §7.3). UNLOCK likewise; that only the lock's owner may use its token is a
        // rule of the locks themselves (`store::rules::locks`).
        "LOCK" | "UNLOCK" if found => Need::LOCK,
        "LOCK" | "UNLOCK" => Need::BIND,
        _ => return None,
    })
}

fn is_outbox(target: &Resolved) -> bool {
    matches!(target, Resolved::Found(Resource::Collection(c))
        if c.collection.kind == CollectionKind::ScheduleOutbox)
}

/// RFC 6638 §2.1-§2.2: only the server puts anything into a scheduling inbox or outbox;
/// their owner may read and delete what is there.
fn into_scheduling_collection(target: &Resolved) -> Option<String> {
    let (c, href) = match target {
        Resolved::Vacant(v) => (v.parent.as_ref()?, v.parent.as_ref()?.href()),
        Resolved::Found(r @ Resource::Object { collection, .. }) => (&**collection, r.href()),
        _ => return None,
    };
    c.collection.is_scheduling().then_some(href)
}

/// Checks `need` on the resource or the vacant place a path names.
pub fn check(target: &Resolved, need: Need) -> DavResult<()> {
    if need == Need::BIND || need == Need::WRITE_CONTENT {
        if let Some(href) = into_scheduling_collection(target) {
            return Err(refusal(&href, need));
        }
    }
    match target {
        Resolved::Found(r) => check_resource(r, need),
        Resolved::Vacant(v) => match &v.parent {
            Some(parent) => check_seen(parent, need, &parent.href(), false),
            // Nothing above it exists: the method's own answer (409) says so.
            None => Ok(()),
        },
    }
}

/// Checks `need` on a found resource.
pub fn check_resource(r: &Resource, need: Need) -> DavResult<()> {
    match r {
        Resource::Collection(c) => check_seen(c, need, &c.href(), true),
        Resource::Object { collection, .. } => check_seen(collection, need, &r.href(), false),
        Resource::Principal(_) | Resource::Proxy { .. } | Resource::Group(_) => {
            // Reading them is decided by visibility when they are looked up; changing them
            // is the PROPPATCH of delegates, which checks ownership itself.
            Ok(())
        }
        Resource::Root
        | Resource::DavRoot
        | Resource::Principals
        | Resource::Groups
        | Resource::Homes => {
            if need.level <= Privilege::Read {
                Ok(())
            } else {
                Err(refusal(&r.href(), need))
            }
        }
    }
}

/// A binding in the caller's home is theirs to rename, remove or set properties on,
/// whatever they may do with the calendar it shows; `itself` when the request is on the
/// collection, not on a member.
fn check_seen(c: &Seen, need: Need, href: &str, itself: bool) -> DavResult<()> {
    let held = match c.binding_privilege {
        Some(own) if itself && need.binding_stands_in => own,
        _ => c.granted,
    };
    if held >= need.level {
        Ok(())
    } else {
        Err(refusal(href, need))
    }
}

/// The privilege the caller holds on the parent of a collection they want to delete or
/// move: deleting a calendar takes unbind on its parent, not just write on the calendar.
pub async fn check_parent_of(cx: &Cx<'_>, c: &Seen) -> DavResult<()> {
    if c.binding_privilege.is_some() || c.granted == Privilege::Owner {
        return Ok(());
    }
    let parent_path = c.collection.parent_path();
    let store = &cx.engine.store;
    let parent = store.collection(c.collection.owner, parent_path).await?;
    let held = match parent {
        Some(p) => granted(cx, p.id).await?,
        None => None,
    };
    match held {
        Some(p) if p >= Need::UNBIND.level => Ok(()),
        _ => Err(refusal(&c.href(), Need::UNBIND)),
    }
}

fn refusal(href: &str, need: Need) -> DavError {
    DavError::condition(
        Condition::NeedPrivileges {
            href: href.to_owned(),
            privilege: QName::new(need.ns, need.name),
        },
        format!(
            "you need the {} privilege on {href} for this; ask its owner to share it with you",
            need.name
        ),
    )
}

/// May the caller learn `user`'s busy time (RFC 6638 §5, the outbox's free-busy lookup)?
/// Their own, yes; another user's only when their principal is visible to the caller
/// (`principal_search`); which calendars then count is [`free_busy_of_calendar`]'s.
pub async fn free_busy_visible(cx: &Cx<'_>, user: &User) -> DavResult<bool> {
    if user.id == cx.caller.user.id {
        return Ok(true);
    }
    Ok(Visibility::of(cx).await?.sees(user))
}

/// Does `calendar` of `user` count in a free-busy lookup by the caller? Their own, yes; on
/// a server whose `principal_search` is "all" (an open directory) everyone's calendars do;
/// otherwise those the caller holds `read-free-busy` (or more) on, by a grant on the
/// calendar or on the home (docs/scheduling.md).
pub async fn free_busy_of_calendar(
    cx: &Cx<'_>,
    user: &User,
    calendar: &Collection,
) -> DavResult<bool> {
    if user.id == cx.caller.user.id || cx.engine.limits.principal_search == PrincipalSearch::All {
        return Ok(true);
    }
    let held = cx
        .engine
        .store
        .privilege(cx.caller.user.id, calendar.id)
        .await?;
    Ok(held.is_some_and(|p| p >= Privilege::FreeBusy))
}

/// The principals a caller may see (PROPFIND, search, listings), by the server's
/// `principal_search` setting: everyone; or the people they have something to do with —
/// members of their groups, those who share with them and those they share with; or only
/// themselves in searches (the related ones stay reachable by URL, for sharing to work).
pub struct Visibility {
    everyone: bool,
    related: HashSet<PrincipalId>,
    groups: HashSet<store::GroupId>,
    search_related: bool,
}

/// The `principal_search` setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PrincipalSearch {
    /// Every account is found and listed.
    All,
    /// Members of the caller's groups and those who share with them or they with.
    #[default]
    Groups,
    /// Searches find the caller alone.
    None,
}

impl PrincipalSearch {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(PrincipalSearch::All),
            "groups" => Some(PrincipalSearch::Groups),
            "none" => Some(PrincipalSearch::None),
            _ => None,
        }
    }
}

impl Visibility {
    pub async fn of(cx: &Cx<'_>) -> DavResult<Visibility> {
        let setting = cx.engine.limits.principal_search;
        let store = &cx.engine.store;
        let me = &cx.caller.user;
        let mut related = HashSet::from([me.id]);
        let mut groups = HashSet::new();
        for group in store.groups_of(me.id).await? {
            groups.insert(group.id);
            related.extend(store.group_members(group.id).await?.iter().map(|u| u.id));
        }
        for reached in store.reachable(me.id).await? {
            related.insert(reached.collection.owner);
        }
        for grant in store.grants_by_owner(me.id).await? {
            match grant.grantee {
                Grantee::User(u) => {
                    related.insert(u);
                }
                Grantee::Group(g) => {
                    related.extend(store.group_members(g).await?.iter().map(|u| u.id));
                }
            }
        }
        Ok(Visibility {
            everyone: setting == PrincipalSearch::All,
            related,
            groups,
            search_related: setting == PrincipalSearch::Groups,
        })
    }

    /// May the caller reach this user's principal by its URL?
    pub fn sees(&self, user: &User) -> bool {
        self.everyone || self.related.contains(&user.id)
    }

    /// Does a search or listing show this user to the caller?
    pub fn finds(&self, user: &User, caller: &User) -> bool {
        user.id == caller.id || self.everyone || (self.search_related && self.sees(user))
    }

    /// May the caller see this group: theirs, or any when everyone is visible.
    pub fn sees_group(&self, group: store::GroupId) -> bool {
        self.everyone || self.groups.contains(&group)
    }
}
