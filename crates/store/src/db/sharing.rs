//! The writes of sharing, each one transaction: grants, groups and their members, and the
//! bindings that make a shared calendar appear in the homes of the users it reaches.
//!
//! A binding is made when a grant of at least read reaches a user (a grant to them, or to a
//! group when they are or become a member), if the caller asks for it (auto-accepted
//! shares); it goes when no grant lets the user read the calendar any more. These writes
//! are rare and touch several users' homes, so they lock every principal.

use super::now_ms;
use super::statements::*;
use super::write::{create_collection_in, mark_deleted};
use crate::rules::chain::Log;
use crate::rules::sharing::{binding_slug, keeps_binding};
use crate::{
    Change, Collection, CollectionId, CollectionKind, Grantee, Group, GroupId, NewCollection,
    PrincipalId, Privilege, Property, Result, StoreError,
};

/// The properties a new binding starts with: the owner's name and colour of the calendar,
/// which the sharee may then change for themselves.
const COPIED_PROPERTIES: [(&str, &str); 2] = [
    ("DAV:", "displayname"),
    ("http://apple.com/ns/ical/", "calendar-color"),
];

pub async fn grant<C: Statements>(
    c: &C,
    collection: CollectionId,
    grantee: Grantee,
    privilege: Privilege,
    bind: bool,
    change: &Change,
) -> Result<()> {
    if privilege == Privilege::Owner {
        return Err(StoreError::Conflict("ownership cannot be granted".into()));
    }
    c.lock_all_principals().await?;
    let target = shareable(c, collection).await?;
    if let Grantee::User(user) = grantee {
        if user == target.owner {
            return Err(StoreError::Conflict(
                "the owner has every privilege already".into(),
            ));
        }
    }
    let mut log = Log::new(now_ms());
    c.set_grant(
        collection,
        grantee,
        privilege.rank(),
        &change.author,
        log.at(),
    )
    .await?;
    if bind {
        for user in reached(c, grantee).await? {
            bind_if_readable(c, &mut log, &target, user, change).await?;
        }
    }
    Ok(())
}

pub async fn revoke<C: Statements>(
    c: &C,
    collection: CollectionId,
    grantee: Grantee,
    change: &Change,
) -> Result<()> {
    c.lock_all_principals().await?;
    if c.delete_grant(collection, grantee).await? == 0 {
        return Err(StoreError::NotFound);
    }
    unbind_lost(c, &mut Log::new(now_ms()), &[collection], change).await
}

/// Binds a calendar shared with `user` into their home (an invitation accepted), unless it
/// is there already; returns the binding. NotFound when they may not read it.
pub async fn accept<C: Statements>(
    c: &C,
    collection: CollectionId,
    user: PrincipalId,
    change: &Change,
) -> Result<Collection> {
    c.lock_all_principals().await?;
    let target = shareable(c, collection).await?;
    bind_if_readable(c, &mut Log::new(now_ms()), &target, user, change).await?;
    let bindings = c.bindings_of(collection).await?;
    bindings
        .into_iter()
        .find(|b| b.owner == user)
        .ok_or(StoreError::NotFound)
}

pub async fn create_group<C: Statements>(
    c: &C,
    name: &str,
    display_name: Option<&str>,
) -> Result<Group> {
    c.lock_all_principals().await?;
    if c.group_by_name(name).await?.is_some() {
        return Err(StoreError::AlreadyExists);
    }
    c.insert_group(name, display_name, now_ms()).await
}

pub async fn remove_group<C: Statements>(c: &C, name: &str, change: &Change) -> Result<()> {
    c.lock_all_principals().await?;
    let group = c.group_by_name(name).await?.ok_or(StoreError::NotFound)?;
    let granted = c.group_grants(group.id).await?;
    c.delete_group(group.id).await?;
    unbind_lost(c, &mut Log::new(now_ms()), &granted, change).await
}

