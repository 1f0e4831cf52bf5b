//! calendar-query (RFC 4791 §7.8): placeholder wired in once the filter module lands.

use bytes::Bytes;
use dav_xml::CalendarQuery;
use http::{Request, Response};

use crate::error::{DavError, DavResult};
use crate::method::Cx;

pub async fn handle(
    _cx: &Cx<'_>,
    _req: &Request<Bytes>,
    _query: CalendarQuery,
) -> DavResult<Response<Bytes>> {
    Err(DavError::new(
        http::StatusCode::NOT_IMPLEMENTED,
        "calendar-query is not available yet",
    ))
}
