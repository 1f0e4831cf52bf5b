//! The properties of sharing, groups and delegation: RFC 3744's `acl`, `acl-restrictions`,
//! `supported-privilege-set`, `group-member-set` and `group-membership`, CalendarServer's
//! `invite`, `allowed-sharing-modes`, `shared-url` and `calendar-proxy-*-for`. Their data
//! comes from [`super::env::Facts`], read once per answer.

use dav_xml::{Element, QName, CALDAV, CALSERVER, DAV};
use store::{Grant, Privilege};

use super::element::{href, wrap};
use super::env::{grantee_href, is_delegate, PropEnv};
use crate::path;
use crate::resource::{Resource, Seen};

fn privilege(name: QName) -> Element {
    wrap(QName::dav("privilege"), Element::new(name))
}

/// The privileges a grant of `p` consists of, as RFC 3744 names them.
fn granted_names(p: Privilege) -> Vec<QName> {
    match p {
        Privilege::FreeBusy => vec![QName::caldav("read-free-busy")],
        Privilege::Read => vec![QName::dav("read")],
        Privilege::ReadWrite => vec![QName::dav("read"), QName::dav("write")],
        Privilege::Admin => vec![QName::dav("read"), QName::dav("write"), QName::dav("share")],
        Privilege::Owner => vec![QName::dav("all")],
    }
}

fn ace(principal_href: String, p: Privilege) -> Element {
    let mut grant = Element::new(QName::dav("grant"));
    for name in granted_names(p) {
        grant = grant.with_child(privilege(name));
    }
    Element::new(QName::dav("ace"))
        .with_child(wrap(QName::dav("principal"), href(principal_href)))
        .with_child(grant)
}

/// The collection a sharing property is about, when the caller may see it.
fn collection(r: &Resource) -> Option<&Seen> {
    match r {
        Resource::Collection(c) => Some(c),
        _ => None,
    }
}

/// RFC 3744 §5.5, for the owner (and those who may share further): the owner holds all,
/// then each grant. Grants on the owner's home reach the collection too, but are shown on
/// the home, where they are made.
pub fn acl(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let c = collection(r)?;
    if c.granted < Privilege::Admin || c.binding.is_some() {
        return None;
    }
    let mut e = Element::new(QName::dav("acl")).with_child(
        ace(path::principal_href(&c.owner_name), Privilege::Owner)
            .with_child(Element::new(QName::dav("protected"))),
    );
    for g in env.facts.grants.get(&c.id()).into_iter().flatten() {
        e = e.with_child(ace(grantee_href(g), g.privilege));
    }
    Some(e)
}

/// RFC 3744 §5.6: grants only, no deny, no inversion; the owner's entry cannot change.
pub fn acl_restrictions(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    collection(r)?;
    Some(
        Element::new(QName::dav("acl-restrictions"))
            .with_child(Element::new(QName::dav("grant-only")))
            .with_child(Element::new(QName::dav("no-invert"))),
    )
}

fn supported(name: QName, description: &str, children: Vec<Element>) -> Element {
    let mut e = Element::new(QName::dav("supported-privilege"))
        .with_child(privilege(name))
        .with_child(
            Element::text(QName::dav("description"), description).with_attr("xml:lang", "en"),
        );
    for child in children {
        e = e.with_child(child);
    }
    e
}

/// RFC 3744 §5.3: the privileges this server knows and how they nest.
pub fn supported_privilege_set(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    collection(r)?;
    let leaf = |ns: &str, name: &str, what: &str| supported(QName::new(ns, name), what, vec![]);
    let read = supported(
        QName::dav("read"),
        "Read events and properties",
        vec![
            leaf(CALDAV, "read-free-busy", "Ask when the owner is busy"),
            leaf(
                DAV,
                "read-current-user-privilege-set",
                "Read your own privileges",
            ),
        ],
    );
    let write = supported(
        QName::dav("write"),
        "Change events and properties",
        vec![
            leaf(DAV, "write-content", "Change events"),
            leaf(DAV, "write-properties", "Change properties"),
            leaf(DAV, "bind", "Add events"),
            leaf(DAV, "unbind", "Remove events"),
        ],
    );
    let share = leaf(DAV, "share", "Share with others");
    let all = supported(QName::dav("all"), "Everything", vec![read, write, share]);
    Some(wrap(QName::dav("supported-privilege-set"), all))
}

