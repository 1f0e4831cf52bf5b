//! calendar-multiget (RFC 4791 §7.9): the named objects, fetched with one store call per
//! collection they live in. Each collection is looked up and its access decided as if it
//! were the request's own: what the caller may not read answers 404 (or 403), per href.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use dav_xml::{Multiget, Response, ResponseBody};
use http::{Request, StatusCode};
use store::StoredObject;

use super::calendar_data;
use crate::access::{self, Need};
use crate::cx::Cx;
use crate::error::{DavError, DavResult};
use crate::path::{self, Target};
use crate::props::{self, MemberResponses, PropEnv};
use crate::resolve::resolve;
use crate::resource::{Resolved, Resource, Seen};

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    multiget: Multiget,
) -> DavResult<http::Response<Bytes>> {
    let limit = cx.engine.limits.max_multiget_hrefs;
    if multiget.hrefs.len() > limit {
        return Err(DavError::forbidden(format!(
            "calendar-multiget names {} resources; at most {limit} are answered per request",
            multiget.hrefs.len()
        )));
    }
    let store = &cx.engine.store;
    let mut env = PropEnv::new(cx, &multiget.prop).await?;
    let minimal = super::super::wants_minimal(req);

    // One store call per collection the hrefs name, then the answers in request order.
    let located: Vec<Result<(String, String), u16>> =
        multiget.hrefs.iter().map(|h| locate(h)).collect();
    let mut by_collection: HashMap<String, Vec<String>> = HashMap::new();
    for (collection, name) in located.iter().flatten() {
        by_collection
            .entry(collection.clone())
            .or_default()
            .push(name.clone());
    }
    let mut readable = Vec::new();
    let mut refused = HashMap::new();
    for (collection_path, names) in by_collection {
        match collection_at(cx, &collection_path).await? {
            Ok(c) => {
                env.load_locks(cx, c.collection.owner).await?;
                readable.push((collection_path, names, c));
            }
            Err(status) => {
                refused.insert(collection_path, status);
            }
        }
    }
    let mut found = HashMap::new();
    for (collection_path, names, collection) in readable {
        let objects: HashMap<String, StoredObject> = store
            .objects_by_name(collection.id(), &names)
            .await?
            .into_iter()
            .map(|o| (o.meta.name.clone(), o))
            .collect();
        let members =
            MemberResponses::new(cx, &env, &multiget.prop, minimal, Arc::new(collection)).await?;
        found.insert(collection_path, (members, objects));
    }
    let mut out = crate::answer_buffer::multistatus();
    let objects = found.values().flat_map(|(_, objects)| objects.values());
    props::reserve_for(&mut out, objects.map(|o| &o.meta), true);
    for (href, located) in multiget.hrefs.iter().zip(located) {
        let (collection, name) = match located {
            Ok(at) => at,
            Err(status) => {
                out.response(&status_response(href, status));
                continue;
            }
        };
        let Some((members, object)) = found
            .get_mut(&collection)
            .and_then(|(m, objects)| Some((m, objects.get(&name)?)))
        else {
            let status = refused.get(&collection).copied().unwrap_or(404);
            out.response(&status_response(href, status));
            continue;
        };
        let extra =
            |e: &dav_xml::Element| calendar_data::answer(e, Some(&object.data), &cx.engine.limits);
        members.write(&mut out, object.meta.clone(), &extra);
    }
    Ok(crate::method::xml_response(
        StatusCode::MULTI_STATUS,
        out.finish(None),
    ))
}

/// The collection href and object name an href names, or the status to answer for it.
fn locate(href: &str) -> Result<(String, String), u16> {
    let path = path::href_path(href, None).ok_or(404u16)?;
    match path::parse(path) {
        Ok(Target::Home {
            user,
            segments,
            trailing_slash: false,
        }) => match segments.split_last() {
            Some((name, parent)) => {
                let parent = parent.join("/");
                Ok((path::collection_href(&user, &parent), name.clone()))
            }
            None => Err(404),
        },
        Ok(_) => Err(404),
        Err(_) => Err(400),
    }
}

/// The collection at an href, if the caller may read it; else the status its members get.
async fn collection_at(cx: &Cx<'_>, href: &str) -> DavResult<Result<Seen, u16>> {
    let found = match resolve(cx, href).await {
        Ok(Resolved::Found(Resource::Collection(c))) => c,
        Ok(_) => return Ok(Err(404)),
        Err(e) if e.status.is_client_error() => return Ok(Err(e.status.as_u16())),
        Err(e) => return Err(e),
    };
    let readable = access::check_resource(&Resource::Collection(found.clone()), Need::READ);
    Ok(match readable {
        Ok(()) => Ok(found),
        Err(e) => Err(e.status.as_u16()),
    })
}

fn status_response(href: &str, status: u16) -> Response {
    Response {
        href: href.to_owned(),
        body: ResponseBody::Status {
            status,
            error: None,
            description: (status == StatusCode::FORBIDDEN.as_u16())
                .then(|| "you may not read this calendar".to_owned()),
        },
    }
}
