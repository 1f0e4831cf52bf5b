//! The persistence API of calvault: identifiers, stored records and the store traits every
//! backend provides, the rules every write follows ([`rules`]), the hash chain of the
//! change history ([`history`]), the layer a SQL backend builds on ([`db`]), and a
//! conformance suite ([`conformance_tests!`]) that every backend must pass.
//!
//! This crate knows nothing of HTTP, XML or a particular database. Every write method is
//! one transaction in the backend: its preconditions are checked, the change is applied and
//! the history row is appended atomically, so a rejected request stores nothing.
//!
//! The API is split by concern — [`Accounts`], [`Collections`], [`Objects`], [`Properties`],
//! [`ChangeLog`], [`History`], [`Locks`], [`Sharing`], [`MailOutbox`], [`Status`] and [`dump::Dump`] — so
//! that a feature names only what it uses; [`Store`] is all of them, for the edge that holds
//! one `Arc<dyn Store>`.

#[doc(hidden)]
pub mod conformance;
pub mod db;
pub mod dump;
mod error;
pub mod history;
mod mail;
mod model;
pub mod observe;
pub mod rules;
pub mod verify;

pub use error::StoreError;
pub use mail::*;
pub use model::*;

use async_trait::async_trait;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Every store trait, for callers that hold one store for everything.
pub trait Store:
    Accounts
    + Collections
    + Objects
    + Properties
    + ChangeLog
    + History
    + Locks
    + Sharing
    + MailOutbox
    + Status
    + dump::Dump
{
}

impl<T> Store for T where
    T: Accounts
        + Collections
        + Objects
        + Properties
        + ChangeLog
        + History
        + Locks
        + Sharing
        + MailOutbox
        + Status
        + dump::Dump
{
}

/// The traits' methods, for `use store::prelude::*`.
pub mod prelude {
    pub use crate::dump::Dump;
    pub use crate::{
        Accounts, ChangeLog, Collections, History, Locks, MailOutbox, Objects, Properties, Sharing,
        Status, Store,
    };
}

/// Principals: creation, sign-in lookups, passwords, removal, usage.
#[async_trait]
pub trait Accounts: Send + Sync + 'static {
    /// Creates the principal, its home collection and one calendar named `calendar`.
    async fn create_user(&self, user: NewUser) -> Result<User>;
    /// The user `name` when they may sign in (not disabled, [`rules::accounts`]): what
    /// every sign-in and session check asks.
    async fn user_by_name(&self, name: &str) -> Result<Option<User>>;
    /// A mark that changes whenever anything is committed, by any process or node, read
    /// without a query; None when the backend cannot tell so cheaply. Whoever sees the same
    /// mark now as before a read may trust what that read gave (a cached sign-in).
    fn commit_mark(&self) -> Option<u64> {
        None
    }
    /// The user `name`, enabled or disabled: for administration, and for the owner of a
    /// path others reach (a disabled owner's shares stay).
    async fn account_by_name(&self, name: &str) -> Result<Option<User>>;
    /// A user by id, enabled or not (the owner of a collection).
    async fn user_by_id(&self, id: PrincipalId) -> Result<Option<User>>;
    async fn list_users(&self) -> Result<Vec<User>>;
    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()>;
    /// Removes the principal with all its collections, objects and history.
    async fn remove_user(&self, name: &str) -> Result<()>;
    /// Bytes of live objects the user holds (RFC 4331 quota-used-bytes).
    async fn usage_bytes(&self, owner: PrincipalId) -> Result<u64>;
    /// Adds an app password; AlreadyExists when the user has one with that label.
    async fn create_token(&self, token: NewToken) -> Result<AppToken>;
    /// A user's app passwords, by label (never their secrets).
    async fn tokens(&self, owner: PrincipalId) -> Result<Vec<AppToken>>;
    /// Revokes an app password at once; NotFound when there is none with that label.
    async fn revoke_token(&self, owner: PrincipalId, label: &str) -> Result<()>;
    /// The enabled user `name` with their app password whose keyed hash is `hash`: read from
    /// the database on every request, so a revocation holds on every node at once.
    async fn user_by_token(&self, name: &str, hash: &str) -> Result<Option<(User, AppToken)>>;
    /// Records when an app password was last used.
    async fn token_used(&self, id: i64, at: i64) -> Result<()>;
    /// Makes a user an administrator, or not.
    async fn set_admin(&self, name: &str, admin: bool) -> Result<()>;
    /// Disables an account (it can no longer sign in; its data stays) or enables it
    /// again; NotFound when there is no such user.
    async fn set_disabled(&self, name: &str, disabled: bool) -> Result<()>;
    /// Sets a user's quota in bytes (None: the server's default); the next write is held
    /// to it. NotFound when there is no such user.
    async fn set_quota(&self, name: &str, quota_bytes: Option<u64>) -> Result<()>;
    /// Sets how others see a user: their display name and e-mail address.
    async fn set_details(
        &self,
        name: &str,
        display_name: Option<&str>,
        email: Option<&str>,
    ) -> Result<()>;
}

