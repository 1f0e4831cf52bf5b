//! GET and HEAD: the exact stored bytes, with their strong ETag; 304 when the client's copy
//! is current. A calendar collection answers its whole content as one `text/calendar`
//! document (`calendars::export`), as Radicale does, so a read-only subscription to its URL
//! works (Thunderbird offers one when it finds a calendar). HEAD is answered as GET, and
//! `Engine::handle` drops the body.

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};

use super::Cx;
use crate::calendars::{self, Looks};
use crate::conditional::{self, Current, Read};
use crate::error::{DavError, DavResult};
use crate::props::http_date;
use crate::resource::Resource;
use store::Collection;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resource: Resource,
) -> DavResult<Response<Bytes>> {
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
            let mut response = Response::builder();
            // RFC 6638 §3.2.10: a scheduling object resource tells its Schedule-Tag.
            if let Some(tag) = data.as_deref().and_then(crate::schedule::schedule_tag) {
                response = response.header("schedule-tag", tag);
            }
            response
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, &meta.content_type)
                .header(header::ETAG, crate::props::quoted_etag(&meta.etag))
                .header(header::LAST_MODIFIED, http_date(meta.modified_at))
                .body(data.unwrap_or_default())
                .map_err(|e| DavError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
        }
        Resource::Collection(seen) if seen.is_calendar() => {
            calendar(cx, req, &seen.collection).await
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

/// The calendar as one document; its ETag is known before it is assembled, so a polling
/// subscription's conditional GET costs two lookups.
async fn calendar(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    collection: &Collection,
) -> DavResult<Response<Bytes>> {
    let store = cx.engine.store.as_ref();
    let looks = Looks::of(store, collection).await?;
    let etag = calendars::export_etag(collection, &looks);
    let current = Current {
        exists: true,
        etag: Some(&etag),
        tokens: &cx.if_tokens,
    };
    let builder = Response::builder()
        .header(header::ETAG, crate::props::quoted_etag(&etag))
        .header(header::LAST_MODIFIED, http_date(collection.modified_at));
    let internal = |e: http::Error| DavError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    if conditional::check_read(req.headers(), current)? == Read::NotModified {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Bytes::new())
            .map_err(internal);
    }
    let export = calendars::export(store, collection, &looks).await?;
    builder
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/calendar; charset=utf-8")
        .body(Bytes::from(export.text))
        .map_err(internal)
}
