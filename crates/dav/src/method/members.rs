//! The responses for objects of one collection, as PROPFIND Depth: 1 and the REPORTs write
//! them by the thousand: the collection's href is built once, its members' stored
//! properties are read in one store call, every response shares the collection, and each
//! is written straight into the answer through buffers reused from member to member.

use std::collections::HashMap;
use std::sync::Arc;

use dav_xml::{Element, MultistatusWriter, PropFind};
use store::{Collection, CollectionId, ObjectMeta, Property, Store, StoreError};
use tokio::task::JoinHandle;

use super::propfind::{collect_props, group_props, propstats_to_send, Extra};
use super::Cx;
use crate::error::{DavError, DavResult};
use crate::path;
use crate::props::PropEnv;
use crate::resource::Resource;

pub struct MemberResponses<'a> {
    env: &'a PropEnv<'a>,
    prop: &'a PropFind,
    minimal: bool,
    collection: Arc<Collection>,
    collection_href: String,
    /// Stored properties by member name.
    dead: HashMap<String, Vec<Property>>,
    // Reused for every member.
    href: String,
    found: Vec<Element>,
    missing: Vec<Element>,
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
            href: String::new(),
            found: Vec::new(),
            missing: Vec::new(),
        })
    }

    pub fn collection(&self) -> &Collection {
        &self.collection
    }

    pub fn href(&self, name: &str) -> String {
        path::member_href(&self.collection_href, name)
    }

    /// Writes the response for one object; `extra` answers what a REPORT computes itself
    /// (calendar-data). The buffers are reused from one member to the next.
    pub fn write(&mut self, out: &mut MultistatusWriter, meta: ObjectMeta, extra: &Extra<'_>) {
        let MemberResponses {
            env,
            prop,
            minimal,
            collection,
            collection_href,
            dead,
            href,
            found,
            missing,
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
        collect_props(env, &resource, dead, prop, extra, found, missing);
        let (with_found, with_missing) = propstats_to_send(found, missing, *minimal);
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

/// Every object of a collection in pages of metadata, so that memory stays flat however
/// large the calendar. While the caller writes one page, the next is already being read on
/// another thread: reading and writing take about the same time, and a listing of
/// thousands of members then costs little more than the larger of the two.
pub struct ObjectPages {
    store: Arc<dyn Store>,
    collection: CollectionId,
    page_size: usize,
    next: Option<JoinHandle<store::Result<Vec<ObjectMeta>>>>,
    done: bool,
    listed: usize,
    sized: bool,
}

impl ObjectPages {
    pub fn new(cx: &Cx<'_>, collection: CollectionId, page_size: usize) -> Self {
        let mut pages = ObjectPages {
            store: Arc::clone(&cx.engine.store),
            collection,
            page_size,
            next: None,
            done: false,
            listed: 0,
            sized: false,
        };
        pages.read_ahead(None);
        pages
    }

    /// Starts reading the page after `after` in a task of its own.
    fn read_ahead(&mut self, after: Option<String>) {
        let (store, collection, page_size) =
            (Arc::clone(&self.store), self.collection, self.page_size);
        self.next = Some(tokio::spawn(async move {
            store.objects_page(collection, after, page_size).await
        }));
    }

    pub async fn next(&mut self) -> DavResult<Option<Vec<ObjectMeta>>> {
        let Some(reading) = self.next.take() else {
            return Ok(None);
        };
        let page = reading.await.map_err(|e| {
            DavError::from(StoreError::Backend(format!(
                "listing page task failed: {e}"
            )))
        })??;
        self.done = page.len() < self.page_size;
        if !self.done {
            self.read_ahead(page.last().map(|m| m.name.clone()));
            // A task spawned from a worker waits in that worker's own slot, which no other
            // worker takes from, until the current task yields: without this the read
            // would only start once the caller has written the whole page.
            tokio::task::yield_now().await;
        }
        self.listed += page.len();
        Ok((!page.is_empty()).then_some(page))
    }

    /// Called after each page is written (`out` held `before` bytes before the first): the
    /// first time, makes room for the rest of the answer at the size per object seen so far,
    /// up to [`MAX_ANSWER_RESERVE`]; beyond that the buffer grows as it fills.
    pub async fn size_answer(
        &mut self,
        out: &mut MultistatusWriter,
        before: usize,
    ) -> DavResult<()> {
        if std::mem::replace(&mut self.sized, true) || self.done || self.listed == 0 {
            return Ok(());
        }
        let total = self.store.object_count(self.collection).await?;
        let rest = usize::try_from(total)
            .unwrap_or(usize::MAX)
            .saturating_sub(self.listed);
        let per_object = (out.written_len() - before).div_ceil(self.listed);
        let wanted = rest.saturating_add(1).saturating_mul(per_object);
        out.reserve(wanted.min(MAX_ANSWER_RESERVE));
        Ok(())
    }
}

impl Drop for ObjectPages {
    /// A listing given up half-way (an error, a client gone) stops reading ahead.
    fn drop(&mut self) {
        if let Some(reading) = self.next.take() {
            reading.abort();
        }
    }
}

/// The most a listing reserves ahead for its answer: the size of a 50,000-object PROPFIND
/// with room to spare. The estimate comes from the first page only, and a calendar whose
/// first objects are large (an initial sync with calendar-data) must not make the server ask
/// for memory it will never use.
pub const MAX_ANSWER_RESERVE: usize = 64 << 20;

/// Makes room in `out` for the responses of `members`, with their calendar data when it is
/// sent, so that the answer is not copied each time it outgrows its buffer: a REPORT that
/// knows its members up front (calendar-query, multiget) reserves before writing. A guess
/// on the high side costs only address space, pages never written are never touched.
pub fn reserve_for<'m>(
    out: &mut MultistatusWriter,
    members: impl Iterator<Item = &'m ObjectMeta>,
    with_data: bool,
) {
    let wanted = members
        .map(|m| {
            let data = if with_data {
                usize::try_from(m.size).unwrap_or(usize::MAX)
            } else {
                0
            };
            // Escaping adds "&#13;" for every CR: about an eighth on iCalendar data.
            RESPONSE_OVERHEAD.saturating_add(data.saturating_add(data / 8))
        })
        .fold(0usize, usize::saturating_add);
    out.reserve(wanted.min(MAX_ANSWER_RESERVE));
}

/// Bytes a member's response takes besides its calendar data, as a sizing guess.
const RESPONSE_OVERHEAD: usize = 512;
