//! What a request path names, with what the caller holds on it: the types. The lookup
//! that makes them is [`crate::resolve`]; [`crate::access`] decides what they allow.

use std::sync::Arc;

use bytes::Bytes;
use store::rules::locks::member_path;
use store::{Collection, CollectionId, CollectionKind, Group, ObjectMeta, Privilege, User};

use crate::error::{DavError, DavResult};
use crate::lock;
use crate::path;

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
