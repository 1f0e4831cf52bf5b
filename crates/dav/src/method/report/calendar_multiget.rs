//! calendar-multiget (RFC 4791 §7.9): the named objects, fetched with one store call per
//! collection they live in.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use dav_xml::{Multiget, Multistatus, Response, ResponseBody};
use http::{Request, StatusCode};
use store::StoredObject;

use super::calendar_data;
use crate::error::{DavError, DavResult};
use crate::method::members::MemberResponses;
use crate::method::propfind::env_for;
use crate::method::Cx;
use crate::path::{self, Target};

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
    // The request URI itself must be ours and exist.
    crate::resource::resolve(cx, super::super::request_path(req))
        .await?
        .found()?;
    let me = &cx.caller.user;
    let store = &cx.engine.store;
    let env = env_for(cx, &multiget.prop).await?;
    let minimal = super::super::wants_minimal(req);

    // Group the wanted names by the collection that holds them.
    let mut by_collection: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    let mut responses: Vec<Option<Response>> = vec![None; multiget.hrefs.len()];
    for (i, href) in multiget.hrefs.iter().enumerate() {
        match locate(href, &me.name) {
            Ok((collection, name)) => by_collection.entry(collection).or_default().push((i, name)),
            Err(status) => responses[i] = Some(status_response(href, status)),
        }
    }
    for (collection_path, wanted) in by_collection {
        let Some(collection) = store.collection(me.id, &collection_path).await? else {
            for (i, _) in &wanted {
                responses[*i] = Some(status_response(&multiget.hrefs[*i], 404));
            }
            continue;
        };
        let names: Vec<String> = wanted.iter().map(|(_, n)| n.clone()).collect();
        let found: HashMap<String, StoredObject> = store
            .objects_by_name(collection.id, &names)
            .await?
            .into_iter()
            .map(|o| (o.meta.name.clone(), o))
            .collect();
        let mut members =
            MemberResponses::new(cx, &env, &multiget.prop, minimal, Arc::new(collection)).await?;
        for (i, name) in wanted {
            let Some(object) = found.get(&name) else {
                responses[i] = Some(status_response(&multiget.hrefs[i], 404));
                continue;
            };
            let extra = |e: &dav_xml::Element| calendar_data::answer(e, Some(&object.data));
            responses[i] = Some(members.response(object.meta.clone(), &extra));
        }
    }
    Ok(crate::method::multistatus(&Multistatus {
        responses: responses.into_iter().flatten().collect(),
        sync_token: None,
    }))
}

/// The collection path and object name an href names, or the status to answer for it.
fn locate(href: &str, me: &str) -> Result<(String, String), u16> {
    let path = path::href_path(href, None).ok_or(404u16)?;
    match path::parse(path) {
        Ok(Target::Home {
            user,
            segments,
            trailing_slash: false,
        }) => {
            if user != me {
                return Err(403);
            }
            match segments.split_last() {
                Some((name, parent)) => Ok((parent.join("/"), name.clone())),
                None => Err(404),
            }
        }
        Ok(_) => Err(404),
        Err(_) => Err(400),
    }
}

fn status_response(href: &str, status: u16) -> Response {
    Response {
        href: href.to_owned(),
        body: ResponseBody::Status {
            status,
            error: None,
            description: (status == StatusCode::FORBIDDEN.as_u16())
                .then(|| "this resource belongs to another account".to_owned()),
        },
    }
}
