//! The principal REPORTs of RFC 3744 that clients send for attendee look-up and setup:
//! principal-property-search (§9.4), principal-search-property-set (§9.5) and
//! principal-match (§9.3). A user sees only their own principal, so searches never reveal
//! other accounts.

use bytes::Bytes;
use dav_xml::{Element, PropFind, QName, DAV};
use http::{Request, StatusCode};

use crate::error::{DavError, DavResult};
use crate::method::Cx;
use crate::props::{self, dead_properties, members, no_extra, PropEnv, PropResponses};
use crate::resource::{resolve, Resource};

/// The properties a principal search may test.
fn searchable() -> [(QName, &'static str); 2] {
    [
        (QName::dav("displayname"), "Display name"),
        (
            QName::caldav("calendar-user-address-set"),
            "Calendar user address",
        ),
    ]
}

pub fn search_property_set() -> DavResult<http::Response<Bytes>> {
    let mut root = Element::new(QName::dav("principal-search-property-set"));
    for (name, description) in searchable() {
        root = root.with_child(
            Element::new(QName::dav("principal-search-property"))
                .with_child(Element::new(QName::dav("prop")).with_child(Element::new(name)))
                .with_child(
                    Element::text(QName::dav("description"), description)
                        .with_attr("xml:lang", "en"),
                ),
        );
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{}",
        dav_xml::fragment(&root)
    );
    Ok(crate::method::xml_response(StatusCode::OK, body))
}

pub async fn property_search(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    body: Element,
) -> DavResult<http::Response<Bytes>> {
    resolve(cx, crate::method::request_path(req))
        .await?
        .found()?;
    let any_of = body.attr("test") == Some("anyof");
    let prop = PropFind::Prop(
        body.child(DAV, "prop")
            .map(|p| p.elements().cloned().collect())
            .unwrap_or_default(),
    );
    let env = PropEnv::new(cx, &prop).await?;
    let me = Resource::Principal;
    let mut tests = Vec::new();
    for search in body
        .elements()
        .filter(|e| e.name.is(DAV, "property-search"))
    {
        let needle = search
            .child(DAV, "match")
            .map(Element::text_content)
            .unwrap_or_default()
            .to_lowercase();
        let names: Vec<QName> = search
            .child(DAV, "prop")
            .map(|p| p.elements().map(|e| e.name.clone()).collect())
            .unwrap_or_default();
        if let Some(bad) = names
            .iter()
            .find(|n| !searchable().iter().any(|(s, _)| s == *n))
        {
            return Err(DavError::forbidden(format!("{bad} cannot be searched")));
        }
        let hit = names.iter().any(|n| {
            props::value(&env, &me, n, &[])
                .map(|v| v.text_content().to_lowercase().contains(&needle))
                .unwrap_or(false)
        });
        tests.push(hit);
    }
    let matched = !tests.is_empty()
        && if any_of {
            tests.iter().any(|t| *t)
        } else {
            tests.iter().all(|t| *t)
        };
    let mut out = crate::answer_buffer::multistatus();
    if matched {
        let href = me.href(&cx.caller.user.name);
        PropResponses::new(&env, &prop, false).write(&mut out, &href, &me, &[], &no_extra);
    }
    Ok(crate::method::xml_response(
        StatusCode::MULTI_STATUS,
        out.finish(None),
    ))
}

pub async fn principal_match(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    body: Element,
) -> DavResult<http::Response<Bytes>> {
    let resource = resolve(cx, crate::method::request_path(req))
        .await?
        .found()?;
    let prop = body
        .child(DAV, "prop")
        .map(|p| PropFind::Prop(p.elements().cloned().collect()))
        .unwrap_or(PropFind::Prop(Vec::new()));
    let env = PropEnv::new(cx, &prop).await?;
    let user = &cx.caller.user.name;
    // self: the caller's principal, when it lies in the request's scope. principal-property:
    // the members whose property names the caller; every member we show is the caller's own.
    let matches: Vec<(Resource, Vec<store::Property>)> = if body.child(DAV, "self").is_some() {
        match resource {
            Resource::Principals | Resource::Principal => vec![(Resource::Principal, Vec::new())],
            _ => Vec::new(),
        }
    } else if body.child(DAV, "principal-property").is_some() {
        let mut out = members(cx, &resource).await?;
        if matches!(resource, Resource::Collection(_) | Resource::Object { .. }) {
            let dead = dead_properties(cx, &resource).await?;
            out.insert(0, (resource, dead));
        }
        out.retain(|(r, _)| matches!(r, Resource::Collection(_) | Resource::Object { .. }));
        out
    } else {
        return Err(DavError::bad_request(
            "principal-match needs DAV:self or DAV:principal-property",
        ));
    };
    let mut out = crate::answer_buffer::multistatus();
    let mut responses = PropResponses::new(&env, &prop, false);
    for (r, dead) in &matches {
        responses.write(&mut out, &r.href(user), r, dead, &no_extra);
    }
    Ok(crate::method::xml_response(
        StatusCode::MULTI_STATUS,
        out.finish(None),
    ))
}
