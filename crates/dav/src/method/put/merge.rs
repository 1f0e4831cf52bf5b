//! The opt-in three-way merge of concurrent edits (docs/locks-and-merging.md). CalDAV's own
//! answer to two people editing one event is If-Match: the second writer gets 412. With
//! merging on, a PUT whose If-Match names a version that is no longer current but that the
//! object's history still holds is merged instead: the change from that version to the
//! body sent and the change from it to the current version combine property by property
//! and per instance (`ical::merge`). Disjoint changes are stored as one new version whose
//! history row names both parents; the same property changed two ways, or a base the
//! history no longer holds, is the 412 it always was, and nothing is stored.
//!
//! Whether a calendar merges: its `merge-concurrent-edits` property in calvault's
//! namespace ("true" or "false", set with PROPPATCH) when it has one, else the server's
//! `merge_concurrent_edits` setting (off by default, and then nothing here runs unless a
//! calendar turns it on).

use bytes::Bytes;
use dav_xml::CALVAULT;
use http::{header, Request, Response, StatusCode};
use store::{Collection, CollectionKind, Merge, PutObject, StoreError};

use super::{check_calendar_object, keeps_uid, uid_conflict_with_href};
use crate::conditional::{self, Current};
use crate::cx::Cx;
use crate::error::{DavError, DavResult};
use crate::resource::Seen;

/// The calendar property that turns merging on or off for one calendar.
pub const PROPERTY: &str = "merge-concurrent-edits";

/// How often a merge is done again when the object changed between reading it and
/// writing the merge (each attempt re-reads it): concurrent writers of one event are few,
/// and a bound keeps a flood of them from holding a request forever.
const ATTEMPTS: usize = 5;

/// Whether PUTs to `collection` merge concurrent edits.
pub async fn applies(cx: &Cx<'_>, collection: &Collection) -> DavResult<bool> {
    if collection.kind != CollectionKind::Calendar {
        return Ok(false);
    }
    let properties = cx.engine.store.properties(collection.id, None).await?;
    let own = properties
        .iter()
        .find(|p| p.namespace == CALVAULT && p.name == PROPERTY)
        .and_then(|p| dav_xml::parse_document(p.xml.as_bytes(), Default::default()).ok())
        .and_then(|e| match e.text_content().trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        });
    Ok(own.unwrap_or(cx.engine.merge_edits))
}

fn refused(detail: impl Into<String>) -> DavError {
    DavError::precondition_failed(detail)
}

/// A PUT of `name` whose If-Match names `base`, an older version: merged with the current
/// version and stored when the edits are disjoint. Answers 204 without an ETag (RFC 4791
/// §5.3.4: what is stored is not what was sent, so the client fetches it again).
pub async fn put(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    seen: &Seen,
    name: &str,
    base: String,
) -> DavResult<Response<Bytes>> {
    let store = &cx.engine.store;
    let collection = &seen.collection;
    let quota = cx.quota_of(seen.collection.owner).await?;
    let ours = req.body();
    let sent_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    // The body must be a calendar object on its own, as any PUT's.
    check_calendar_object(cx.engine, collection, ours, sent_type)?;
    let ours_text = std::str::from_utf8(ours)
        .map_err(|_| DavError::bad_request("calendar data must be UTF-8"))?;
    let base_data = store
        .version_with_etag(collection.id, name, &base)
        .await?
        .and_then(|v| v.data)
        .ok_or_else(|| {
            refused(format!(
                "the version your If-Match names (\"{base}\") is no longer in this object's \
                 history, so your edit cannot be merged with what changed since; fetch the \
                 object again and repeat your change on it"
            ))
        })?;
    let base_text = String::from_utf8_lossy(&base_data);
    for _ in 0..ATTEMPTS {
        let current = store
            .object(collection.id, name)
            .await?
            .ok_or_else(|| refused("the object was deleted since the version you edited"))?;
        conditional::check_if_header(
            req.headers(),
            Current {
                exists: true,
                etag: Some(&current.meta.etag),
                tokens: &cx.if_tokens,
            },
        )?;
        let theirs_text = String::from_utf8_lossy(&current.data);
        let merged = ical::merge(&base_text, &theirs_text, ours_text).map_err(|e| {
            refused(format!(
                "your edit and the one made since the version you edited (\"{base}\") \
                 conflict, so nothing was stored: {e}; fetch the object again and repeat \
                 your change on it"
            ))
        })?;
        let checked = check_calendar_object(cx.engine, collection, merged.as_bytes(), None)
            .map_err(|e| {
                refused(format!(
                    "the merged object would not be valid: {}",
                    e.detail
                ))
            })?;
        keeps_uid(
            current.meta.index.uid.as_deref(),
            checked.index.uid.as_deref(),
        )?;
        let write = PutObject {
            collection: collection.id,
            name: name.to_owned(),
            data: Bytes::from(merged),
            content_type: checked.content_type,
            index: checked.index,
            instances: checked.instances,
            expect: store::Expect::Etag(current.meta.etag.clone()),
            quota,
            merge: Some(Merge {
                base: base.clone(),
                theirs: current.meta.etag.clone(),
                ours: ours.to_vec(),
            }),
            mail: Vec::new(),
        };
        match store.put_object(write, &cx.caller.change).await {
            Ok(_) => return Ok(crate::method::empty(StatusCode::NO_CONTENT)),
            // Written again meanwhile: merge with that version.
            Err(StoreError::PreconditionFailed) => continue,
            Err(e) => return Err(uid_conflict_with_href(e, &seen.href())),
        }
    }
    Err(refused(
        "the object kept changing while your edit was merged; try again",
    ))
}
