//! PROPFIND (RFC 4918 §9.1), Depth 0 and 1, with one batched store call per kind of member.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode};

use super::{Cx, Depth};
use crate::condition::Condition;
use crate::error::{DavError, DavResult};
use crate::props::{
    dead_properties, members_but_objects, no_extra, MemberResponses, ObjectPages, PropEnv,
    PropResponses,
};
use crate::quirks;
use crate::resource::Resource;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resource: Resource,
) -> DavResult<http::Response<Bytes>> {
    let propfind = dav_xml::parse_propfind(req.body())?;
    let default_depth = match quirks::missing_propfind_depth_is_one() {
        0 => Depth::Zero,
        _ => Depth::One,
    };
    let depth = super::depth(req, default_depth)?;
    if depth == Depth::Infinity {
        return Err(DavError::condition(
            Condition::PropfindFiniteDepth,
            "PROPFIND with Depth: infinity is not supported; use Depth: 0 or 1",
        ));
    }
    let mut targets = vec![(resource.clone(), dead_properties(cx, &resource).await?)];
    if depth == Depth::One {
        targets.extend(members_but_objects(cx, &resource).await?);
    }
    let mut env = PropEnv::new(cx, &propfind).await?;
    let listed: Vec<&Resource> = targets.iter().map(|(r, _)| r).collect();
    env.load(cx, &listed).await?;
    let minimal = super::wants_minimal(req);
    let mut out = crate::answer_buffer::multistatus();
    let mut responses = PropResponses::new(&env, &propfind, minimal);
    for (r, dead) in &targets {
        responses.write(&mut out, &r.href(), r, dead, &no_extra);
    }
    if let (Depth::One, Resource::Collection(c)) = (depth, &resource) {
        let mut members =
            MemberResponses::new(cx, &env, &propfind, minimal, Arc::new(c.clone())).await?;
        let before = out.written_len();
        let mut pages = ObjectPages::new(cx, c.id(), MEMBER_PAGE);
        while let Some(page) = pages.next().await? {
            for meta in page {
                members.write(&mut out, meta, &no_extra);
            }
            pages.size_answer(&mut out, before).await?;
        }
    }
    Ok(super::xml_response(
        StatusCode::MULTI_STATUS,
        out.finish(None),
    ))
}

/// Objects listed per store call in a Depth: 1 answer.
const MEMBER_PAGE: usize = 1_000;