/// RFC 3744 §4.3: the members of a group, or of a user's delegate group.
pub fn group_member_set(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    if !matches!(r, Resource::Group(_) | Resource::Proxy { .. }) {
        return None;
    }
    let mut e = Element::new(QName::dav("group-member-set"));
    for member in env.facts.members.get(&r.href()).into_iter().flatten() {
        e = e.with_child(href(member.clone()));
    }
    Some(e)
}

/// RFC 3744 §4.4: the groups a user is in, their delegations included (the delegate
/// groups of the users whose homes are granted to them).
pub fn group_membership(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let Resource::Principal(user) = r else {
        return None;
    };
    let mut e = Element::new(QName::dav("group-membership"));
    let Some(m) = env.facts.memberships.get(&user.id) else {
        return Some(e);
    };
    for group in &m.groups {
        e = e.with_child(href(path::group_href(&group.name)));
    }
    for (owner, privilege) in &m.delegations {
        for write in [false, true] {
            if is_delegate(*privilege, write) {
                e = e.with_child(href(path::proxy_href(owner, write)));
            }
        }
    }
    Some(e)
}

fn proxy_for(env: &PropEnv<'_>, r: &Resource, write: bool) -> Option<Element> {
    let Resource::Principal(user) = r else {
        return None;
    };
    let local = if write {
        "calendar-proxy-write-for"
    } else {
        "calendar-proxy-read-for"
    };
    let mut e = Element::new(QName::new(CALSERVER, local));
    if let Some(m) = env.facts.memberships.get(&user.id) {
        for (owner, privilege) in &m.delegations {
            if is_delegate(*privilege, write) {
                e = e.with_child(href(path::principal_href(owner)));
            }
        }
    }
    Some(e)
}

/// caldav-proxy: whose calendars the user may read as a delegate.
pub fn proxy_read_for(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    proxy_for(env, r, false)
}

/// caldav-proxy: whose calendars the user may read and write as a delegate.
pub fn proxy_write_for(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    proxy_for(env, r, true)
}

fn cs(local: &str) -> Element {
    Element::new(QName::new(CALSERVER, local))
}

fn invited(g: &Grant) -> Element {
    let access = match g.privilege {
        Privilege::ReadWrite | Privilege::Admin => cs("read-write"),
        _ => cs("read"),
    };
    cs("user")
        .with_child(href(grantee_href(g)))
        .with_child(Element::text(
            QName::new(CALSERVER, "common-name"),
            g.grantee_name.clone(),
        ))
        .with_child(cs("invite-accepted"))
        .with_child(wrap(QName::new(CALSERVER, "access"), access))
}

/// CalendarServer sharing: the owner and everyone a shared calendar is shared with. Grants
/// of free-busy alone are no invitation to the calendar, so they are not listed.
pub fn invite(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let c = collection(r)?;
    let grants = env.facts.grants.get(&c.id())?;
    let shared: Vec<&Grant> = grants
        .iter()
        .filter(|g| g.privilege >= Privilege::Read)
        .collect();
    if !c.is_calendar() || shared.is_empty() {
        return None;
    }
    let organizer = cs("organizer")
        .with_child(href(path::principal_href(&c.owner_name)))
        .with_child(Element::text(
            QName::new(CALSERVER, "common-name"),
            c.owner_name.to_string(),
        ));
    let mut e = cs("invite").with_child(organizer);
    for g in shared {
        e = e.with_child(invited(g));
    }
    Some(e)
}

/// A calendar its owner (or an admin sharee) may share.
pub fn allowed_sharing_modes(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let c = collection(r)?;
    if !c.is_calendar() {
        return None;
    }
    let mut e = cs("allowed-sharing-modes");
    if c.granted >= Privilege::Admin {
        e = e.with_child(cs("can-be-shared"));
    }
    Some(e)
}

/// A sharee's copy names the calendar it shows, at its owner's URL.
pub fn shared_url(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let c = collection(r)?;
    c.binding.as_ref()?;
    let at = path::collection_href(&c.owner_name, &c.collection.path);
    Some(wrap(QName::new(CALSERVER, "shared-url"), href(at)))
}