/// Who else may do what with a collection: grants to users and groups, the groups, and the
/// bindings that show shared calendars in sharees' homes (docs/sharing.md).
#[async_trait]
pub trait Sharing: Send + Sync + 'static {
    /// The greatest privilege `user` has on `collection` through grants (theirs and their
    /// groups', on the collection or on its owner's home); None without one. Ownership is
    /// not a grant: the caller knows who owns what.
    async fn privilege(
        &self,
        user: PrincipalId,
        collection: CollectionId,
    ) -> Result<Option<Privilege>>;
    /// The grants on a collection.
    async fn grants(&self, collection: CollectionId) -> Result<Vec<Grant>>;
    /// Every grant on the live collections of `owner` (what they share, and with whom).
    async fn grants_by_owner(&self, owner: PrincipalId) -> Result<Vec<Grant>>;
    /// Every live collection of another user that `user` has a grant on.
    async fn reachable(&self, user: PrincipalId) -> Result<Vec<Reachable>>;
    /// Gives (or changes) a grant. With `bind`, every user it lets read a calendar finds it
    /// in their own home (auto-accepted shares).
    async fn grant(
        &self,
        collection: CollectionId,
        grantee: Grantee,
        privilege: Privilege,
        bind: bool,
        change: &Change,
    ) -> Result<()>;
    /// Takes a grant back, and the bindings of those who can no longer read; NotFound when
    /// there is no such grant.
    async fn revoke(
        &self,
        collection: CollectionId,
        grantee: Grantee,
        change: &Change,
    ) -> Result<()>;
    /// Shows a calendar shared with `user` in their home (an accepted invitation) and
    /// returns the binding; NotFound when they may not read it.
    async fn accept(
        &self,
        collection: CollectionId,
        user: PrincipalId,
        change: &Change,
    ) -> Result<Collection>;
    async fn groups(&self) -> Result<Vec<Group>>;
    async fn group_by_name(&self, name: &str) -> Result<Option<Group>>;
    async fn create_group(&self, name: &str, display_name: Option<&str>) -> Result<Group>;
    /// Removes a group with its grants (and the bindings they gave).
    async fn remove_group(&self, name: &str, change: &Change) -> Result<()>;
    async fn group_members(&self, group: GroupId) -> Result<Vec<User>>;
    async fn groups_of(&self, user: PrincipalId) -> Result<Vec<Group>>;
    /// Adds a member; with `bind`, the group's shared calendars appear in their home.
    async fn add_member(
        &self,
        group: GroupId,
        user: PrincipalId,
        bind: bool,
        change: &Change,
    ) -> Result<()>;
    async fn remove_member(&self, group: GroupId, user: PrincipalId, change: &Change)
        -> Result<()>;
}

