//! Records the store hands out and takes in. Times are Unix milliseconds (UTC).

use bytes::Bytes;

pub type PrincipalId = i64;
pub type CollectionId = i64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: PrincipalId,
    pub name: String,
    /// How other people see the user (DAV:displayname); the name when unset.
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub password_hash: String,
    /// Per-user quota in bytes; None falls back to the server's default.
    pub quota_bytes: Option<u64>,
    pub created_at: i64,
    /// May manage other users and see the server's state.
    pub admin: bool,
    /// Cannot sign in (password, app passwords, web sessions) until enabled again; the
    /// account's data, history and shares stay as they are ([`crate::rules::accounts`]).
    pub disabled: bool,
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub name: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub password_hash: String,
    pub quota_bytes: Option<u64>,
    /// Display name of the first calendar; None creates no calendar.
    pub first_calendar: Option<String>,
    pub admin: bool,
}

/// What an app password lets a device do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenScope {
    /// Everything the user may do.
    All,
    /// Reading only: every method that changes something is refused.
    ReadOnly,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::All => "all",
            TokenScope::ReadOnly => "read-only",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(TokenScope::All),
            "read-only" => Some(TokenScope::ReadOnly),
            _ => None,
        }
    }
}

/// An app password (a per-device credential), never with its secret: the store keeps only
/// a keyed hash of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppToken {
    pub id: i64,
    pub owner: PrincipalId,
    /// Names the device within its user, e.g. "Ann's phone".
    pub label: String,
    pub scope: TokenScope,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct NewToken {
    pub owner: PrincipalId,
    pub label: String,
    /// The keyed hash of the secret, as the server computes it (hex).
    pub hash: String,
    pub scope: TokenScope,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollectionKind {
    /// A plain WebDAV collection: any content, sub-collections allowed.
    Plain,
    /// A CalDAV calendar collection: iCalendar objects only, no sub-collections.
    Calendar,
    /// Another user's calendar shared with the owner of this home ([`Collection::target`]):
    /// the content is the target's; the properties kept here are this user's own
    /// (display name, colour, order).
    Shared,
    /// A user's scheduling inbox (RFC 6638 §2.2): the iTIP messages delivered to them.
    /// Made with the home; it holds no collections and cannot be deleted or moved.
    ScheduleInbox,
    /// A user's scheduling outbox (RFC 6638 §2.1): where free-busy requests are POSTed.
    /// It holds nothing; made with the home like the inbox.
    ScheduleOutbox,
}

impl CollectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CollectionKind::Plain => "plain",
            CollectionKind::Calendar => "calendar",
            CollectionKind::Shared => "shared",
            CollectionKind::ScheduleInbox => "schedule-inbox",
            CollectionKind::ScheduleOutbox => "schedule-outbox",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "plain" => Some(CollectionKind::Plain),
            "calendar" => Some(CollectionKind::Calendar),
            "shared" => Some(CollectionKind::Shared),
            "schedule-inbox" => Some(CollectionKind::ScheduleInbox),
            "schedule-outbox" => Some(CollectionKind::ScheduleOutbox),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collection {
    pub id: CollectionId,
    pub owner: PrincipalId,
    /// Slash-separated segments below the owner's home, without slashes at either end.
    pub path: String,
    pub kind: CollectionKind,
    /// Supported component names of a calendar (VEVENT, VTODO, ...).
    pub components: Vec<String>,
    /// The latest change-log sequence number: the sync token and the ctag.
    pub sync_seq: i64,
    pub created_at: i64,
    pub modified_at: i64,
    /// The shared calendar a [`CollectionKind::Shared`] binding stands for.
    pub target: Option<CollectionId>,
}

impl Collection {
    pub fn is_home(&self) -> bool {
        self.path.is_empty()
    }

    /// A scheduling inbox or outbox (RFC 6638 §2): fixed parts of an account.
    pub fn is_scheduling(&self) -> bool {
        crate::rules::scheduling::is_fixed(self.kind)
    }

    /// The path of the collection this one is in ("" for the home's children).
    pub fn parent_path(&self) -> &str {
        crate::rules::collection::parent_of(&self.path)
    }
}

/// What a user may do with a collection someone else owns, from least to most. A grant on
/// a home applies to the home and every collection in it (delegation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Privilege {
    /// CALDAV:read-free-busy: free-busy queries only (busy periods, nothing else).
    FreeBusy,
    /// DAV:read (and free-busy).
    Read,
    /// DAV:read and DAV:write: write-content, write-properties, bind, unbind.
    ReadWrite,
    /// Read-write, and may share further.
    Admin,
    /// The owner: everything, the ACL and deleting the collection included.
    Owner,
}

