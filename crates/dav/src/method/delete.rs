//! DELETE of an object or of a whole collection (with everything below it).

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use super::Cx;
use crate::access;
use crate::conditional::{self, Current};
use crate::error::{DavError, DavResult};
use crate::resource::Resource;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resource: Resource,
) -> DavResult<Response<Bytes>> {
    let store = &cx.engine.store;
    let change = &cx.caller.change;
    match resource {
        Resource::Object {
            collection,
            meta,
            data,
        } => {
            let expect = conditional::write_expectation(
                req.headers(),
                Current {
                    exists: true,
                    etag: Some(&meta.etag),
                    tokens: &cx.if_tokens,
                },
            )?;
            let mut plan =
                crate::schedule::plan_delete(cx, &collection, data.as_ref(), req.headers()).await?;
            let mail = plan
                .as_mut()
                .map(|p| std::mem::take(&mut p.mail))
                .unwrap_or_default();
            match mail.is_empty() {
                true => store.delete_object(collection.id(), &meta.name, expect, change),
                // The CANCELs by e-mail are queued in the removal's own transaction.
                false => {
                    store.delete_object_sending(collection.id(), &meta.name, expect, change, mail)
                }
            }
            .await?;
            if let Some(plan) = plan {
                plan.deliver(cx).await;
            }
        }
        Resource::Collection(c) if !c.is_home() => {
            access::check_parent_of(cx, &c).await?;
            conditional::write_expectation(
                req.headers(),
                Current {
                    exists: true,
                    etag: None,
                    tokens: &cx.if_tokens,
                },
            )?;
            // A sharee's DELETE removes their binding: the calendar stays its owner's.
            let doomed = c.binding.as_ref().unwrap_or(&c.collection);
            store
                .delete_collection(doomed.owner, &doomed.path, change)
                .await?;
        }
        _ => {
            return Err(DavError::forbidden(
                "this resource cannot be deleted (the home, principal and roots are fixed)",
            ))
        }
    }
    Ok(super::empty(StatusCode::NO_CONTENT))
}
