//! Reading a collection's objects for a long listing, and sizing its answer: pages of
//! metadata read one ahead of the writer, and room reserved in the answer buffer so that it
//! is not copied each time it outgrows itself.

use std::sync::Arc;

use dav_xml::MultistatusWriter;
use store::{CollectionId, ObjectMeta, Store, StoreError};
use tokio::task::JoinHandle;

use crate::cx::Cx;
use crate::error::{DavError, DavResult};

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
