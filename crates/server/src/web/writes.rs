//! Every change the pages make to calendars goes through the CalDAV engine as the request a
//! calendar app would send (MKCALENDAR, PROPPATCH, PUT, DELETE), so it meets the same
//! validation, preconditions, quota and history as a CalDAV client's, recorded with client
//! "web". Nothing here writes to the store directly.

use bytes::Bytes;
use dav::Caller;
use http::{header, Method, Request, StatusCode};

use super::error::WebError;

/// A DAV answer that succeeded.
pub struct Written {
    pub status: StatusCode,
    pub body: Bytes,
}

/// What a write expects to find (If-None-Match / If-Match).
pub enum Expect<'a> {
    Absent,
    Etag(&'a str),
}

async fn send(
    engine: &dav::Engine,
    caller: &Caller,
    method: &str,
    href: &str,
    headers: &[(header::HeaderName, String)],
    body: Bytes,
) -> Result<Written, WebError> {
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| WebError::bad(format!("{method} is not a method")))?;
    let mut builder = Request::builder().method(method).uri(href);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let req = builder
        .body(body)
        .map_err(|e| WebError::bad(format!("cannot build the request for {href}: {e}")))?;
    let res = engine.handle(req, caller).await;
    if res.status().is_success() {
        return Ok(Written {
            status: res.status(),
            body: res.body().clone(),
        });
    }
    Err(WebError::new(
        res.status(),
        refusal(res.status(), res.body()),
    ))
}

/// The reason of a refused DAV request: its `CV:message`, else its text.
fn refusal(status: StatusCode, body: &[u8]) -> String {
    let from_xml = dav_xml::parse_document(body, dav_xml::XmlLimits::default())
        .ok()
        .and_then(|root| {
            root.elements()
                .find(|c| c.name.local == "message")
                .map(|m| m.text_content())
        });
    let text = from_xml.unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    match text.is_empty() {
        true => format!(
            "the server refused this ({})",
            status.canonical_reason().unwrap_or("error")
        ),
        false => text,
    }
}

fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The `<D:prop>` content that names and colours a calendar.
fn name_and_colour(name: Option<&str>, colour: Option<&str>) -> String {
    let mut xml = String::new();
    if let Some(name) = name {
        xml.push_str(&format!(
            "<D:displayname>{}</D:displayname>",
            escape_xml(name)
        ));
    }
    if let Some(colour) = colour {
        xml.push_str(&format!(
            "<A:calendar-color>{}</A:calendar-color>",
            escape_xml(colour)
        ));
    }
    xml
}

const NAMESPACES: &str =
    r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/""#;

/// MKCALENDAR (RFC 4791 §5.3.1) with its name, colour and component types.
pub async fn make_calendar(
    engine: &dav::Engine,
    caller: &Caller,
    href: &str,
    name: &str,
    colour: &str,
    components: &[&str],
) -> Result<(), WebError> {
    let comps: String = components
        .iter()
        .map(|c| format!(r#"<C:comp name="{c}"/>"#))
        .collect();
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:mkcalendar {NAMESPACES}><D:set><D:prop>{}<C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#,
        name_and_colour(Some(name), Some(colour))
    );
    let xml = (
        header::CONTENT_TYPE,
        "application/xml; charset=utf-8".into(),
    );
    send(engine, caller, "MKCALENDAR", href, &[xml], body.into()).await?;
    Ok(())
}

/// PROPPATCH of the calendar's name and colour.
pub async fn rename(
    engine: &dav::Engine,
    caller: &Caller,
    href: &str,
    name: Option<&str>,
    colour: Option<&str>,
) -> Result<(), WebError> {
    proppatch(engine, caller, href, &name_and_colour(name, colour)).await
}

/// The user's time zone for these pages, kept as a property of their calendar home so
/// that it follows them from browser to browser.
pub const TIME_ZONE: &str = "time-zone";

pub async fn set_time_zone(
    engine: &dav::Engine,
    caller: &Caller,
    zone: &str,
) -> Result<(), WebError> {
    let home = dav::path::home_href(&caller.user.name);
    let prop = format!(
        r#"<V:{TIME_ZONE} xmlns:V="{}">{}</V:{TIME_ZONE}>"#,
        dav_xml::CALVAULT,
        escape_xml(zone)
    );
    proppatch(engine, caller, &home, &prop).await
}

/// PROPPATCH setting the properties `props` (XML elements) on `href`.
async fn proppatch(
    engine: &dav::Engine,
    caller: &Caller,
    href: &str,
    props: &str,
) -> Result<(), WebError> {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate {NAMESPACES}><D:set><D:prop>{props}</D:prop></D:set></D:propertyupdate>"#
    );
    let xml = (
        header::CONTENT_TYPE,
        "application/xml; charset=utf-8".into(),
    );
    let answer = send(engine, caller, "PROPPATCH", href, &[xml], body.into()).await?;
    // RFC 4918 §9.2: a 207 whose propstat is not 200 set nothing.
    let text = String::from_utf8_lossy(&answer.body);
    match text.contains("HTTP/1.1 200") && !text.contains("HTTP/1.1 4") {
        true => Ok(()),
        false => Err(WebError::bad(format!(
            "the properties were not set: {}",
            refusal(answer.status, &answer.body)
        ))),
    }
}

/// PUT of calendar data; the new ETag.
pub async fn put(
    engine: &dav::Engine,
    caller: &Caller,
    href: &str,
    data: String,
    expect: Expect<'_>,
) -> Result<Written, WebError> {
    let condition = match expect {
        Expect::Absent => (header::IF_NONE_MATCH, "*".to_owned()),
        Expect::Etag(etag) => (header::IF_MATCH, format!("\"{etag}\"")),
    };
    let media = (header::CONTENT_TYPE, "text/calendar; charset=utf-8".into());
    send(
        engine,
        caller,
        "PUT",
        href,
        &[media, condition],
        data.into(),
    )
    .await
}

/// DELETE of an object (only the version seen, when `etag` is given) or a calendar.
pub async fn delete(
    engine: &dav::Engine,
    caller: &Caller,
    href: &str,
    etag: Option<&str>,
) -> Result<(), WebError> {
    let headers: Vec<_> = etag
        .map(|e| (header::IF_MATCH, format!("\"{e}\"")))
        .into_iter()
        .collect();
    send(engine, caller, "DELETE", href, &headers, Bytes::new()).await?;
    Ok(())
}
