//! What the live-property values may read besides the resource itself, and the stored (dead)
//! properties of a resource.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use dav_xml::{PropFind, QName, CALSERVER, DAV};
use store::{
    CollectionId, DavLock, Grant, Grantee, Group, PrincipalId, Privilege, Property, Reachable,
};

use crate::cx::Cx;
use crate::error::DavResult;
use crate::limits::Limits;
use crate::path;
use crate::resource::Resource;

/// The per-request environment of the live-property values.
pub struct PropEnv<'a> {
    /// The caller.
    pub user: &'a store::User,
    pub limits: &'a Limits,
    /// Bytes in use by the user, fetched only when a quota property was asked for.
    pub usage: Option<u64>,
    /// The live locks of the homes in the answer, read only when lockdiscovery was asked
    /// for (allprop includes it, RFC 4918 §9.1).
    pub locks: Option<LockFacts>,
    /// Who shares what, for the sharing properties; read by [`PropEnv::load`].
    pub facts: Facts,
    wants_sharing: bool,
    wants_default_calendar: bool,
}

/// What the sharing and group properties of the resources in an answer show, read once
/// per answer rather than once per property.
#[derive(Default)]
pub struct Facts {
    /// The grants on collections, by collection: who else may see it.
    pub grants: HashMap<CollectionId, Vec<Grant>>,
    /// Every collection of these owners with its grants is in `grants` (an owner's calendars
    /// with none are not shared).
    owners_loaded: HashSet<PrincipalId>,
    /// A user's groups and the homes granted to them (delegations), by user.
    pub memberships: HashMap<PrincipalId, Membership>,
    /// The member hrefs of group-like principals, by the principal's href.
    pub members: HashMap<String, Vec<String>>,
    /// `schedule-default-calendar-URL` of the inboxes in the answer, by inbox.
    pub default_calendars: HashMap<CollectionId, dav_xml::Element>,
}

/// The live locks of the homes whose resources an answer shows: the caller's, read with
/// the environment, and those of the owners of calendars shared with them, read by
/// [`PropEnv::load_locks`]; with the time they are judged at.
pub struct LockFacts {
    pub by_home: HashMap<PrincipalId, Vec<DavLock>>,
    pub now: i64,
}

/// The groups a user belongs to, and whose delegate they are.
#[derive(Default)]
pub struct Membership {
    pub groups: Vec<Group>,
    /// Owners whose whole home is granted to the user, with the privilege.
    pub delegations: Vec<(String, Privilege)>,
}

impl Facts {
    /// True when `collection` has grants (it is shared by its owner).
    pub fn is_shared(&self, collection: CollectionId) -> bool {
        self.grants.get(&collection).is_some_and(|g| !g.is_empty())
    }
}

