//! expand-property (RFC 3253 §3.8), which Apple clients send on principals: the value of each
//! named property, with every href in it replaced by a response carrying the nested
//! properties of the resource it names; with a Depth header, for each member too.

use bytes::Bytes;
use dav_xml::{Element, Multistatus, Node, Propstat, QName, Response, ResponseBody, DAV};
use http::Request;

use crate::error::DavResult;
use crate::method::{Cx, Depth};
use crate::props::{self, dead_properties, PropEnv};
use crate::resolve::resolve;
use crate::resource::Resource;

/// Nesting deeper than this is refused silently (left unexpanded): real clients use two.
const MAX_DEPTH: usize = 3;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resource: Resource,
    body: Element,
) -> DavResult<http::Response<Bytes>> {
    let depth = crate::method::depth(req, Depth::Zero)?;
    let mut env = PropEnv::new(cx, &dav_xml::PropFind::PropName).await?;
    let mut responses = Vec::new();
    for target in in_scope(cx, resource, depth).await? {
        responses.push(expand(cx, &mut env, &target, &body, 0).await?);
    }
    Ok(crate::method::multistatus(&Multistatus {
        responses,
        sync_token: None,
    }))
}

/// RFC 3253 §3.6: a REPORT with a Depth header is "applied separately to the collection
/// itself and to all members of the collection that satisfy the Depth value"; §3.8 adds no
/// restriction for expand-property. No Depth header is Depth 0.
async fn in_scope(cx: &Cx<'_>, resource: Resource, depth: Depth) -> DavResult<Vec<Resource>> {
    let mut out = vec![resource];
    if depth == Depth::Zero {
        return Ok(out);
    }
    let mut next = 0;
    while next < out.len() {
        let level_end = out.len();
        for i in next..level_end {
            let members = props::members(cx, &out[i]).await?;
            out.extend(members.into_iter().map(|(r, _)| r));
        }
        next = level_end;
        if depth == Depth::One {
            break;
        }
    }
    Ok(out)
}

/// The `property` children of `request`, named by `name`/`namespace` attributes.
fn wanted(request: &Element) -> Vec<(QName, &Element)> {
    request
        .elements()
        .filter(|e| e.name.is(DAV, "property"))
        .filter_map(|e| {
            let name = e.attr("name")?;
            let ns = e.attr("namespace").unwrap_or(DAV);
            Some((QName::new(ns, name), e))
        })
        .collect()
}

async fn expand(
    cx: &Cx<'_>,
    env: &mut PropEnv<'_>,
    resource: &Resource,
    request: &Element,
    depth: usize,
) -> DavResult<Response> {
    env.load(cx, &[resource]).await?;
    let dead = dead_properties(cx, resource).await?;
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for (name, nested) in wanted(request) {
        let Some(mut value) = props::value(env, resource, &name, &dead) else {
            missing.push(Element::new(name));
            continue;
        };
        if depth < MAX_DEPTH && !wanted(nested).is_empty() {
            let mut expanded = Vec::new();
            for child in std::mem::take(&mut value.children) {
                match child {
                    Node::Element(href) if href.name.is(DAV, "href") => {
                        let target = resolve(cx, &href.text_content())
                            .await
                            .ok()
                            .and_then(|r| r.found().ok());
                        match target {
                            Some(target) => {
                                let inner =
                                    Box::pin(expand(cx, env, &target, nested, depth + 1)).await?;
                                expanded.push(Node::Element(response_element(inner)));
                            }
                            None => expanded.push(Node::Element(href)),
                        }
                    }
                    other => expanded.push(other),
                }
            }
            value.children = expanded;
        }
        found.push(value);
    }
    let mut propstats = vec![Propstat::new(200, found)];
    if !missing.is_empty() {
        propstats.push(Propstat::new(404, missing));
    }
    Ok(Response {
        href: resource.href(),
        body: ResponseBody::Propstats(propstats),
    })
}

/// A nested `DAV:response` as a plain element, to sit inside a property value.
fn response_element(r: Response) -> Element {
    let mut e =
        Element::new(QName::dav("response")).with_child(Element::text(QName::dav("href"), r.href));
    if let ResponseBody::Propstats(propstats) = r.body {
        for ps in propstats {
            e = e.with_child(
                Element::new(QName::dav("propstat"))
                    .with_child(Element::new(QName::dav("prop")).with_children(ps.props))
                    .with_child(Element::text(
                        QName::dav("status"),
                        dav_xml::status_line(ps.status),
                    )),
            );
        }
    }
    e
}