/// Collections as paths below their owner's home.
#[async_trait]
pub trait Collections: Send + Sync + 'static {
    /// A live collection by its path under the owner's home ("" is the home itself).
    async fn collection(&self, owner: PrincipalId, path: &str) -> Result<Option<Collection>>;
    /// A live collection by path together with its member object `name`, read in one
    /// statement: what a request on an object's path needs, in one snapshot and half the
    /// round trips of [`Collections::collection`] then [`Objects::object`] (a GET spent a
    /// third of its database time on the second read transaction). `None` when the
    /// collection does not exist; `Some((collection, None))` when it has no such member.
    async fn collection_member(
        &self,
        owner: PrincipalId,
        path: &str,
        name: &str,
    ) -> Result<Option<(Collection, Option<StoredObject>)>>;
    /// A live collection by id: the calendar a binding shows.
    async fn collection_by_id(&self, id: CollectionId) -> Result<Option<Collection>>;
    /// The live collections directly below `parent`.
    async fn child_collections(&self, owner: PrincipalId, parent: &str) -> Result<Vec<Collection>>;
    async fn create_collection(&self, new: NewCollection, change: &Change) -> Result<Collection>;
    /// Deletes the collection and everything below it (history keeps it).
    async fn delete_collection(
        &self,
        owner: PrincipalId,
        path: &str,
        change: &Change,
    ) -> Result<()>;
    /// Copies or moves a collection tree; `shallow` copies only the collection and its
    /// properties (COPY with Depth: 0). Returns true when an existing destination was replaced.
    async fn transfer_collection(
        &self,
        transfer: CollectionTransfer,
        change: &Change,
    ) -> Result<bool>;
}

/// Calendar objects: exact bytes, their index, listings and conditional writes.
#[async_trait]
pub trait Objects: Send + Sync + 'static {
    /// Metadata of every object in the collection, by name, without the data.
    async fn objects(&self, collection: CollectionId) -> Result<Vec<ObjectMeta>>;
    /// Up to `limit` objects' metadata after the name `after` (None: from the start), by
    /// name: large listings walk a collection in pages instead of holding it all.
    /// `index` is left empty: what a listing answers for each member (PROPFIND, sync) never
    /// depends on it, and reading it took a fifth of a 10,000-object PROPFIND's server time.
    async fn objects_page(
        &self,
        collection: CollectionId,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<ObjectMeta>>;
    /// How many objects the collection holds (sizes a listing's answer before it is written).
    async fn object_count(&self, collection: CollectionId) -> Result<u64>;
    async fn object(&self, collection: CollectionId, name: &str) -> Result<Option<StoredObject>>;
    /// Metadata of the objects whose stored UTC bounds may overlap `[start, end]` (None = open
    /// on that side), optionally of one component type: the SQL pre-filter of calendar-query.
    /// Conservative: objects with unknown bounds are always included.
    async fn objects_in_range(
        &self,
        collection: CollectionId,
        component: Option<&str>,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Vec<ObjectMeta>>;
    /// The VEVENT objects of a collection that may have an instance in a range, split by
    /// the instance index into certain matches and ones still to decide.
    async fn events_in_range(&self, query: EventRange) -> Result<EventCandidates>;
    /// The named objects that exist, in one round trip (calendar-multiget).
    async fn objects_by_name(
        &self,
        collection: CollectionId,
        names: &[String],
    ) -> Result<Vec<StoredObject>>;
    /// The objects holding `uid` in any live collection of `owner` (a user's copy of a
    /// meeting, and the scheduling messages about it), by collection and name.
    async fn objects_by_uid(&self, owner: PrincipalId, uid: &str) -> Result<Vec<StoredObject>>;
    async fn put_object(&self, put: PutObject, change: &Change) -> Result<PutOutcome>;
    async fn delete_object(
        &self,
        collection: CollectionId,
        name: &str,
        expect: Expect,
        change: &Change,
    ) -> Result<()>;
    /// Copies or moves one object; returns true when an existing destination was replaced.
    async fn transfer_object(&self, transfer: ObjectTransfer, change: &Change) -> Result<bool>;
}

/// Stored (dead, or writable live) properties of collections and objects.
#[async_trait]
pub trait Properties: Send + Sync + 'static {
    /// Stored properties of a collection (`object` None) or of one of its objects.
    async fn properties(
        &self,
        collection: CollectionId,
        object: Option<&str>,
    ) -> Result<Vec<Property>>;
    /// Stored properties of every object of a collection, for one batched Depth: 1 answer.
    async fn member_properties(&self, collection: CollectionId) -> Result<Vec<(String, Property)>>;
    /// Applies every set and removal, or none (RFC 4918 §9.2 atomicity).
    async fn patch_properties(&self, patch: PropertyPatch, change: &Change) -> Result<()>;
}

