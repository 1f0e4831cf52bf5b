//! OPTIONS: what this server implements, and nothing more.

use bytes::Bytes;
use http::{header, Response, StatusCode};

pub const ALLOW: &str = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, \
     MKCALENDAR, COPY, MOVE, REPORT, POST, LOCK, UNLOCK";

/// RFC 4918 classes 1, 2 (LOCK, UNLOCK and lock tokens in the If header of every write)
/// and 3, RFC 3744 access-control (its properties and reports; grants are made by sharing,
/// not the ACL method), RFC 4791 calendar-access, RFC 6638 calendar-auto-schedule (the
/// server delivers invitations and replies: Thunderbird and Evolution then send no e-mail
/// of their own, python caldav looks for it on the principal), CalendarServer's
/// calendar-proxy (delegation) and calendarserver-sharing (POST CS:share: Apple Calendar
/// offers sharing only with it, and shows errors without a handler), RFC 5689
/// extended-mkcol. The same on every URL: Outlook CalDav Synchronizer asks a principal's.
pub const DAV_CLASSES: &str =
    "1, 2, 3, access-control, calendar-access, calendar-auto-schedule, calendar-proxy, \
     calendarserver-sharing, extended-mkcol";

pub fn handle() -> Response<Bytes> {
    Response::builder()
        .status(StatusCode::OK)
        .header("DAV", DAV_CLASSES)
        .header(header::ALLOW, ALLOW)
        .header(header::CONTENT_LENGTH, "0")
        .body(Bytes::new())
        .unwrap_or_else(|_| Response::new(Bytes::new()))
}
