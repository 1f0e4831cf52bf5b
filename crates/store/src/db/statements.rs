//! Every query a backend runs, in its own dialect. Each method is one statement or a few
//! that belong together; none decides anything (that is [`crate::rules`]), and none writes
//! history or advances a sequence by itself (that is [`super::write`]).
//!
//! Inside a write transaction, the reads see the transaction's own writes and what it locked;
//! outside, each read sees one consistent state of the database.

use std::future::Future;

use bytes::Bytes;

use crate::dump::{
    CollectionRecord, ObjectRecord, PrincipalRecord, PropertyRecord, SharingRecords, TokenRecord,
};
use crate::rules::chain::{ChainState, NewVersion};
use crate::rules::object::ObjectState;
use crate::rules::range::EventQuery;
use crate::{
    AppToken, Collection, CollectionId, DavLock, Grant, Grantee, Group, GroupId, HistoryCollection,
    HistoryStats, InstanceIndex, NewCollection, NewToken, NewUser, ObjectIndex, ObjectMeta,
    PrincipalId, Property, Reachable, Result, StoredObject, User, Version,
};

/// A collection's owner, whether it is deleted, and its change log's head: what a write to
/// it reads before it decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollectionHead {
    pub owner: PrincipalId,
    pub deleted: bool,
    pub chain: ChainState,
    /// The owner's home has lock rows (live or expired): only then does a write read them,
    /// so a PUT where nothing is locked costs no lock lookup (a flag of the collection row,
    /// kept by [`DavLockStatements`]).
    pub locked: bool,
}

/// An object as a write stores it: its row, its bytes and its instance rows.
#[derive(Clone, Copy, Debug)]
pub struct ObjectWrite<'a> {
    pub collection: CollectionId,
    pub name: &'a str,
    pub etag: &'a str,
    pub content_type: &'a str,
    pub index: &'a ObjectIndex,
    /// None: not indexed (exact evaluation answers range queries).
    pub instances: Option<&'a InstanceIndex>,
    pub data: &'a [u8],
    /// The sequence number of the write (`modified_seq`).
    pub seq: i64,
    /// Creation time when the object is new, modification time in every case.
    pub at: i64,
}

/// An object a collection copy created, for its history row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopiedObject {
    pub name: String,
    pub uid: Option<String>,
    pub etag: String,
    pub data: Bytes,
}

/// `instances_until` of an object without instance rows: what a backend stores for an
/// object whose [`ObjectWrite::instances`] is None.
pub const NOT_INDEXED: i64 = i64::MIN;

/// Open bounds are stored as the extreme values rather than NULL, so that the range
/// pre-filter is two plain comparisons an index can answer.
pub const UNBOUNDED_START: i64 = i64::MIN;
pub const UNBOUNDED_END: i64 = i64::MAX;

/// Every query of a backend: the traits below, one per table or concern. Every method
/// takes `&self` so that independent statements of one job can be awaited together (a
/// pipeline on PostgreSQL).
pub trait Statements:
    OwnerLockStatements
    + PrincipalStatements
    + TokenStatements
    + AccessStatements
    + GroupStatements
    + CollectionStatements
    + ObjectStatements
    + ObjectDialectStatements
    + PropertyStatements
    + LogStatements
    + DavLockStatements
    + MailStatements
    + DumpStatements
    + StatusStatements
    + SchemaStatements
{
}

impl<T> Statements for T where
    T: OwnerLockStatements
        + PrincipalStatements
        + TokenStatements
        + AccessStatements
        + GroupStatements
        + CollectionStatements
        + ObjectStatements
        + ObjectDialectStatements
        + PropertyStatements
        + LogStatements
        + DavLockStatements
        + MailStatements
        + DumpStatements
        + StatusStatements
        + SchemaStatements
{
}

/// Writes of one user must not interleave. A backend whose writes run one at a time
/// (SQLite) has nothing to do here; one with concurrent transactions locks rows, always in
/// principal id order so that two writes cannot deadlock.
pub trait OwnerLockStatements: Send + Sync + 'static {
    /// Locks these principals until the transaction ends.
    fn lock_principals(&self, ids: &[PrincipalId]) -> impl Future<Output = Result<()>> + Send;
    /// Locks the owners of these collections (deleted ones included).
    fn lock_owners_of(
        &self,
        collections: &[CollectionId],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Locks every principal, for writes across every user's history.
    fn lock_all_principals(&self) -> impl Future<Output = Result<()>> + Send;
}

