//! COPY and MOVE (RFC 4918 §9.8, §9.9) of objects (between any collections the caller may
//! write) and of collection trees (within one home), honouring Destination, Overwrite and
//! Depth.

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use store::{CollectionKind, CollectionTransfer, Expect, ObjectTransfer, TransferMode};

use super::{Cx, Depth};
use crate::access::{self, Need};
use crate::condition::Condition;
use crate::conditional::{self, Current};
use crate::error::{DavError, DavResult};
use crate::path;
use crate::resolve::resolve;
use crate::resource::{Resolved, Resource, Seen};

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    source: Resource,
    mode: TransferMode,
) -> DavResult<Response<Bytes>> {
    let destination = destination_path(req)?;
    let overwrite = match req.headers().get("overwrite").map(|v| v.to_str()) {
        None => true,
        Some(Ok(v)) if v.trim().eq_ignore_ascii_case("T") => true,
        Some(Ok(v)) if v.trim().eq_ignore_ascii_case("F") => false,
        Some(_) => return Err(DavError::bad_request("the Overwrite header must be T or F")),
    };
    let etag = match &source {
        Resource::Object { meta, .. } => Some(meta.etag.as_str()),
        _ => None,
    };
    conditional::write_expectation(
        req.headers(),
        Current {
            exists: true,
            etag,
            tokens: &cx.if_tokens,
        },
    )?;
    let target = resolve(cx, &destination).await?;
    access::check(&target, Need::BIND)?;
    let replaced = match source {
        Resource::Object {
            collection, meta, ..
        } => {
            let from = std::sync::Arc::unwrap_or_clone(collection);
            transfer_object(cx, mode, from, meta.name, target, overwrite).await?
        }
        Resource::Collection(c) if !c.is_home() => {
            if mode == TransferMode::Move {
                access::check_parent_of(cx, &c).await?;
            }
            let depth = super::depth(req, Depth::Infinity)?;
            let shallow = match (mode, depth) {
                (_, Depth::Infinity) => false,
                (TransferMode::Copy, Depth::Zero) => true,
                _ => {
                    return Err(DavError::bad_request(
                        "COPY of a collection takes Depth 0 or infinity; MOVE only infinity",
                    ))
                }
            };
            transfer_collection(cx, mode, &c, target, overwrite, shallow).await?
        }
        _ => {
            return Err(DavError::forbidden(
                "only objects and collections below your home can be copied or moved",
            ))
        }
    };
    let status = if replaced {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::CREATED
    };
    Ok(super::empty(status))
}

/// The Destination header as a path on this server (RFC 4918 §10.3).
fn destination_path(req: &Request<Bytes>) -> DavResult<String> {
    let raw = req
        .headers()
        .get("destination")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| DavError::bad_request("COPY and MOVE need a Destination header"))?;
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    match path::href_path(raw, host) {
        Some(p) => Ok(p.to_owned()),
        None => Err(DavError::new(
            StatusCode::BAD_GATEWAY,
            "the Destination is on another server; copy between servers is not supported",
        )),
    }
}

async fn transfer_object(
    cx: &Cx<'_>,
    mode: TransferMode,
    from: Seen,
    from_name: String,
    target: Resolved,
    overwrite: bool,
) -> DavResult<bool> {
    let store = &cx.engine.store;
    let change = &cx.caller.change;
    let (to, to_name, replaced_uid) = match target {
        Resolved::Found(Resource::Object {
            collection, meta, ..
        }) => (
            std::sync::Arc::unwrap_or_clone(collection),
            meta.name,
            meta.index.uid,
        ),
        Resolved::Found(Resource::Collection(c)) if !c.is_home() => {
            if !overwrite {
                return Err(DavError::precondition_failed(
                    "the Destination exists and Overwrite is F",
                ));
            }
            access::check_parent_of(cx, &c).await?;
            // RFC 4918 §9.9.3: the destination is deleted before the move.
            let doomed = c.binding.as_ref().unwrap_or(&c.collection);
            store
                .delete_collection(doomed.owner, &doomed.path, change)
                .await?;
            return Box::pin(transfer_object(
                cx,
                mode,
                from,
                from_name,
                resolve_vacant(cx, &c).await?,
                overwrite,
            ))
            .await
            .map(|_| true);
        }
        Resolved::Found(_) => {
            return Err(DavError::forbidden("the Destination cannot be replaced"))
        }
        Resolved::Vacant(v) => {
            let parent = v.parent.ok_or_else(|| {
                DavError::conflict("the Destination's parent collection does not exist")
            })?;
            (parent, v.name, None)
        }
    };
    // Overwrite: F onto an existing object is 412 (RFC 4918 §10.6) before anything else.
    let replaced_uid = replaced_uid.filter(|_| overwrite);
    let quota = cx.quota_of(to.collection.owner).await?;
    let to_seen = &to;
    let (from, to) = (&from.collection, &to.collection);
    let mut reindex = None;
    if to.kind == CollectionKind::Calendar && from.kind != CollectionKind::Calendar {
        // Data entering a calendar is validated and indexed like a PUT.
        let object = store
            .object(from.id, &from_name)
            .await?
            .ok_or_else(DavError::not_found)?;
        let checked = super::put::check_calendar_object(
            cx.engine,
            to,
            &object.data,
            Some(&object.meta.content_type),
        )?;
        super::put::keeps_uid(replaced_uid.as_deref(), checked.index.uid.as_deref())?;
        reindex = Some((checked.index, checked.instances));
    } else if to.kind == CollectionKind::Calendar {
        let uid = check_component_allowed(cx, from, &from_name, to).await?;
        super::put::keeps_uid(replaced_uid.as_deref(), uid.as_deref())?;
    }
    store
        .transfer_object(
            ObjectTransfer {
                mode,
                from: from.id,
                from_name,
                to: to.id,
                to_name,
                overwrite,
                quota,
                reindex,
            },
            change,
        )
        .await
        .map_err(|e| super::put::uid_conflict_with_href(e, &to_seen.href()))
}

