//! DELETE of an object or of a whole collection (with everything below it).

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use super::Cx;
use crate::conditional::{self, Current};
use crate::error::{DavError, DavResult};
use crate::resource::{resolve, Resource};

pub async fn handle(cx: &Cx<'_>, req: &Request<Bytes>) -> DavResult<Response<Bytes>> {
    let store = &cx.engine.store;
    let change = &cx.caller.change;
    match resolve(cx, super::request_path(req)).await?.found()? {
        Resource::Object {
            collection, meta, ..
        } => {
            let expect = conditional::write_expectation(
                req.headers(),
                Current {
                    exists: true,
                    etag: Some(&meta.etag),
                    tokens: &cx.if_tokens,
                },
            )?;
            store
                .delete_object(collection.id, &meta.name, expect, change)
                .await?;
        }
        Resource::Collection(c) if !c.is_home() => {
            conditional::write_expectation(
                req.headers(),
                Current {
                    exists: true,
                    etag: None,
                    tokens: &cx.if_tokens,
                },
            )?;
            store.delete_collection(c.owner, &c.path, change).await?;
        }
        _ => {
            return Err(DavError::forbidden(
                "this resource cannot be deleted (the home, principal and roots are fixed)",
            ))
        }
    }
    Ok(super::empty(StatusCode::NO_CONTENT))
}
