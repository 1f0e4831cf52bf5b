//! OPTIONS: what this server implements, and nothing more (no class 2 without LOCK).

use bytes::Bytes;
use http::{header, Response, StatusCode};

pub const ALLOW: &str =
    "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, COPY, MOVE, REPORT";

/// RFC 4918 class 1 and 3, RFC 4791 calendar-access, RFC 5689 extended-mkcol.
pub const DAV_CLASSES: &str = "1, 3, calendar-access, extended-mkcol";

pub fn handle() -> Response<Bytes> {
    Response::builder()
        .status(StatusCode::OK)
        .header("DAV", DAV_CLASSES)
        .header(header::ALLOW, ALLOW)
        .header(header::CONTENT_LENGTH, "0")
        .body(Bytes::new())
        .unwrap_or_else(|_| Response::new(Bytes::new()))
}
