//! OPTIONS: what this server implements, and nothing more.

use bytes::Bytes;
use http::{header, Response, StatusCode};

pub const ALLOW: &str = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, \
     MKCALENDAR, COPY, MOVE, REPORT, LOCK, UNLOCK";

/// RFC 4918 classes 1, 2 (LOCK, UNLOCK and lock tokens in the If header of every write)
/// and 3, RFC 4791 calendar-access, RFC 5689 extended-mkcol.
pub const DAV_CLASSES: &str = "1, 2, 3, calendar-access, extended-mkcol";

pub fn handle() -> Response<Bytes> {
    Response::builder()
        .status(StatusCode::OK)
        .header("DAV", DAV_CLASSES)
        .header(header::ALLOW, ALLOW)
        .header(header::CONTENT_LENGTH, "0")
        .body(Bytes::new())
        .unwrap_or_else(|_| Response::new(Bytes::new()))
}
