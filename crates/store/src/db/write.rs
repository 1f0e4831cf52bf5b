//! Every write of the store as one sequence over a backend's [`Statements`], run inside one
//! transaction: lock, read what the rules need, decide ([`crate::rules`]), write the change
//! with its sequence numbers and history rows. A refused write has written nothing when it
//! is refused, and a backend rolls back whatever an error leaves half done.
//!
//! Independent reads and writes are awaited together (`try_join!`): PostgreSQL sends them
//! as one pipeline, so a PUT holds its user's lock for two round trips, not a dozen.

use std::collections::BTreeMap;

use tokio::try_join;

use super::lock_guard::{end_locks, guard, guard_member};
use super::now_ms;
use super::statements::*;
use crate::history::etag_of;
use crate::rules::chain::{Log, Record};
use crate::rules::locks::{Touch, TouchKind};
use crate::rules::object::ObjectState;
use crate::rules::{collection as collections, object as objects, properties, quota, scheduling};
use crate::{
    Change, Collection, CollectionId, CollectionKind, CollectionTransfer, Expect, NewCollection,
    NewMail, NewUser, ObjectTransfer, PrincipalId, Property, PropertyPatch, PutObject, PutOutcome,
    Result, StoreError, TransferMode, User, VersionKind,
};

/// The components a new calendar accepts when the client does not say.
pub const DEFAULT_COMPONENTS: [&str; 2] = ["VEVENT", "VTODO"];

// --- principals ---------------------------------------------------------------------------

/// A principal with its home and, when asked, a first calendar at `calendar`.
pub async fn create_user<C: Statements>(c: &C, new: &NewUser) -> Result<User> {
    if c.principal_id(&new.name).await?.is_some() {
        return Err(StoreError::AlreadyExists);
    }
    let mut log = Log::new(now_ms());
    let id = c.insert_principal(new, log.at()).await?;
    let change = Change {
        author: new.name.clone(),
        client: Some("calvault user add".into()),
        address: None,
        locks: None,
    };
    let home = NewCollection {
        owner: id,
        path: String::new(),
        kind: CollectionKind::Plain,
        components: vec![],
        properties: vec![],
        target: None,
    };
    create_collection_in(c, &mut log, &home, &change).await?;
    for fixed in &scheduling::collections_of(id) {
        create_collection_in(c, &mut log, fixed, &change).await?;
    }
    if let Some(display_name) = &new.first_calendar {
        let calendar = NewCollection {
            owner: id,
            path: "calendar".into(),
            kind: CollectionKind::Calendar,
            components: DEFAULT_COMPONENTS.iter().map(|c| c.to_string()).collect(),
            properties: vec![Property::displayname(display_name)],
            target: None,
        };
        create_collection_in(c, &mut log, &calendar, &change).await?;
    }
    Ok(User {
        id,
        name: new.name.clone(),
        email: new.email.clone(),
        password_hash: new.password_hash.clone(),
        quota_bytes: new.quota_bytes,
        created_at: log.at(),
        admin: new.admin,
        display_name: new.display_name.clone(),
        disabled: false,
    })
}