impl Privilege {
    /// The grants a user can give ([`Privilege::Owner`] is no grant).
    pub const GRANTABLE: [Privilege; 4] = [
        Privilege::FreeBusy,
        Privilege::Read,
        Privilege::ReadWrite,
        Privilege::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Privilege::FreeBusy => "read-free-busy",
            Privilege::Read => "read",
            Privilege::ReadWrite => "read-write",
            Privilege::Admin => "admin",
            Privilege::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::GRANTABLE.into_iter().find(|p| p.as_str() == s)
    }

    /// How the stores keep it (ordered as the variants are).
    pub fn rank(self) -> i64 {
        match self {
            Privilege::FreeBusy => 1,
            Privilege::Read => 2,
            Privilege::ReadWrite => 3,
            Privilege::Admin => 4,
            Privilege::Owner => 5,
        }
    }

    pub fn from_rank(rank: i64) -> Option<Self> {
        [
            Privilege::FreeBusy,
            Privilege::Read,
            Privilege::ReadWrite,
            Privilege::Admin,
            Privilege::Owner,
        ]
        .into_iter()
        .find(|p| p.rank() == rank)
    }
}

pub type GroupId = i64;

/// Who a grant is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Grantee {
    User(PrincipalId),
    /// Every member of the group.
    Group(GroupId),
}

/// One grant on a collection, as the owner sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub collection: CollectionId,
    pub grantee: Grantee,
    /// The grantee's name (a user's or a group's).
    pub grantee_name: String,
    pub privilege: Privilege,
    pub created_by: String,
    pub created_at: i64,
}

/// A group of users, for grants to all of them at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub display_name: Option<String>,
    pub created_at: i64,
}

/// A collection of another user that a user may reach, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reachable {
    pub collection: Collection,
    pub owner_name: String,
    /// The greatest privilege of the user's grants on it (their own and their groups'; on
    /// the collection itself or on its owner's home).
    pub privilege: Privilege,
}

#[derive(Clone, Debug)]
pub struct NewCollection {
    pub owner: PrincipalId,
    pub path: String,
    pub kind: CollectionKind,
    pub components: Vec<String>,
    pub properties: Vec<Property>,
    /// For a [`CollectionKind::Shared`] binding: the calendar it stands for.
    pub target: Option<CollectionId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectMeta {
    pub collection: CollectionId,
    pub name: String,
    pub etag: String,
    pub content_type: String,
    pub size: u64,
    pub index: ObjectIndex,
    pub created_at: i64,
    pub modified_at: i64,
    pub modified_seq: i64,
}

/// What the calendar domain extracted from an object when it was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectIndex {
    pub uid: Option<String>,
    pub component: Option<String>,
    pub first_start: Option<i64>,
    pub last_end: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    pub meta: ObjectMeta,
    /// Exactly the bytes the client sent.
    pub data: Bytes,
}

/// A write's expectation about the current state (If-Match / If-None-Match), checked inside
/// the write's transaction so that concurrent writers cannot both win.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    Anything,
    /// `If-None-Match: *`: create only.
    Absent,
    /// `If-Match: *`: update only.
    Present,
    /// `If-Match: "etag"`.
    Etag(String),
}

