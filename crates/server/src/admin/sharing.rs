//! Sharing, groups and delegates as the administrator manages them (`calvault share |
//! group | delegate`) and as a signed-in user manages their own (`/api/shares`,
//! `/api/delegates`): one set of operations over `store::Sharing`, named the way people
//! write them — `OWNER/CALENDAR` (or `OWNER/*` for every calendar, a grant on the home) and
//! `USER` or `@GROUP`.

use std::fmt;

use store::{Change, Collection, Grant, Grantee, Group, Privilege, Store, StoreError, User};

use super::{existing_user, AdminError};

/// What a share is on: one calendar, or (`*`) the owner's whole home.
#[derive(Clone, Debug)]
pub struct Shared {
    pub owner: User,
    pub collection: Collection,
}

impl Shared {
    pub fn describe(&self) -> String {
        match self.collection.path.as_str() {
            "" => format!("{}/*", self.owner.name),
            path => format!("{}/{path}", self.owner.name),
        }
    }
}

/// `OWNER/CALENDAR` or `OWNER/*`.
pub async fn shared(store: &dyn Store, text: &str) -> Result<Shared, AdminError> {
    let text = text.trim_matches('/');
    let (owner, path) = text
        .split_once('/')
        .ok_or_else(|| AdminError::ShareNeedsCalendar(text.to_owned()))?;
    let owner = existing_user(store, owner).await?;
    shared_of(store, owner, path).await
}

/// A calendar of `owner` by path, `*` (or "") for the whole home.
pub async fn shared_of(store: &dyn Store, owner: User, path: &str) -> Result<Shared, AdminError> {
    let path = if path == "*" { "" } else { path };
    match store.collection(owner.id, path).await? {
        Some(collection) => Ok(Shared { owner, collection }),
        None => {
            let known: Vec<String> = store
                .child_collections(owner.id, "")
                .await?
                .into_iter()
                .filter(|c| !c.is_scheduling())
                .map(|c| c.path)
                .collect();
            Err(AdminError::NoSuchCalendar {
                user: owner.name,
                calendar: path.to_owned(),
                known: known.join(", "),
            })
        }
    }
}

/// `USER` or `@GROUP`.
pub async fn grantee(store: &dyn Store, text: &str) -> Result<(Grantee, String), AdminError> {
    match text.strip_prefix('@') {
        Some(group) => {
            let g = existing_group(store, group).await?;
            Ok((Grantee::Group(g.id), g.name))
        }
        None => {
            let u = existing_user(store, text).await?;
            Ok((Grantee::User(u.id), u.name))
        }
    }
}

/// Who a grant is for, as people write it: `USER` or `@GROUP`.
pub fn grantee_text(g: &Grant) -> String {
    match g.grantee {
        Grantee::User(_) => g.grantee_name.clone(),
        Grantee::Group(_) => format!("@{}", g.grantee_name),
    }
}

/// `read-free-busy`, `read`, `read-write` or `admin`.
pub fn privilege(text: &str) -> Result<Privilege, AdminError> {
    Privilege::GRANTABLE
        .into_iter()
        .find(|p| p.as_str() == text)
        .ok_or_else(|| AdminError::BadAccess(text.to_owned()))
}

/// Whether a share made now shows in the sharee's home at once: the server's
/// `sharing_accept` (docs/sharing.md); "invite" waits for the sharee's CS:invite-reply.
pub fn binds_at_once(limits: &dav::Limits) -> bool {
    limits.sharing_accept == dav::SharingAccept::Auto
}

/// Gives (or changes) a share. `bind`: it shows in the sharee's home at once (the server's
/// `sharing_accept = "auto"`).
pub async fn add_share(
    store: &dyn Store,
    on: &Shared,
    to: &str,
    privilege: Privilege,
    bind: bool,
    change: &Change,
) -> Result<(), AdminError> {
    let (grantee, _) = grantee(store, to).await?;
    match store
        .grant(on.collection.id, grantee, privilege, bind, change)
        .await
    {
        Err(StoreError::Conflict(why)) => Err(AdminError::Refused(why)),
        other => Ok(other?),
    }
}

pub async fn remove_share(
    store: &dyn Store,
    on: &Shared,
    from: &str,
    change: &Change,
) -> Result<(), AdminError> {
    let (grantee, name) = grantee(store, from).await?;
    match store.revoke(on.collection.id, grantee, change).await {
        Err(StoreError::NotFound) => Err(AdminError::NoSuchShare(on.describe(), name)),
        other => Ok(other?),
    }
}

/// The shares of one calendar, or (`OWNER` alone) of all the owner's.
pub async fn share_list(store: &dyn Store, text: &str) -> Result<ShareList, AdminError> {
    let text = text.trim_matches('/');
    let (owner, path) = text.split_once('/').unwrap_or((text, ""));
    let owner = existing_user(store, owner).await?;
    let mut grants = store.grants_by_owner(owner.id).await?;
    let mut paths = std::collections::HashMap::new();
    for c in store.child_collections(owner.id, "").await? {
        paths.insert(c.id, c.path);
    }
    if let Some(home) = store.collection(owner.id, "").await? {
        paths.insert(home.id, "*".into());
    }
    if !path.is_empty() {
        let on = shared_of(store, owner.clone(), path).await?;
        grants.retain(|g| g.collection == on.collection.id);
    }
    let rows = grants
        .into_iter()
        .map(|g| {
            let path = paths.get(&g.collection).cloned().unwrap_or_default();
            (path, g)
        })
        .collect();
    Ok(ShareList { owner, rows })
}

