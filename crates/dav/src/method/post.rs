//! POST: sharing a calendar (CalendarServer's `CS:share`, and the `DAV:share-resource` of
//! draft-pot-webdav-resource-sharing), and a sharee accepting an invitation
//! (`CS:invite-reply` to their home, when shares wait to be accepted). A POST to a
//! scheduling outbox is a free-busy lookup (`schedule::outbox`).

use bytes::Bytes;
use dav_xml::{Element, QName, CALSERVER, DAV};
use http::{Request, Response, StatusCode};
use store::{Grantee, Privilege, StoreError};

use super::Cx;
use crate::error::{DavError, DavResult};
use crate::principal_href::grantee_of;
use crate::resolve::resolve;
use crate::resource::{Resource, Seen};
use crate::SharingAccept;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resource: Resource,
) -> DavResult<Response<Bytes>> {
    if let Resource::Collection(c) = &resource {
        if c.collection.kind == store::CollectionKind::ScheduleOutbox {
            return crate::schedule::outbox::handle(cx, req, c).await;
        }
    }
    let body = dav_xml::parse_document(req.body(), Default::default())?;
    let Resource::Collection(c) = resource else {
        return Err(DavError::method_not_allowed(
            "POST is for sharing calendars: send it to a calendar or your calendar home",
        ));
    };
    if body.name.is(CALSERVER, "share") {
        share(cx, &c, cs_changes(&body)).await
    } else if body.name.is(DAV, "share-resource") {
        share(cx, &c, draft_changes(&body)).await
    } else if body.name.is(CALSERVER, "invite-reply") {
        invite_reply(cx, &c, &body).await
    } else {
        Err(DavError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "POST takes CS:share, DAV:share-resource or CS:invite-reply, not {}",
                body.name
            ),
        ))
    }
}

/// One sharee: None removes their share.
struct ShareChange {
    href: String,
    privilege: Option<Privilege>,
}

/// `CS:set` (read unless `CS:read-write`) and `CS:remove`, each naming a sharee by href.
fn cs_changes(body: &Element) -> Vec<ShareChange> {
    let mut out = Vec::new();
    for e in body.elements() {
        let Some(href) = e.child(DAV, "href").map(Element::text_content) else {
            continue;
        };
        if e.name.is(CALSERVER, "set") {
            let write = e.child(CALSERVER, "read-write").is_some();
            let privilege = if write {
                Privilege::ReadWrite
            } else {
                Privilege::Read
            };
            out.push(ShareChange {
                href,
                privilege: Some(privilege),
            });
        } else if e.name.is(CALSERVER, "remove") {
            out.push(ShareChange {
                href,
                privilege: None,
            });
        }
    }
    out
}

/// `DAV:sharee` elements with `DAV:share-access` of read, read-write or no-access.
fn draft_changes(body: &Element) -> Vec<ShareChange> {
    let mut out = Vec::new();
    for sharee in body.elements().filter(|e| e.name.is(DAV, "sharee")) {
        let Some(href) = sharee.child(DAV, "href").map(Element::text_content) else {
            continue;
        };
        let access = sharee.child(DAV, "share-access");
        let has = |name: &str| access.and_then(|a| a.child(DAV, name)).is_some();
        let privilege = if has("no-access") {
            None
        } else if has("read-write") {
            Some(Privilege::ReadWrite)
        } else {
            Some(Privilege::Read)
        };
        out.push(ShareChange { href, privilege });
    }
    out
}

/// Applies the changes in order. A sharee this server does not know is skipped, not an
/// error (CalendarServer marks them invite-invalid): the others are still shared with.
async fn share(cx: &Cx<'_>, c: &Seen, changes: Vec<ShareChange>) -> DavResult<Response<Bytes>> {
    if !c.is_calendar() {
        return Err(DavError::forbidden(
            "only calendars can be shared; share each calendar, or delegate the whole home",
        ));
    }
    let store = &cx.engine.store;
    let change = &cx.caller.change;
    let bind = cx.engine.limits.sharing_accept == SharingAccept::Auto;
    for ShareChange { href, privilege } in changes {
        let Some((grantee, name)) = grantee_of(&**store, &href).await? else {
            tracing::info!(target: "calvault::sharing", %href, "not shared: no such user or group");
            continue;
        };
        if grantee == Grantee::User(c.collection.owner) {
            continue;
        }
        let done = match privilege {
            Some(p) => store.grant(c.id(), grantee, p, bind, change).await,
            None => match store.revoke(c.id(), grantee, change).await {
                Err(StoreError::NotFound) => Ok(()),
                other => other,
            },
        };
        done?;
        tracing::info!(
            target: "calvault::sharing",
            calendar = %c.collection.path,
            owner = %c.owner_name,
            sharee = %name,
            access = privilege.map_or("none", Privilege::as_str),
            "share changed"
        );
    }
    Ok(super::empty(StatusCode::OK))
}

/// A sharee accepts (binds into their home) or declines a calendar shared with them.
async fn invite_reply(cx: &Cx<'_>, home: &Seen, body: &Element) -> DavResult<Response<Bytes>> {
    if !home.is_home() || !home.is_owned_by(&cx.caller.user.name) {
        return Err(DavError::forbidden(
            "an invitation is answered with a POST to your own calendar home",
        ));
    }
    let host = body
        .child(CALSERVER, "hosturl")
        .and_then(|h| h.child(DAV, "href"))
        .map(Element::text_content)
        .ok_or_else(|| DavError::bad_request("CS:invite-reply needs CS:hosturl with a DAV:href"))?;
    if body.child(CALSERVER, "invite-accepted").is_none() {
        // Declining leaves the share where it is: it is not shown, and can be accepted later.
        return Ok(super::empty(StatusCode::OK));
    }
    let path = crate::path::href_path(&host, None)
        .unwrap_or(&host)
        .to_owned();
    let Resource::Collection(calendar) = resolve(cx, &path).await?.found()? else {
        return Err(DavError::bad_request("CS:hosturl names no shared calendar"));
    };
    if calendar.is_owned_by(&cx.caller.user.name) {
        return Err(DavError::conflict("this calendar is your own"));
    }
    let binding = cx
        .engine
        .store
        .accept(calendar.id(), cx.caller.user.id, &cx.caller.change)
        .await?;
    let href = crate::path::collection_href(&cx.caller.user.name, &binding.path);
    let answer = Element::new(QName::new(CALSERVER, "shared-as"))
        .with_child(Element::text(QName::dav("href"), href));
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{}",
        dav_xml::fragment(&answer)
    );
    Ok(super::xml_response(StatusCode::OK, body))
}
