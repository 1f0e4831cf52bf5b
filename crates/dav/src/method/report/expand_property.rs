//! expand-property (RFC 3253 §3.8), which Apple clients send on principals: the value of each
//! named property, with every href in it replaced by a response carrying the nested
//! properties of the resource it names.

use bytes::Bytes;
use dav_xml::{Element, Multistatus, Node, Propstat, QName, Response, ResponseBody, DAV};
use http::Request;

use crate::error::DavResult;
use crate::method::Cx;
use crate::props::{self, dead_properties, PropEnv};
use crate::resource::{resolve, Resource};

/// Nesting deeper than this is refused silently (left unexpanded): real clients use two.
const MAX_DEPTH: usize = 3;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    body: Element,
) -> DavResult<http::Response<Bytes>> {
    let resource = resolve(cx, crate::method::request_path(req))
        .await?
        .found()?;
    let env = PropEnv::new(cx, &dav_xml::PropFind::PropName).await?;
    let response = expand(cx, &env, &resource, &body, 0).await?;
    Ok(crate::method::multistatus(&Multistatus {
        responses: vec![response],
        sync_token: None,
    }))
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
    env: &PropEnv<'_>,
    resource: &Resource,
    request: &Element,
    depth: usize,
) -> DavResult<Response> {
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
        href: resource.href(&cx.caller.user.name),
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
