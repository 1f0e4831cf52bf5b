//! PUT: store exactly the bytes sent, after validating calendar data (RFC 4791 §5.3.2);
//! with merging on, a PUT whose If-Match names an older version is merged ([`merge`]).

mod merge;

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use store::{
    Change, Collection, CollectionKind, Expect, InstanceIndex, ObjectIndex, PutObject, PutOutcome,
    StoreError,
};

use super::Cx;
use crate::condition::Condition;
use crate::conditional::{self, Current};
use crate::error::{DavError, DavResult};
use crate::path;
use crate::resource::{Resolved, Resource};
use crate::schedule;
use crate::Engine;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    target: Resolved,
) -> DavResult<Response<Bytes>> {
    let (seen, name, current_etag, current_uid, current_data) = match target {
        Resolved::Found(Resource::Object {
            collection,
            meta,
            data,
        }) => (
            std::sync::Arc::unwrap_or_clone(collection),
            meta.name,
            Some(meta.etag),
            meta.index.uid,
            data,
        ),
        Resolved::Found(_) => {
            return Err(DavError::method_not_allowed(
                "PUT cannot replace a collection; PUT to a member URL inside it",
            ))
        }
        Resolved::Vacant(v) => {
            if v.trailing_slash {
                return Err(DavError::method_not_allowed(
                    "a URL ending in '/' names a collection; create it with MKCOL or MKCALENDAR",
                ));
            }
            let parent = v.parent.ok_or_else(|| {
                DavError::conflict("the parent collection of this URL does not exist")
            })?;
            (parent, v.name, None, None, None)
        }
    };
    let collection = &seen.collection;
    // Opt-in (docs/locks-and-merging.md): an If-Match naming an older version is merged
    // with what changed since, instead of refused.
    if let Some(base) = conditional::stale_if_match(req.headers(), current_etag.as_deref()) {
        if merge::applies(cx, collection).await? {
            return merge::put(cx, req, &seen, &name, base).await;
        }
    }
    let mut expect = conditional::write_expectation(
        req.headers(),
        Current {
            exists: current_etag.is_some(),
            etag: current_etag.as_deref(),
            tokens: &cx.if_tokens,
        },
    )?;
    let current = current_data.as_deref().zip(current_etag.as_deref());
    let tagged = schedule::check_tag_match(req.headers(), current)?;
    let tag_matched = tagged.is_some();
    if let Some(tagged) = tagged {
        if expect == Expect::Anything {
            expect = tagged;
        }
    }
    let mut plan = schedule::plan_put(
        cx,
        &seen,
        &name,
        current_data.as_ref(),
        req.body(),
        tag_matched,
    )
    .await?;
    let sent_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let write = ObjectWrite {
        collection,
        name: name.clone(),
        data: plan
            .as_ref()
            .map_or_else(|| req.body().clone(), |p| p.data.clone()),
        content_type: sent_type,
        replaces_uid: current_uid.as_deref(),
        expect: expect.clone(),
        quota: cx.quota_of(seen.collection.owner).await?,
    };
    let mut put = checked_put(cx.engine, write)?;
    if let Some(plan) = plan.as_mut() {
        // Queued in the write's own transaction: a crash after it loses no invitation.
        put.mail = std::mem::take(&mut plan.mail);
    }
    let written = cx.engine.store.put_object(put, &cx.caller.change).await;
    let outcome = match (written, expect) {
        // Another write came in between the If-Match check and this one: merged with it
        // when merging is on, as if the If-Match had been stale from the start.
        (Err(StoreError::PreconditionFailed), Expect::Etag(base))
            if merge::applies(cx, collection).await? =>
        {
            return merge::put(cx, req, &seen, &name, base).await;
        }
        (written, _) => written.map_err(|e| uid_conflict_with_href(e, &seen.href()))?,
    };
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    let mut response = Response::builder().status(status);
    match plan {
        None => response = response.header(header::ETAG, crate::props::quoted_etag(&outcome.etag)),
        Some(plan) => {
            // RFC 6638 §3.2.10: the Schedule-Tag of what is stored, also on creation (iOS
            // needs it then); RFC 4791 §5.3.4: no ETag when the server changed the data.
            response = response.header("schedule-tag", plan.tag.as_str());
            if !plan.rewritten {
                response = response.header(header::ETAG, crate::props::quoted_etag(&outcome.etag));
            }
            plan.deliver(cx).await;
        }
    }
    response
        .body(Bytes::new())
        .map_err(|e| DavError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// One object to store as a PUT stores it.
pub struct ObjectWrite<'a> {
    pub collection: &'a Collection,
    pub name: String,
    pub data: Bytes,
    /// The Content-Type the data came with, if any.
    pub content_type: Option<&'a str>,
    /// The UID of the object it replaces at that name (RFC 4791 `no-uid-conflict`).
    pub replaces_uid: Option<&'a str>,
    pub expect: Expect,
    /// The owner's quota; None writes regardless (the administrator).
    pub quota: Option<u64>,
}

/// Validates and stores one object exactly as PUT does: in a calendar, RFC 4791 §5.3.2.1's
/// preconditions and the index; elsewhere the bytes as they are. PUT and an import (which
/// writes each object of an `.ics` file) share it, so both accept and refuse alike.
/// `collection_href` is the collection's URL as the writer reaches it, for the href of a
/// `no-uid-conflict`.
pub async fn write_object(
    engine: &Engine,
    write: ObjectWrite<'_>,
    collection_href: &str,
    change: &Change,
) -> DavResult<PutOutcome> {
    let put = checked_put(engine, write)?;
    engine
        .store
        .put_object(put, change)
        .await
        .map_err(|e| uid_conflict_with_href(e, collection_href))
}

/// What [`write_object`] stores, once the object passed PUT's validation. PUT itself stores
/// it apart, to merge when it lost an If-Match race (docs/locks-and-merging.md).
fn checked_put(engine: &Engine, write: ObjectWrite<'_>) -> DavResult<PutObject> {
    let collection = write.collection;
    let checked = if collection.kind == CollectionKind::Calendar {
        let checked = check_calendar_object(engine, collection, &write.data, write.content_type)?;
        keeps_uid(write.replaces_uid, checked.index.uid.as_deref())?;
        checked
    } else {
        CheckedObject {
            content_type: write
                .content_type
                .unwrap_or("application/octet-stream")
                .to_owned(),
            index: ObjectIndex::default(),
            instances: None,
        }
    };
    Ok(PutObject {
        collection: collection.id,
        name: write.name,
        data: write.data,
        content_type: checked.content_type,
        index: checked.index,
        instances: checked.instances,
        expect: write.expect,
        quota: write.quota,
        merge: None,
        mail: Vec::new(),
    })
}

/// What is stored with an accepted object besides its bytes.
pub struct CheckedObject {
    pub content_type: String,
    pub index: ObjectIndex,
    pub instances: Option<InstanceIndex>,
}

/// RFC 4791 §5.3.2.1 preconditions, in the order a client can act on them.
pub fn check_calendar_object(
    engine: &Engine,
    collection: &Collection,
    body: &[u8],
    sent_type: Option<&str>,
) -> DavResult<CheckedObject> {
    let limits = &engine.limits;
    if body.len() as u64 > limits.max_resource_size {
        return Err(DavError::condition(
            Condition::MaxResourceSize,
            format!(
                "the calendar object is {} bytes; this server accepts at most {}",
                body.len(),
                limits.max_resource_size
            ),
        ));
    }
    if let Some(t) = sent_type {
        let media = t.split(';').next().unwrap_or("").trim();
        if !(media.eq_ignore_ascii_case("text/calendar")
            || media.eq_ignore_ascii_case("application/octet-stream")
            || media.is_empty())
        {
            return Err(DavError::condition(
                Condition::SupportedCalendarData,
                format!("a calendar collection only holds text/calendar, not {media}"),
            ));
        }
    }
    index_calendar_data(
        collection,
        body,
        &ical::ValidationLimits {
            min_date_time: limits.min_date_time,
            max_date_time: limits.max_date_time,
        },
    )
}

/// Validates calendar data for `collection` and computes what the store indexes about it.
pub fn index_calendar_data(
    collection: &Collection,
    body: &[u8],
    limits: &ical::ValidationLimits,
) -> DavResult<CheckedObject> {
    let (info, event_index) =
        ical::analyze_and_index(body, limits, Some(&index_limits())).map_err(invalid_to_error)?;
    // What the object bends but a reader can still interpret is stored as sent
    // (`ical::quirks`); the server's log says so, the client is not bothered.
    for warning in &info.warnings {
        tracing::info!(
            target: "calvault::validate",
            collection = %collection.path,
            uid = %info.uid,
            "stored as sent: {warning}"
        );
    }
    let kind = info.kind.name();
    if !collection.components.iter().any(|c| c == kind) {
        return Err(DavError::condition(
            Condition::SupportedCalendarComponent,
            format!(
                "this calendar accepts {} but the object is a {kind}",
                collection.components.join(", ")
            ),
        ));
    }
    let instances = event_index.map(|index| InstanceIndex {
        spans: index.spans,
        complete_until: index.complete_until,
        floating: index.floating,
    });
    Ok(CheckedObject {
        content_type: format!(
            "text/calendar; charset=utf-8; component={}",
            kind.to_ascii_lowercase()
        ),
        index: ObjectIndex {
            uid: Some(info.uid),
            component: Some(kind.to_owned()),
            first_start: info.first_start,
            last_end: info.last_end,
        },
        instances,
    })
}

/// How far ahead an unbounded rule is indexed; later ranges are evaluated exactly.
const INDEX_YEARS_AHEAD: i64 = 3;
/// An object with more instances up to the horizon is evaluated exactly instead.
const INDEX_MAX_INSTANCES: u32 = 5_000;

/// How far the store's instance index reaches (see `ical::event_index`).
fn index_limits() -> ical::IndexLimits {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    ical::IndexLimits {
        horizon: now + INDEX_YEARS_AHEAD * 366 * 86_400,
        max_instances: INDEX_MAX_INSTANCES,
        max_span: InstanceIndex::MAX_SPAN,
    }
}

fn invalid_to_error(e: ical::Invalid) -> DavError {
    let condition = Condition::of_invalid(&e);
    let detail = match e {
        ical::Invalid::CalendarData(d)
        | ical::Invalid::ObjectResource(d)
        | ical::Invalid::MinDateTime(d)
        | ical::Invalid::MaxDateTime(d) => d,
    };
    DavError::condition(condition, detail)
}

/// RFC 4791 §5.3.2.1 `no-uid-conflict`: a write may not "overwrite an existing calendar
/// object resource with one that has a different UID property value". Clients key their
/// copy of an object on its UID, so a URL whose UID changed would be two objects to them.
pub fn keeps_uid(replaced: Option<&str>, new: Option<&str>) -> DavResult<()> {
    match (replaced, new) {
        (Some(old), Some(new)) if old != new => Err(DavError::condition(
            Condition::NoUidConflict { href: None },
            format!(
                "the object at this URL has UID {old:?} and cannot be replaced by one with \
                 UID {new:?}; store the new UID at a new URL, or delete this one first"
            ),
        )),
        _ => Ok(()),
    }
}

/// RFC 4791 §5.3.2.1: `no-uid-conflict` names the resource that already holds the UID.
pub fn uid_conflict_with_href(e: StoreError, collection_href: &str) -> DavError {
    match e {
        StoreError::UidConflict { uid, existing_name } => {
            let href = path::member_href(collection_href, &existing_name);
            DavError::condition(
                Condition::NoUidConflict {
                    href: Some(href.clone()),
                },
                format!("UID {uid:?} already exists in this calendar at {href}"),
            )
        }
        other => other.into(),
    }
}
