//! The members a Depth: 1 answer lists besides a collection's objects (child collections,
//! the fixed principal and home collections), with their stored properties, and member
//! properties grouped by member.

use std::collections::HashMap;
use std::sync::Arc;

use store::Property;

use crate::error::{DavError, DavResult};
use crate::method::Cx;
use crate::resource::Resource;

/// Every member of a collection-like resource with its stored properties, objects included
/// (read in one go: for the principal reports, not for long listings).
pub async fn members(cx: &Cx<'_>, r: &Resource) -> DavResult<Vec<(Resource, Vec<Property>)>> {
    let mut out = members_but_objects(cx, r).await?;
    if let Resource::Collection(c) = r {
        let store = &cx.engine.store;
        let mut member_props = group_props(store.member_properties(c.id).await?);
        let collection = Arc::new(c.clone());
        for meta in store.objects(c.id).await? {
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
    let fixed = |r: Resource| Ok(vec![(r, Vec::new())]);
    match r {
        Resource::Root => fixed(Resource::DavRoot),
        Resource::DavRoot => Ok(vec![
            (Resource::Principals, Vec::new()),
            (Resource::Homes, Vec::new()),
        ]),
        Resource::Principals => fixed(Resource::Principal),
        Resource::Homes => {
            let home = store
                .collection(me.id, "")
                .await?
                .ok_or_else(DavError::not_found)?;
            let dead = store.properties(home.id, None).await?;
            Ok(vec![(Resource::Collection(home), dead)])
        }
        Resource::Collection(c) => {
            let mut out = Vec::new();
            for child in store.child_collections(me.id, &c.path).await? {
                let dead = store.properties(child.id, None).await?;
                out.push((Resource::Collection(child), dead));
            }
            Ok(out)
        }
        Resource::Principal | Resource::Object { .. } => Ok(Vec::new()),
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