/// The change log as sync reads it (RFC 6578).
#[async_trait]
pub trait ChangeLog: Send + Sync + 'static {
    /// Objects changed after sequence `after` up to and including `upto`, each name once
    /// with whether it was last deleted (RFC 6578: answered in time proportional to the
    /// changes, not to the collection).
    async fn changes_since(
        &self,
        collection: CollectionId,
        after: i64,
        upto: i64,
    ) -> Result<Vec<ChangedMember>>;
    /// History rows of a collection in sequence order (newest last).
    async fn versions(&self, collection: CollectionId) -> Result<Vec<Version>>;
    /// The latest history row of object `name` with ETag `etag`: the state a client's
    /// If-Match names, while the history holds it (the base of a merge).
    async fn version_with_etag(
        &self,
        collection: CollectionId,
        name: &str,
        etag: &str,
    ) -> Result<Option<Version>>;
}

/// The history: deleted collections, single versions, restores and retention.
#[async_trait]
pub trait History: Send + Sync + 'static {
    /// Every collection of `owner` (of everyone when None) with its history, deleted ones
    /// included.
    async fn history_collections(
        &self,
        owner: Option<PrincipalId>,
    ) -> Result<Vec<HistoryCollection>>;
    /// One history row.
    async fn version(&self, id: i64) -> Result<Option<Version>>;
    /// Brings a deleted collection back at its old path with everything it held, as a new,
    /// recorded change. AlreadyExists when a live collection holds the path now.
    async fn restore_collection(&self, id: CollectionId, change: &Change) -> Result<Collection>;
    /// Drops the data of versions older than `before` (ms) that a later version of the same
    /// item superseded; each affected collection records a `prune` entry. The chain stays
    /// verifiable (it covers a hash of the data) and sync answers are unchanged (the latest
    /// row of every item stays). Returns how many versions lost their data.
    async fn prune_history(&self, before: i64, change: &Change) -> Result<u64>;
    /// Size of the history, per collection.
    async fn history_stats(&self) -> Result<Vec<HistoryStats>>;
}

/// WebDAV locks (RFC 4918 §6-§9.11) on the URLs of a home. Each write checks them in its
/// own transaction against the tokens its [`Change::locks`] holds ([`rules::locks`]), so a
/// lock taken on one node holds on all of them.
#[async_trait]
pub trait Locks: Send + Sync + 'static {
    /// The live locks of a home's URLs, by root path.
    async fn locks(&self, home: PrincipalId) -> Result<Vec<DavLock>>;
    /// Takes a lock; LockConflict names the roots of the live locks it may not coexist
    /// with. With `empty_resource` the empty resource is created too (RFC 4918 §7.3).
    async fn create_lock(&self, new: NewLock, change: &Change) -> Result<DavLock>;
    /// Renews the locks covering `path` whose tokens `claim` holds, for `timeout_secs`;
    /// PreconditionFailed when it holds none.
    async fn refresh_locks(
        &self,
        home: PrincipalId,
        path: &str,
        claim: &LockClaim,
        timeout_secs: u64,
    ) -> Result<Vec<DavLock>>;
    /// Releases lock `token`: NoSuchLock unless a live lock with it covers `path`,
    /// NotLockOwner when another principal took it.
    async fn remove_lock(
        &self,
        home: PrincipalId,
        path: &str,
        token: &str,
        principal: PrincipalId,
    ) -> Result<()>;
}

/// Whether the store can serve, and how much it holds: readiness checks and metrics.
#[async_trait]
pub trait Status: Send + Sync + 'static {
    /// Reaches the database and reads its schema version and totals.
    async fn status(&self) -> Result<StoreStatus>;
}
