//! UNLOCK (RFC 4918 §9.11): releases the lock its Lock-Token header names, when that lock
//! covers the request URL and the caller took it. A locked empty resource stays (§7.3).

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use super::Cx;
use crate::error::{DavError, DavResult};

pub async fn handle(cx: &Cx<'_>, req: &Request<Bytes>) -> DavResult<Response<Bytes>> {
    let token = req
        .headers()
        .get("lock-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .and_then(|v| v.strip_prefix('<')?.strip_suffix('>'))
        .ok_or_else(|| {
            DavError::bad_request("UNLOCK needs a Lock-Token header: <the lock's token>")
        })?;
    let target = super::lock::target(cx, req).await?;
    cx.engine
        .store
        .remove_lock(target.home, &target.path, token, cx.caller.user.id)
        .await?;
    Ok(super::empty(StatusCode::NO_CONTENT))
}
