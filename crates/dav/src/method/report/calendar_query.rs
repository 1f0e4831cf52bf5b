//! calendar-query (RFC 4791 §7.8): candidates are narrowed on the stored index (component
//! type and UTC occurrence bounds), then every candidate is decided exactly by the calendar
//! domain's filter evaluation, with recurrences expanded.

use std::sync::Arc;

use bytes::Bytes;
use dav_xml::{CalendarQuery, Element, MultistatusWriter, CALDAV};
use http::{Request, Response, StatusCode};
use ical::{CompFilter, EvalContext, ExpandError, TimeRange};
use store::{Collection, EventCandidates, EventRange, InstanceIndex, ObjectMeta, Slice};
use tokio::task::JoinHandle;

use super::calendar_data;
use super::filter_xml::parse_filter;
use crate::condition::Condition;
use crate::error::{DavError, DavResult};
use crate::method::{calendar_values, Cx};
use crate::props::{self, MemberResponses, PropEnv};
use crate::resource::Resource;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resource: Resource,
    query: CalendarQuery,
) -> DavResult<Response<Bytes>> {
    let filter_xml = query.filter.as_ref().ok_or_else(|| {
        DavError::condition(
            Condition::ValidFilter,
            "calendar-query needs a CALDAV:filter",
        )
    })?;
    let filter = parse_filter(filter_xml)?;
    let (seen, only) = match resource {
        Resource::Collection(c) => (Arc::new(c), None),
        Resource::Object {
            collection, meta, ..
        } => (collection, Some(meta.name)),
        _ => {
            return Err(DavError::forbidden(
                "calendar-query is answered on calendar collections",
            ))
        }
    };
    let store = &cx.engine.store;
    let collection = &seen.collection;
    let ctx = EvalContext {
        floating_tz: floating_zone(cx, collection, query.timezone.as_deref()).await?,
        max_instances: cx.engine.limits.max_instances,
    };
    let wants_data = calendar_data::requested(&query.prop);
    // The index answers in slices read at once on several connections, each written out as
    // it arrives while the others are still being read.
    let (slice_reads, mut undecided) = match (indexed_range(&filter), &only) {
        (Some((start, end)), None) => {
            // The offset must hold for every instance that may reach into the range.
            let around = InstanceIndex::MAX_SPAN + 86_400;
            let offset = ical::tz::constant_offset(
                ctx.floating_tz,
                start.saturating_sub(around),
                end.saturating_add(86_400),
            );
            let range = EventRange {
                collection: collection.id,
                start,
                end,
                floating_offset: offset,
                with_data: wants_data && end.saturating_sub(start) <= DATA_WITH_INDEX_RANGE,
                slice: Slice::WHOLE,
            };
            (read_slices(cx, range), Vec::new())
        }
        _ => {
            let metas = candidates(cx, collection, &filter)
                .await?
                .into_iter()
                .filter(|m| only.as_ref().is_none_or(|n| *n == m.name))
                .filter(|m| may_match(&filter, m))
                .collect();
            (Vec::new(), metas)
        }
    };
    let mut env = PropEnv::new(cx, &query.prop).await?;
    env.load_locks(cx, collection.owner).await?;
    let minimal = crate::method::wants_minimal(req);
    let mut members =
        MemberResponses::new(cx, &env, &query.prop, minimal, Arc::clone(&seen)).await?;
    let mut out = crate::answer_buffer::multistatus();
    let mut respond = |out: &mut MultistatusWriter, meta: ObjectMeta, data: Option<&Bytes>| {
        let extra = |e: &Element| calendar_data::answer_with(e, data, &ctx);
        members.write(out, meta, &extra);
    };
    undecided.extend(
        write_slices(
            cx,
            slice_reads,
            collection,
            wants_data,
            &mut out,
            &mut respond,
        )
        .await?,
    );
    // The rest is decided exactly, recurrences expanded.
    let names: Vec<String> = undecided.into_iter().map(|m| m.name).collect();
    for batch in names.chunks(DATA_BATCH) {
        for object in store.objects_by_name(collection.id, batch).await? {
            let Some(text) = std::str::from_utf8(&object.data).ok() else {
                continue;
            };
            let Ok(root) = ical::parse(text) else {
                continue;
            };
            if ical::matches(&root, &filter, &ctx).map_err(expansion_error)? {
                respond(&mut out, object.meta.clone(), Some(&object.data));
            }
        }
    }
    Ok(crate::method::xml_response(
        StatusCode::MULTI_STATUS,
        out.finish(None),
    ))
}

/// Slices the instance index's answer is read in at once (see [`Slice`]): two keep both
/// cores of a small server busy, one reading while the other writes what has arrived.
const QUERY_SLICES: u32 = 2;

/// Starts reading every slice of `range`'s answer, each in a task of its own.
fn read_slices(cx: &Cx<'_>, range: EventRange) -> Vec<JoinHandle<store::Result<EventCandidates>>> {
    Slice::all(QUERY_SLICES)
        .map(|slice| {
            let store = Arc::clone(&cx.engine.store);
            tokio::spawn(async move { store.events_in_range(EventRange { slice, ..range }).await })
        })
        .collect()
}

