//! The members a Depth: 1 answer lists besides a collection's objects (child collections,
//! principals, the fixed collections), with their stored properties, and member properties
//! grouped by member.

use std::collections::HashMap;
use std::sync::Arc;

use store::Property;

use super::env::dead_properties;
use crate::access::Visibility;
use crate::cx::Cx;
use crate::error::{DavError, DavResult};
use crate::resolve::seen;
use crate::resource::{Resource, Seen};

/// Every member of a collection-like resource with its stored properties, objects included
/// (read in one go: for the principal reports, not for long listings).
pub async fn members(cx: &Cx<'_>, r: &Resource) -> DavResult<Vec<(Resource, Vec<Property>)>> {
    let mut out = members_but_objects(cx, r).await?;
    if let Resource::Collection(c) = r {
        let store = &cx.engine.store;
        let mut member_props = group_props(store.member_properties(c.id()).await?);
        let collection = Arc::new(c.clone());
        for meta in store.objects(c.id()).await? {
            let dead = member_props.remove(&meta.name).unwrap_or_default();
            out.push((
                Resource::Object {
                    collection: Arc::clone(&collection),
                    meta,
                    data: None,
                },
                dead,
            ));
        }
    }
    Ok(out)
}

/// The members of a collection-like resource other than objects (child collections,
/// principals), with their stored properties.
pub async fn members_but_objects(
    cx: &Cx<'_>,
    r: &Resource,
) -> DavResult<Vec<(Resource, Vec<Property>)>> {
    let store = &cx.engine.store;
    let me = &cx.caller.user;
    let bare =
        |resources: Vec<Resource>| Ok(resources.into_iter().map(|r| (r, Vec::new())).collect());
    match r {
        Resource::Root => bare(vec![Resource::DavRoot]),
        Resource::DavRoot => bare(vec![
            Resource::Principals,
            Resource::Groups,
            Resource::Homes,
        ]),
        Resource::Principals => {
            let visible = Visibility::of(cx).await?;
            let users = store.list_users().await?;
            let found = users.into_iter().filter(|u| visible.finds(u, me));
            bare(found.map(|u| Resource::Principal(Arc::new(u))).collect())
        }
        Resource::Principal(user) => bare(vec![
            Resource::Proxy {
                of: Arc::clone(user),
                write: false,
            },
            Resource::Proxy {
                of: Arc::clone(user),
                write: true,
            },
        ]),
        Resource::Groups => {
            let visible = Visibility::of(cx).await?;
            let groups = store.groups().await?;
            let seen = groups.into_iter().filter(|g| visible.sees_group(g.id));
            bare(seen.map(|g| Resource::Group(Arc::new(g))).collect())
        }
        Resource::Homes => {
            let home = store.collection(me.id, "").await?;
            let home = Resource::Collection(Seen::own(cx, home.ok_or_else(DavError::not_found)?));
            let dead = dead_properties(cx, &home).await?;
            Ok(vec![(home, dead)])
        }
        Resource::Collection(c) if c.binding.is_none() => {
            let owner = c.collection.owner;
            let mut out = Vec::new();
            for child in store.child_collections(owner, &c.collection.path).await? {
                // What the caller may not read (or a binding whose calendar is gone) is
                // left out, as if it were not there.
                let child = match seen(cx, owner, &c.owner_name, child).await {
                    Ok(child) => child,
                    Err(e) if e.status == http::StatusCode::NOT_FOUND => continue,
                    Err(e) => return Err(e),
                };
                let child = Resource::Collection(child);
                let dead = dead_properties(cx, &child).await?;
                out.push((child, dead));
            }
            Ok(out)
        }
        Resource::Collection(_)
        | Resource::Proxy { .. }
        | Resource::Group(_)
        | Resource::Object { .. } => Ok(Vec::new()),
    }
}

/// A batched member-property list grouped by member name.
pub fn group_props(all: Vec<(String, Property)>) -> HashMap<String, Vec<Property>> {
    let mut by_member: HashMap<String, Vec<Property>> = HashMap::new();
    for (member, p) in all {
        by_member.entry(member).or_default().push(p);
    }
    by_member
}