/// The `principal` table.
pub trait PrincipalStatements: Send + Sync + 'static {
    /// A user by name, enabled or not (who may sign in is [`crate::rules::accounts`]'s).
    fn account_by_name(&self, name: &str) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Every user, by name.
    fn list_users(&self) -> impl Future<Output = Result<Vec<User>>> + Send;
    /// A principal by id, enabled or not.
    fn user_by_id(&self, id: PrincipalId) -> impl Future<Output = Result<Option<User>>> + Send;
    /// The id of a principal by name, enabled or not.
    fn principal_id(&self, name: &str) -> impl Future<Output = Result<Option<PrincipalId>>> + Send;
    fn insert_principal(
        &self,
        new: &NewUser,
        at: i64,
    ) -> impl Future<Output = Result<PrincipalId>> + Send;
    /// Sets a principal's password hash; returns how many principals have that name.
    fn set_password(&self, name: &str, hash: &str) -> impl Future<Output = Result<u64>> + Send;
    /// Sets a principal's display name and e-mail; returns how many have that name.
    fn set_details(
        &self,
        name: &str,
        display_name: Option<&str>,
        email: Option<&str>,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Sets a principal's administrator mark; returns how many principals have that name.
    fn set_admin(&self, name: &str, admin: bool) -> impl Future<Output = Result<u64>> + Send;
    /// Sets a principal's disabled mark; returns how many principals have that name.
    fn set_disabled(&self, name: &str, disabled: bool) -> impl Future<Output = Result<u64>> + Send;
    /// Sets a principal's quota (None: the server's default); returns how many principals
    /// have that name.
    fn set_quota(
        &self,
        name: &str,
        quota_bytes: Option<u64>,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Removes a principal with its collections, objects and history.
    fn delete_principal(&self, id: PrincipalId) -> impl Future<Output = Result<()>> + Send;
    /// Bytes of the live objects of a principal's live collections.
    fn usage_bytes(&self, owner: PrincipalId) -> impl Future<Output = Result<u64>> + Send;
}

/// The `app_token` table: app passwords, found by their keyed hash.
pub trait TokenStatements: Send + Sync + 'static {
    /// Inserts a token; AlreadyExists when its owner has one with that label.
    fn insert_token(
        &self,
        token: &NewToken,
        at: i64,
    ) -> impl Future<Output = Result<AppToken>> + Send;
    /// A user's tokens, by label.
    fn tokens(&self, owner: PrincipalId) -> impl Future<Output = Result<Vec<AppToken>>> + Send;
    /// Removes a user's token by label; returns how many were removed.
    fn delete_token(
        &self,
        owner: PrincipalId,
        label: &str,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// The user `name`, enabled or not, with their token of this hash.
    fn user_by_token(
        &self,
        name: &str,
        hash: &str,
    ) -> impl Future<Output = Result<Option<(User, AppToken)>>> + Send;
    fn set_token_used(&self, id: i64, at: i64) -> impl Future<Output = Result<()>> + Send;
}

/// The `access_grant` table: who else may do what with a collection.
pub trait AccessStatements: Send + Sync + 'static {
    /// The rank of the greatest privilege `user` has on `collection`, by their own grants
    /// and their groups', on the collection or on its owner's home; one indexed lookup.
    fn privilege(
        &self,
        user: PrincipalId,
        collection: CollectionId,
    ) -> impl Future<Output = Result<Option<i64>>> + Send;
    /// The grants on a collection, with their grantees' names.
    fn grants(&self, collection: CollectionId) -> impl Future<Output = Result<Vec<Grant>>> + Send;
    /// Every grant on the live collections of `owner`, by collection.
    fn grants_by_owner(
        &self,
        owner: PrincipalId,
    ) -> impl Future<Output = Result<Vec<Grant>>> + Send;
    /// Every live collection of another user that `user` has a grant on, by owner and path.
    fn reachable(&self, user: PrincipalId) -> impl Future<Output = Result<Vec<Reachable>>> + Send;
    /// Creates or changes a grant.
    fn set_grant(
        &self,
        collection: CollectionId,
        grantee: Grantee,
        rank: i64,
        created_by: &str,
        at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Removes a grant; returns how many were removed.
    fn delete_grant(
        &self,
        collection: CollectionId,
        grantee: Grantee,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// The collections a group has grants on.
    fn group_grants(
        &self,
        group: GroupId,
    ) -> impl Future<Output = Result<Vec<CollectionId>>> + Send;
    /// The live bindings of `target` in users' homes ([`crate::CollectionKind::Shared`]).
    fn bindings_of(
        &self,
        target: CollectionId,
    ) -> impl Future<Output = Result<Vec<Collection>>> + Send;
}

/// The `principal_group` and `group_member` tables.
pub trait GroupStatements: Send + Sync + 'static {
    fn groups(&self) -> impl Future<Output = Result<Vec<Group>>> + Send;
    fn group_by_name(&self, name: &str) -> impl Future<Output = Result<Option<Group>>> + Send;
    /// Inserts a group; AlreadyExists when the name is taken.
    fn insert_group(
        &self,
        name: &str,
        display_name: Option<&str>,
        at: i64,
    ) -> impl Future<Output = Result<Group>> + Send;
    fn delete_group(&self, id: GroupId) -> impl Future<Output = Result<u64>> + Send;
    /// A group's members, by name.
    fn members(&self, group: GroupId) -> impl Future<Output = Result<Vec<User>>> + Send;
    /// The groups a user is in, by name.
    fn groups_of(&self, user: PrincipalId) -> impl Future<Output = Result<Vec<Group>>> + Send;
    /// Adds a member; returns whether they were not one already.
    fn insert_member(
        &self,
        group: GroupId,
        user: PrincipalId,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn delete_member(
        &self,
        group: GroupId,
        user: PrincipalId,
    ) -> impl Future<Output = Result<u64>> + Send;
}

/// The `collection` table and what a collection copy moves along.
pub trait CollectionStatements: Send + Sync + 'static {
    /// A live collection by path.
    fn collection(
        &self,
        owner: PrincipalId,
        path: &str,
    ) -> impl Future<Output = Result<Option<Collection>>> + Send;
    /// A live collection by path with its member `name`, in one statement (see
    /// [`crate::Collections::collection_member`]).
    fn collection_member(
        &self,
        owner: PrincipalId,
        path: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<(Collection, Option<StoredObject>)>>> + Send;
    /// The live collection at `root` and every live one below it, by path ("" = all).
    fn collection_tree(
        &self,
        owner: PrincipalId,
        root: &str,
    ) -> impl Future<Output = Result<Vec<Collection>>> + Send;
    /// A collection by id, deleted or not.
    fn collection_record(
        &self,
        id: CollectionId,
    ) -> impl Future<Output = Result<Option<CollectionRecord>>> + Send;
    /// Live and deleted collections of `owner` (every owner's when None), by owner, path, id.
    fn history_collections(
        &self,
        owner: Option<PrincipalId>,
    ) -> impl Future<Output = Result<Vec<HistoryCollection>>> + Send;
    /// A collection's owner, deletion mark and change-log head.
    fn collection_head(
        &self,
        id: CollectionId,
    ) -> impl Future<Output = Result<Option<CollectionHead>>> + Send;
    /// Inserts a collection row (sequence 0, no properties); returns its id.
    fn insert_collection(
        &self,
        new: &NewCollection,
        at: i64,
    ) -> impl Future<Output = Result<CollectionId>> + Send;
    /// Marks a collection deleted at `deleted_at`, or live again (None).
    fn set_deleted(
        &self,
        id: CollectionId,
        deleted_at: Option<i64>,
        at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    fn set_path(
        &self,
        id: CollectionId,
        path: &str,
        at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Records a collection's new sequence number (its sync token and ctag).
    fn set_sync_seq(
        &self,
        id: CollectionId,
        seq: i64,
        at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Bytes of a collection's objects.
    fn collection_bytes(&self, id: CollectionId) -> impl Future<Output = Result<u64>> + Send;
    /// Copies every object of `from` into the empty collection `to`, in name order, with its
    /// bytes, instance rows and properties, at sequence `seq`; returns the copies by name.
    fn copy_members(
        &self,
        from: CollectionId,
        to: CollectionId,
        seq: i64,
        at: i64,
    ) -> impl Future<Output = Result<Vec<CopiedObject>>> + Send;
}

/// Calendar objects, their bytes and their instance index.
pub trait ObjectStatements: Send + Sync + 'static {
    /// Metadata of every object, index included, by name.
    fn objects(
        &self,
        collection: CollectionId,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>>> + Send;
    fn object_count(&self, collection: CollectionId) -> impl Future<Output = Result<u64>> + Send;
    fn object(
        &self,
        collection: CollectionId,
        name: &str,
    ) -> impl Future<Output = Result<Option<StoredObject>>> + Send;
    /// Objects whose stored bounds overlap `[start, end]`, by name (see
    /// [`crate::Objects::objects_in_range`]).
    fn objects_in_range(
        &self,
        collection: CollectionId,
        component: Option<&str>,
        start: Option<i64>,
        end: Option<i64>,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>>> + Send;
    /// VEVENT objects with an instance row in the query's windows, with their data when
    /// asked for.
    fn indexed_events(
        &self,
        query: &EventQuery,
    ) -> impl Future<Output = Result<Vec<(ObjectMeta, Option<Bytes>)>>> + Send;
    /// VEVENT objects whose bounds touch the range but whose instance rows stop before its
    /// end (or do not exist): for exact evaluation.
    fn unindexed_events(
        &self,
        query: &EventQuery,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>>> + Send;
    fn object_state(
        &self,
        collection: CollectionId,
        name: &str,
    ) -> impl Future<Output = Result<Option<ObjectState>>> + Send;
    /// The name of an object other than `except` that has `uid`.
    fn uid_holder(
        &self,
        collection: CollectionId,
        uid: &str,
        except: &str,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    /// The objects holding `uid` in the live collections of `owner`, by collection and name:
    /// a user's copy of a meeting, wherever they keep it (RFC 6638 §3.2.4.1).
    fn objects_by_uid(
        &self,
        owner: PrincipalId,
        uid: &str,
    ) -> impl Future<Output = Result<Vec<StoredObject>>> + Send;
    /// An object's stored instance index (None: not indexed, or no such object).
    fn instances(
        &self,
        collection: CollectionId,
        name: &str,
    ) -> impl Future<Output = Result<Option<InstanceIndex>>> + Send;
    /// Removes an object that exists, with its properties.
    fn delete_object(
        &self,
        collection: CollectionId,
        name: &str,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The object statements each dialect writes its own way, for speed: a listing page, a
/// multiget, an object's write. The rest of [`ObjectStatements`] is written once.
pub trait ObjectDialectStatements: Send + Sync + 'static {
    /// Up to `limit` objects after `after`, by name, without the index (see
    /// [`crate::Objects::objects_page`]).
    fn objects_page(
        &self,
        collection: CollectionId,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>>> + Send;
    /// The named objects that exist, each once, from one consistent state.
    fn objects_by_name(
        &self,
        collection: CollectionId,
        names: &[String],
    ) -> impl Future<Output = Result<Vec<StoredObject>>> + Send;
    /// Creates or replaces an object with its bytes and instance rows.
    fn write_object(&self, object: &ObjectWrite<'_>) -> impl Future<Output = Result<()>> + Send;
}

/// Stored properties of collections and objects.
pub trait PropertyStatements: Send + Sync + 'static {
    /// Stored properties of a collection (`object` "") or object, by namespace and name.
    fn properties(
        &self,
        collection: CollectionId,
        object: &str,
    ) -> impl Future<Output = Result<Vec<Property>>> + Send;
    /// Stored properties of every object of a collection, by object name.
    fn member_properties(
        &self,
        collection: CollectionId,
    ) -> impl Future<Output = Result<Vec<(String, Property)>>> + Send;
    fn set_property(
        &self,
        collection: CollectionId,
        object: &str,
        property: &Property,
    ) -> impl Future<Output = Result<()>> + Send;
    fn remove_property(
        &self,
        collection: CollectionId,
        object: &str,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The change log: history rows and what sync reads of them.
pub trait LogStatements: Send + Sync + 'static {
    /// `(name, deleted)` of every object put or deleted in `(after, upto]`, oldest first.
    fn changes_since(
        &self,
        collection: CollectionId,
        after: i64,
        upto: i64,
    ) -> impl Future<Output = Result<Vec<(String, bool)>>> + Send;
    /// A collection's history rows by id.
    fn versions(
        &self,
        collection: CollectionId,
    ) -> impl Future<Output = Result<Vec<Version>>> + Send;
    fn version(&self, id: i64) -> impl Future<Output = Result<Option<Version>>> + Send;
    /// The latest version of object `name` whose ETag is `etag` (the base of a merge).
    fn version_with_etag(
        &self,
        collection: CollectionId,
        name: &str,
        etag: &str,
    ) -> impl Future<Output = Result<Option<Version>>> + Send;
    fn insert_version(&self, row: &NewVersion<'_>) -> impl Future<Output = Result<()>> + Send;
    /// Drops the data of versions older than `before` that a later version of the same
    /// item, itself older than `before`, replaced; returns the collection of each.
    fn prune_versions(&self, before: i64)
        -> impl Future<Output = Result<Vec<CollectionId>>> + Send;
    fn history_stats(&self) -> impl Future<Output = Result<Vec<HistoryStats>>> + Send;
}

/// The `dav_lock` table: WebDAV locks (RFC 4918 §6), by the home whose URLs they lock.
/// Which of them are live and what they allow is [`crate::rules::locks`]. The statements
/// that add and remove locks keep every collection of the home marked with whether the
/// home has lock rows ([`CollectionHead::locked`]; a new collection takes the mark as it is
/// inserted).
pub trait DavLockStatements: Send + Sync + 'static {
    /// Every lock row of a home, expired ones included, by root path.
    fn home_locks(&self, home: PrincipalId) -> impl Future<Output = Result<Vec<DavLock>>> + Send;
    /// Inserts a lock and marks the home's collections as having locks.
    fn insert_lock(&self, lock: &DavLock) -> impl Future<Output = Result<()>> + Send;
    /// Sets a lock's timeout and expiry (a refresh).
    fn set_lock_expiry(
        &self,
        token: &str,
        timeout_secs: u64,
        expires_at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Removes the named locks of `home`; unmarks its collections when none is left.
    fn delete_locks(
        &self,
        home: PrincipalId,
        tokens: &[String],
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Whole rows in and out, for [`crate::dump`].
/// The `mail_outbox` table (`crate::mail`).
pub trait MailStatements: Send + Sync + 'static {
    fn insert_mail(
        &self,
        mail: &crate::NewMail,
        at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Up to `limit` queued rows due at `now` (oldest first), each with one attempt more and
    /// due again at `lease_until`; rows another transaction is claiming are skipped.
    fn claim_mail(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<crate::QueuedMail>>> + Send;
    /// Marks a queued row sent at `at`; the count of rows changed.
    fn set_mail_sent(&self, id: i64, at: i64) -> impl Future<Output = Result<u64>> + Send;
    /// Records a failed attempt of a queued row: due again at `retry_at`, or failed for good
    /// at `at` when None.
    fn set_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
        at: i64,
    ) -> impl Future<Output = Result<u64>> + Send;
    fn mail_of(
        &self,
        organizer: PrincipalId,
    ) -> impl Future<Output = Result<Vec<crate::QueuedMail>>> + Send;
}

pub trait DumpStatements: Send + Sync + 'static {
    fn dump_principals(&self) -> impl Future<Output = Result<Vec<PrincipalRecord>>> + Send;
    fn dump_tokens(&self) -> impl Future<Output = Result<Vec<TokenRecord>>> + Send;
    fn dump_sharing(&self) -> impl Future<Output = Result<SharingRecords>> + Send;
    fn load_sharing(&self, rows: &SharingRecords) -> impl Future<Output = Result<()>> + Send;
    fn dump_collections(&self) -> impl Future<Output = Result<Vec<CollectionRecord>>> + Send;
    fn dump_objects(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ObjectRecord>>> + Send;
    fn dump_properties(
        &self,
        collection: CollectionId,
    ) -> impl Future<Output = Result<Vec<PropertyRecord>>> + Send;
    fn dump_versions(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Version>>> + Send;
    fn is_empty(&self) -> impl Future<Output = Result<bool>> + Send;
    fn load_principals(&self, rows: &[PrincipalRecord]) -> impl Future<Output = Result<()>> + Send;
    fn load_tokens(&self, rows: &[TokenRecord]) -> impl Future<Output = Result<()>> + Send;
    fn load_collections(
        &self,
        rows: &[CollectionRecord],
    ) -> impl Future<Output = Result<()>> + Send;
    fn load_objects(&self, rows: &[ObjectRecord]) -> impl Future<Output = Result<()>> + Send;
    fn load_properties(&self, rows: &[PropertyRecord]) -> impl Future<Output = Result<()>> + Send;
    fn load_versions(&self, rows: &[Version]) -> impl Future<Output = Result<()>> + Send;
    /// Moves id generators past the loaded rows.
    fn finish_load(&self) -> impl Future<Output = Result<()>> + Send;
}

/// The database's schema version, for readiness checks: each backend keeps it its own way.
pub trait SchemaStatements: Send + Sync + 'static {
    /// The schema version the database has, and the one this build migrates it to.
    fn schema_versions(&self) -> impl Future<Output = Result<(u32, u32)>> + Send;
}

/// The database's size, for readiness checks and metrics.
pub trait StatusStatements: Send + Sync + 'static {
    /// How many principals there are, and live objects in live collections.
    fn totals(&self) -> impl Future<Output = Result<(u64, u64)>> + Send;
}
