//! PROPFIND (RFC 4918 §9.1), Depth 0 and 1, with one batched store call per kind of member.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use dav_xml::{Element, PropFind, Propstat, QName, Response, ResponseBody};
use http::{Request, StatusCode};
use store::Property;

use super::members::{MemberResponses, ObjectPages};
use super::{Cx, Depth};
use crate::error::{DavError, DavResult};
use crate::props::{self, PropEnv};
use crate::quirks;
use crate::resource::{resolve, Resource};

pub async fn handle(cx: &Cx<'_>, req: &Request<Bytes>) -> DavResult<http::Response<Bytes>> {
    let propfind = dav_xml::parse_propfind(req.body())?;
    let default_depth = match quirks::missing_propfind_depth_is_one() {
        0 => Depth::Zero,
        _ => Depth::One,
    };
    let depth = super::depth(req, default_depth)?;
    if depth == Depth::Infinity {
        return Err(DavError::precondition(
            StatusCode::FORBIDDEN,
            QName::dav("propfind-finite-depth"),
            "PROPFIND with Depth: infinity is not supported; use Depth: 0 or 1",
        ));
    }
    let resource = resolve(cx, super::request_path(req)).await?.found()?;
    let mut targets = vec![(resource.clone(), dead_properties(cx, &resource).await?)];
    if depth == Depth::One {
        targets.extend(members_but_objects(cx, &resource).await?);
    }
    let env = env_for(cx, &propfind).await?;
    let minimal = super::wants_minimal(req);
    let user = &cx.caller.user.name;
    let mut out = crate::answer_buffer::multistatus();
    for (r, dead) in &targets {
        out.response(&props_response(
            &env,
            r.href(user),
            r,
            dead,
            &propfind,
            minimal,
            &no_extra,
        ));
    }
    if let (Depth::One, Resource::Collection(c)) = (depth, &resource) {
        let mut members =
            MemberResponses::new(cx, &env, &propfind, minimal, Arc::new(c.clone())).await?;
        let before = out.written_len();
        let mut pages = ObjectPages::new(cx, c.id, MEMBER_PAGE);
        while let Some(page) = pages.next().await? {
            for meta in page {
                members.write(&mut out, meta, &no_extra);
            }
            pages.size_answer(&mut out, before).await?;
        }
    }
    Ok(super::xml_response(
        http::StatusCode::MULTI_STATUS,
        out.finish(None),
    ))
}

/// The property environment; the user's usage is only fetched when a quota property is
/// among those asked for.
pub async fn env_for<'a>(cx: &'a Cx<'_>, propfind: &PropFind) -> DavResult<PropEnv<'a>> {
    let wants_quota = match propfind {
        PropFind::Prop(list) => list.iter().any(|e| props::is_quota(&e.name)),
        PropFind::AllProp { include } => include.iter().any(props::is_quota),
        PropFind::PropName => false,
    };
    let usage = if wants_quota {
        Some(cx.engine.store.usage_bytes(cx.caller.user.id).await?)
    } else {
        None
    };
    Ok(PropEnv {
        user: &cx.caller.user,
        limits: &cx.engine.limits,
        usage,
    })
}

pub async fn dead_properties(cx: &Cx<'_>, r: &Resource) -> DavResult<Vec<Property>> {
    let store = &cx.engine.store;
    Ok(match r {
        Resource::Collection(c) => store.properties(c.id, None).await?,
        Resource::Object {
            collection, meta, ..
        } => store.properties(collection.id, Some(&meta.name)).await?,
        _ => Vec::new(),
    })
}

/// Objects listed per store call in a Depth: 1 answer.
const MEMBER_PAGE: usize = 1_000;

/// The members of a collection-like resource with their stored properties.
pub async fn members(cx: &Cx<'_>, r: &Resource) -> DavResult<Vec<(Resource, Vec<Property>)>> {
    let mut out = members_but_objects(cx, r).await?;
    if let Resource::Collection(c) = r {
        let store = &cx.engine.store;
        let mut member_props = group_props(store.member_properties(c.id).await?);
        let collection = Arc::new(c.clone());
        for meta in store.objects(c.id).await? {
            let dead = member_props.remove(&meta.name).unwrap_or_default();
            out.push((
                Resource::Object {
                    collection: Arc::clone(&collection),
                    meta,
                    data: None,
                },
                dead,
            ));
        }
    }
    Ok(out)
}

