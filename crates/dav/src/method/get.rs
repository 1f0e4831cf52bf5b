//! GET and HEAD: the exact stored bytes, with their strong ETag; 304 when the client's copy
//! is current. HEAD is answered as GET, and `Engine::handle` drops the body.

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};

use super::Cx;
use crate::conditional::{self, Current, Read};
use crate::error::{DavError, DavResult};
use crate::props::http_date;
use crate::resource::{resolve, Resource};

pub async fn handle(cx: &Cx<'_>, req: &Request<Bytes>) -> DavResult<Response<Bytes>> {
    let resource = resolve(cx, super::request_path(req)).await?.found()?;
    match resource {
        Resource::Object { meta, data, .. } => {
            let read = conditional::check_read(
                req.headers(),
                Current {
                    exists: true,
                    etag: Some(&meta.etag),
                    tokens: &cx.if_tokens,
                },
            )?;
            if read == Read::NotModified {
                // RFC 7232 §4.1: no body, but the ETag a 200 would have carried.
                return Response::builder()
                    .status(StatusCode::NOT_MODIFIED)
                    .header(header::ETAG, crate::props::quoted_etag(&meta.etag))
                    .body(Bytes::new())
                    .map_err(|e| DavError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()));
            }
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, &meta.content_type)
                .header(header::ETAG, crate::props::quoted_etag(&meta.etag))
                .header(header::LAST_MODIFIED, http_date(meta.modified_at))
                .body(data.unwrap_or_default())
                .map_err(|e| DavError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
        }
        _ => Ok(Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Bytes::from_static(
                b"calvault CalDAV server: point a calendar app at this server's address.\n",
            ))
            .unwrap_or_else(|_| Response::new(Bytes::new()))),
    }
}