#[derive(Clone, Debug)]
pub struct PutObject {
    pub collection: CollectionId,
    pub name: String,
    pub data: Bytes,
    pub content_type: String,
    pub index: ObjectIndex,
    /// The event's instances, when the calendar domain could index them.
    pub instances: Option<InstanceIndex>,
    pub expect: Expect,
    /// Refuse the write if the owner's usage would exceed this many bytes.
    pub quota: Option<u64>,
    /// The write is the three-way merge of a concurrent edit: its history row names both
    /// parents.
    pub merge: Option<Merge>,
    /// E-mail the write sends (iMIP): queued in the same transaction (`crate::mail`).
    pub mail: Vec<crate::NewMail>,
}

/// A version that merged two edits made from one base (calvault's opt-in merge of
/// concurrent edits, docs/locks-and-merging.md): the ETags of the version both started
/// from and of the one the PUT found current ("theirs"), and the body the client sent
/// ("ours"). The data of the version is the merged result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merge {
    pub base: String,
    pub theirs: String,
    pub ours: Vec<u8>,
}

/// Every instance of an event as a UTC span, so that a VEVENT time-range query is answered
/// without parsing: an instance matches `[start, end)` exactly when `span.0 < end &&
/// span.1 > start` (the calendar domain shapes the spans so; see `ical::event_index`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceIndex {
    /// Seconds; no span is longer than [`InstanceIndex::MAX_SPAN`].
    pub spans: Vec<(i64, i64)>,
    /// Every instance starting before this instant is in `spans`.
    pub complete_until: i64,
    /// Spans and `complete_until` are wall-clock seconds of floating times, to be read in
    /// the zone the query applies (they move with it).
    pub floating: bool,
}

impl InstanceIndex {
    /// Instances longer than this are not indexed: a range query looks this far back.
    /// A week and a day: longer timed events are rare (multi-day ones are mostly all-day,
    /// which are not indexed anyway), and each day more costs every query a day's scan.
    pub const MAX_SPAN: i64 = 8 * 86_400;
}

/// Question of [`crate::Store::events_in_range`]: which events have an instance in
/// `[start, end)` (UTC seconds)?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRange {
    pub collection: CollectionId,
    pub start: i64,
    pub end: i64,
    /// The offset (seconds east of UTC) of the zone floating times are read in, when it is
    /// constant around the range; `None` leaves floating objects to exact evaluation.
    pub floating_offset: Option<i64>,
    /// Read the matched objects' data too (in the same pass).
    pub with_data: bool,
    /// Which part of the answer to give: a large answer is read in slices on several
    /// connections at once.
    pub slice: Slice,
}

/// Part `part` (from 0) of `of` disjoint parts of a query's answer; together the parts give
/// the whole answer, each object in exactly one part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    pub part: u32,
    pub of: u32,
}

impl Slice {
    pub const WHOLE: Slice = Slice { part: 0, of: 1 };

    /// The `of` slices that make up a whole answer.
    pub fn all(of: u32) -> impl Iterator<Item = Slice> {
        let of = of.max(1);
        (0..of).map(move |part| Slice { part, of })
    }
}

/// Answer of [`crate::Store::events_in_range`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventCandidates {
    /// Objects with an indexed instance in the range: certain matches, with their data
    /// when it was asked for.
    pub matched: Vec<(ObjectMeta, Option<Bytes>)>,
    /// Objects whose bounds touch the range but whose instances are not indexed that far
    /// (or at all): to be decided by exact evaluation.
    pub undecided: Vec<ObjectMeta>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutOutcome {
    pub created: bool,
    pub etag: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferMode {
    Copy,
    Move,
}

#[derive(Clone, Debug)]
pub struct ObjectTransfer {
    pub mode: TransferMode,
    pub from: CollectionId,
    pub from_name: String,
    pub to: CollectionId,
    pub to_name: String,
    pub overwrite: bool,
    pub quota: Option<u64>,
    /// The index to store at the destination when the data enters a calendar from a
    /// collection that did not index it; `None` keeps the source's.
    pub reindex: Option<(ObjectIndex, Option<InstanceIndex>)>,
}

#[derive(Clone, Debug)]
pub struct CollectionTransfer {
    pub mode: TransferMode,
    pub owner: PrincipalId,
    pub from: String,
    pub to: String,
    pub overwrite: bool,
    pub shallow: bool,
    pub quota: Option<u64>,
}

/// A stored (dead, or writable live) property: its name and its whole XML element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    pub namespace: String,
    pub name: String,
    /// The property element serialised as a standalone XML fragment.
    pub xml: String,
}

