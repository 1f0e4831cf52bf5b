//! MKCOL (RFC 4918 §9.3, extended by RFC 5689) and MKCALENDAR (RFC 4791 §5.3.1).

use bytes::Bytes;
use dav_xml::{Element, CALDAV, DAV};
use http::{Request, Response, StatusCode};
use store::{CollectionKind, NewCollection};

use super::proppatch::{check_set, refused, stored, Refusal};
use super::{calendar_values, Cx};
use crate::calendars::DEFAULT_COMPONENTS;
use crate::condition::Condition;
use crate::error::{DavError, DavResult};
use crate::quirks;
use crate::resource::Resolved;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    target: Resolved,
    mkcalendar: bool,
) -> DavResult<Response<Bytes>> {
    let requested = dav_xml::parse_mkcol(req.body()).map_err(|e| {
        DavError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("the request body is not an extended MKCOL or MKCALENDAR document: {e}"),
        )
    })?;
    let vacant = match target {
        Resolved::Found(_) => {
            return Err(DavError::method_not_allowed(
                "a resource already exists at this URL",
            ))
        }
        Resolved::Vacant(v) => v,
    };
    let parent = vacant.parent.as_ref().ok_or_else(|| {
        DavError::conflict("the parent collection of this URL does not exist; create it first")
    })?;
    if parent.collection.kind == CollectionKind::Calendar {
        return Err(DavError::condition(
            Condition::CalendarCollectionLocationOk,
            "collections cannot be created inside a calendar collection",
        ));
    }
    let kind = if mkcalendar || asks_for_calendar(&requested) {
        CollectionKind::Calendar
    } else {
        CollectionKind::Plain
    };
    let mut components: Vec<String> = DEFAULT_COMPONENTS.iter().map(|c| c.to_string()).collect();
    let mut properties = Vec::new();
    let mut verdicts = Vec::new();
    for p in &requested {
        let names_resourcetype = p.name.is(DAV, "resourcetype")
            && (!mkcalendar || quirks::MKCALENDAR_MAY_NAME_ITS_RESOURCETYPE);
        let verdict = if names_resourcetype {
            check_resourcetype(p, kind)
        } else if p.name.is(CALDAV, "supported-calendar-component-set") {
            component_set(p, kind).map(|set| components = set)
        } else if p.name.is(CALDAV, "supported-calendar-data") {
            // RFC 4791 §5.2.4: the media types a new calendar takes; this server's one is
            // the live value, so naming it is honoured without storing anything.
            calendar_values::supported_data(p)
                .map_err(|detail| Refusal::new(Condition::SupportedCalendarData, detail))
        } else {
            match check_set(p) {
                Ok(()) => {
                    properties.push(stored(p)?);
                    Ok(())
                }
                Err(refusal) => Err(refusal),
            }
        };
        verdicts.push((p.name.clone(), verdict));
    }
    let href = crate::path::collection_href(&parent.home_user, &vacant.path);
    if verdicts.iter().any(|(_, v)| v.is_err()) {
        let body = dav_xml::multistatus_body(&refused(href, verdicts));
        return Ok(super::xml_response(StatusCode::FORBIDDEN, body));
    }
    if kind == CollectionKind::Plain {
        components.clear();
    }
    cx.engine
        .store
        .create_collection(
            NewCollection {
                owner: parent.collection.owner,
                path: vacant.path.clone(),
                kind,
                components,
                properties,
                target: None,
            },
            &cx.caller.change,
        )
        .await?;
    Ok(Response::builder()
        .status(StatusCode::CREATED)
        .header(http::header::LOCATION, href)
        .body(Bytes::new())
        .unwrap_or_else(|_| Response::new(Bytes::new())))
}

fn asks_for_calendar(props: &[Element]) -> bool {
    props
        .iter()
        .filter(|p| p.name.is(DAV, "resourcetype"))
        .any(|p| p.child(CALDAV, "calendar").is_some())
}

/// A resourcetype in an extended MKCOL body (RFC 5689 §3; in MKCALENDAR see
/// [`quirks::MKCALENDAR_MAY_NAME_ITS_RESOURCETYPE`]) may only describe what is being created.
fn check_resourcetype(p: &Element, kind: CollectionKind) -> Result<(), Refusal> {
    let ok = p.elements().all(|e| {
        e.name.is(DAV, "collection")
            || (kind == CollectionKind::Calendar && e.name.is(CALDAV, "calendar"))
    });
    if ok {
        Ok(())
    } else {
        Err(Refusal::new(
            Condition::ValidResourcetype,
            "only collection and calendar resource types can be created here".into(),
        ))
    }
}

fn component_set(p: &Element, kind: CollectionKind) -> Result<Vec<String>, Refusal> {
    let refuse = |detail: String| Refusal::new(Condition::SupportedCalendarComponent, detail);
    if kind != CollectionKind::Calendar {
        return Err(refuse(
            "supported-calendar-component-set only applies to calendars".into(),
        ));
    }
    calendar_values::component_set(p).map_err(refuse)
}
