//! POST to the scheduling outbox (RFC 6638 §5, §6.1): a free-busy lookup. The body is a
//! VFREEBUSY REQUEST; each ATTENDEE gets a `C:response` with its request-status and, when
//! it may be told, its busy time over the asked range from every calendar of theirs that
//! counts (recurrences expanded, transparent and cancelled events left out, calendars
//! whose `schedule-calendar-transp` is transparent skipped). Whether the caller may see an
//! attendee's busy time is [`crate::access::free_busy_visible`]'s decision.
//!
//! The answer holds only `recipient`, `request-status` and `calendar-data` in each
//! response: python caldav refuses any other child (shared/CLIENTS-multiuser.md §6e).

use bytes::Bytes;
use dav_xml::{Element, QName, CALDAV};
use http::{Request, Response, StatusCode};
use ical::itip::freebusy;
use store::{CollectionKind, User};

use super::address::{is_address_of, Directory};
use crate::access;
use crate::condition::Condition;
use crate::cx::Cx;
use crate::error::{DavError, DavResult};
use crate::method::report::free_busy::busy_in;
use crate::resource::Seen;

/// RFC 5546 §3.6 request statuses.
const SUCCESS: &str = "2.0;Success";
const INVALID_USER: &str = "3.7;Invalid calendar user";
const NO_AUTHORITY: &str = "3.8;No authority";

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    outbox: &Seen,
) -> DavResult<Response<Bytes>> {
    let invalid = |detail: String| DavError::condition(Condition::ValidSchedulingMessage, detail);
    let text = std::str::from_utf8(req.body())
        .map_err(|_| invalid("the free-busy request is not UTF-8 text".into()))?;
    let root = ical::parse(text).map_err(|e| invalid(format!("not iCalendar: {e}")))?;
    let request = freebusy::request(&root).map_err(invalid)?;
    let owner = if outbox.collection.owner == cx.caller.user.id {
        cx.caller.user.clone()
    } else {
        cx.engine
            .store
            .user_by_id(outbox.collection.owner)
            .await?
            .ok_or_else(DavError::not_found)?
    };
    // RFC 6638 §6.1.1 valid-organizer: one may only ask as oneself.
    if !is_address_of(&request.organizer, &owner) {
        return Err(DavError::condition(
            Condition::ValidOrganizer,
            format!(
                "the ORGANIZER {} is not an address of {}; ask as yourself",
                request.organizer, owner.name
            ),
        ));
    }
    let directory = Directory::load(cx.engine.store.as_ref()).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut answer = Element::new(QName::caldav("schedule-response"));
    for attendee in &request.attendees {
        let recipient = Element::new(QName::caldav("recipient"))
            .with_child(Element::text(QName::dav("href"), attendee.clone()));
        let mut response = Element::new(QName::caldav("response")).with_child(recipient);
        let status = |s: &str| Element::text(QName::caldav("request-status"), s.to_owned());
        match directory.user(attendee) {
            Some(user) if access::free_busy_visible(cx, &user).await? => {
                let periods = busy_of(cx, &user, request.start, request.end).await?;
                match periods {
                    Some(periods) => {
                        let data = freebusy::reply(&request, attendee, &periods, now);
                        response = response
                            .with_child(status(SUCCESS))
                            .with_child(Element::text(QName::caldav("calendar-data"), data));
                    }
                    None => response = response.with_child(status(NO_AUTHORITY)),
                }
            }
            _ => response = response.with_child(status(INVALID_USER)),
        }
        answer = answer.with_child(response);
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{}",
        dav_xml::fragment(&answer)
    );
    Ok(crate::method::xml_response(StatusCode::OK, body))
}

/// `user`'s merged busy time over the range from the calendars the caller may see it of;
/// None when that is none of them.
async fn busy_of(
    cx: &Cx<'_>,
    user: &User,
    start: i64,
    end: i64,
) -> DavResult<Option<Vec<ical::freebusy::BusyPeriod>>> {
    let store = &cx.engine.store;
    let mut periods = Vec::new();
    let mut any = false;
    for calendar in store.child_collections(user.id, "").await? {
        if calendar.kind != CollectionKind::Calendar
            || !calendar.components.iter().any(|c| c == "VEVENT")
        {
            continue;
        }
        if !access::free_busy_of_calendar(cx, user, &calendar).await? {
            continue;
        }
        any = true;
        if is_transparent(&store.properties(calendar.id, None).await?) {
            continue;
        }
        periods.extend(busy_in(cx, calendar.id, start, end).await?);
    }
    Ok(any.then(|| ical::freebusy::merge(periods)))
}

/// RFC 6638 §9.1: a calendar marked transparent does not count towards free-busy.
fn is_transparent(props: &[store::Property]) -> bool {
    props
        .iter()
        .filter(|p| p.namespace == CALDAV && p.name == "schedule-calendar-transp")
        .filter_map(|p| dav_xml::parse_document(p.xml.as_bytes(), Default::default()).ok())
        .any(|e| e.child(CALDAV, "transparent").is_some())
}