#[derive(Clone, Debug)]
pub struct PropertyPatch {
    pub collection: CollectionId,
    pub object: Option<String>,
    pub set: Vec<Property>,
    pub remove: Vec<(String, String)>,
}

/// Who made a change, from where, with what: recorded with every history row (all but
/// `locks`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    pub author: String,
    pub client: Option<String>,
    pub address: Option<String>,
    /// Who writes and the lock tokens they submitted, which a write to a locked URL needs
    /// (RFC 4918 §7). Every request of a signed-in user carries one (`dav::Caller::new`;
    /// restores through `/api/` too). None for the administrator's commands (their
    /// restores, imports and copies) and for retention, which locks do not hold up.
    pub locks: Option<LockClaim>,
}

/// What a WebDAV request holds against locks: the principal making it and the lock tokens
/// its If header names (RFC 4918 §10.4). A token counts only for the principal that took
/// the lock (§6.4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockClaim {
    pub principal: PrincipalId,
    pub tokens: Vec<String>,
}

impl LockClaim {
    /// Whether this claim may use `lock`: its token was submitted by the principal that
    /// took it.
    pub fn holds(&self, lock: &DavLock) -> bool {
        lock.principal == self.principal && self.tokens.contains(&lock.token)
    }
}

/// RFC 4918 §6.1: an exclusive lock allows no other lock on what it covers; shared locks
/// allow other shared ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockScope {
    Exclusive,
    Shared,
}

impl LockScope {
    pub fn as_str(self) -> &'static str {
        match self {
            LockScope::Exclusive => "exclusive",
            LockScope::Shared => "shared",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "exclusive" => Some(LockScope::Exclusive),
            "shared" => Some(LockScope::Shared),
            _ => None,
        }
    }
}

/// A WebDAV write lock on a URL below a home (RFC 4918 §6), kept in the database so that
/// every node honours it and a restart keeps it. It is live until `expires_at`; an expired
/// one is ignored and removed by the next write that reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DavLock {
    /// The lock token (`urn:uuid:...`, RFC 4918 §6.5), unique on the server.
    pub token: String,
    /// The principal whose home holds the locked URL.
    pub home: PrincipalId,
    /// The lock root (§6.7): the locked URL as a path below the home, without slashes at
    /// either end ("" is the home). Locks are on URLs, not on what they map to: a moved
    /// resource does not take its lock along (§7.5).
    pub path: String,
    /// The principal that took the lock: only it may use the token (§6.4).
    pub principal: PrincipalId,
    pub scope: LockScope,
    /// Depth infinity: the lock covers every member below the root too (§6.1, §7.4).
    pub deep: bool,
    /// The `DAV:owner` element the client sent, as XML, served back in lockdiscovery.
    pub owner: Option<String>,
    /// The timeout granted, in seconds (§6.6).
    pub timeout_secs: u64,
    pub created_at: i64,
    /// When the lock lapses unless it is refreshed (ms).
    pub expires_at: i64,
}

