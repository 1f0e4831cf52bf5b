//! UNLOCK (RFC 4918 §9.11): releases the lock its Lock-Token header names, when that lock
//! covers the request URL and the caller took it (the store's rule: a token is its
//! principal's alone). The caller needs write access, decided with every method's in
//! `crate::access`. A locked empty resource stays (§7.3).

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use super::Cx;
use crate::error::{DavError, DavResult};
use crate::resource::Resolved;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resolved: Resolved,
) -> DavResult<Response<Bytes>> {
    let token = req
        .headers()
        .get("lock-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .and_then(|v| v.strip_prefix('<')?.strip_suffix('>'))
        .ok_or_else(|| {
            DavError::bad_request("UNLOCK needs a Lock-Token header: <the lock's token>")
        })?;
    let target = super::lock::target(resolved)?;
    cx.engine
        .store
        .remove_lock(
            target.home.owner,
            &target.home.path,
            token,
            cx.caller.user.id,
        )
        .await?;
    Ok(super::empty(StatusCode::NO_CONTENT))
}