/// The destination calendar takes the object's component type; returns its UID.
async fn check_component_allowed(
    cx: &Cx<'_>,
    from: &store::Collection,
    name: &str,
    to: &store::Collection,
) -> DavResult<Option<String>> {
    let object = cx
        .engine
        .store
        .object(from.id, name)
        .await?
        .ok_or_else(DavError::not_found)?;
    let component = object.meta.index.component.unwrap_or_default();
    if to.components.contains(&component) {
        Ok(object.meta.index.uid)
    } else {
        Err(DavError::condition(
            Condition::SupportedCalendarComponent,
            format!(
                "the destination calendar accepts {} but the object is a {component}",
                to.components.join(", ")
            ),
        ))
    }
}

/// After deleting a collection in the way, its URL names a vacant place in its parent.
async fn resolve_vacant(cx: &Cx<'_>, c: &Seen) -> DavResult<Resolved> {
    resolve(cx, c.href().trim_end_matches('/')).await
}

async fn transfer_collection(
    cx: &Cx<'_>,
    mode: TransferMode,
    source: &Seen,
    target: Resolved,
    overwrite: bool,
    shallow: bool,
) -> DavResult<bool> {
    let store = &cx.engine.store;
    let change = &cx.caller.change;
    if source.binding.is_some() && mode == TransferMode::Copy {
        return Err(DavError::forbidden(
            "a calendar shared with you cannot be copied as a whole; copy its events, or \
             ask its owner to share it again",
        ));
    }
    // The collection as it lies in the home it is moved in: a binding, or the collection.
    let from = source.binding.as_ref().unwrap_or(&source.collection);
    let same_home = |c: &Seen| *c.home_user == *source.home_user;
    let (to, replaced_object) = match target {
        Resolved::Found(Resource::Collection(c)) if !c.is_home() && same_home(&c) => {
            (c.path().to_owned(), false)
        }
        Resolved::Found(Resource::Object {
            collection, meta, ..
        }) => {
            if !overwrite {
                return Err(DavError::precondition_failed(
                    "the Destination exists and Overwrite is F",
                ));
            }
            location_ok(&collection)?;
            if !same_home(&collection) {
                return Err(across_homes());
            }
            store
                .delete_object(collection.id(), &meta.name, Expect::Anything, change)
                .await?;
            let to = if collection.path().is_empty() {
                meta.name
            } else {
                format!("{}/{}", collection.path(), meta.name)
            };
            (to, true)
        }
        Resolved::Found(_) => {
            return Err(DavError::forbidden("the Destination cannot be replaced"))
        }
        Resolved::Vacant(v) => {
            let Some(parent) = &v.parent else {
                return Err(DavError::conflict(
                    "the Destination's parent collection does not exist",
                ));
            };
            location_ok(parent)?;
            if !same_home(parent) {
                return Err(across_homes());
            }
            (v.path, false)
        }
    };
    let replaced = store
        .transfer_collection(
            CollectionTransfer {
                mode,
                owner: from.owner,
                from: from.path.clone(),
                to,
                overwrite,
                shallow,
                quota: cx.quota_of(source.collection.owner).await?,
            },
            change,
        )
        .await?;
    Ok(replaced || replaced_object)
}

fn across_homes() -> DavError {
    DavError::forbidden(
        "collections are copied and moved within one calendar home; copy their events to \
         move them elsewhere",
    )
}

/// RFC 4791 §5.3.2.1 `calendar-collection-location-ok`: a collection cannot be copied or
/// moved into a calendar, which holds no collections (§4.2).
fn location_ok(parent: &Seen) -> DavResult<()> {
    if parent.collection.kind == CollectionKind::Calendar {
        return Err(DavError::condition(
            Condition::CalendarCollectionLocationOk,
            "a calendar collection cannot contain other collections; choose a Destination \
             outside the calendar",
        ));
    }
    Ok(())
}