/// Writes the certain matches of each slice as it arrives, in slice order, and returns the
/// objects left to exact evaluation.
async fn write_slices(
    cx: &Cx<'_>,
    reads: Vec<JoinHandle<store::Result<EventCandidates>>>,
    collection: &Collection,
    wants_data: bool,
    out: &mut MultistatusWriter,
    respond: &mut impl FnMut(&mut MultistatusWriter, ObjectMeta, Option<&Bytes>),
) -> DavResult<Vec<ObjectMeta>> {
    let mut undecided = Vec::new();
    for read in reads {
        let found = read.await.map_err(|e| {
            DavError::from(store::StoreError::Backend(format!(
                "query slice task failed: {e}"
            )))
        })??;
        props::reserve_for(out, found.matched.iter().map(|(m, _)| m), wants_data);
        // Data comes along with the matches for a short range; for a long one it is read
        // here in batches.
        let (with_data, without_data): (Vec<_>, Vec<_>) = found
            .matched
            .into_iter()
            .partition(|(_, d)| d.is_some() || !wants_data);
        for (meta, data) in with_data {
            respond(out, meta, data.as_ref());
        }
        let names: Vec<String> = without_data.into_iter().map(|(m, _)| m.name).collect();
        for batch in names.chunks(DATA_BATCH) {
            for object in cx
                .engine
                .store
                .objects_by_name(collection.id, batch)
                .await?
            {
                respond(out, object.meta, Some(&object.data));
            }
        }
        undecided.extend(found.undecided);
    }
    Ok(undecided)
}

/// Objects whose data is read in one store call.
const DATA_BATCH: usize = 500;
/// Up to this range (seconds) matched objects come with their data in one pass; a longer
/// one may match the whole calendar, so data is read in batches to bound memory.
const DATA_WITH_INDEX_RANGE: i64 = 62 * 86_400;

/// The range of the query the store's instance index answers exactly: VCALENDAR with one
/// VEVENT comp-filter that holds a bounded time-range and nothing else.
fn indexed_range(filter: &CompFilter) -> Option<(i64, i64)> {
    let simple = |f: &CompFilter| !f.is_not_defined && f.prop_filters.is_empty();
    match filter.comp_filters.as_slice() {
        [event]
            if simple(filter)
                && filter.name.eq_ignore_ascii_case("VCALENDAR")
                && filter.time_range.is_none()
                && simple(event)
                && event.comp_filters.is_empty()
                && event.name.eq_ignore_ascii_case("VEVENT") =>
        {
            let range = event.time_range?;
            Some((range.start?, range.end?))
        }
        _ => None,
    }
}

/// One SQL query narrows the candidates when the filter names one component type with a
/// time-range (the common "this week's events" query); otherwise every object is a candidate.
async fn candidates(
    cx: &Cx<'_>,
    collection: &Collection,
    filter: &CompFilter,
) -> DavResult<Vec<ObjectMeta>> {
    let store = &cx.engine.store;
    match filter.comp_filters.as_slice() {
        [only] if !only.is_not_defined => {
            let (start, end) = only
                .time_range
                .map(|r| (r.start, r.end))
                .unwrap_or((None, None));
            Ok(store
                .objects_in_range(collection.id, Some(&only.name), start, end)
                .await?)
        }
        _ => Ok(store.objects(collection.id).await?),
    }
}

fn expansion_error(e: ExpandError) -> DavError {
    DavError::condition(Condition::MaxInstances, e.to_string())
}

/// The pre-filter on stored metadata: the component type named under VCALENDAR and its
/// time-range against the object's UTC bounds (which are conservative, never too narrow).
fn may_match(filter: &CompFilter, meta: &ObjectMeta) -> bool {
    filter.comp_filters.iter().all(|f| {
        if f.is_not_defined {
            return true;
        }
        let component = meta.index.component.as_deref().unwrap_or("");
        if !component.eq_ignore_ascii_case(&f.name) {
            return false;
        }
        match f.time_range {
            Some(range) => bounds_touch(range, meta.index.first_start, meta.index.last_end),
            None => true,
        }
    })
}

fn bounds_touch(range: TimeRange, first: Option<i64>, last: Option<i64>) -> bool {
    let starts_in_time = match (range.end, first) {
        (Some(end), Some(first)) => first <= end,
        _ => true,
    };
    let ends_in_time = match (range.start, last) {
        (Some(start), Some(last)) => last >= start,
        _ => true,
    };
    starts_in_time && ends_in_time
}

/// Floating times and all-day values are read in the query's `C:timezone`, else the
/// calendar's `calendar-timezone`, else UTC (RFC 4791 §9.9).
async fn floating_zone(
    cx: &Cx<'_>,
    collection: &Collection,
    query_zone: Option<&str>,
) -> DavResult<Option<chrono_tz::Tz>> {
    let text = match query_zone {
        Some(t) => {
            // RFC 4791 §7.8 `valid-calendar-data`: a time zone the query cannot be read in
            // is refused, not replaced by UTC.
            calendar_values::timezone(t)
                .map_err(|d| DavError::condition(Condition::ValidCalendarData, d))?;
            Some(t.to_owned())
        }
        None => cx
            .engine
            .store
            .properties(collection.id, None)
            .await?
            .into_iter()
            .find(|p| p.namespace == CALDAV && p.name == "calendar-timezone")
            .and_then(|p| dav_xml::parse_document(p.xml.as_bytes(), Default::default()).ok())
            .map(|e| e.text_content()),
    };
    Ok(text.as_deref().and_then(zone_of_vtimezone))
}

fn zone_of_vtimezone(text: &str) -> Option<chrono_tz::Tz> {
    let cal = ical::parse(text.trim()).ok()?;
    let tz = cal.components.iter().find(|c| c.name == "VTIMEZONE")?;
    ical::tz::resolve_tzid(&tz.property("TZID")?.value)
}
