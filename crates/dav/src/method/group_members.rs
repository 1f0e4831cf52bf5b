//! PROPPATCH of `DAV:group-member-set` on a user's delegate groups (caldav-proxy: the owner
//! names who may read, or read and write, their whole calendar home) and on groups (by an
//! administrator). Members are set as a whole, as the property is.

use bytes::Bytes;
use dav_xml::{Element, Multistatus, PropUpdate, Propstat, QName, Response, ResponseBody, DAV};
use http::StatusCode;
use store::{Grantee, Privilege, User};

use super::proppatch::{refused, Refusal};
use super::Cx;
use crate::access::Need;
use crate::condition::Condition;
use crate::error::{DavError, DavResult};
use crate::principal_href::grantee_of;
use crate::resource::Resource;
use crate::SharingAccept;

pub async fn handle(
    cx: &Cx<'_>,
    req: &http::Request<Bytes>,
    resource: Resource,
) -> DavResult<http::Response<Bytes>> {
    let updates = dav_xml::parse_propertyupdate(req.body())?;
    set(cx, &resource, &updates).await
}

async fn set(
    cx: &Cx<'_>,
    resource: &Resource,
    updates: &[PropUpdate],
) -> DavResult<http::Response<Bytes>> {
    check_may_change(cx, resource)?;
    let href = resource.href();
    let mut wanted = None;
    let mut verdicts = Vec::new();
    for u in updates {
        let (name, hrefs) = match u {
            PropUpdate::Set(e) => (e.name.clone(), member_hrefs(e)),
            PropUpdate::Remove(name) => (name.clone(), Vec::new()),
        };
        if !name.is(DAV, "group-member-set") {
            let refusal = Refusal::new(
                Condition::CannotModifyProtectedProperty,
                format!("{name} cannot be set on a principal; only group-member-set can"),
            );
            verdicts.push((name, Err(refusal)));
            continue;
        }
        let mut members = Vec::new();
        let mut unknown = None;
        for h in &hrefs {
            match grantee_of(&*cx.engine.store, h).await? {
                Some((Grantee::Group(_), _)) if matches!(resource, Resource::Group(_)) => {
                    unknown = Some(format!("{h} is a group; groups hold users only"))
                }
                Some((grantee, _)) => members.push(grantee),
                None => unknown = Some(format!("{h} names no user or group of this server")),
            }
        }
        match unknown {
            Some(detail) => {
                let refusal = Refusal {
                    status: StatusCode::CONFLICT,
                    condition: Condition::RecognizedPrincipal,
                    detail,
                };
                verdicts.push((name, Err(refusal)));
            }
            None => {
                wanted = Some(members);
                verdicts.push((name, Ok(())));
            }
        }
    }
    if verdicts.iter().any(|(_, v)| v.is_err()) {
        return Ok(super::multistatus(&refused(href, verdicts)));
    }
    if let Some(members) = wanted {
        match resource {
            Resource::Proxy { of, write } => set_delegates(cx, of, *write, members).await?,
            Resource::Group(group) => set_group(cx, group.id, members).await?,
            _ => {}
        }
    }
    let names = verdicts.into_iter().map(|(n, _)| Element::new(n)).collect();
    Ok(super::multistatus(&Multistatus {
        responses: vec![Response {
            href,
            body: ResponseBody::Propstats(vec![Propstat::new(200, names)]),
        }],
        sync_token: None,
    }))
}

/// A user names their own delegates; an administrator sets groups' members.
fn check_may_change(cx: &Cx<'_>, resource: &Resource) -> DavResult<()> {
    let me = &cx.caller.user;
    let allowed = !cx.caller.read_only
        && match resource {
            Resource::Proxy { of, .. } => of.id == me.id,
            Resource::Group(_) => me.admin,
            _ => false,
        };
    if allowed {
        return Ok(());
    }
    let need = Need::WRITE_ACL;
    Err(DavError::condition(
        Condition::NeedPrivileges {
            href: resource.href(),
            privilege: QName::new(need.ns, need.name),
        },
        "only the user may name their delegates, and only an administrator a group's members",
    ))
}

fn member_hrefs(e: &Element) -> Vec<String> {
    e.elements()
        .filter(|h| h.name.is(DAV, "href"))
        .map(Element::text_content)
        .collect()
}

/// Delegates are grants on the whole home: read for calendar-proxy-read, read-write for
/// calendar-proxy-write.
async fn set_delegates(
    cx: &Cx<'_>,
    owner: &User,
    write: bool,
    members: Vec<Grantee>,
) -> DavResult<()> {
    let store = &cx.engine.store;
    let change = &cx.caller.change;
    let home = store.collection(owner.id, "").await?;
    let home = home.ok_or_else(DavError::not_found)?;
    let level = if write {
        Privilege::ReadWrite
    } else {
        Privilege::Read
    };
    for g in store.grants(home.id).await? {
        let is_member = crate::props::is_delegate(g.privilege, write);
        if is_member && !members.contains(&g.grantee) {
            store.revoke(home.id, g.grantee, change).await?;
        }
    }
    for member in members {
        store.grant(home.id, member, level, false, change).await?;
    }
    Ok(())
}

async fn set_group(cx: &Cx<'_>, group: store::GroupId, members: Vec<Grantee>) -> DavResult<()> {
    let store = &cx.engine.store;
    let change = &cx.caller.change;
    let bind = cx.engine.limits.sharing_accept == SharingAccept::Auto;
    let wanted: Vec<_> = members
        .into_iter()
        .filter_map(|m| match m {
            Grantee::User(u) => Some(u),
            Grantee::Group(_) => None,
        })
        .collect();
    for member in store.group_members(group).await? {
        if !wanted.contains(&member.id) {
            store.remove_member(group, member.id, change).await?;
        }
    }
    for user in wanted {
        store.add_member(group, user, bind, change).await?;
    }
    Ok(())
}