pub async fn set_password<C: Statements>(c: &C, name: &str, hash: &str) -> Result<()> {
    match c.set_password(name, hash).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub async fn set_admin<C: Statements>(c: &C, name: &str, admin: bool) -> Result<()> {
    match c.set_admin(name, admin).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub async fn set_disabled<C: Statements>(c: &C, name: &str, disabled: bool) -> Result<()> {
    match c.set_disabled(name, disabled).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub async fn set_quota<C: Statements>(c: &C, name: &str, quota: Option<u64>) -> Result<()> {
    match c.set_quota(name, quota).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub async fn revoke_token<C: Statements>(c: &C, owner: PrincipalId, label: &str) -> Result<()> {
    match c.delete_token(owner, label).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// Removes a principal with everything it owns, once its writes in flight are done.
pub async fn remove_user<C: Statements>(c: &C, name: &str) -> Result<()> {
    let id = c.principal_id(name).await?.ok_or(StoreError::NotFound)?;
    c.lock_principals(&[id]).await?;
    c.delete_principal(id).await
}

// --- collections --------------------------------------------------------------------------

pub async fn create_collection<C: Statements>(
    c: &C,
    new: &NewCollection,
    change: &Change,
) -> Result<Collection> {
    c.lock_principals(&[new.owner]).await?;
    guard(c, new.owner, &[Touch::Create(&new.path)], change).await?;
    create_collection_in(c, &mut Log::new(now_ms()), new, change).await
}

pub(super) async fn create_collection_in<C: Statements>(
    c: &C,
    log: &mut Log,
    new: &NewCollection,
    change: &Change,
) -> Result<Collection> {
    let (existing, parent) = try_join!(
        c.collection(new.owner, &new.path),
        parent(c, new.owner, &new.path)
    )?;
    collections::check_create(&new.path, existing.is_some(), parent.as_ref())?;
    let id = c.insert_collection(new, log.at()).await?;
    log.open(id, Default::default());
    for p in &new.properties {
        c.set_property(id, "", p).await?;
    }
    let stored = properties::patched(
        Vec::new(),
        &PropertyPatch {
            collection: id,
            object: None,
            set: new.properties.clone(),
            remove: Vec::new(),
        },
    );
    let state = properties::snapshot(&stored);
    let record = Record::collection(VersionKind::CollectionCreate, Some(state.as_bytes()));
    change_of(c, log, id, record, change).await?;
    c.collection(new.owner, &new.path)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The collection a new one at `path` would live in (None for the home, which has none).
async fn parent<C: Statements>(
    c: &C,
    owner: PrincipalId,
    path: &str,
) -> Result<Option<Collection>> {
    if path.is_empty() {
        return Ok(None);
    }
    c.collection(owner, collections::parent_of(path)).await
}

/// Deletes the collection and everything below it: each is marked, so history can bring
/// it back.
pub async fn delete_collection<C: Statements>(
    c: &C,
    owner: PrincipalId,
    path: &str,
    change: &Change,
) -> Result<()> {
    collections::check_delete(path)?;
    c.lock_principals(&[owner]).await?;
    let touched = [Touch::Remove(path)];
    let (tree, locks) = try_join!(
        c.collection_tree(owner, path),
        guard(c, owner, &touched, change)
    )?;
    if tree.is_empty() {
        return Err(StoreError::NotFound);
    }
    for collection in &tree {
        scheduling::check_fixed(collection.kind)?;
    }
    mark_deleted(c, &mut Log::new(now_ms()), &tree, change).await?;
    end_locks(c, &locks, path).await
}

pub(super) async fn mark_deleted<C: Statements>(
    c: &C,
    log: &mut Log,
    doomed: &[Collection],
    change: &Change,
) -> Result<()> {
    for collection in doomed {
        c.set_deleted(collection.id, Some(log.at()), log.at())
            .await?;
        let record = Record::collection(VersionKind::CollectionDelete, None);
        change_of(c, log, collection.id, record, change).await?;
    }
    Ok(())
}

/// COPY or MOVE of a collection tree; true when an existing destination was replaced.
pub async fn transfer_collection<C: Statements>(
    c: &C,
    t: &CollectionTransfer,
    change: &Change,
) -> Result<bool> {
    c.lock_principals(&[t.owner]).await?;
    collections::check_transfer(t)?;
    let (source, parent, existing) = try_join!(
        c.collection_tree(t.owner, &t.from),
        c.collection(t.owner, collections::parent_of(&t.to)),
        c.collection_tree(t.owner, &t.to),
    )?;
    if source.is_empty() {
        return Err(StoreError::NotFound);
    }
    for collection in source.iter().chain(&existing) {
        scheduling::check_fixed(collection.kind)?;
    }
    collections::check_parent(parent.as_ref())?;
    let replaced = collections::check_overwrite(t, &existing)?;
    let mut touched = vec![Touch::Create(&t.to)];
    if replaced {
        touched.push(Touch::Remove(&t.to));
    }
    if t.mode == TransferMode::Move {
        touched.push(Touch::Remove(&t.from));
    }
    let locks = guard(c, t.owner, &touched, change).await?;
    if replaced {
        end_locks(c, &locks, &t.to).await?;
    }
    if t.mode == TransferMode::Move {
        end_locks(c, &locks, &t.from).await?;
    }
    let mut log = Log::new(now_ms());
    if replaced {
        // RFC 4918 §9.8.4 / §9.9.3: an overwritten destination is deleted first.
        mark_deleted(c, &mut log, &existing, change).await?;
    }
    match t.mode {
        TransferMode::Move => move_tree(c, &mut log, &source, t, change).await?,
        TransferMode::Copy => {
            let copied = if t.shallow { &source[..1] } else { &source[..] };
            if !t.shallow {
                let mut bytes = 0u64;
                for collection in copied {
                    bytes = bytes.saturating_add(c.collection_bytes(collection.id).await?);
                }
                check_quota(
                    c,
                    t.owner,
                    t.quota,
                    i64::try_from(bytes).unwrap_or(i64::MAX),
                )
                .await?;
            }
            for collection in copied {
                let path = collections::rebase(&collection.path, &t.from, &t.to);
                copy_one(c, &mut log, collection, path, t.shallow, change).await?;
            }
        }
    }
    Ok(replaced)
}

async fn move_tree<C: Statements>(
    c: &C,
    log: &mut Log,
    source: &[Collection],
    t: &CollectionTransfer,
    change: &Change,
) -> Result<()> {
    for collection in source {
        let new_path = collections::rebase(&collection.path, &t.from, &t.to);
        c.set_path(collection.id, &new_path, log.at()).await?;
        let note = format!("{} -> {new_path}", collection.path);
        let record = Record::collection(VersionKind::CollectionMove, Some(note.as_bytes()));
        change_of(c, log, collection.id, record, change).await?;
    }
    Ok(())
}

/// A copy of one collection at `path` with its properties and, unless `shallow`, its
/// objects and theirs; each copied object is recorded at one new sequence number.
async fn copy_one<C: Statements>(
    c: &C,
    log: &mut Log,
    source: &Collection,
    path: String,
    shallow: bool,
    change: &Change,
) -> Result<()> {
    let new = NewCollection {
        owner: source.owner,
        path,
        kind: source.kind,
        components: source.components.clone(),
        properties: c.properties(source.id, "").await?,
        target: source.target,
    };
    let copy = create_collection_in(c, log, &new, change).await?;
    if shallow {
        return Ok(());
    }
    let seq = log.advance(copy.id)?;
    let copied = c.copy_members(source.id, copy.id, seq, log.at()).await?;
    for object in &copied {
        let record = Record {
            kind: VersionKind::Put,
            name: &object.name,
            uid: object.uid.as_deref(),
            etag: Some(&object.etag),
            data: Some(&object.data),
            merge: None,
        };
        history_row(c, log, copy.id, record, change).await?;
    }
    c.set_sync_seq(copy.id, seq, log.at()).await
}

/// Brings a deleted collection back at its old path, as a new, recorded change.
pub async fn restore_collection<C: Statements>(
    c: &C,
    id: CollectionId,
    change: &Change,
) -> Result<Collection> {
    c.lock_owners_of(&[id]).await?;
    let record = c.collection_record(id).await?.ok_or(StoreError::NotFound)?;
    collections::check_restore(record.deleted_at)?;
    let Collection { owner, path, .. } = record.collection;
    let (existing, parent) = try_join!(c.collection(owner, &path), parent(c, owner, &path))?;
    collections::check_create(&path, existing.is_some(), parent.as_ref())?;
    let mut log = Log::new(now_ms());
    c.set_deleted(id, None, log.at()).await?;
    let restored = Record::collection(VersionKind::CollectionRestore, None);
    change_of(c, &mut log, id, restored, change).await?;
    c.collection(owner, &path)
        .await?
        .ok_or(StoreError::NotFound)
}

// --- objects ------------------------------------------------------------------------------

pub async fn put_object<C: Statements>(
    c: &C,
    put: &PutObject,
    change: &Change,
) -> Result<PutOutcome> {
    c.lock_owners_of(&[put.collection]).await?;
    put_checked(c, &mut Log::new(now_ms()), put, change, true).await
}

/// A PUT within a transaction that has checked the locks itself (a transfer's
/// destination, the empty resource of a LOCK).
pub(super) async fn put_in<C: Statements>(
    c: &C,
    log: &mut Log,
    put: &PutObject,
    change: &Change,
) -> Result<PutOutcome> {
    put_checked(c, log, put, change, false).await
}

async fn put_checked<C: Statements>(
    c: &C,
    log: &mut Log,
    put: &PutObject,
    change: &Change,
    check_locks: bool,
) -> Result<PutOutcome> {
    let uid = put.index.uid.as_deref();
    let (head, existing, holder) = try_join!(
        c.collection_head(put.collection),
        c.object_state(put.collection, &put.name),
        uid_holder(c, put.collection, uid, &put.name),
    )?;
    let head = live(head)?;
    let delta = objects::put(&put.expect, existing.as_ref(), put.data.len() as u64)?;
    if check_locks {
        let touch = match existing {
            Some(_) => TouchKind::Modify,
            None => TouchKind::Create,
        };
        guard_member(c, put.collection, &head, &put.name, touch, change).await?;
    }
    objects::check_uid(uid, holder)?;
    check_quota(c, head.owner, put.quota, delta).await?;
    log.open(put.collection, head.chain);
    let etag = etag_of(&put.data);
    let seq = log.advance(put.collection)?;
    let record = Record {
        kind: VersionKind::Put,
        name: &put.name,
        uid,
        etag: Some(&etag),
        data: Some(&put.data),
        merge: put.merge.as_ref(),
    };
    let row = log.row(put.collection, record, change)?;
    let object = ObjectWrite {
        collection: put.collection,
        name: &put.name,
        etag: &etag,
        content_type: &put.content_type,
        index: &put.index,
        instances: put.instances.as_ref(),
        data: &put.data,
        seq,
        at: log.at(),
    };
    try_join!(
        c.write_object(&object),
        c.set_sync_seq(put.collection, seq, log.at()),
        insert_version(c, &row),
    )?;
    queue_mail(c, &put.mail, log.at()).await?;
    Ok(PutOutcome {
        created: existing.is_none(),
        etag,
    })
}

pub async fn delete_object<C: Statements>(
    c: &C,
    collection: CollectionId,
    name: &str,
    expect: &Expect,
    change: &Change,
    mail: &[NewMail],
) -> Result<()> {
    c.lock_owners_of(&[collection]).await?;
    let (existing, head) = try_join!(
        c.object_state(collection, name),
        c.collection_head(collection)
    )?;
    objects::delete(expect, existing.as_ref())?;
    let Some(existing) = existing else {
        return Err(StoreError::NotFound);
    };
    let head = live(head)?;
    let (path, locks) = guard_member(c, collection, &head, name, TouchKind::Remove, change).await?;
    remove(
        c,
        &mut Log::new(now_ms()),
        collection,
        name,
        &existing,
        change,
    )
    .await?;
    queue_mail(c, mail, now_ms()).await?;
    end_locks(c, &locks, &path).await
}

/// Queues the e-mail a write sends, in its transaction (`crate::mail`).
async fn queue_mail<C: Statements>(c: &C, mail: &[NewMail], at: i64) -> Result<()> {
    for m in mail {
        c.insert_mail(m, at).await?;
    }
    Ok(())
}

/// Removes an object that exists, with its properties, and records the removal.
async fn remove<C: Statements>(
    c: &C,
    log: &mut Log,
    collection: CollectionId,
    name: &str,
    existing: &ObjectState,
    change: &Change,
) -> Result<()> {
    c.delete_object(collection, name).await?;
    let record = Record {
        kind: VersionKind::Delete,
        name,
        uid: existing.uid.as_deref(),
        etag: None,
        data: None,
        merge: None,
    };
    change_of(c, log, collection, record, change).await
}

/// COPY or MOVE of one object; true when an existing destination was replaced.
pub async fn transfer_object<C: Statements>(
    c: &C,
    t: &ObjectTransfer,
    change: &Change,
) -> Result<bool> {
    c.lock_owners_of(&[t.from, t.to]).await?;
    let (source, existing) = try_join!(
        c.object(t.from, &t.from_name),
        c.object_state(t.to, &t.to_name)
    )?;
    objects::transfer(t, source.is_some(), existing.is_some())?;
    let source = source.ok_or(StoreError::NotFound)?;
    let (index, instances) = match &t.reindex {
        Some((index, instances)) => (index.clone(), instances.clone()),
        None => (
            source.meta.index.clone(),
            c.instances(t.from, &t.from_name).await?,
        ),
    };
    if objects::transfer_checks_uid(t) {
        let holder = uid_holder(c, t.to, index.uid.as_deref(), &t.to_name).await?;
        objects::check_uid(index.uid.as_deref(), holder)?;
    }
    let (props, from_head, to_head) = try_join!(
        c.properties(t.from, &t.from_name),
        c.collection_head(t.from),
        c.collection_head(t.to),
    )?;
    let (from_head, to_head) = (live(from_head)?, live(to_head)?);
    let same_owner = from_head.owner == to_head.owner;
    let to_touch = match existing {
        Some(_) => TouchKind::Remove,
        None => TouchKind::Create,
    };
    let (to_path, to_locks) = guard_member(c, t.to, &to_head, &t.to_name, to_touch, change).await?;
    if existing.is_some() {
        end_locks(c, &to_locks, &to_path).await?;
    }
    if t.mode == TransferMode::Move {
        let (from_path, from_locks) = guard_member(
            c,
            t.from,
            &from_head,
            &t.from_name,
            TouchKind::Remove,
            change,
        )
        .await?;
        end_locks(c, &from_locks, &from_path).await?;
    }
    let mut log = Log::new(now_ms());
    if t.mode == TransferMode::Move {
        let moved = ObjectState {
            etag: source.meta.etag.clone(),
            size: source.meta.size,
            uid: source.meta.index.uid.clone(),
        };
        remove(c, &mut log, t.from, &t.from_name, &moved, change).await?;
    }
    if let Some(existing) = &existing {
        remove(c, &mut log, t.to, &t.to_name, existing, change).await?;
    }
    let put = PutObject {
        collection: t.to,
        name: t.to_name.clone(),
        data: source.data.clone(),
        content_type: source.meta.content_type.clone(),
        index,
        instances,
        expect: Expect::Absent,
        quota: objects::transfer_quota(t, same_owner),
        merge: None,
        mail: Vec::new(),
    };
    put_in(c, &mut log, &put, change).await?;
    for p in &props {
        c.set_property(t.to, &t.to_name, p).await?;
    }
    Ok(existing.is_some())
}

// --- properties ---------------------------------------------------------------------------

/// Applies every set and removal of a PROPPATCH, or none (RFC 4918 §9.2).
pub async fn patch_properties<C: Statements>(
    c: &C,
    patch: &PropertyPatch,
    change: &Change,
) -> Result<()> {
    c.lock_owners_of(&[patch.collection]).await?;
    let object = patch.object.as_deref().unwrap_or("");
    if !object.is_empty() && c.object_state(patch.collection, object).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    let head = live(c.collection_head(patch.collection).await?)?;
    guard_member(
        c,
        patch.collection,
        &head,
        object,
        TouchKind::Modify,
        change,
    )
    .await?;
    let current = c.properties(patch.collection, object).await?;
    for (namespace, name) in &patch.remove {
        c.remove_property(patch.collection, object, namespace, name)
            .await?;
    }
    for p in &patch.set {
        c.set_property(patch.collection, object, p).await?;
    }
    let state = properties::snapshot(&properties::patched(current, patch));
    let record = Record {
        kind: VersionKind::Properties,
        name: object,
        uid: None,
        etag: None,
        data: Some(state.as_bytes()),
        merge: None,
    };
    change_of(c, &mut Log::new(now_ms()), patch.collection, record, change).await
}

// --- history ------------------------------------------------------------------------------

/// Drops the data of superseded versions older than `before`; each affected collection
/// records a `prune` row without advancing its sequence (no member changed).
pub async fn prune_history<C: Statements>(c: &C, before: i64, change: &Change) -> Result<u64> {
    c.lock_all_principals().await?;
    let touched = c.prune_versions(before).await?;
    let mut per_collection: BTreeMap<CollectionId, u64> = BTreeMap::new();
    for collection in &touched {
        *per_collection.entry(*collection).or_default() += 1;
    }
    let mut log = Log::new(now_ms());
    for (collection, count) in per_collection {
        let note =
            format!("dropped the data of {count} superseded versions older than {before} ms");
        let record = Record::collection(VersionKind::Prune, Some(note.as_bytes()));
        history_row(c, &mut log, collection, record, change).await?;
    }
    Ok(touched.len() as u64)
}

// --- shared steps -------------------------------------------------------------------------

/// A change of a collection's members or properties: a new sequence number and its row.
async fn change_of<C: Statements>(
    c: &C,
    log: &mut Log,
    collection: CollectionId,
    record: Record<'_>,
    change: &Change,
) -> Result<()> {
    open_chain(c, log, collection).await?;
    let seq = log.advance(collection)?;
    let row = log.row(collection, record, change)?;
    try_join!(
        c.set_sync_seq(collection, seq, log.at()),
        insert_version(c, &row)
    )?;
    Ok(())
}

/// A history row at the collection's current sequence number.
async fn history_row<C: Statements>(
    c: &C,
    log: &mut Log,
    collection: CollectionId,
    record: Record<'_>,
    change: &Change,
) -> Result<()> {
    open_chain(c, log, collection).await?;
    let row = log.row(collection, record, change)?;
    insert_version(c, &row).await
}

/// Reads a collection's change-log head the first time the transaction touches it.
async fn open_chain<C: Statements>(c: &C, log: &mut Log, collection: CollectionId) -> Result<()> {
    if !log.is_open(collection) {
        let head = c
            .collection_head(collection)
            .await?
            .ok_or(StoreError::NotFound)?;
        log.open(collection, head.chain);
    }
    Ok(())
}

async fn insert_version<C: Statements>(
    c: &C,
    row: &crate::rules::chain::NewVersion<'_>,
) -> Result<()> {
    // Only for the benchmark that measures what history costs: a build without it. Sync
    // and history do not work in such a build.
    if cfg!(feature = "bench-no-history") {
        return Ok(());
    }
    c.insert_version(row).await
}

/// A live collection's head; a missing or deleted one is NotFound.
fn live(head: Option<CollectionHead>) -> Result<CollectionHead> {
    head.filter(|h| !h.deleted).ok_or(StoreError::NotFound)
}

async fn uid_holder<C: Statements>(
    c: &C,
    collection: CollectionId,
    uid: Option<&str>,
    except: &str,
) -> Result<Option<String>> {
    match uid {
        Some(uid) => c.uid_holder(collection, uid, except).await,
        None => Ok(None),
    }
}

/// Refuses growth past the owner's quota, reading their usage only when it could matter.
async fn check_quota<C: Statements>(
    c: &C,
    owner: PrincipalId,
    limit: Option<u64>,
    delta: i64,
) -> Result<()> {
    if !quota::needs_usage(limit, delta) {
        return Ok(());
    }
    quota::check(limit, c.usage_bytes(owner).await?, delta)
}
