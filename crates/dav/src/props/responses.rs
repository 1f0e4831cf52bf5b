//! The one response builder of PROPFIND and every REPORT: a `DAV:response` with the
//! asked-for properties of a resource, written straight into the multistatus answer.
//! [`MemberResponses`] writes the objects of one collection by the thousand: the
//! collection's href is built once, its members' stored properties are read in one store
//! call, every response shares the collection, and the buffers are reused from member to
//! member.

use std::collections::HashMap;
use std::sync::Arc;

use dav_xml::{Element, MultistatusWriter, PropFind};
use store::{ObjectMeta, Property};

use super::env::PropEnv;
use super::members::group_props;
use super::propstat::{self, Extra};
use crate::cx::Cx;
use crate::error::DavResult;
use crate::path;
use crate::resource::{Resource, Seen};

/// Writes the responses of one request: which properties, for whom, how minimal.
pub struct PropResponses<'a> {
    env: &'a PropEnv<'a>,
    prop: &'a PropFind,
    minimal: bool,
    // Reused for every response.
    found: Vec<Element>,
    missing: Vec<Element>,
}

impl<'a> PropResponses<'a> {
    /// `minimal`: leave out the 404 propstats (RFC 8144 `Prefer: return=minimal`).
    pub fn new(env: &'a PropEnv<'a>, prop: &'a PropFind, minimal: bool) -> Self {
        PropResponses {
            env,
            prop,
            minimal,
            found: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// Writes the response for one resource; `extra` answers what a REPORT computes itself
    /// (calendar-data).
    pub fn write(
        &mut self,
        out: &mut MultistatusWriter,
        href: &str,
        resource: &Resource,
        dead: &[Property],
        extra: &Extra<'_>,
    ) {
        let PropResponses {
            env,
            prop,
            minimal,
            found,
            missing,
        } = self;
        propstat::collect(env, resource, dead, prop, extra, found, missing);
        let (with_found, with_missing) = propstat::propstats_to_send(found, missing, *minimal);
        out.open_response(href);
        if with_found {
            out.propstat(200, found);
        }
        if with_missing {
            out.propstat(404, missing);
        }
        out.close_response();
        found.clear();
        missing.clear();
    }
}

/// The responses for objects of one collection.
pub struct MemberResponses<'a> {
    responses: PropResponses<'a>,
    collection: Arc<Seen>,
    collection_href: String,
    /// Stored properties by member name.
    dead: HashMap<String, Vec<Property>>,
    /// Reused for every member.
    href: String,
}

impl<'a> MemberResponses<'a> {
    pub async fn new(
        cx: &Cx<'_>,
        env: &'a PropEnv<'a>,
        prop: &'a PropFind,
        minimal: bool,
        collection: Arc<Seen>,
    ) -> DavResult<Self> {
        let dead = group_props(cx.engine.store.member_properties(collection.id()).await?);
        let collection_href = collection.href();
        Ok(MemberResponses {
            responses: PropResponses::new(env, prop, minimal),
            collection,
            collection_href,
            dead,
            href: String::new(),
        })
    }

    pub fn collection(&self) -> &Seen {
        &self.collection
    }

    pub fn href(&self, name: &str) -> String {
        path::member_href(&self.collection_href, name)
    }

    /// Writes the response for one object; `extra` answers what a REPORT computes itself
    /// (calendar-data).
    pub fn write(&mut self, out: &mut MultistatusWriter, meta: ObjectMeta, extra: &Extra<'_>) {
        let MemberResponses {
            responses,
            collection,
            collection_href,
            dead,
            href,
        } = self;
        // Borrowed, not taken: a multiget may name the same member twice.
        let dead = dead.get(&meta.name).map_or(&[][..], Vec::as_slice);
        href.clear();
        href.push_str(collection_href);
        path::push_segment(href, &meta.name);
        let resource = Resource::Object {
            collection: Arc::clone(collection),
            meta,
            data: None,
        };
        responses.write(out, href, &resource, dead, extra);
    }
}