pub async fn add_member<C: Statements>(
    c: &C,
    group: GroupId,
    user: PrincipalId,
    bind: bool,
    change: &Change,
) -> Result<()> {
    c.lock_all_principals().await?;
    if !c.insert_member(group, user).await? || !bind {
        return Ok(());
    }
    let mut log = Log::new(now_ms());
    for collection in c.group_grants(group).await? {
        if let Ok(target) = shareable(c, collection).await {
            bind_if_readable(c, &mut log, &target, user, change).await?;
        }
    }
    Ok(())
}

pub async fn remove_member<C: Statements>(
    c: &C,
    group: GroupId,
    user: PrincipalId,
    change: &Change,
) -> Result<()> {
    c.lock_all_principals().await?;
    if c.delete_member(group, user).await? == 0 {
        return Err(StoreError::NotFound);
    }
    let granted = c.group_grants(group).await?;
    unbind_lost(c, &mut Log::new(now_ms()), &granted, change).await
}

/// A live collection that may be shared: a home (delegation), a calendar or a plain
/// collection, never a binding (share the calendar itself).
async fn shareable<C: Statements>(c: &C, id: CollectionId) -> Result<Collection> {
    let record = c.collection_record(id).await?.ok_or(StoreError::NotFound)?;
    if record.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    if record.collection.kind == CollectionKind::Shared {
        return Err(StoreError::Conflict(
            "a shared calendar is shared by its owner, not by its sharees".into(),
        ));
    }
    Ok(record.collection)
}

/// The users a grant to `grantee` reaches.
async fn reached<C: Statements>(c: &C, grantee: Grantee) -> Result<Vec<PrincipalId>> {
    Ok(match grantee {
        Grantee::User(user) => vec![user],
        Grantee::Group(group) => c.members(group).await?.into_iter().map(|u| u.id).collect(),
    })
}

/// Binds `target` into `user`'s home when it is a calendar they may read and do not have
/// bound already.
async fn bind_if_readable<C: Statements>(
    c: &C,
    log: &mut Log,
    target: &Collection,
    user: PrincipalId,
    change: &Change,
) -> Result<()> {
    if target.kind != CollectionKind::Calendar || user == target.owner {
        return Ok(());
    }
    let privilege = c
        .privilege(user, target.id)
        .await?
        .and_then(Privilege::from_rank);
    if !keeps_binding(privilege) {
        return Ok(());
    }
    let bindings = c.bindings_of(target.id).await?;
    if bindings.iter().any(|b| b.owner == user) {
        return Ok(());
    }
    let owner_name = c
        .user_by_id(target.owner)
        .await?
        .ok_or(StoreError::NotFound)?
        .name;
    let mut path = binding_slug(&owner_name, &target.path, 1);
    let mut n = 1;
    while c.collection(user, &path).await?.is_some() {
        n += 1;
        path = binding_slug(&owner_name, &target.path, n);
    }
    let properties: Vec<Property> = c
        .properties(target.id, "")
        .await?
        .into_iter()
        .filter(|p| COPIED_PROPERTIES.contains(&(p.namespace.as_str(), p.name.as_str())))
        .collect();
    let binding = NewCollection {
        owner: user,
        path,
        kind: CollectionKind::Shared,
        components: target.components.clone(),
        properties,
        target: Some(target.id),
    };
    create_collection_in(c, log, &binding, change).await?;
    Ok(())
}

/// Removes the bindings of these collections whose users can no longer read them.
async fn unbind_lost<C: Statements>(
    c: &C,
    log: &mut Log,
    collections: &[CollectionId],
    change: &Change,
) -> Result<()> {
    for collection in collections {
        let mut lost = Vec::new();
        for binding in c.bindings_of(*collection).await? {
            let privilege = c
                .privilege(binding.owner, *collection)
                .await?
                .and_then(Privilege::from_rank);
            if !keeps_binding(privilege) {
                lost.push(binding);
            }
        }
        mark_deleted(c, log, &lost, change).await?;
    }
    Ok(())
}
