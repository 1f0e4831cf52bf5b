//! LOCK (RFC 4918 §9.10): a new exclusive or shared write lock on a mapped URL or an
//! unmapped one (§7.3), of Depth 0 or infinity, for the Timeout granted; or, without a
//! body, the refresh of the locks the If header names (§9.10.2).
//!
//! Locking needs the access a write of the resource needs, which the one access decision
//! (`crate::access::required`) checks before the request gets here: write-content on a
//! mapped URL, bind on the parent of an unmapped one. A lock of a calendar shared with the
//! caller is a lock in its owner's home, which holds whichever URL it is reached by.

use bytes::Bytes;
use dav_xml::{Element, QName};
use http::{header, Request, Response, StatusCode};
use store::rules::locks::member_path;
use store::{CollectionKind, DavLock, LockScope, NewLock, StoreError};

use super::{Cx, Depth};
use crate::conditional::{self, Current};
use crate::error::{DavError, DavResult};
use crate::lock;
use crate::resource::{Resolved, Resource, Seen};

/// The URL a LOCK or UNLOCK names, below a home.
pub(super) struct Target {
    /// Whose locks these are, and the path below that home: the lock root of a new lock.
    pub home: lock::Home,
    /// Whether a resource is mapped at the URL, and its ETag when it is an object.
    pub mapped: bool,
    pub etag: Option<String>,
    pub is_collection: bool,
    /// For an unmapped URL in a plain collection: where its empty resource goes (§7.3).
    pub empty_resource: Option<(store::CollectionId, String)>,
}

/// What a LOCK or UNLOCK names, once resolved (and its access decided: `crate::access`).
pub(super) fn target(resolved: Resolved) -> DavResult<Target> {
    let not_lockable =
        || DavError::method_not_allowed("only URLs below a calendar home can be locked");
    let target = |seen: &Seen, path, mapped, etag, is_collection, empty_resource| Target {
        home: seen.lock_home(path),
        mapped,
        etag,
        is_collection,
        empty_resource,
    };
    Ok(match resolved {
        Resolved::Found(Resource::Collection(c)) => {
            target(&c, c.collection.path.clone(), true, None, true, None)
        }
        Resolved::Found(Resource::Object {
            collection, meta, ..
        }) => target(
            &collection,
            member_path(&collection.collection.path, &meta.name),
            true,
            Some(meta.etag),
            false,
            None,
        ),
        Resolved::Found(_) => return Err(not_lockable()),
        Resolved::Vacant(v) => {
            let parent = v.parent.ok_or_else(|| {
                DavError::conflict("the parent collection of this URL does not exist")
            })?;
            let content = &parent.collection;
            // A calendar holds calendar objects only (RFC 4791 §4.1): an empty resource
            // would be none, so there the unmapped URL is locked without one, and the
            // lock holder's PUT maps it.
            let empty = (content.kind == CollectionKind::Plain && !v.trailing_slash)
                .then(|| (content.id, v.name.clone()));
            let path = member_path(&content.path, &v.name);
            target(&parent, path, false, None, false, empty)
        }
    })
}

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resolved: Resolved,
) -> DavResult<Response<Bytes>> {
    let target = target(resolved)?;
    conditional::check_if_header(
        req.headers(),
        Current {
            exists: target.mapped,
            etag: target.etag.as_deref(),
            tokens: &cx.if_tokens,
        },
    )?;
    let timeout = store::rules::locks::grant_timeout(
        lock::requested_timeout(req.headers()),
        cx.engine.limits.max_lock_timeout_secs,
    );
    if req.body().iter().all(u8::is_ascii_whitespace) {
        return refresh(cx, req, &target, timeout).await;
    }
    let info = dav_xml::parse_lockinfo(req.body())?;
    let deep = match super::depth(req, Depth::Infinity)? {
        Depth::One => {
            return Err(DavError::bad_request(
                "LOCK takes Depth 0 or infinity (RFC 4918 §9.10.3)",
            ))
        }
        // Depth infinity on a resource without members is Depth 0.
        depth => depth == Depth::Infinity && target.is_collection,
    };
    let new = NewLock {
        token: lock::new_token()?,
        home: target.home.owner,
        path: target.home.path.clone(),
        principal: cx.caller.user.id,
        scope: if info.exclusive {
            LockScope::Exclusive
        } else {
            LockScope::Shared
        },
        deep,
        owner: info.owner.as_ref().map(dav_xml::fragment),
        timeout_secs: timeout,
        empty_resource: target.empty_resource.clone(),
    };
    let taken = cx.engine.store.create_lock(new, &cx.caller.change).await?;
    // RFC 4918 §9.10.6, §7.3: 201 when the LOCK created the resource.
    let status = if target.mapped {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let token = format!("<{}>", taken.token);
    answer(status, &[taken], req.uri().path(), Some(&token))
}

/// RFC 4918 §9.10.2: a LOCK without a body renews the caller's locks on the URL that its
/// If header names, for the Timeout granted.
async fn refresh(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    target: &Target,
    timeout: u64,
) -> DavResult<Response<Bytes>> {
    let claim = cx
        .caller
        .change
        .locks
        .as_ref()
        .filter(|c| !c.tokens.is_empty())
        .ok_or_else(|| {
            DavError::bad_request(
                "a LOCK without a body refreshes a lock: name its token in the If header",
            )
        })?;
    let renewed = cx
        .engine
        .store
        .refresh_locks(target.home.owner, &target.home.path, claim, timeout)
        .await
        .map_err(|e| match e {
            StoreError::PreconditionFailed => DavError::precondition_failed(
                "the If header names no lock of this URL that you hold",
            ),
            other => other.into(),
        })?;
    // A lock rooted here has the request URL as its root; one renewed through a member
    // (an indirect refresh) is rooted at an ancestor.
    let root = |l: &DavLock| match l.path == target.home.path {
        true => req.uri().path().to_owned(),
        false => {
            let (user, path) = target.home.place(&l.path);
            crate::path::collection_href(user, &path)
        }
    };
    let now = store::db::now_ms();
    let active = renewed.iter().map(|l| lock::activelock(l, root(l), now));
    xml_answer(StatusCode::OK, lock::lockdiscovery(active), None)
}

/// The answer to a LOCK: the lock's lockdiscovery in a `prop` (RFC 4918 §9.10.1), with its
/// token in the Lock-Token header when it is new.
fn answer(
    status: StatusCode,
    locks: &[DavLock],
    root_href: &str,
    token: Option<&str>,
) -> DavResult<Response<Bytes>> {
    let now = store::db::now_ms();
    let active = locks
        .iter()
        .map(|l| lock::activelock(l, root_href.to_owned(), now));
    xml_answer(status, lock::lockdiscovery(active), token)
}

fn xml_answer(
    status: StatusCode,
    discovery: Element,
    token: Option<&str>,
) -> DavResult<Response<Bytes>> {
    let prop = Element::new(QName::dav("prop")).with_child(discovery);
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{}",
        dav_xml::fragment(&prop)
    );
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/xml; charset=utf-8");
    if let Some(token) = token {
        builder = builder.header("lock-token", token);
    }
    builder
        .body(Bytes::from(body))
        .map_err(|e| DavError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}
