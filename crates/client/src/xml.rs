//! Reading multistatus answers (RFC 4918 §13) and error bodies; writing request bodies.

use dav_xml::{parse_document_verbatim, Element, XmlLimits, CALDAV, DAV};

/// A PROPFIND over a large calendar answers with many elements; the depth stays small.
const RESPONSE_LIMITS: XmlLimits = XmlLimits {
    max_depth: 64,
    max_elements: 50_000_000,
};

#[derive(Clone, Debug, Default)]
pub struct Multistatus {
    pub responses: Vec<ResponseEntry>,
    /// RFC 6578 §6.2: the new token of a sync-collection answer.
    pub sync_token: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ResponseEntry {
    /// Percent-decoded path of the member (absolute URLs are reduced to their path).
    pub path: String,
    /// The href exactly as the server wrote it.
    pub href: String,
    /// A response-level status (sync-collection reports deletions as 404 here).
    pub status: Option<u16>,
    pub propstats: Vec<PropStat>,
    /// The local name of a response-level DAV:error precondition, if any.
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PropStat {
    pub status: u16,
    pub props: Vec<Prop>,
}

/// One property as found, kept whole so callers read what they need.
#[derive(Clone, Debug)]
pub struct Prop {
    pub element: Element,
}

impl Prop {
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.element.name.is(ns, local)
    }

    pub fn text(&self) -> String {
        self.element.text_content()
    }

    /// Every DAV:href inside the property (current-user-principal, calendar-home-set).
    pub fn hrefs(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_hrefs(&self.element, &mut out);
        out
    }

    /// Whether a child element of this name is present (resourcetype members).
    pub fn has_child(&self, ns: &str, local: &str) -> bool {
        self.element.child(ns, local).is_some()
    }

    /// The `name` attributes of CALDAV:comp children (supported-calendar-component-set).
    pub fn comp_names(&self) -> Vec<String> {
        self.element
            .elements()
            .filter(|e| e.name.is(CALDAV, "comp"))
            .filter_map(|e| e.attr("name").map(str::to_owned))
            .collect()
    }
}

fn collect_hrefs(e: &Element, out: &mut Vec<String>) {
    for child in e.elements() {
        if child.name.is(DAV, "href") {
            out.push(child.text_content().trim().to_owned());
        } else {
            collect_hrefs(child, out);
        }
    }
}

impl ResponseEntry {
    /// A property answered with 200 OK.
    pub fn prop(&self, ns: &str, local: &str) -> Option<&Prop> {
        self.propstats
            .iter()
            .filter(|ps| (200..300).contains(&ps.status))
            .flat_map(|ps| &ps.props)
            .find(|p| p.is(ns, local))
    }

    pub fn prop_text(&self, ns: &str, local: &str) -> Option<String> {
        self.prop(ns, local)
            .map(|p| p.text().trim().to_owned())
            .filter(|t| !t.is_empty())
    }
}

pub fn parse_multistatus(body: &[u8]) -> Result<Multistatus, String> {
    let root = parse_document_verbatim(body, RESPONSE_LIMITS).map_err(|e| e.to_string())?;
    if !root.name.is(DAV, "multistatus") {
        return Err(format!(
            "the root element is {{{}}}{}, not DAV:multistatus",
            root.name.ns, root.name.local
        ));
    }
    let mut out = Multistatus::default();
    for child in root.elements() {
        if child.name.is(DAV, "sync-token") {
            out.sync_token = Some(child.text_content().trim().to_owned());
        } else if child.name.is(DAV, "response") {
            out.responses.push(read_response(child)?);
        }
    }
    Ok(out)
}

fn read_response(e: &Element) -> Result<ResponseEntry, String> {
    let href = e
        .child(DAV, "href")
        .map(|h| h.text_content().trim().to_owned())
        .ok_or("a DAV:response has no DAV:href")?;
    let mut entry = ResponseEntry {
        path: href_path(&href),
        href,
        status: e
            .child(DAV, "status")
            .and_then(|s| parse_status(&s.text_content())),
        propstats: Vec::new(),
        error: e
            .child(DAV, "error")
            .and_then(|err| err.elements().next())
            .map(|c| c.name.local.to_string()),
    };
    for ps in e.elements().filter(|c| c.name.is(DAV, "propstat")) {
        let status = ps
            .child(DAV, "status")
            .and_then(|s| parse_status(&s.text_content()))
            .unwrap_or(200);
        let props = ps
            .child(DAV, "prop")
            .map(|p| {
                p.elements()
                    .map(|element| Prop {
                        element: element.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        entry.propstats.push(PropStat { status, props });
    }
    Ok(entry)
}

/// `HTTP/1.1 404 Not Found` -> 404.
fn parse_status(line: &str) -> Option<u16> {
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The percent-decoded path of an href, which may be an absolute URL.
pub fn href_path(href: &str) -> String {
    let path = match href.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => href,
    };
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

/// The local name of the precondition in a DAV:error body, if the body is one.
pub fn error_condition(body: &[u8]) -> Option<String> {
    let root = parse_document_verbatim(body, XmlLimits::default()).ok()?;
    if !root.name.is(DAV, "error") {
        return None;
    }
    let condition = root.elements().next().map(|c| c.name.local.to_string());
    condition
}

/// Escapes text for an XML element body (CR kept as a character reference).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_sync_answers_with_deletions_and_raw_line_ends() {
        let body = "<?xml version=\"1.0\"?>\n<d:multistatus xmlns:d=\"DAV:\" \
            xmlns:c=\"urn:ietf:params:xml:ns:caldav\">\
            <d:response><d:href>http://h/cal/a%20b.ics</d:href><d:propstat><d:prop>\
            <d:getetag>\"1\"</d:getetag><c:calendar-data>BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\
            </c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>\
            </d:response><d:response><d:href>/cal/gone.ics</d:href>\
            <d:status>HTTP/1.1 404 Not Found</d:status></d:response>\
            <d:sync-token>tok-2</d:sync-token></d:multistatus>";
        let ms = parse_multistatus(body.as_bytes()).unwrap();
        assert_eq!(ms.sync_token.as_deref(), Some("tok-2"));
        assert_eq!(ms.responses[0].path, "/cal/a b.ics");
        assert_eq!(
            ms.responses[0].prop_text(DAV, "getetag").as_deref(),
            Some("\"1\"")
        );
        let data = ms.responses[0]
            .prop(CALDAV, "calendar-data")
            .unwrap()
            .text();
        assert_eq!(data, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
        assert_eq!(ms.responses[1].status, Some(404));
        assert!(parse_multistatus(b"<a/>").is_err());
    }

    #[test]
    fn reads_error_preconditions() {
        let body = b"<D:error xmlns:D=\"DAV:\"><D:valid-sync-token/></D:error>";
        assert_eq!(error_condition(body).as_deref(), Some("valid-sync-token"));
        assert_eq!(error_condition(b"not xml"), None);
    }
}
