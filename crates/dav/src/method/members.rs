//! The responses for objects of one collection, as PROPFIND Depth: 1 and the REPORTs write
//! them by the thousand: the collection's href is built once, its members' stored
//! properties are read in one store call, and every response shares the collection.

use std::collections::HashMap;
use std::sync::Arc;

use dav_xml::{PropFind, Response};
use store::{Collection, ObjectMeta, Property};

use super::propfind::{group_props, props_response, Extra};
use super::Cx;
use crate::error::DavResult;
use crate::path;
use crate::props::PropEnv;
use crate::resource::Resource;

pub struct MemberResponses<'a> {
    env: &'a PropEnv<'a>,
    prop: &'a PropFind,
    minimal: bool,
    collection: Arc<Collection>,
    collection_href: String,
    /// Stored properties by member name, taken out as each member is answered.
    dead: HashMap<String, Vec<Property>>,
}

impl<'a> MemberResponses<'a> {
    pub async fn new(
        cx: &Cx<'_>,
        env: &'a PropEnv<'a>,
        prop: &'a PropFind,
        minimal: bool,
        collection: Arc<Collection>,
    ) -> DavResult<Self> {
        let dead = group_props(cx.engine.store.member_properties(collection.id).await?);
        let collection_href = path::collection_href(&cx.caller.user.name, &collection.path);
        Ok(MemberResponses {
            env,
            prop,
            minimal,
            collection,
            collection_href,
            dead,
        })
    }

    pub fn collection(&self) -> &Collection {
        &self.collection
    }

    pub fn href(&self, name: &str) -> String {
        path::member_href(&self.collection_href, name)
    }

    /// The response for one object; `extra` answers what a REPORT computes itself
    /// (calendar-data).
    pub fn response(&mut self, meta: ObjectMeta, extra: &Extra<'_>) -> Response {
        let dead = self.dead.remove(&meta.name).unwrap_or_default();
        let href = self.href(&meta.name);
        let resource = Resource::Object {
            collection: Arc::clone(&self.collection),
            meta,
            data: None,
        };
        props_response(
            self.env,
            href,
            &resource,
            &dead,
            self.prop,
            self.minimal,
            extra,
        )
    }
}