/// A lock to take ([`crate::Locks::create_lock`]).
#[derive(Clone, Debug)]
pub struct NewLock {
    pub token: String,
    pub home: PrincipalId,
    pub path: String,
    pub principal: PrincipalId,
    pub scope: LockScope,
    pub deep: bool,
    pub owner: Option<String>,
    pub timeout_secs: u64,
    /// RFC 4918 §7.3: a LOCK of an unmapped URL creates an empty resource there, this
    /// object in this collection, in the same transaction. None locks the URL only.
    pub empty_resource: Option<(CollectionId, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionKind {
    /// An object's new content.
    Put,
    /// An object's removal.
    Delete,
    CollectionCreate,
    CollectionDelete,
    /// A deleted collection brought back.
    CollectionRestore,
    /// A collection moved to another path (data = "old path -> new path").
    CollectionMove,
    Properties,
    /// Old versions' data dropped by retention (data = what was dropped, as text).
    Prune,
}

impl VersionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionKind::Put => "put",
            VersionKind::Delete => "delete",
            VersionKind::CollectionCreate => "collection-create",
            VersionKind::CollectionDelete => "collection-delete",
            VersionKind::CollectionRestore => "collection-restore",
            VersionKind::CollectionMove => "collection-move",
            VersionKind::Properties => "properties",
            VersionKind::Prune => "prune",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            VersionKind::Put,
            VersionKind::Delete,
            VersionKind::CollectionCreate,
            VersionKind::CollectionDelete,
            VersionKind::CollectionRestore,
            VersionKind::CollectionMove,
            VersionKind::Properties,
            VersionKind::Prune,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One row of a collection's append-only change log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub id: i64,
    pub collection: CollectionId,
    pub seq: i64,
    pub kind: VersionKind,
    /// Object name; empty for changes of the collection itself.
    pub name: String,
    pub uid: Option<String>,
    pub etag: Option<String>,
    /// The full new state (object bytes, or the property set); None for deletions and for
    /// versions whose data retention dropped.
    pub data: Option<Vec<u8>>,
    /// BLAKE3 of `data` as written (chain v2), kept when retention drops the data.
    pub data_hash: Option<[u8; 32]>,
    pub change: Change,
    pub at: i64,
    /// Which `history::chain_hash` version computed `hash`.
    pub chain: u8,
    pub prev_hash: Option<[u8; 32]>,
    pub hash: [u8; 32],
    /// For a merged edit: its parents and what the client sent (the hash covers the
    /// parents' ETags).
    pub merge: Option<Merge>,
}

/// A collection as the history knows it, deleted ones included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryCollection {
    pub collection: Collection,
    pub owner_name: String,
    /// When it was deleted (ms); None while it is live.
    pub deleted_at: Option<i64>,
}

/// Size of one collection's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryStats {
    pub collection: CollectionId,
    pub versions: u64,
    /// Versions whose data retention dropped.
    pub pruned: u64,
    pub data_bytes: u64,
}

/// One member in a sync-collection answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedMember {
    pub name: String,
    pub deleted: bool,
}

impl EventRange {
    /// The range as read in the floating zone, for the instance rows of floating objects
    /// (wall-clock seconds). Without a constant offset the range is empty, which leaves
    /// floating objects to exact evaluation.
    pub fn floating_range(&self) -> (i64, i64) {
        match self.floating_offset {
            Some(offset) => (
                self.start.saturating_add(offset),
                self.end.saturating_add(offset),
            ),
            None => (i64::MAX, i64::MIN),
        }
    }
}

impl Property {
    /// The DAV:displayname property holding `text`.
    pub fn displayname(text: &str) -> Property {
        let escaped = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        Property {
            namespace: "DAV:".into(),
            name: "displayname".into(),
            xml: format!("<D:displayname xmlns:D=\"DAV:\">{escaped}</D:displayname>"),
        }
    }
}

impl ChangedMember {
    /// Folds change-log rows `(name, deleted)`, oldest first, into one member per name with
    /// its last state, in first-seen order so that answers are stable.
    pub fn last_states(rows: impl IntoIterator<Item = (String, bool)>) -> Vec<ChangedMember> {
        let mut order: Vec<String> = Vec::new();
        let mut last: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
        for (name, deleted) in rows {
            if last.insert(name.clone(), deleted).is_none() {
                order.push(name);
            }
        }
        order
            .into_iter()
            .map(|name| {
                let deleted = last.get(&name).copied().unwrap_or(false);
                ChangedMember { name, deleted }
            })
            .collect()
    }
}

/// Answer of [`crate::Status::status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreStatus {
    /// The schema version the database has.
    pub schema: u32,
    /// The one this build brings a database to: a node older than the database (another
    /// node migrated it further) or a database not yet migrated is not ready.
    pub schema_expected: u32,
    pub users: u64,
    /// Live objects in live collections.
    pub objects: u64,
}

impl StoreStatus {
    pub fn schema_current(&self) -> bool {
        self.schema == self.schema_expected
    }
}