/// `CALENDAR\tWHO\tACCESS\tby AUTHOR`, one share a line (`*`: every calendar).
pub struct ShareList {
    pub owner: User,
    pub rows: Vec<(String, Grant)>,
}

impl fmt::Display for ShareList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.owner.name;
        if self.rows.is_empty() {
            return write!(
                f,
                "{name} shares nothing. Share with `calvault share add {name}/CALENDAR USER --read`."
            );
        }
        for (i, (path, g)) in self.rows.iter().enumerate() {
            let who = grantee_text(g);
            let newline = if i > 0 { "\n" } else { "" };
            let access = g.privilege.as_str();
            write!(
                f,
                "{newline}{name}/{path}\t{who}\t{access}\tby {}",
                g.created_by
            )?;
        }
        Ok(())
    }
}

pub async fn existing_group(store: &dyn Store, name: &str) -> Result<Group, AdminError> {
    store
        .group_by_name(name.trim_start_matches('@'))
        .await?
        .ok_or_else(|| AdminError::NoSuchGroup(name.to_owned()))
}

pub async fn add_group(
    store: &dyn Store,
    name: &str,
    display_name: Option<&str>,
) -> Result<Group, AdminError> {
    super::check_user_name(name).map_err(|_| AdminError::BadGroupName(name.to_owned()))?;
    match store.create_group(name, display_name).await {
        Err(StoreError::AlreadyExists) => Err(AdminError::GroupExists(name.to_owned())),
        other => Ok(other?),
    }
}

pub async fn remove_group(
    store: &dyn Store,
    name: &str,
    change: &Change,
) -> Result<(), AdminError> {
    match store.remove_group(name, change).await {
        Err(StoreError::NotFound) => Err(AdminError::NoSuchGroup(name.to_owned())),
        other => Ok(other?),
    }
}

pub async fn add_member(
    store: &dyn Store,
    group: &str,
    user: &str,
    bind: bool,
    change: &Change,
) -> Result<(), AdminError> {
    let g = existing_group(store, group).await?;
    let u = existing_user(store, user).await?;
    Ok(store.add_member(g.id, u.id, bind, change).await?)
}

pub async fn remove_member(
    store: &dyn Store,
    group: &str,
    user: &str,
    change: &Change,
) -> Result<(), AdminError> {
    let g = existing_group(store, group).await?;
    let u = existing_user(store, user).await?;
    match store.remove_member(g.id, u.id, change).await {
        Err(StoreError::NotFound) => Err(AdminError::NotAMember(u.name, g.name)),
        other => Ok(other?),
    }
}

pub async fn group_list(store: &dyn Store) -> Result<GroupList, AdminError> {
    let mut rows = Vec::new();
    for g in store.groups().await? {
        let members = store.group_members(g.id).await?;
        rows.push((g, members.into_iter().map(|u| u.name).collect()));
    }
    Ok(GroupList(rows))
}

/// `NAME\tDISPLAY NAME\tmembers: A, B`, one group a line.
pub struct GroupList(pub Vec<(Group, Vec<String>)>);

impl fmt::Display for GroupList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("No groups. Add one with `calvault group add NAME`.");
        }
        for (i, (g, members)) in self.0.iter().enumerate() {
            let newline = if i > 0 { "\n" } else { "" };
            let shown = g.display_name.as_deref().unwrap_or("-");
            let members = if members.is_empty() {
                "no members".to_owned()
            } else {
                format!("members: {}", members.join(", "))
            };
            write!(f, "{newline}{}\t{shown}\t{members}", g.name)?;
        }
        Ok(())
    }
}

/// A delegate may read (or also write) every calendar of the owner: a grant on the home,
/// which Apple Calendar, iOS and DAVx5 find as calendar-proxy membership.
fn delegate_privilege(write: bool) -> Privilege {
    if write {
        Privilege::ReadWrite
    } else {
        Privilege::Read
    }
}

/// Makes `user` a delegate of `home`'s owner (`home` is `OWNER/*`), reading or also
/// writing. A home is never bound into another's: delegates reach it at the owner's URLs.
pub async fn add_delegate(
    store: &dyn Store,
    home: &Shared,
    user: &str,
    write: bool,
    change: &Change,
) -> Result<(), AdminError> {
    let privilege = delegate_privilege(write);
    add_share(store, home, user, privilege, false, change).await
}

pub async fn delegate_list(store: &dyn Store, owner: &str) -> Result<DelegateList, AdminError> {
    let on = shared(store, &format!("{owner}/*")).await?;
    let grants = store.grants(on.collection.id).await?;
    Ok(DelegateList {
        owner: on.owner.name,
        grants: grants
            .into_iter()
            .filter(|g| g.privilege >= Privilege::Read)
            .collect(),
    })
}

/// `WHO\tread|write`, one delegate a line.
pub struct DelegateList {
    pub owner: String,
    pub grants: Vec<Grant>,
}

impl fmt::Display for DelegateList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.grants.is_empty() {
            let owner = &self.owner;
            return write!(
                f,
                "{owner} has no delegates. Add one with `calvault delegate add {owner} USER --read`."
            );
        }
        for (i, g) in self.grants.iter().enumerate() {
            let newline = if i > 0 { "\n" } else { "" };
            let access = if g.privilege >= Privilege::ReadWrite {
                "write"
            } else {
                "read"
            };
            let who = grantee_text(g);
            write!(f, "{newline}{who}\t{access}")?;
        }
        Ok(())
    }
}
