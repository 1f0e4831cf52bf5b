//! What a request path names, looked up in the store. Access rights are decided here, in one
//! place: a user reaches only their own principal and home.

use std::sync::Arc;

use bytes::Bytes;
use store::{Collection, CollectionKind, ObjectMeta};

use crate::error::{DavError, DavResult};
use crate::method::Cx;
use crate::path::{self, Target};

// Listings are mostly objects, so boxing the large variant would not save memory.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Resource {
    Root,
    DavRoot,
    Principals,
    /// The caller's own principal.
    Principal,
    Homes,
    /// A collection of the caller (the home has the empty path).
    Collection(Collection),
    Object {
        /// Shared: a listing answers thousands of objects of one collection.
        collection: Arc<Collection>,
        meta: ObjectMeta,
        /// The stored bytes when the lookup fetched them (a single-object request).
        data: Option<Bytes>,
    },
}

impl Resource {
    pub fn href(&self, user: &str) -> String {
        match self {
            Resource::Root => "/".into(),
            Resource::DavRoot => path::DAV_ROOT.into(),
            Resource::Principals => path::PRINCIPALS.into(),
            Resource::Principal => path::principal_href(user),
            Resource::Homes => path::HOMES.into(),
            Resource::Collection(c) => path::collection_href(user, &c.path),
            Resource::Object {
                collection, meta, ..
            } => path::object_href(user, &collection.path, &meta.name),
        }
    }

    pub fn is_collection(&self) -> bool {
        !matches!(self, Resource::Object { .. })
    }

    pub fn calendar(&self) -> Option<&Collection> {
        match self {
            Resource::Collection(c) if c.kind == CollectionKind::Calendar => Some(c),
            _ => None,
        }
    }
}

/// A path below the home that names nothing yet: where PUT, MKCOL, COPY and MOVE create.
#[derive(Clone, Debug)]
pub struct Vacant {
    /// The collection the new member would live in, if it exists.
    pub parent: Option<Collection>,
    /// The new member's name, or its whole path below the home for collections.
    pub name: String,
    pub path: String,
    pub trailing_slash: bool,
}

#[derive(Clone, Debug)]
pub enum Resolved {
    Found(Resource),
    Vacant(Vacant),
}

impl Resolved {
    pub fn found(self) -> DavResult<Resource> {
        match self {
            Resolved::Found(r) => Ok(r),
            Resolved::Vacant(_) => Err(DavError::not_found()),
        }
    }
}

/// The access decision alone, made before a request body is even read, so that another
/// user's paths answer 403 whatever the method and body.
pub fn authorize(request_path: &str, me: &str) -> DavResult<()> {
    match path::parse(request_path) {
        Ok(Target::Principal(user)) | Ok(Target::Home { user, .. }) => check_owner(&user, me),
        _ => Ok(()),
    }
}

pub async fn resolve(cx: &Cx<'_>, request_path: &str) -> DavResult<Resolved> {
    let target = path::parse(request_path)
        .map_err(|_| DavError::bad_request("the request path is not a valid UTF-8 path"))?;
    let me = &cx.caller.user;
    let found = |r| Ok(Resolved::Found(r));
    match target {
        Target::Root => found(Resource::Root),
        Target::DavRoot => found(Resource::DavRoot),
        Target::Principals => found(Resource::Principals),
        Target::Homes => found(Resource::Homes),
        Target::Principal(user) => {
            check_owner(&user, &me.name)?;
            found(Resource::Principal)
        }
        Target::NotFound => Err(DavError::not_found()),
        Target::Home {
            user,
            segments,
            trailing_slash,
        } => {
            check_owner(&user, &me.name)?;
            resolve_below_home(cx, segments, trailing_slash).await
        }
    }
}

/// Another user's space answers 403 for every method and every path, existing or not, so
/// that neither content nor existence leaks.
fn check_owner(user: &str, me: &str) -> DavResult<()> {
    if user == me {
        Ok(())
    } else {
        Err(DavError::forbidden(
            "this URL belongs to another account; you may only reach your own",
        ))
    }
}

async fn resolve_below_home(
    cx: &Cx<'_>,
    segments: Vec<String>,
    trailing_slash: bool,
) -> DavResult<Resolved> {
    let store = &cx.engine.store;
    let owner = cx.caller.user.id;
    let full_path = segments.join("/");
    let Some((name, parent_segments)) = segments.split_last() else {
        let home = store
            .collection(owner, "")
            .await?
            .ok_or_else(DavError::not_found)?;
        return Ok(Resolved::Found(Resource::Collection(home)));
    };
    let parent_path = parent_segments.join("/");
    // An object is found with or without a trailing slash, so that MKCOL over a file
    // answers 405 rather than creating a collection beside it.
    let parent = match store.collection_member(owner, &parent_path, name).await? {
        Some((parent, Some(object))) => {
            return Ok(Resolved::Found(Resource::Object {
                collection: Arc::new(parent),
                meta: object.meta,
                data: Some(object.data),
            }))
        }
        Some((parent, None)) => Some(parent),
        None => None,
    };
    if parent.is_some() {
        if let Some(c) = store.collection(owner, &full_path).await? {
            return Ok(Resolved::Found(Resource::Collection(c)));
        }
    }
    Ok(Resolved::Vacant(Vacant {
        parent,
        name: name.clone(),
        path: full_path,
        trailing_slash,
    }))
}
