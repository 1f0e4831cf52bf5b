//! PROPPATCH (RFC 4918 §9.2): every instruction applies, or none does.

use bytes::Bytes;
use dav_xml::{Element, Multistatus, PropUpdate, Propstat, QName, Response, ResponseBody, CALDAV};
use http::{Request, StatusCode};
use store::{Property, PropertyPatch};

use super::{calendar_values, Cx};
use crate::condition::Condition;
use crate::conditional::{self, Current};
use crate::error::{DavError, DavResult};
use crate::props;
use crate::resource::Resource;
use crate::schedule::default_calendar;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resource: Resource,
) -> DavResult<http::Response<Bytes>> {
    let updates = dav_xml::parse_propertyupdate(req.body())?;
    let (collection, object, etag) = match &resource {
        Resource::Collection(c) => (c.properties_id(), None, None),
        Resource::Object {
            collection, meta, ..
        } => (
            collection.id(),
            Some(meta.name.clone()),
            Some(meta.etag.as_str()),
        ),
        _ => {
            return Err(DavError::forbidden(
                "properties of this resource are not writable",
            ))
        }
    };
    conditional::check_if_header(
        req.headers(),
        Current {
            exists: true,
            etag,
            tokens: &cx.if_tokens,
        },
    )?;
    let mut verdicts: Vec<(QName, Result<(), Refusal>)> = Vec::with_capacity(updates.len());
    for u in &updates {
        verdicts.push(match u {
            PropUpdate::Set(e) if default_calendar::is_it(&e.name) => {
                let verdict = default_calendar::check_set(cx, &resource, e).await?;
                let verdict =
                    verdict.map_err(|(condition, detail)| Refusal::new(condition, detail));
                (e.name.clone(), verdict)
            }
            PropUpdate::Set(e) => (e.name.clone(), check_set(e)),
            PropUpdate::Remove(name) => (name.clone(), check_remove(name)),
        });
    }
    let href = resource.href();
    if verdicts.iter().any(|(_, v)| v.is_err()) {
        return Ok(super::multistatus(&refused(href, verdicts)));
    }
    let mut patch = PropertyPatch {
        collection,
        object,
        set: Vec::new(),
        remove: Vec::new(),
    };
    for u in &updates {
        match u {
            PropUpdate::Set(e) => {
                patch.remove.retain(|(ns, n)| !e.name.is(ns, n));
                patch.set.retain(|p| !e.name.is(&p.namespace, &p.name));
                patch.set.push(stored(e)?);
            }
            PropUpdate::Remove(name) => {
                patch.set.retain(|p| !name.is(&p.namespace, &p.name));
                patch
                    .remove
                    .push((name.ns.to_string(), name.local.to_string()));
            }
        }
    }
    cx.engine
        .store
        .patch_properties(patch, &cx.caller.change)
        .await?;
    let names = verdicts.into_iter().map(|(n, _)| Element::new(n)).collect();
    Ok(super::multistatus(&Multistatus {
        responses: vec![Response {
            href,
            body: ResponseBody::Propstats(vec![Propstat::new(200, names)]),
        }],
        sync_token: None,
    }))
}

/// The property as it is stored: the element as the client wrote it, with its `xml:lang`
/// and the namespace declarations it needs (RFC 4918 §4.3). A 200 promises that PROPFIND
/// gives back what was sent, so a value that would not read back the same is refused
/// rather than acknowledged.
pub fn stored(e: &Element) -> DavResult<Property> {
    let xml = dav_xml::fragment(e);
    match dav_xml::parse_document(xml.as_bytes(), Default::default()) {
        Ok(back) if back == *e => Ok(Property {
            namespace: e.name.ns.to_string(),
            name: e.name.local.to_string(),
            xml,
        }),
        _ => Err(DavError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the value of {} cannot be stored exactly as sent", e.name),
        )),
    }
}

/// Why one instruction of a PROPPATCH (or one property of an extended MKCOL) is refused.
pub struct Refusal {
    pub status: StatusCode,
    pub condition: Condition,
    pub detail: String,
}

impl Refusal {
    /// A refusal with the condition's own status.
    pub fn new(condition: Condition, detail: String) -> Self {
        Refusal {
            status: condition.status(),
            condition,
            detail,
        }
    }
}

fn protected(name: &QName) -> Refusal {
    Refusal::new(
        Condition::CannotModifyProtectedProperty,
        format!("{name} is computed by the server and cannot be changed"),
    )
}

/// Whether a property may be set to this value.
pub fn check_set(e: &Element) -> Result<(), Refusal> {
    // A value this server could never honour names the rule it breaks (RFC 4791 §5.2.3,
    // §5.2.4) before the property's protection does.
    if e.name.is(CALDAV, "supported-calendar-data") {
        calendar_values::supported_data(e)
            .map_err(|d| Refusal::new(Condition::SupportedCalendarData, d))?;
    }
    if e.name.is(CALDAV, "supported-calendar-component-set") {
        calendar_values::component_set(e)
            .map_err(|d| Refusal::new(Condition::SupportedCalendarComponent, d))?;
    }
    if props::is_protected(&e.name) {
        return Err(protected(&e.name));
    }
    if e.name.is(CALDAV, "calendar-timezone") {
        // RFC 4791 §5.2.10: a VCALENDAR holding exactly one valid VTIMEZONE; RFC 4918 §9.2
        // gives 409 to a value whose semantics do not suit the property.
        calendar_values::timezone(&e.text_content()).map_err(|detail| Refusal {
            status: StatusCode::CONFLICT,
            condition: Condition::ValidCalendarData,
            detail,
        })?;
    }
    Ok(())
}

fn check_remove(name: &QName) -> Result<(), Refusal> {
    if props::is_protected(name) {
        return Err(protected(name));
    }
    Ok(())
}

/// RFC 4918 §9.2.1: the failing instructions with their reason, the others 424.
pub fn refused(href: String, verdicts: Vec<(QName, Result<(), Refusal>)>) -> Multistatus {
    let mut propstats = Vec::new();
    let mut dependent = Vec::new();
    for (name, verdict) in verdicts {
        match verdict {
            Ok(()) => dependent.push(Element::new(name)),
            Err(r) => propstats.push(Propstat {
                status: r.status.as_u16(),
                props: vec![Element::new(name)],
                error: Some(r.condition.element()),
                description: Some(r.detail),
            }),
        }
    }
    if !dependent.is_empty() {
        propstats.push(Propstat {
            status: 424,
            props: dependent,
            error: None,
            description: Some("not applied because another property in the request failed".into()),
        });
    }
    Multistatus {
        responses: vec![Response {
            href,
            body: ResponseBody::Propstats(propstats),
        }],
        sync_token: None,
    }
}
