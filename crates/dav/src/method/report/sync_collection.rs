//! sync-collection (RFC 6578): every change since a token, from the change log. Every token
//! ever handed out stays valid; the answer costs time proportional to the changes.

use std::collections::HashMap;

use bytes::Bytes;
use dav_xml::{Element, QName, Response, ResponseBody, SyncCollection};
use http::{Request, StatusCode};

use store::{Collection, ObjectMeta};

/// Objects whose data is read in one store call when calendar-data is wanted.
const DATA_BATCH: usize = 500;

use crate::error::{DavError, DavResult};
use crate::method::propfind::{env_for, group_props, props_response};
use crate::method::Cx;
use crate::props::sync_token_uri;
use crate::resource::{resolve, Resource};

use super::calendar_data;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    sync: SyncCollection,
) -> DavResult<http::Response<Bytes>> {
    let Resource::Collection(collection) = resolve(cx, crate::method::request_path(req))
        .await?
        .found()?
    else {
        return Err(DavError::forbidden(
            "sync-collection is only supported on collections",
        ));
    };
    let since = parse_token(&sync.sync_token, &collection)?;
    let store = &cx.engine.store;
    let upto = collection.sync_seq;
    let env = env_for(cx, &sync.prop).await?;
    let user = &cx.caller.user.name;
    // DAV:limit is ignored rather than honoured: RFC 6578 §3.7 allows returning everything,
    // and nothing is ever dropped that way.
    let wants_data = calendar_data::requested(&sync.prop);
    let (changed, deleted): (Vec<ObjectMeta>, Vec<String>) = match since {
        None => (store.objects(collection.id).await?, Vec::new()),
        Some(seq) => {
            let mut changed = Vec::new();
            let mut deleted = Vec::new();
            for m in store.changes_since(collection.id, seq, upto).await? {
                if m.deleted {
                    deleted.push(m.name);
                } else {
                    changed.push(m.name);
                }
            }
            let metas = store
                .objects_by_name(collection.id, &changed)
                .await?
                .into_iter()
                .map(|o| o.meta)
                .collect();
            (metas, deleted)
        }
    };
    // Data is read only when calendar-data was asked for, in batches, never all at once.
    let mut member_props = group_props(store.member_properties(collection.id).await?);
    let mut out = dav_xml::MultistatusWriter::new();
    for batch in changed.chunks(DATA_BATCH) {
        let data: HashMap<String, Bytes> = if wants_data {
            let names: Vec<String> = batch.iter().map(|m| m.name.clone()).collect();
            store
                .objects_by_name(collection.id, &names)
                .await?
                .into_iter()
                .map(|o| (o.meta.name, o.data))
                .collect()
        } else {
            HashMap::new()
        };
        for meta in batch {
            let dead = member_props.remove(&meta.name).unwrap_or_default();
            let bytes = data.get(&meta.name);
            let extra = |e: &Element| calendar_data::answer(e, bytes);
            let resource = Resource::Object {
                collection: collection.clone(),
                meta: meta.clone(),
                data: None,
            };
            out.response(&props_response(
                &env,
                resource.href(user),
                &resource,
                &dead,
                &sync.prop,
                true,
                &extra,
            ));
        }
    }
    // A member created and deleted since the token was never seen by the client, but a
    // 404 for it is harmless and keeps the answer independent of older history.
    for name in deleted {
        out.response(&Response {
            href: crate::path::object_href(user, &collection.path, &name),
            body: ResponseBody::Status {
                status: 404,
                error: None,
                description: None,
            },
        });
    }
    let token = sync_token_uri(collection.id, upto);
    Ok(crate::method::xml_response(
        StatusCode::MULTI_STATUS,
        out.finish(Some(&token)),
    ))
}

/// None for the initial sync (empty token); the sequence number otherwise.
fn parse_token(token: &str, collection: &Collection) -> DavResult<Option<i64>> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        DavError::precondition(
            StatusCode::FORBIDDEN,
            QName::dav("valid-sync-token"),
            "the sync-token is not one this collection handed out; sync again from an empty token",
        )
    };
    let rest = token
        .strip_prefix("http://calvault.org/ns/sync/")
        .ok_or_else(invalid)?;
    let (id, seq) = rest.split_once('-').ok_or_else(invalid)?;
    let id: i64 = id.parse().map_err(|_| invalid())?;
    let seq: i64 = seq.parse().map_err(|_| invalid())?;
    if id != collection.id || seq < 0 || seq > collection.sync_seq {
        return Err(invalid());
    }
    Ok(Some(seq))
}