impl<'a> PropEnv<'a> {
    /// The environment for answering `propfind`: the user's usage is only fetched when a
    /// quota property is among those asked for.
    pub async fn new(cx: &'a Cx<'_>, propfind: &PropFind) -> DavResult<PropEnv<'a>> {
        let usage = if asks_for(propfind, is_quota) {
            Some(cx.engine.store.usage_bytes(cx.caller.user.id).await?)
        } else {
            None
        };
        let wants_locks = match propfind {
            PropFind::Prop(list) => list.iter().any(|e| e.name.is(DAV, "lockdiscovery")),
            // propname lists it, and expand-property answers from a propname environment.
            PropFind::AllProp { .. } | PropFind::PropName => true,
        };
        let locks = if wants_locks {
            let me = cx.caller.user.id;
            let own = cx.engine.store.locks(me).await?;
            Some(LockFacts {
                by_home: HashMap::from([(me, own)]),
                now: store::db::now_ms(),
            })
        } else {
            None
        };
        Ok(PropEnv {
            user: &cx.caller.user,
            limits: &cx.engine.limits,
            usage,
            locks,
            facts: Facts::default(),
            wants_sharing: asks_for(propfind, is_sharing),
            wants_default_calendar: asks_for(propfind, crate::schedule::default_calendar::is_it),
        })
    }

    /// The quota that applies: the user's own, else the server's default.
    pub fn quota(&self) -> Option<u64> {
        self.limits.quota_for(self.user)
    }

    /// Reads what the sharing and group properties of these resources show. Principals and
    /// groups always (they are rare in answers); collections only when a sharing property
    /// was asked for, with one lookup for all of the caller's own.
    pub async fn load(&mut self, cx: &Cx<'_>, resources: &[&Resource]) -> DavResult<()> {
        let store = &cx.engine.store;
        for r in resources.iter().copied() {
            match r {
                Resource::Collection(c) => self.load_locks(cx, c.collection.owner).await?,
                Resource::Object { collection, .. } => {
                    self.load_locks(cx, collection.collection.owner).await?
                }
                _ => {}
            }
            match r {
                Resource::Collection(c)
                    if self.wants_default_calendar
                        && c.collection.kind == store::CollectionKind::ScheduleInbox =>
                {
                    let owner = store.user_by_id(c.collection.owner).await?;
                    let value = match owner {
                        Some(owner) => {
                            crate::schedule::default_calendar::value(store.as_ref(), &owner).await?
                        }
                        None => None,
                    };
                    if let Some(value) = value {
                        self.facts.default_calendars.insert(c.id(), value);
                    }
                }
                Resource::Collection(c) if self.wants_sharing => {
                    let owner = c.collection.owner;
                    if c.is_owned_by(&self.user.name) {
                        if self.facts.owners_loaded.insert(owner) {
                            for grant in store.grants_by_owner(owner).await? {
                                let on = self.facts.grants.entry(grant.collection).or_default();
                                on.push(grant);
                            }
                        }
                    } else if let Entry::Vacant(slot) = self.facts.grants.entry(c.id()) {
                        slot.insert(store.grants(c.id()).await?);
                    }
                }
                Resource::Principal(user) if !self.facts.memberships.contains_key(&user.id) => {
                    let groups = store.groups_of(user.id).await?;
                    let delegations = store
                        .reachable(user.id)
                        .await?
                        .into_iter()
                        .filter(|r| r.collection.is_home())
                        .map(
                            |Reachable {
                                 owner_name,
                                 privilege,
                                 ..
                             }| (owner_name, privilege),
                        )
                        .collect();
                    let membership = Membership {
                        groups,
                        delegations,
                    };
                    self.facts.memberships.insert(user.id, membership);
                }
                Resource::Proxy { of, write } => {
                    let Some(home) = store.collection(of.id, "").await? else {
                        continue;
                    };
                    let hrefs = store
                        .grants(home.id)
                        .await?
                        .into_iter()
                        .filter(|g| is_delegate(g.privilege, *write))
                        .map(|g| grantee_href(&g))
                        .collect();
                    self.facts.members.insert(r.href(), hrefs);
                }
                Resource::Group(group) => {
                    let members = store.group_members(group.id).await?;
                    let hrefs = members
                        .iter()
                        .map(|u| path::principal_href(&u.name))
                        .collect();
                    self.facts.members.insert(r.href(), hrefs);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads the locks of `home` for lockdiscovery, when it was asked for and they are not
    /// read yet (a calendar shared with the caller has its owner's).
    pub async fn load_locks(&mut self, cx: &Cx<'_>, home: PrincipalId) -> DavResult<()> {
        if let Some(facts) = self.locks.as_mut() {
            if let Entry::Vacant(slot) = facts.by_home.entry(home) {
                slot.insert(cx.engine.store.locks(home).await?);
            }
        }
        Ok(())
    }
}

/// A grant on a home makes a read delegate (calendar-proxy-read) or, from read-write up, a
/// write delegate; a free-busy grant on a home makes neither.
pub fn is_delegate(privilege: Privilege, write: bool) -> bool {
    match write {
        true => privilege >= Privilege::ReadWrite,
        false => privilege == Privilege::Read,
    }
}

/// The principal href of a grant's grantee.
pub fn grantee_href(g: &Grant) -> String {
    match g.grantee {
        Grantee::User(_) => path::principal_href(&g.grantee_name),
        Grantee::Group(_) => path::group_href(&g.grantee_name),
    }
}

/// True when the request asks for the value of a property `pred` accepts (allprop: of
/// resourcetype, or of one it includes); propname needs names only.
fn asks_for(propfind: &PropFind, pred: fn(&QName) -> bool) -> bool {
    match propfind {
        PropFind::Prop(list) => list.iter().any(|e| pred(&e.name)),
        PropFind::AllProp { include } => {
            pred(&QName::dav("resourcetype")) || include.iter().any(pred)
        }
        PropFind::PropName => false,
    }
}

/// The properties whose value needs the user's usage (RFC 4331).
fn is_quota(name: &QName) -> bool {
    name.is(DAV, "quota-available-bytes") || name.is(DAV, "quota-used-bytes")
}

/// The properties of collections whose value depends on who they are shared with.
fn is_sharing(name: &QName) -> bool {
    name.is(DAV, "resourcetype") || name.is(DAV, "acl") || name.is(CALSERVER, "invite")
}

/// The stored properties of one resource (collections and objects have them). A calendar
/// seen through a binding has the calendar's, with the sharee's own (name, colour, ...)
/// in their place.
pub async fn dead_properties(cx: &Cx<'_>, r: &Resource) -> DavResult<Vec<Property>> {
    let store = &cx.engine.store;
    Ok(match r {
        Resource::Collection(c) => {
            let mut props = store.properties(c.id(), None).await?;
            if let Some(binding) = &c.binding {
                let own = store.properties(binding.id, None).await?;
                props.retain(|p| {
                    !own.iter()
                        .any(|o| o.namespace == p.namespace && o.name == p.name)
                });
                props.extend(own);
            }
            props
        }
        Resource::Object {
            collection, meta, ..
        } => store.properties(collection.id(), Some(&meta.name)).await?,
        _ => Vec::new(),
    })
}
