//! sync-collection (RFC 6578): every change since a token, from the change log. Every token
//! ever handed out stays valid; the answer costs time proportional to the changes.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use dav_xml::{Element, Response, ResponseBody, SyncCollection};
use http::{Request, StatusCode};

use store::{Collection, CollectionKind, ObjectMeta};

/// Objects whose data is read in one store call when calendar-data is wanted.
const DATA_BATCH: usize = 500;

use crate::condition::Condition;
use crate::cx::Cx;
use crate::error::{DavError, DavResult};
use crate::props::{MemberResponses, ObjectPages, PropEnv, SyncToken};
use crate::quirks;
use crate::resource::Resource;

use super::calendar_data;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resource: Resource,
    sync: SyncCollection,
) -> DavResult<http::Response<Bytes>> {
    let Resource::Collection(seen) = resource else {
        return Err(DavError::forbidden(
            "sync-collection is only supported on collections",
        ));
    };
    if !quirks::SYNC_COLLECTION_IGNORES_DEPTH
        && crate::method::depth(req, crate::method::Depth::Zero)? != crate::method::Depth::Zero
    {
        return Err(DavError::bad_request(
            "sync-collection is only defined for Depth: 0 (RFC 6578 §3.2)",
        ));
    }
    let collection = &seen.collection;
    check_level(sync.sync_level.as_deref(), collection)?;
    let since = parse_token(&sync.sync_token, collection)?;
    let store = &cx.engine.store;
    let upto = collection.sync_seq;
    let token = SyncToken::of(collection).uri();
    let mut env = PropEnv::new(cx, &sync.prop).await?;
    env.load_locks(cx, collection.owner).await?;
    // DAV:limit is ignored rather than honoured: RFC 6578 §3.7 allows returning everything,
    // and nothing is ever dropped that way.
    let mut writer = MemberWriter {
        cx,
        wants_data: calendar_data::requested(&sync.prop),
        members: MemberResponses::new(cx, &env, &sync.prop, true, Arc::new(seen.clone())).await?,
        out: crate::answer_buffer::multistatus(),
    };
    let collection_id = writer.members.collection().id();
    let deleted = match since {
        None => {
            let before = writer.out.written_len();
            let mut pages = ObjectPages::new(cx, collection_id, DATA_BATCH);
            while let Some(page) = pages.next().await? {
                writer.batch(page).await?;
                pages.size_answer(&mut writer.out, before).await?;
            }
            Vec::new()
        }
        Some(seq) => {
            let mut changed = Vec::new();
            let mut deleted = Vec::new();
            for m in store.changes_since(collection_id, seq, upto).await? {
                if m.deleted {
                    deleted.push(m.name);
                } else {
                    changed.push(m.name);
                }
            }
            for names in changed.chunks(DATA_BATCH) {
                let metas: Vec<ObjectMeta> = store
                    .objects_by_name(collection_id, names)
                    .await?
                    .into_iter()
                    .map(|o| o.meta)
                    .collect();
                writer.batch(metas).await?;
            }
            deleted
        }
    };
    // A member created and deleted since the token was never seen by the client, but a
    // 404 for it is harmless and keeps the answer independent of older history.
    for name in deleted {
        let href = writer.members.href(&name);
        writer.out.response(&Response {
            href,
            body: ResponseBody::Status {
                status: 404,
                error: None,
                description: None,
            },
        });
    }
    Ok(crate::method::xml_response(
        StatusCode::MULTI_STATUS,
        writer.out.finish(Some(&token)),
    ))
}

/// Writes members' responses, reading their data (in one store call per batch) only when
/// calendar-data was asked for.
struct MemberWriter<'a> {
    cx: &'a Cx<'a>,
    wants_data: bool,
    members: MemberResponses<'a>,
    out: dav_xml::MultistatusWriter,
}

impl MemberWriter<'_> {
    async fn batch(&mut self, batch: Vec<ObjectMeta>) -> DavResult<()> {
        let data: HashMap<String, Bytes> = if self.wants_data {
            let names: Vec<String> = batch.iter().map(|m| m.name.clone()).collect();
            self.cx
                .engine
                .store
                .objects_by_name(self.members.collection().id(), &names)
                .await?
                .into_iter()
                .map(|o| (o.meta.name, o.data))
                .collect()
        } else {
            HashMap::new()
        };
        for meta in batch {
            let bytes = data.get(&meta.name);
            let extra = |e: &Element| calendar_data::answer(e, bytes, &self.cx.engine.limits);
            self.members.write(&mut self.out, meta, &extra);
        }
        Ok(())
    }
}

/// RFC 6578 §6.3: `sync-level` is `1` or `infinite`. A calendar holds no collections (RFC
/// 4791 §4.2), so there both mean its objects; elsewhere only `1` is supported, and
/// `infinite` is refused with `sync-traversal-supported` (§3.3). A missing level is read as
/// `1` ([`quirks::MISSING_SYNC_LEVEL_IS_ONE`]).
fn check_level(level: Option<&str>, collection: &Collection) -> DavResult<()> {
    match level.map(str::trim) {
        None if quirks::MISSING_SYNC_LEVEL_IS_ONE => Ok(()),
        Some("1") => Ok(()),
        Some(l) if quirks::sync_level_is_infinite(l) => {
            if collection.kind == CollectionKind::Calendar {
                Ok(())
            } else {
                Err(DavError::condition(
                    Condition::SyncTraversalSupported,
                    "sync-level infinite is not supported on this collection; use sync-level \
                     1 on each calendar",
                ))
            }
        }
        None | Some(_) => Err(DavError::bad_request(
            "DAV:sync-level must be 1 or infinite (RFC 6578 §6.3)",
        )),
    }
}

/// None for the initial sync (empty token); the sequence number otherwise.
fn parse_token(token: &str, collection: &Collection) -> DavResult<Option<i64>> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        DavError::condition(
            Condition::ValidSyncToken,
            "the sync-token is not one this collection handed out; sync again from an empty token",
        )
    };
    let token = SyncToken::parse(token).ok_or_else(invalid)?;
    if token.collection != collection.id || token.seq < 0 || token.seq > collection.sync_seq {
        return Err(invalid());
    }
    Ok(Some(token.seq))
}
