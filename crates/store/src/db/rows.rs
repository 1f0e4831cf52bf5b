//! Row to record mapping for the statements written once ([`super::tables`]), by the
//! column lists of [`super::columns`].

use super::columns::{COLLECTION_COUNT, OBJECT_META_COUNT};
use super::sql::{unsigned, SqlRow};
use super::{UNBOUNDED_END, UNBOUNDED_START};
use crate::dump::CollectionRecord;
use crate::{
    AppToken, Change, Collection, CollectionId, CollectionKind, DavLock, Grant, Grantee, Group,
    LockScope, MailState, Merge, NewMail, ObjectIndex, ObjectMeta, Privilege, Property, QueuedMail,
    Result, StoredObject, TokenScope, User, Version, VersionKind,
};

/// A user from its [`super::columns::USER_COLUMNS`].
pub fn user(r: &dyn SqlRow) -> Result<User> {
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        password_hash: r.get(3)?,
        quota_bytes: r.get::<Option<i64>>(4)?.map(unsigned),
        created_at: r.get(5)?,
        admin: r.get(6)?,
        display_name: r.get(7)?,
        disabled: r.get(8)?,
    })
}

/// An app password from its [`super::columns::TOKEN_COLUMNS`], starting at column `first`.
pub fn token_at(r: &dyn SqlRow, first: usize) -> Result<AppToken> {
    let scope: String = r.get(first + 3)?;
    Ok(AppToken {
        id: r.get(first)?,
        owner: r.get(first + 1)?,
        label: r.get(first + 2)?,
        scope: TokenScope::parse(&scope).unwrap_or(TokenScope::ReadOnly),
        created_at: r.get(first + 4)?,
        last_used_at: r.get(first + 5)?,
    })
}

pub fn collection(r: &dyn SqlRow) -> Result<Collection> {
    collection_at(r, 0)
}

/// A collection whose [`super::columns::COLLECTION_COLUMNS`] start at column `first`.
pub fn collection_at(r: &dyn SqlRow, first: usize) -> Result<Collection> {
    let column = |i: usize| first + i;
    let kind: String = r.get(column(3))?;
    let components: String = r.get(column(4))?;
    Ok(Collection {
        id: r.get(column(0))?,
        owner: r.get(column(1))?,
        path: r.get(column(2))?,
        kind: CollectionKind::parse(&kind).unwrap_or(CollectionKind::Plain),
        components: components
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        sync_seq: r.get(column(5))?,
        created_at: r.get(column(6))?,
        modified_at: r.get(column(7))?,
        target: r.get(column(8))?,
    })
}

/// A group from its [`super::columns::GROUP_COLUMNS`], starting at column `first`.
pub fn group_at(r: &dyn SqlRow, first: usize) -> Result<Group> {
    Ok(Group {
        id: r.get(first)?,
        name: r.get(first + 1)?,
        display_name: r.get(first + 2)?,
        created_at: r.get(first + 3)?,
    })
}

/// A property from its namespace, name and value columns, starting at `first`.
pub fn property_at(r: &dyn SqlRow, first: usize) -> Result<Property> {
    Ok(Property {
        namespace: r.get(first)?,
        name: r.get(first + 1)?,
        xml: r.get(first + 2)?,
    })
}

/// A lock from its [`super::columns::LOCK_COLUMNS`].
pub fn lock(r: &dyn SqlRow) -> Result<DavLock> {
    let scope: String = r.get(4)?;
    Ok(DavLock {
        token: r.get(0)?,
        home: r.get(1)?,
        path: r.get(2)?,
        principal: r.get(3)?,
        scope: LockScope::parse(&scope).unwrap_or(LockScope::Exclusive),
        deep: r.get(5)?,
        owner: r.get(6)?,
        timeout_secs: unsigned(r.get(7)?),
        created_at: r.get(8)?,
        expires_at: r.get(9)?,
    })
}

/// A queued message from its [`super::columns::MAIL_COLUMNS`].
pub fn queued_mail(r: &dyn SqlRow) -> Result<QueuedMail> {
    let attempts: i64 = r.get(8)?;
    let state: String = r.get(10)?;
    Ok(QueuedMail {
        id: r.get(0)?,
        mail: NewMail {
            organizer: r.get(1)?,
            uid: r.get(2)?,
            method: r.get(3)?,
            sender: r.get(4)?,
            recipient: r.get(5)?,
            calendar: r.get(6)?,
        },
        created_at: r.get(7)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_at: r.get(9)?,
        state: MailState::parse(&state).unwrap_or(MailState::Failed),
        last_error: r.get(11)?,
    })
}

