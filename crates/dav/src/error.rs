//! The one error type of the protocol edge, its one conversion into a response, and the one
//! mapping of store failures to protocol errors (which `/api/` uses too).

use bytes::Bytes;
use http::{header, Response, StatusCode};
use store::StoreError;

use crate::condition::Condition;

#[derive(Debug)]
pub struct DavError {
    pub status: StatusCode,
    /// The RFC precondition/postcondition put inside `DAV:error`.
    pub condition: Option<Condition>,
    /// What was wrong, for the person reading the client's log.
    pub detail: String,
}

pub type DavResult<T> = Result<T, DavError>;

impl DavError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        DavError {
            status,
            condition: None,
            detail: detail.into(),
        }
    }

    /// A refusal naming the rule the request broke, with the condition's status.
    pub fn condition(condition: Condition, detail: impl Into<String>) -> Self {
        DavError {
            status: condition.status(),
            condition: Some(condition),
            detail: detail.into(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        DavError::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found() -> Self {
        DavError::new(StatusCode::NOT_FOUND, "no resource at this URL")
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        DavError::new(StatusCode::FORBIDDEN, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        DavError::new(StatusCode::CONFLICT, detail)
    }

    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        DavError::new(StatusCode::PRECONDITION_FAILED, detail)
    }

    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        DavError::new(StatusCode::METHOD_NOT_ALLOWED, detail)
    }

    /// Seconds a client should wait before it retries, for statuses that say "try again".
    pub fn retry_after(status: StatusCode) -> Option<&'static str> {
        // Long enough for a database restart or failover; clients and balancers retry.
        (status == StatusCode::SERVICE_UNAVAILABLE).then_some("5")
    }

    pub fn into_response(self) -> Response<Bytes> {
        let (content_type, body) = match &self.condition {
            Some(c) => (
                "application/xml; charset=utf-8",
                dav_xml::error_body(&c.element(), Some(&self.detail)),
            ),
            None => ("text/plain; charset=utf-8", format!("{}\n", self.detail)),
        };
        let mut builder = Response::builder()
            .status(self.status)
            .header(header::CONTENT_TYPE, content_type);
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            builder = builder.header(header::ALLOW, crate::method::options::ALLOW);
        }
        if let Some(seconds) = DavError::retry_after(self.status) {
            builder = builder.header(header::RETRY_AFTER, seconds);
        }
        builder
            .body(Bytes::from(body))
            .unwrap_or_else(|_| Response::new(Bytes::new()))
    }
}

/// The one mapping of store failures: 404 for what is missing, 405/409/412 for the write
/// conflicts WebDAV names, the RFC condition where there is one, 503 (retry) for a database
/// out of reach, 500 for anything else.
impl From<StoreError> for DavError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => DavError::not_found(),
            StoreError::AlreadyExists => {
                DavError::method_not_allowed("a resource already exists at this URL")
            }
            StoreError::ParentMissing => {
                DavError::conflict("the parent collection of this URL does not exist")
            }
            StoreError::PreconditionFailed => DavError::precondition_failed(
                "the resource changed or exists: its current state does not match \
                 If-Match / If-None-Match / Overwrite",
            ),
            StoreError::UidConflict { uid, existing_name } => DavError::condition(
                Condition::NoUidConflict { href: None },
                format!("UID {uid:?} already exists in this calendar as {existing_name:?}"),
            ),
            StoreError::QuotaExceeded { quota, needed } => DavError::condition(
                Condition::QuotaNotExceeded,
                format!("quota of {quota} bytes exceeded: {needed} bytes would be in use"),
            ),
            StoreError::Conflict(detail) => DavError::conflict(detail),
            StoreError::Locked { roots } => DavError::condition(
                Condition::LockTokenSubmitted { roots },
                "locked: this request changes what the locks rooted at the URLs named here \
                 lock; send their tokens in the If header (RFC 4918 §10.4)",
            ),
            StoreError::LockConflict { roots } => DavError::condition(
                Condition::NoConflictingLock { roots },
                "this lock conflicts with the locks rooted at the URLs named here: an \
                 exclusive lock allows no other lock on what it covers",
            ),
            StoreError::NoSuchLock => DavError::condition(
                Condition::LockTokenMatchesRequestUri,
                "the Lock-Token names no live lock of this URL",
            ),
            StoreError::NotLockOwner => DavError::forbidden(
                "this lock was taken by another user; only they can use its token",
            ),
            StoreError::Backend(detail) => {
                tracing::error!(%detail, "storage failure");
                DavError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server could not access its storage; try again later",
                )
            }
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "storage unavailable");
                DavError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server's database cannot be reached just now; try again shortly",
                )
            }
        }
    }
}

impl From<dav_xml::XmlError> for DavError {
    fn from(e: dav_xml::XmlError) -> Self {
        match e {
            dav_xml::XmlError::ExternalEntity => {
                DavError::condition(Condition::NoExternalEntities, e.to_string())
            }
            _ => DavError::bad_request(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn store_failures_map_to_the_status_that_says_what_happened() {
        let status = |e: StoreError| DavError::from(e).status;
        assert_eq!(status(StoreError::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(status(StoreError::ParentMissing), StatusCode::CONFLICT);
        assert_eq!(
            status(StoreError::Conflict("x".into())),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status(StoreError::PreconditionFailed),
            StatusCode::PRECONDITION_FAILED
        );
        assert_eq!(
            status(StoreError::QuotaExceeded {
                quota: 1,
                needed: 2
            }),
            StatusCode::INSUFFICIENT_STORAGE
        );
        assert_eq!(
            DavError::retry_after(status(StoreError::Unavailable("down".into()))),
            Some("5")
        );
    }

    #[test]
    fn an_unreachable_database_is_a_retryable_503_and_a_failure_a_500() {
        let r =
            DavError::from(StoreError::Unavailable("connection refused".into())).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "5");
        let r = DavError::from(StoreError::Backend("syntax error".into())).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(r.headers().get(header::RETRY_AFTER).is_none());
    }
}
