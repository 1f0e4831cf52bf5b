//! What a request path names, looked up in the store, with what the caller holds on it
//! ([`crate::access`] decides what that allows).
//!
//! A user's own paths cost what they always did: no privilege lookup. Another user's
//! collections are found only with a grant (else 404, as if absent); a calendar shared with
//! the caller is seen through their binding in their own home, with the calendar's content
//! and the binding's own properties.

use std::sync::Arc;

use bytes::Bytes;
use store::rules::locks::member_path;
use store::{
    Collection, CollectionId, CollectionKind, Group, ObjectMeta, PrincipalId, Privilege, User,
};

use crate::access::{self, Visibility};
use crate::error::{DavError, DavResult};
use crate::lock;
use crate::method::Cx;
use crate::path::{self, Target};

// Listings are mostly objects, so boxing the large variant would not save memory.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Resource {
    Root,
    DavRoot,
    Principals,
    Principal(Arc<User>),
    /// One of a user's delegate groups (caldav-proxy): its members are the users the home
    /// is granted to, read (or, with `write`, read-write).
    Proxy {
        of: Arc<User>,
        write: bool,
    },
    Groups,
    Group(Arc<Group>),
    Homes,
    /// A collection (the home has the empty path).
    Collection(Seen),
    Object {
        /// Shared: a listing answers thousands of objects of one collection.
        collection: Arc<Seen>,
        meta: ObjectMeta,
        /// The stored bytes when the lookup fetched them (a single-object request).
        data: Option<Bytes>,
    },
}

/// A collection as the caller reaches it: what it holds, where its href is, and what the
/// caller may do with it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The collection whose objects, properties and history these are: for a binding, the
    /// shared calendar.
    pub collection: Collection,
    /// The caller's binding of a calendar shared with them, through which it is seen.
    pub binding: Option<Collection>,
    /// The user whose home the href is in: the caller for their own and for bindings.
    pub home_user: Arc<str>,
    /// Who owns the content.
    pub owner_name: Arc<str>,
    /// What the caller may do with the content.
    pub granted: Privilege,
    /// What the caller may do with their binding itself (rename, remove, set their own
    /// name and colour): None when not seen through one.
    pub binding_privilege: Option<Privilege>,
}

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

    pub fn id(&self) -> CollectionId {
        self.collection.id
    }

    /// Its path below [`Seen::home_user`]'s home.
    pub fn path(&self) -> &str {
        match &self.binding {
            Some(b) => &b.path,
            None => &self.collection.path,
        }
    }

    pub fn href(&self) -> String {
        path::collection_href(&self.home_user, self.path())
    }

    pub fn is_home(&self) -> bool {
        self.binding.is_none() && self.collection.is_home()
    }

    pub fn is_calendar(&self) -> bool {
        self.collection.kind == CollectionKind::Calendar
    }

    /// True when `user` owns the content and sees it at its own URL.
    pub fn is_owned_by(&self, user: &str) -> bool {
        self.binding.is_none() && *self.owner_name == *user
    }

    /// Where a PROPPATCH by the caller is stored: a sharee's name and colour for a shared
    /// calendar are their own, on their binding.
    pub fn properties_id(&self) -> CollectionId {
        self.binding.as_ref().map_or(self.collection.id, |b| b.id)
    }

    /// The home whose locks `path` (below the home of this collection's content) meets:
    /// the content owner's, with the caller's binding URLs mapped onto it.
    pub fn lock_home(&self, path: String) -> lock::Home {
        lock::Home {
            owner: self.collection.owner,
            name: self.owner_name.to_string(),
            path,
            binding: self.binding.as_ref().map(|b| lock::Binding {
                user: self.home_user.to_string(),
                path: b.path.clone(),
                target: self.collection.path.clone(),
            }),
        }
    }
}

impl Resource {
    pub fn href(&self) -> String {
        match self {
            Resource::Root => "/".into(),
            Resource::DavRoot => path::DAV_ROOT.into(),
            Resource::Principals => path::PRINCIPALS.into(),
            Resource::Principal(user) => path::principal_href(&user.name),
            Resource::Proxy { of, write } => path::proxy_href(&of.name, *write),
            Resource::Groups => path::GROUPS.into(),
            Resource::Group(group) => path::group_href(&group.name),
            Resource::Homes => path::HOMES.into(),
            Resource::Collection(c) => c.href(),
            Resource::Object {
                collection, meta, ..
            } => path::member_href(&collection.href(), &meta.name),
        }
    }

    /// The home whose locks this resource is under, for collections and objects (the
    /// lockable resources).
    pub fn lock_home(&self) -> Option<lock::Home> {
        match self {
            Resource::Collection(c) => Some(c.lock_home(c.collection.path.clone())),
            Resource::Object {
                collection, meta, ..
            } => Some(collection.lock_home(member_path(&collection.collection.path, &meta.name))),
            _ => None,
        }
    }

    /// The calendar collection this resource is, with its content (a binding's calendar).
    pub fn calendar(&self) -> Option<&Collection> {
        match self {
            Resource::Collection(c) if c.is_calendar() => Some(&c.collection),
            _ => None,
        }
    }
}

/// A path below a home that names nothing yet: where PUT, MKCOL, COPY and MOVE create.
#[derive(Clone, Debug)]
pub struct Vacant {
    /// The collection the new member would live in, if it exists.
    pub parent: Option<Seen>,
    /// The new member's name, or its whole path below the home for collections.
    pub name: String,
    /// Its path below the home of the parent's owner.
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

    /// The home whose locks a request on this meets; None for what no home holds
    /// (principals, the roots). Costs no lookup: the resolution read what it needs.
    pub fn lock_home(&self, me: &User) -> Option<lock::Home> {
        match self {
            Resolved::Found(r) => r.lock_home(),
            Resolved::Vacant(Vacant {
                parent: Some(parent),
                name,
                ..
            }) => Some(parent.lock_home(member_path(&parent.collection.path, name))),
            Resolved::Vacant(Vacant {
                parent: None, path, ..
            }) => Some(lock::Home {
                owner: me.id,
                name: me.name.clone(),
                path: path.clone(),
                binding: None,
            }),
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