/// A privilege from its stored rank; an unknown rank grants the least.
pub fn privilege_of(rank: i64) -> Privilege {
    Privilege::from_rank(rank).unwrap_or(Privilege::FreeBusy)
}

/// A grant from `grantee_user, grantee_group, name, privilege, created_by, created_at`.
pub fn grant_at(r: &dyn SqlRow, collection: CollectionId) -> Result<Grant> {
    let grantee = match (r.get::<Option<i64>>(0)?, r.get::<Option<i64>>(1)?) {
        (Some(user), _) => Grantee::User(user),
        (None, group) => Grantee::Group(group.unwrap_or(0)),
    };
    Ok(Grant {
        collection,
        grantee,
        grantee_name: r.get(2)?,
        privilege: privilege_of(r.get(3)?),
        created_by: r.get(4)?,
        created_at: r.get(5)?,
    })
}

/// An object's metadata without its index, from [`super::columns::LISTED_OBJECT_COLUMNS`].
pub fn listed_object(r: &dyn SqlRow) -> Result<ObjectMeta> {
    Ok(ObjectMeta {
        collection: r.get(0)?,
        name: r.get(1)?,
        etag: r.get(2)?,
        content_type: r.get(3)?,
        size: unsigned(r.get(4)?),
        index: ObjectIndex::default(),
        created_at: r.get(5)?,
        modified_at: r.get(6)?,
        modified_seq: r.get(7)?,
    })
}

/// All of an object's metadata, from [`super::columns::OBJECT_META_COLUMNS`].
pub fn object_meta(r: &dyn SqlRow) -> Result<ObjectMeta> {
    let bound = |i: usize, unbounded: i64| -> Result<Option<i64>> {
        Ok(r.get::<Option<i64>>(i)?.filter(|v| *v != unbounded))
    };
    Ok(ObjectMeta {
        index: ObjectIndex {
            uid: r.get(8)?,
            component: r.get(9)?,
            first_start: bound(10, UNBOUNDED_START)?,
            last_end: bound(11, UNBOUNDED_END)?,
        },
        ..listed_object(r)?
    })
}

/// An object from its [`super::columns::OBJECT_META_COLUMNS`] followed by its data.
pub fn stored(r: &dyn SqlRow) -> Result<StoredObject> {
    Ok(StoredObject {
        meta: object_meta(r)?,
        data: r.get::<Vec<u8>>(OBJECT_META_COUNT)?.into(),
    })
}

/// A collection row with its deletion time after [`super::columns::COLLECTION_COLUMNS`].
pub fn collection_record(r: &dyn SqlRow) -> Result<CollectionRecord> {
    Ok(CollectionRecord {
        collection: collection(r)?,
        deleted_at: r.get(COLLECTION_COUNT)?,
    })
}

/// A change-log row from its [`super::columns::VERSION_COLUMNS`].
pub fn version(r: &dyn SqlRow) -> Result<Version> {
    let kind: String = r.get(3)?;
    let hash = |i: usize| -> Result<Option<[u8; 32]>> {
        let bytes: Option<Vec<u8>> = r.get(i)?;
        Ok(bytes.and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()))
    };
    let merge = match (r.get(16)?, r.get(17)?) {
        (Some(base), Some(theirs)) => Some(Merge {
            base,
            theirs,
            ours: r.get::<Option<Vec<u8>>>(18)?.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Version {
        id: r.get(0)?,
        collection: r.get(1)?,
        seq: r.get(2)?,
        kind: VersionKind::parse(&kind).unwrap_or(VersionKind::Put),
        name: r.get(4)?,
        uid: r.get(5)?,
        etag: r.get(6)?,
        data: r.get(7)?,
        change: Change {
            author: r.get(8)?,
            client: r.get(9)?,
            address: r.get(10)?,
            locks: None,
        },
        at: r.get(11)?,
        prev_hash: hash(12)?,
        hash: hash(13)?.unwrap_or([0; 32]),
        // An out-of-range number is an unknown version, which verification reports.
        chain: u8::try_from(r.get::<i64>(14)?).unwrap_or(u8::MAX),
        data_hash: hash(15)?,
        merge,
    })
}
