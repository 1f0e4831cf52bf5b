//! The live-property table: every property the server computes, with its name, whether
//! allprop includes it, which resources have it and how its value is computed. Stored (dead)
//! properties fill in the rest; anything else is a 404 propstat.

use dav_xml::{Element, QName, CALDAV, CALSERVER, DAV};
use store::rules::scheduling::{INBOX_PATH, OUTBOX_PATH};
use store::{CollectionKind, Privilege, Property};

use super::element::{href, wrap};
use super::env::PropEnv;
use super::sharing;
use super::sync_token::SyncToken;
use crate::path;
use crate::quirks;
use crate::resource::Resource;

type ValueFn = fn(&PropEnv<'_>, &Resource) -> Option<Element>;

struct Live {
    ns: &'static str,
    local: &'static str,
    /// RFC 4918 §9.1: allprop returns the RFC 4918 live properties and dead properties.
    in_allprop: bool,
    value: ValueFn,
}

const LIVE: &[Live] = &[
    live(DAV, "resourcetype", true, resourcetype),
    live(DAV, "getetag", true, getetag),
    live(DAV, "getcontenttype", true, getcontenttype),
    live(DAV, "getcontentlength", true, getcontentlength),
    live(DAV, "getlastmodified", true, getlastmodified),
    live(DAV, "creationdate", true, creationdate),
    // RFC 4918 §15.8, §15.10: class 2's properties, in allprop as RFC 4918's own.
    live(DAV, "lockdiscovery", true, lockdiscovery),
    live(DAV, "supportedlock", true, supportedlock),
    live(DAV, "displayname", false, principal_displayname),
    live(
        DAV,
        "current-user-principal",
        quirks::ALLPROP_HAS_CURRENT_USER_PRINCIPAL,
        current_user_principal,
    ),
    live(DAV, "principal-URL", false, principal_url),
    live(
        DAV,
        "principal-collection-set",
        false,
        principal_collection_set,
    ),
    live(DAV, "owner", false, owner),
    live(
        DAV,
        "current-user-privilege-set",
        false,
        current_user_privilege_set,
    ),
    live(DAV, "supported-report-set", false, supported_report_set),
    live(DAV, "quota-available-bytes", false, quota_available),
    live(DAV, "quota-used-bytes", false, quota_used),
    live(DAV, "sync-token", false, sync_token),
    live(CALSERVER, "getctag", false, getctag),
    live(CALDAV, "calendar-home-set", false, calendar_home_set),
    live(
        CALDAV,
        "calendar-user-address-set",
        false,
        calendar_user_address_set,
    ),
    live(CALDAV, "calendar-user-type", false, calendar_user_type),
    live(
        CALDAV,
        "supported-calendar-component-set",
        false,
        supported_components,
    ),
    live(
        CALDAV,
        "supported-calendar-data",
        false,
        supported_calendar_data,
    ),
    live(CALDAV, "max-resource-size", false, max_resource_size),
    live(CALDAV, "min-date-time", false, min_date_time),
    live(CALDAV, "max-date-time", false, max_date_time),
    live(CALDAV, "max-instances", false, max_instances),
    live(DAV, "acl", false, sharing::acl),
    live(DAV, "acl-restrictions", false, sharing::acl_restrictions),
    live(
        DAV,
        "supported-privilege-set",
        false,
        sharing::supported_privilege_set,
    ),
    live(DAV, "group-member-set", false, sharing::group_member_set),
    live(DAV, "group-membership", false, sharing::group_membership),
    live(
        CALSERVER,
        "calendar-proxy-read-for",
        false,
        sharing::proxy_read_for,
    ),
    live(
        CALSERVER,
        "calendar-proxy-write-for",
        false,
        sharing::proxy_write_for,
    ),
    live(CALSERVER, "invite", false, sharing::invite),
    live(
        CALSERVER,
        "allowed-sharing-modes",
        false,
        sharing::allowed_sharing_modes,
    ),
    live(CALSERVER, "shared-url", false, sharing::shared_url),
    live(CALSERVER, "email-address-set", false, email_address_set),
    live(CALDAV, "schedule-inbox-URL", false, schedule_inbox_url),
    live(CALDAV, "schedule-outbox-URL", false, schedule_outbox_url),
    live(
        CALDAV,
        "schedule-default-calendar-URL",
        false,
        schedule_default_calendar_url,
    ),
    live(CALDAV, "schedule-tag", false, schedule_tag),
];

const fn live(ns: &'static str, local: &'static str, in_allprop: bool, value: ValueFn) -> Live {
    Live {
        ns,
        local,
        in_allprop,
        value,
    }
}

/// True for a live property a client may not set or remove (RFC 4918 §15
/// `cannot-modify-protected-property`). displayname is live only on principals and
/// stays writable on collections and objects.
pub fn is_protected(name: &QName) -> bool {
    LIVE.iter().any(|l| name.is(l.ns, l.local))
        && !name.is(DAV, "displayname")
        // RFC 6638 §9.2: the owner chooses where invitations land (checked by PROPPATCH).
        && !crate::schedule::default_calendar::is_it(name)
}

/// The value of one property on one resource: live first, then stored.
pub fn value(
    env: &PropEnv<'_>,
    resource: &Resource,
    name: &QName,
    dead: &[Property],
) -> Option<Element> {
    if let Some(live) = LIVE.iter().find(|l| name.is(l.ns, l.local)) {
        if let Some(v) = (live.value)(env, resource) {
            return Some(v);
        }
    }
    dead.iter()
        .find(|p| p.namespace == name.ns && p.name == name.local)
        .and_then(|p| dav_xml::parse_document(p.xml.as_bytes(), Default::default()).ok())
        .or_else(|| unset_default(resource, name))
}

/// The value a writable property has until it is set: RFC 6638 §9.1, a calendar counts
/// towards free-busy (`schedule-calendar-transp` opaque) unless its owner says otherwise.
fn unset_default(resource: &Resource, name: &QName) -> Option<Element> {
    if name.is(CALDAV, "schedule-calendar-transp") && resource.calendar().is_some() {
        return Some(wrap(
            QName::caldav("schedule-calendar-transp"),
            Element::new(QName::caldav("opaque")),
        ));
    }
    None
}

/// allprop: the allprop live properties the resource has, then every stored property.
pub fn all(env: &PropEnv<'_>, resource: &Resource, dead: &[Property]) -> Vec<Element> {
    let mut out: Vec<Element> = LIVE
        .iter()
        .filter(|l| l.in_allprop)
        .filter_map(|l| (l.value)(env, resource))
        .collect();
    out.extend(
        dead.iter()
            .filter_map(|p| dav_xml::parse_document(p.xml.as_bytes(), Default::default()).ok()),
    );
    out
}

/// propname: every property name the resource has.
pub fn names(env: &PropEnv<'_>, resource: &Resource, dead: &[Property]) -> Vec<Element> {
    let mut out: Vec<Element> = LIVE
        .iter()
        .filter(|l| (l.value)(env, resource).is_some())
        .map(|l| Element::new(QName::new(l.ns, l.local)))
        .collect();
    for p in dead {
        let name = QName::new(&p.namespace, &p.name);
        if !out.iter().any(|e| e.name == name) {
            out.push(Element::new(name));
        }
    }
    out
}

fn resourcetype(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let mut e = Element::new(QName::dav("resourcetype"));
    let collection = || Element::new(QName::dav("collection"));
    let principal = || Element::new(QName::dav("principal"));
    match r {
        Resource::Object { .. } => {}
        Resource::Principal(_) => e = e.with_child(collection()).with_child(principal()),
        Resource::Proxy { write, .. } => {
            let kind = if *write {
                path::PROXY_WRITE
            } else {
                path::PROXY_READ
            };
            e = e
                .with_child(principal())
                .with_child(Element::new(QName::new(CALSERVER, kind)));
        }
        Resource::Group(_) => e = e.with_child(principal()),
        Resource::Collection(c) if c.collection.kind == CollectionKind::Calendar => {
            e = e
                .with_child(collection())
                .with_child(Element::new(QName::caldav("calendar")));
            // The owner's view of a calendar shared with others, and a sharee's.
            if !c.is_owned_by(&env.user.name) {
                e = e.with_child(Element::new(QName::new(CALSERVER, "shared")));
            } else if env.facts.is_shared(c.id()) {
                e = e.with_child(Element::new(QName::new(CALSERVER, "shared-owner")));
            }
        }
        // RFC 6638 §2.1, §2.2.
        Resource::Collection(c) if c.collection.kind == CollectionKind::ScheduleInbox => {
            e = e
                .with_child(collection())
                .with_child(Element::new(QName::caldav("schedule-inbox")));
        }
        Resource::Collection(c) if c.collection.kind == CollectionKind::ScheduleOutbox => {
            e = e
                .with_child(collection())
                .with_child(Element::new(QName::caldav("schedule-outbox")));
        }
        _ => e = e.with_child(collection()),
    }
    Some(e)
}

fn getetag(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    match r {
        Resource::Object { meta, .. } => Some(Element::text(
            QName::dav("getetag"),
            quoted_etag(&meta.etag),
        )),
        _ => None,
    }
}

/// `"etag"`, as the header and the property carry it.
pub fn quoted_etag(etag: &str) -> String {
    let mut quoted = String::with_capacity(etag.len() + 2);
    quoted.push('"');
    quoted.push_str(etag);
    quoted.push('"');
    quoted
}

fn getcontenttype(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    match r {
        Resource::Object { meta, .. } => Some(Element::text(
            QName::dav("getcontenttype"),
            meta.content_type.clone(),
        )),
        _ => None,
    }
}

fn getcontentlength(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    match r {
        Resource::Object { meta, .. } => Some(Element::text(
            QName::dav("getcontentlength"),
            meta.size.to_string(),
        )),
        _ => None,
    }
}

fn modified_ms(r: &Resource) -> Option<i64> {
    match r {
        Resource::Object { meta, .. } => Some(meta.modified_at),
        Resource::Collection(c) => Some(c.collection.modified_at),
        _ => None,
    }
}

fn created_ms(r: &Resource) -> Option<i64> {
    match r {
        Resource::Object { meta, .. } => Some(meta.created_at),
        Resource::Collection(c) => Some(c.collection.created_at),
        _ => None,
    }
}

pub fn http_date(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    httpdate::fmt_http_date(t)
}

fn getlastmodified(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    modified_ms(r).map(|ms| Element::text(QName::dav("getlastmodified"), http_date(ms)))
}

fn creationdate(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let ms = created_ms(r)?;
    let t = chrono::DateTime::from_timestamp_millis(ms)?;
    Some(Element::text(
        QName::dav("creationdate"),
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    ))
}

fn lockdiscovery(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let home = r.lock_home()?;
    let facts = env.locks.as_ref()?;
    let locks = facts.by_home.get(&home.owner)?;
    let href = r.href();
    let active: Vec<Element> = crate::lock::active_on(locks, &home, &href, facts.now).collect();
    Some(crate::lock::lockdiscovery(active))
}

fn supportedlock(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    matches!(r, Resource::Collection(_) | Resource::Object { .. }).then(crate::lock::supportedlock)
}

fn principal_displayname(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let name = match r {
        Resource::Principal(u) => u.display_name.clone().unwrap_or_else(|| u.name.clone()),
        Resource::Group(g) => g.display_name.clone().unwrap_or_else(|| g.name.clone()),
        Resource::Proxy { of, write: false } => format!("Delegates of {} (read)", of.name),
        Resource::Proxy { of, write: true } => format!("Delegates of {} (read-write)", of.name),
        _ => return None,
    };
    Some(Element::text(QName::dav("displayname"), name))
}

fn current_user_principal(env: &PropEnv<'_>, _: &Resource) -> Option<Element> {
    Some(wrap(
        QName::dav("current-user-principal"),
        href(path::principal_href(&env.user.name)),
    ))
}

fn principal_url(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    matches!(
        r,
        Resource::Principal(_) | Resource::Proxy { .. } | Resource::Group(_)
    )
    .then(|| wrap(QName::dav("principal-URL"), href(r.href())))
}

/// RFC 3744 §5.8: where principals are, on every resource.
/// The users' principals come first: clients that read one href take that one.
fn principal_collection_set(_: &PropEnv<'_>, _: &Resource) -> Option<Element> {
    Some(
        Element::new(QName::dav("principal-collection-set"))
            .with_child(href(path::PRINCIPALS))
            .with_child(href(path::GROUPS)),
    )
}

fn owner(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let owner = match r {
        Resource::Principal(u) => &u.name,
        Resource::Proxy { of, .. } => &of.name,
        Resource::Collection(c) => &*c.owner_name,
        Resource::Object { collection, .. } => &*collection.owner_name,
        _ => return None,
    };
    Some(wrap(QName::dav("owner"), href(path::principal_href(owner))))
}

/// RFC 3744 §5.4: what the caller holds, aggregates and the privileges they contain
/// together ([`quirks::WRITE_PRIVILEGES_SPELLED_OUT`]). A read-only sharee may still set
/// their own name and colour for a shared calendar, but `write-properties` is not listed
/// for them: Thunderbird would take it for a writable calendar.
fn current_user_privilege_set(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    const READ: &[&str] = &["read", "read-current-user-privilege-set"];
    let held = match r {
        Resource::Root
        | Resource::DavRoot
        | Resource::Principals
        | Resource::Groups
        | Resource::Homes
        | Resource::Group(_) => Privilege::Read,
        Resource::Principal(u) if u.id == env.user.id => Privilege::Owner,
        Resource::Proxy { of, .. } if of.id == env.user.id => Privilege::Owner,
        Resource::Principal(_) | Resource::Proxy { .. } => Privilege::Read,
        Resource::Collection(c) => c.granted,
        Resource::Object { collection, .. } => collection.granted,
    };
    let mut names: Vec<QName> = Vec::new();
    if held >= Privilege::Read {
        names.extend(READ.iter().map(|n| QName::dav(n)));
    }
    let is_content = matches!(r, Resource::Collection(_) | Resource::Object { .. });
    if held >= Privilege::ReadWrite {
        if is_content {
            names.extend(
                quirks::WRITE_PRIVILEGES_SPELLED_OUT
                    .iter()
                    .map(|n| QName::dav(n)),
            );
        } else {
            names.push(QName::dav("write-properties"));
        }
    }
    if is_content && (Privilege::Admin..Privilege::Owner).contains(&held) {
        names.push(QName::dav("share"));
    }
    if r.calendar().is_some() && held >= Privilege::FreeBusy {
        names.push(QName::caldav("read-free-busy"));
    }
    // RFC 6638 §6.1: what an inbox and an outbox let their owner do.
    if let Resource::Collection(c) = r {
        match c.collection.kind {
            CollectionKind::ScheduleInbox if held >= Privilege::ReadWrite => {
                names.push(QName::caldav("schedule-deliver"));
            }
            CollectionKind::ScheduleOutbox if held >= Privilege::ReadWrite => {
                names.push(QName::caldav("schedule-send"));
            }
            _ => {}
        }
    }
    let mut e = Element::new(QName::dav("current-user-privilege-set"));
    for name in names {
        e = e.with_child(wrap(QName::dav("privilege"), Element::new(name)));
    }
    Some(e)
}

/// Only the reports that are implemented for the resource are advertised.
fn supported_report_set(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let reports: Vec<QName> = match r {
        Resource::Collection(c) if c.is_calendar() => vec![
            QName::caldav("calendar-multiget"),
            QName::caldav("calendar-query"),
            QName::caldav("free-busy-query"),
            QName::dav("sync-collection"),
        ],
        Resource::Collection(_) => vec![QName::dav("sync-collection")],
        Resource::Object { .. } => vec![QName::caldav("calendar-multiget")],
        _ => vec![
            QName::dav("expand-property"),
            QName::dav("principal-property-search"),
            QName::dav("principal-search-property-set"),
            QName::dav("principal-match"),
        ],
    };
    let mut e = Element::new(QName::dav("supported-report-set"));
    for name in reports {
        e = e.with_child(wrap(
            QName::dav("supported-report"),
            wrap(QName::dav("report"), Element::new(name)),
        ));
    }
    Some(e)
}

/// Quotas are the caller's, so they are told on the collections that count against it.
fn counts_against_caller(env: &PropEnv<'_>, r: &Resource) -> bool {
    match r {
        Resource::Collection(c) => c.is_owned_by(&env.user.name),
        Resource::Object { .. } => false,
        _ => true,
    }
}

fn quota_available(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    if !counts_against_caller(env, r) {
        return None;
    }
    let used = env.usage?;
    // RFC 4331 §3: without a quota the value is what the server can offer; we say nothing
    // rather than invent a number.
    let quota = env.quota()?;
    Some(Element::text(
        QName::dav("quota-available-bytes"),
        quota.saturating_sub(used).to_string(),
    ))
}

fn quota_used(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    if !counts_against_caller(env, r) {
        return None;
    }
    Some(Element::text(
        QName::dav("quota-used-bytes"),
        env.usage?.to_string(),
    ))
}

fn sync_token(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    match r {
        Resource::Collection(c) => Some(Element::text(
            QName::dav("sync-token"),
            SyncToken::of(&c.collection).uri(),
        )),
        _ => None,
    }
}

fn getctag(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    match r {
        Resource::Collection(c) => Some(Element::text(
            QName::new(CALSERVER, "getctag"),
            format!("\"{}-{}\"", c.id(), c.collection.sync_seq),
        )),
        _ => None,
    }
}

fn calendar_home_set(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let user = match r {
        Resource::Principal(u) => &u.name,
        Resource::Root | Resource::DavRoot => &env.user.name,
        _ => return None,
    };
    Some(wrap(
        QName::caldav("calendar-home-set"),
        href(path::home_href(user)),
    ))
}

/// RFC 6638 §2.4.1: the `mailto:` address first (python caldav and Thunderbird take the
/// first), then the principal URL; the same addresses scheduling answers to.
fn calendar_user_address_set(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let e = Element::new(QName::caldav("calendar-user-address-set"));
    match r {
        Resource::Principal(u) => Some(
            crate::schedule::addresses_of(u)
                .into_iter()
                .fold(e, |e, a| e.with_child(href(a))),
        ),
        Resource::Group(_) => Some(e.with_child(href(r.href()))),
        _ => None,
    }
}

/// CalendarServer's e-mail addresses of a principal, which Apple's searches show.
fn email_address_set(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let Resource::Principal(u) = r else {
        return None;
    };
    let mut e = Element::new(QName::new(CALSERVER, "email-address-set"));
    if let Some(email) = &u.email {
        e = e.with_child(Element::text(
            QName::new(CALSERVER, "email-address"),
            email.clone(),
        ));
    }
    Some(e)
}

fn calendar_user_type(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let kind = match r {
        Resource::Principal(_) => "INDIVIDUAL",
        Resource::Group(_) => "GROUP",
        _ => return None,
    };
    Some(Element::text(QName::caldav("calendar-user-type"), kind))
}

fn supported_components(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let c = r.calendar()?;
    let mut e = Element::new(QName::caldav("supported-calendar-component-set"));
    for name in &c.components {
        e = e.with_child(Element::new(QName::caldav("comp")).with_attr("name", name.clone()));
    }
    Some(e)
}

fn supported_calendar_data(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    r.calendar()?;
    Some(wrap(
        QName::caldav("supported-calendar-data"),
        Element::new(QName::caldav("calendar-data"))
            .with_attr("content-type", "text/calendar")
            .with_attr("version", "2.0"),
    ))
}

fn max_resource_size(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    r.calendar()?;
    Some(Element::text(
        QName::caldav("max-resource-size"),
        env.limits.max_resource_size.to_string(),
    ))
}

fn ical_utc(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

fn min_date_time(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    r.calendar()?;
    Some(Element::text(
        QName::caldav("min-date-time"),
        ical_utc(env.limits.min_date_time),
    ))
}

fn max_date_time(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    r.calendar()?;
    Some(Element::text(
        QName::caldav("max-date-time"),
        ical_utc(env.limits.max_date_time),
    ))
}

fn max_instances(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    r.calendar()?;
    Some(Element::text(
        QName::caldav("max-instances"),
        env.limits.max_instances.to_string(),
    ))
}

/// RFC 6638 §2.2.1, §2.1.1: where a user's scheduling inbox and outbox are.
fn schedule_inbox_url(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let Resource::Principal(u) = r else {
        return None;
    };
    Some(wrap(
        QName::caldav("schedule-inbox-URL"),
        href(path::collection_href(&u.name, INBOX_PATH)),
    ))
}

fn schedule_outbox_url(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let Resource::Principal(u) = r else {
        return None;
    };
    Some(wrap(
        QName::caldav("schedule-outbox-URL"),
        href(path::collection_href(&u.name, OUTBOX_PATH)),
    ))
}

/// RFC 6638 §9.2, on the inbox: read with the answer's other facts ([`PropEnv::load`]).
fn schedule_default_calendar_url(env: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    match r {
        Resource::Collection(c) => env.facts.default_calendars.get(&c.id()).cloned(),
        _ => None,
    }
}

/// RFC 6638 §3.2.10: on scheduling objects whose data the answer has at hand.
fn schedule_tag(_: &PropEnv<'_>, r: &Resource) -> Option<Element> {
    let Resource::Object {
        data: Some(data), ..
    } = r
    else {
        return None;
    };
    let tag = crate::schedule::schedule_tag(data)?;
    Some(Element::text(QName::caldav("schedule-tag"), tag))
}
