//! What the live-property values may read besides the resource itself, and the stored (dead)
//! properties of a resource.

use dav_xml::{PropFind, QName, DAV};
use store::{DavLock, Property};

use crate::error::DavResult;
use crate::limits::Limits;
use crate::method::Cx;
use crate::resource::Resource;

/// The per-request environment of the live-property values.
pub struct PropEnv<'a> {
    pub user: &'a store::User,
    pub limits: &'a Limits,
    /// Bytes in use by the user, fetched only when a quota property was asked for.
    pub usage: Option<u64>,
    /// The live locks of the home, fetched only when lockdiscovery was asked for (allprop
    /// includes it, RFC 4918 §9.1), with the time they are judged at.
    pub locks: Option<(Vec<DavLock>, i64)>,
}

impl<'a> PropEnv<'a> {
    /// The environment for answering `propfind`: the user's usage is only fetched when a
    /// quota property is among those asked for.
    pub async fn new(cx: &'a Cx<'_>, propfind: &PropFind) -> DavResult<PropEnv<'a>> {
        let wants_quota = match propfind {
            PropFind::Prop(list) => list.iter().any(|e| is_quota(&e.name)),
            PropFind::AllProp { include } => include.iter().any(is_quota),
            PropFind::PropName => false,
        };
        let wants_locks = match propfind {
            PropFind::Prop(list) => list.iter().any(|e| e.name.is(DAV, "lockdiscovery")),
            // propname lists it, and expand-property answers from a propname environment.
            PropFind::AllProp { .. } | PropFind::PropName => true,
        };
        let store = &cx.engine.store;
        let usage = if wants_quota {
            Some(store.usage_bytes(cx.caller.user.id).await?)
        } else {
            None
        };
        let locks = if wants_locks {
            Some((store.locks(cx.caller.user.id).await?, store::db::now_ms()))
        } else {
            None
        };
        Ok(PropEnv {
            user: &cx.caller.user,
            limits: &cx.engine.limits,
            usage,
            locks,
        })
    }

    /// The quota that applies: the user's own, else the server's default.
    pub fn quota(&self) -> Option<u64> {
        self.limits.quota_for(self.user)
    }
}

/// The properties whose value needs the user's usage (RFC 4331).
fn is_quota(name: &QName) -> bool {
    name.is(DAV, "quota-available-bytes") || name.is(DAV, "quota-used-bytes")
}

/// The stored properties of one resource (collections and objects have them).
pub async fn dead_properties(cx: &Cx<'_>, r: &Resource) -> DavResult<Vec<Property>> {
    let store = &cx.engine.store;
    Ok(match r {
        Resource::Collection(c) => store.properties(c.id, None).await?,
        Resource::Object {
            collection, meta, ..
        } => store.properties(collection.id, Some(&meta.name)).await?,
        _ => Vec::new(),
    })
}