/// The members of a collection-like resource other than objects (child collections,
/// principals), with their stored properties.
async fn members_but_objects(
    cx: &Cx<'_>,
    r: &Resource,
) -> DavResult<Vec<(Resource, Vec<Property>)>> {
    let store = &cx.engine.store;
    let me = &cx.caller.user;
    let fixed = |r: Resource| Ok(vec![(r, Vec::new())]);
    match r {
        Resource::Root => fixed(Resource::DavRoot),
        Resource::DavRoot => Ok(vec![
            (Resource::Principals, Vec::new()),
            (Resource::Homes, Vec::new()),
        ]),
        Resource::Principals => fixed(Resource::Principal),
        Resource::Homes => {
            let home = store
                .collection(me.id, "")
                .await?
                .ok_or_else(DavError::not_found)?;
            let dead = store.properties(home.id, None).await?;
            Ok(vec![(Resource::Collection(home), dead)])
        }
        Resource::Collection(c) => {
            let mut out = Vec::new();
            for child in store.child_collections(me.id, &c.path).await? {
                let dead = store.properties(child.id, None).await?;
                out.push((Resource::Collection(child), dead));
            }
            Ok(out)
        }
        Resource::Principal | Resource::Object { .. } => Ok(Vec::new()),
    }
}

/// A batched member-property list grouped by member name.
pub fn group_props(all: Vec<(String, Property)>) -> HashMap<String, Vec<Property>> {
    let mut by_member: HashMap<String, Vec<Property>> = HashMap::new();
    for (member, p) in all {
        by_member.entry(member).or_default().push(p);
    }
    by_member
}

/// For properties a REPORT answers itself (calendar-data): Some(value or None for 404).
pub type Extra<'a> = dyn Fn(&Element) -> Option<Option<Element>> + 'a;

pub fn no_extra(_: &Element) -> Option<Option<Element>> {
    None
}

/// One `DAV:response` with a 200 propstat for what was found and a 404 one for the rest
/// (left out when the client asked for a minimal answer).
pub fn props_response(
    env: &PropEnv<'_>,
    href: String,
    resource: &Resource,
    dead: &[Property],
    propfind: &PropFind,
    minimal: bool,
    extra: &Extra<'_>,
) -> Response {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    collect_props(
        env,
        resource,
        dead,
        propfind,
        extra,
        &mut found,
        &mut missing,
    );
    let (with_found, with_missing) = propstats_to_send(&found, &missing, minimal);
    let mut propstats = Vec::new();
    if with_found {
        propstats.push(Propstat::new(200, found));
    }
    if with_missing {
        propstats.push(Propstat::new(404, missing));
    }
    Response {
        href,
        body: ResponseBody::Propstats(propstats),
    }
}

/// Whether the 200 and the 404 propstat are sent: the 404 one is left out for a minimal
/// answer, and an empty property list still gets its (empty) 200.
pub fn propstats_to_send(found: &[Element], missing: &[Element], minimal: bool) -> (bool, bool) {
    (
        !found.is_empty() || missing.is_empty() || minimal,
        !missing.is_empty() && !minimal,
    )
}

/// The values of the asked-for properties of one resource into `found`, and the names of
/// those it does not have into `missing`.
pub fn collect_props(
    env: &PropEnv<'_>,
    resource: &Resource,
    dead: &[Property],
    propfind: &PropFind,
    extra: &Extra<'_>,
    found: &mut Vec<Element>,
    missing: &mut Vec<Element>,
) {
    match propfind {
        PropFind::PropName => found.extend(props::names(env, resource, dead)),
        PropFind::AllProp { include } => {
            found.extend(props::all(env, resource, dead));
            for name in include {
                if found.iter().any(|e| &e.name == name) {
                    continue;
                }
                match props::value(env, resource, name, dead) {
                    Some(v) => found.push(v),
                    None => missing.push(Element::new(name.clone())),
                }
            }
        }
        PropFind::Prop(wanted) => {
            for w in wanted {
                let value = match extra(w) {
                    Some(v) => v,
                    None => props::value(env, resource, &w.name, dead),
                };
                match value {
                    Some(v) => found.push(v),
                    None => missing.push(Element::new(w.name.clone())),
                }
            }
        }
    }
}
