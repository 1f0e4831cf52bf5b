//! free-busy-query (RFC 4791 §7.10): the merged busy time of a calendar in a range, as a
//! VFREEBUSY in `text/calendar`.

use bytes::Bytes;
use dav_xml::{Element, CALDAV};
use http::{header, Response, StatusCode};
use ical::{freebusy, EvalContext};

use super::filter_xml::time_range;
use crate::condition::Condition;
use crate::cx::Cx;
use crate::error::{DavError, DavResult};
use crate::resource::Resource;

/// Busy periods only: no summaries, UIDs or anything else of the events, so a user with
/// read-free-busy alone learns when, not what.
pub async fn handle(cx: &Cx<'_>, resource: Resource, body: Element) -> DavResult<Response<Bytes>> {
    let range_element = body.child(CALDAV, "time-range").ok_or_else(|| {
        DavError::bad_request("free-busy-query needs a CALDAV:time-range with start and end")
    })?;
    let range = time_range(range_element)?;
    let (Some(start), Some(end)) = (range.start, range.end) else {
        return Err(DavError::bad_request(
            "free-busy-query needs a time-range with both start and end",
        ));
    };
    let Some(collection) = resource.calendar().cloned() else {
        return Err(DavError::forbidden(
            "free-busy-query is answered on calendar collections",
        ));
    };
    let periods = busy_in(cx, collection.id, start, end).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let text = freebusy::write_vfreebusy(start, end, &periods, now);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/calendar; charset=utf-8")
        .body(Bytes::from(text))
        .map_err(|e| DavError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// The merged busy periods of one calendar in `[start, end)` (UTC seconds): recurrences
/// expanded, transparent and cancelled events left out (RFC 4791 §7.10). The scheduling
/// outbox's free-busy lookup (RFC 6638 §5) counts each calendar with this too.
pub(crate) async fn busy_in(
    cx: &Cx<'_>,
    collection: store::CollectionId,
    start: i64,
    end: i64,
) -> DavResult<Vec<freebusy::BusyPeriod>> {
    let store = &cx.engine.store;
    let ctx = EvalContext {
        floating_tz: None,
        max_instances: cx.engine.limits.max_instances,
    };
    let names: Vec<String> = store
        .objects_in_range(collection, None, Some(start), Some(end))
        .await?
        .into_iter()
        .filter(|m| matches!(m.index.component.as_deref(), Some("VEVENT" | "VFREEBUSY")))
        .map(|m| m.name)
        .collect();
    let mut periods = Vec::new();
    for object in store.objects_by_name(collection, &names).await? {
        let Ok(root) = std::str::from_utf8(&object.data).map(ical::parse) else {
            continue;
        };
        let Ok(root) = root else { continue };
        let busy = freebusy::busy_periods(&root, start, end, &ctx)
            .map_err(|e| DavError::condition(Condition::MaxInstances, e.to_string()))?;
        periods.extend(busy);
    }
    Ok(freebusy::merge(periods))
}
