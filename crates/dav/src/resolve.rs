//! A request path looked up in the store as the caller may see it (the types are
//! [`crate::resource`]; [`crate::access`] decides what the grants allow).
//!
//! A user's own paths cost what they always did: no privilege lookup. Another user's
//! collections are found only with a grant (else 404, as if absent); a calendar shared with
//! the caller is seen through their binding in their own home, with the calendar's content
//! and the binding's own properties.

use std::sync::Arc;

use store::{Collection, CollectionKind, PrincipalId, Privilege, User};

use crate::access::{self, Visibility};
use crate::cx::Cx;
use crate::error::{DavError, DavResult};
use crate::path::{self, Target};
use crate::resource::{Resolved, Resource, Seen, Vacant};

impl Seen {
    /// A collection of the caller's own.
    pub fn own(cx: &Cx<'_>, collection: Collection) -> Seen {
        let name: Arc<str> = Arc::from(cx.caller.user.name.as_str());
        Seen {
            collection,
            binding: None,
            home_user: Arc::clone(&name),
            owner_name: name,
            granted: access::owned(cx),
            binding_privilege: None,
        }
    }
}

pub async fn resolve(cx: &Cx<'_>, request_path: &str) -> DavResult<Resolved> {
    let target = path::parse(request_path)
        .map_err(|_| DavError::bad_request("the request path is not a valid UTF-8 path"))?;
    let found = |r| Ok(Resolved::Found(r));
    match target {
        Target::Root => found(Resource::Root),
        Target::DavRoot => found(Resource::DavRoot),
        Target::Principals => found(Resource::Principals),
        Target::Homes => found(Resource::Homes),
        Target::Groups => found(Resource::Groups),
        Target::Principal(name) => found(Resource::Principal(principal(cx, &name).await?)),
        Target::Proxy { user, write } => found(Resource::Proxy {
            of: principal(cx, &user).await?,
            write,
        }),
        Target::Group(name) => {
            let group = cx.engine.store.group_by_name(&name).await?;
            let group = group.ok_or_else(DavError::not_found)?;
            if !Visibility::of(cx).await?.sees_group(group.id) {
                return Err(DavError::not_found());
            }
            found(Resource::Group(Arc::new(group)))
        }
        Target::NotFound => Err(DavError::not_found()),
        Target::Home {
            user,
            segments,
            trailing_slash,
        } => {
            let me = &cx.caller.user;
            if user == me.name {
                return below_home(cx, me, segments, trailing_slash).await;
            }
            // A disabled owner's shares stay: only their own sign-in is refused.
            let owner = cx.engine.store.account_by_name(&user).await?;
            let owner = owner.ok_or_else(DavError::not_found)?;
            below_home(cx, &owner, segments, trailing_slash).await
        }
    }
}

/// A user's principal, when the caller may see it (else as absent).
async fn principal(cx: &Cx<'_>, name: &str) -> DavResult<Arc<User>> {
    let me = &cx.caller.user;
    if name == me.name {
        return Ok(Arc::new(me.clone()));
    }
    let user = cx.engine.store.account_by_name(name).await?;
    let user = user.ok_or_else(DavError::not_found)?;
    if !Visibility::of(cx).await?.sees(&user) {
        return Err(DavError::not_found());
    }
    Ok(Arc::new(user))
}

async fn below_home(
    cx: &Cx<'_>,
    owner: &User,
    segments: Vec<String>,
    trailing_slash: bool,
) -> DavResult<Resolved> {
    let store = &cx.engine.store;
    let full_path = segments.join("/");
    let Some((name, parent_segments)) = segments.split_last() else {
        let home = store.collection(owner.id, "").await?;
        let home = home.ok_or_else(DavError::not_found)?;
        return Ok(Resolved::Found(Resource::Collection(
            seen(cx, owner.id, &owner.name, home).await?,
        )));
    };
    let parent_path = parent_segments.join("/");
    // An object is found with or without a trailing slash, so that MKCOL over a file
    // answers 405 rather than creating a collection beside it.
    let parent = match store
        .collection_member(owner.id, &parent_path, name)
        .await?
    {
        Some((parent, Some(object))) => {
            return Ok(Resolved::Found(Resource::Object {
                collection: Arc::new(seen(cx, owner.id, &owner.name, parent).await?),
                meta: object.meta,
                data: Some(object.data),
            }))
        }
        Some((parent, None)) => parent,
        None if owner.id == cx.caller.user.id => {
            return Ok(Resolved::Vacant(Vacant {
                parent: None,
                name: name.clone(),
                path: full_path,
                trailing_slash,
            }))
        }
        // Nothing of another user's is shown without a grant on it.
        None => return Err(DavError::not_found()),
    };
    if parent.kind != CollectionKind::Shared {
        if let Some(c) = store.collection(owner.id, &full_path).await? {
            return Ok(Resolved::Found(Resource::Collection(
                seen(cx, owner.id, &owner.name, c).await?,
            )));
        }
    }
    let parent = seen(cx, owner.id, &owner.name, parent).await?;
    if parent.binding.is_some() {
        // A binding's members are the shared calendar's.
        if let Some(object) = store.object(parent.id(), name).await? {
            return Ok(Resolved::Found(Resource::Object {
                collection: Arc::new(parent),
                meta: object.meta,
                data: Some(object.data),
            }));
        }
    }
    Ok(Resolved::Vacant(Vacant {
        parent: Some(parent),
        name: name.clone(),
        path: full_path,
        trailing_slash,
    }))
}

/// A collection of `owner` (id and name) as the caller sees it; 404 when they hold nothing
/// on it.
pub async fn seen(
    cx: &Cx<'_>,
    owner: PrincipalId,
    owner_name: &str,
    collection: Collection,
) -> DavResult<Seen> {
    let me = &cx.caller.user;
    if owner == me.id {
        return match collection.kind {
            CollectionKind::Shared => through_binding(cx, collection).await,
            _ => Ok(Seen::own(cx, collection)),
        };
    }
    if collection.kind == CollectionKind::Shared {
        // Another user's bindings are theirs alone.
        return Err(DavError::not_found());
    }
    let granted = access::granted(cx, collection.id).await?;
    let granted = granted.ok_or_else(DavError::not_found)?;
    let name: Arc<str> = Arc::from(owner_name);
    Ok(Seen {
        collection,
        binding: None,
        home_user: Arc::clone(&name),
        owner_name: name,
        granted,
        binding_privilege: None,
    })
}

/// The calendar a binding of the caller's shows; 404 when it is gone or no longer theirs
/// to read (a revoked share fails at once, whichever node answers).
pub async fn through_binding(cx: &Cx<'_>, binding: Collection) -> DavResult<Seen> {
    let store = &cx.engine.store;
    let target = binding.target.ok_or_else(DavError::not_found)?;
    let calendar = store.collection_by_id(target).await?;
    let calendar = calendar.ok_or_else(DavError::not_found)?;
    let granted = access::granted(cx, calendar.id).await?;
    let granted = granted
        .filter(|p| *p >= Privilege::Read)
        .ok_or_else(DavError::not_found)?;
    let owner = store.user_by_id(calendar.owner).await?;
    let owner = owner.ok_or_else(DavError::not_found)?;
    Ok(Seen {
        collection: calendar,
        binding: Some(binding),
        home_user: Arc::from(cx.caller.user.name.as_str()),
        owner_name: Arc::from(owner.name.as_str()),
        granted,
        binding_privilege: Some(access::owned(cx)),
    })
}
