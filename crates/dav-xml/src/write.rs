//! Response bodies: 207 multistatus and precondition error documents.
//!
//! The four namespaces clients expect are declared once on the root with their customary
//! prefixes; any other namespace is declared on the element that uses it.

use crate::document::{Element, Node};
use crate::{QName, APPLE_ICAL, CALDAV, CALSERVER, DAV};

const ROOT_PREFIXES: [(&str, &str); 4] = [
    (DAV, "D"),
    (CALDAV, "C"),
    (CALSERVER, "CS"),
    (APPLE_ICAL, "ICAL"),
];

#[derive(Clone, Debug, Default)]
pub struct Multistatus {
    pub responses: Vec<Response>,
    /// RFC 6578 §6.4 `DAV:sync-token` at the end of a sync-collection answer.
    pub sync_token: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Response {
    /// Already percent-encoded.
    pub href: String,
    pub body: ResponseBody,
}

#[derive(Clone, Debug)]
pub enum ResponseBody {
    Propstats(Vec<Propstat>),
    /// A response-level status, e.g. 404 for a missing multiget href or a removed member.
    Status {
        status: u16,
        error: Option<Element>,
        description: Option<String>,
    },
}

#[derive(Clone, Debug)]
pub struct Propstat {
    pub status: u16,
    pub props: Vec<Element>,
    pub error: Option<Element>,
    pub description: Option<String>,
}

impl Propstat {
    pub fn new(status: u16, props: Vec<Element>) -> Self {
        Propstat {
            status,
            props,
            error: None,
            description: None,
        }
    }
}

pub fn multistatus_body(ms: &Multistatus) -> String {
    let mut w = MultistatusWriter::new();
    for response in &ms.responses {
        w.response(response);
    }
    w.finish(ms.sync_token.as_deref())
}

/// Writes a multistatus one response at a time, so that a listing of thousands of members
/// never holds all of their response values at once.
pub struct MultistatusWriter {
    w: Writer,
}

impl Default for MultistatusWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl MultistatusWriter {
    pub fn new() -> Self {
        let mut w = Writer::new();
        w.open_root(&QName::dav("multistatus"));
        MultistatusWriter { w }
    }

    pub fn response(&mut self, response: &Response) {
        let w = &mut self.w;
        w.raw("<D:response><D:href>");
        w.escaped(&response.href);
        w.raw("</D:href>");
        match &response.body {
            ResponseBody::Propstats(propstats) => {
                for ps in propstats {
                    w.raw("<D:propstat><D:prop>");
                    for p in &ps.props {
                        w.element(p);
                    }
                    w.raw("</D:prop>");
                    w.status(ps.status);
                    w.error_and_description(ps.error.as_ref(), ps.description.as_deref());
                    w.raw("</D:propstat>");
                }
            }
            ResponseBody::Status {
                status,
                error,
                description,
            } => {
                w.status(*status);
                w.error_and_description(error.as_ref(), description.as_deref());
            }
        }
        w.raw("</D:response>");
    }

    pub fn finish(mut self, sync_token: Option<&str>) -> String {
        if let Some(token) = sync_token {
            self.w.raw("<D:sync-token>");
            self.w.escaped(token);
            self.w.raw("</D:sync-token>");
        }
        self.w.raw("</D:multistatus>");
        self.w.out
    }
}

/// An RFC 4918 §16 `DAV:error` body carrying one precondition element.
pub fn error_body(condition: &Element, description: Option<&str>) -> String {
    let mut w = Writer::new();
    w.open_root(&QName::dav("error"));
    w.element(condition);
    if let Some(d) = description {
        // Not standard inside DAV:error, but sabre and others do it and clients ignore it:
        // a human-readable reason beats a bare element.
        w.raw("<D:responsedescription>");
        w.escaped(d);
        w.raw("</D:responsedescription>");
    }
    w.raw("</D:error>");
    w.out
}

/// One property element as a standalone XML fragment (with its namespace declarations),
/// the form in which stored properties are kept.
pub fn fragment(e: &Element) -> String {
    let mut w = Writer {
        out: String::new(),
        next_prefix: 0,
        root_declarations_pending: true,
    };
    w.element(e);
    w.out
}

struct Writer {
    root_declarations_pending: bool,
    out: String,
    next_prefix: usize,
}

impl Writer {
    fn new() -> Self {
        Writer {
            out: String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"),
            next_prefix: 0,
            root_declarations_pending: false,
        }
    }

    fn open_root(&mut self, name: &QName) {
        self.out.push('<');
        self.out.push_str(root_prefix(&name.ns).unwrap_or("D"));
        self.out.push(':');
        self.out.push_str(&name.local);
        for (ns, prefix) in ROOT_PREFIXES {
            self.out.push_str(" xmlns:");
            self.out.push_str(prefix);
            self.out.push_str("=\"");
            self.out.push_str(ns);
            self.out.push('"');
        }
        self.out.push('>');
    }

    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn escaped(&mut self, s: &str) {
        escape_into(&mut self.out, s);
    }

    fn status(&mut self, code: u16) {
        self.raw("<D:status>");
        self.raw(&status_line(code));
        self.raw("</D:status>");
    }

    fn error_and_description(&mut self, error: Option<&Element>, description: Option<&str>) {
        if let Some(e) = error {
            self.raw("<D:error>");
            self.element(e);
            self.raw("</D:error>");
        }
        if let Some(d) = description {
            self.raw("<D:responsedescription>");
            self.escaped(d);
            self.raw("</D:responsedescription>");
        }
    }

    /// Writes an element; names outside the root namespaces get a prefix declared in place.
    fn element(&mut self, e: &Element) {
        let mut declarations = String::new();
        if std::mem::take(&mut self.root_declarations_pending) {
            for (ns, prefix) in ROOT_PREFIXES {
                declarations.push_str(&format!(" xmlns:{prefix}=\"{ns}\""));
            }
        }
        let tag = self.tag_name(&e.name, &mut declarations);
        self.out.push('<');
        self.out.push_str(&tag);
        self.out.push_str(&declarations);
        for (name, value) in &e.attrs {
            let mut attr_decl = String::new();
            let attr_name = if name.ns.is_empty() {
                name.local.clone()
            } else {
                self.tag_name(name, &mut attr_decl)
            };
            self.out.push_str(&attr_decl);
            self.out.push(' ');
            self.out.push_str(&attr_name);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value);
            self.out.push('"');
        }
        if e.children.is_empty() {
            self.out.push_str("/>");
            return;
        }
        self.out.push('>');
        for child in &e.children {
            match child {
                Node::Element(c) => self.element(c),
                Node::Text(t) => escape_into(&mut self.out, t),
            }
        }
        self.out.push_str("</");
        self.out.push_str(&tag);
        self.out.push('>');
    }

    fn tag_name(&mut self, name: &QName, declarations: &mut String) -> String {
        if name.ns.is_empty() {
            // No default namespace is ever declared, so an unprefixed name has no namespace.
            return name.local.clone();
        }
        if let Some(prefix) = root_prefix(&name.ns) {
            return format!("{prefix}:{}", name.local);
        }
        self.next_prefix += 1;
        let prefix = format!("x{}", self.next_prefix);
        declarations.push_str(&format!(" xmlns:{prefix}=\""));
        escape_into(declarations, &name.ns);
        declarations.push('"');
        format!("{prefix}:{}", name.local)
    }
}

fn root_prefix(ns: &str) -> Option<&'static str> {
    ROOT_PREFIXES
        .iter()
        .find(|(n, _)| *n == ns)
        .map(|(_, p)| *p)
}

fn escape_into(out: &mut String, s: &str) {
    // Copy the runs between special characters whole: calendar-data is mostly plain text.
    let mut rest = s;
    while let Some(at) = rest
        .bytes()
        .position(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\r'))
    {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            // Keep CR through an XML round trip (RFC 4791 calendar-data uses CRLF).
            _ => "&#13;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// `HTTP/1.1 200 OK` for a status code, as `DAV:status` carries it.
pub fn status_line(code: u16) -> String {
    format!("HTTP/1.1 {code} {}", reason_phrase(code))
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        207 => "Multi-Status",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        500 => "Internal Server Error",
        507 => "Insufficient Storage",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{parse_document, XmlLimits};

    #[test]
    fn multistatus_round_trips_through_the_parser() {
        let ms = Multistatus {
            responses: vec![
                Response {
                    href: "/dav/a%20b/".into(),
                    body: ResponseBody::Propstats(vec![
                        Propstat::new(
                            200,
                            vec![
                                Element::text(QName::dav("displayname"), "R&D <team>"),
                                Element::new(QName::new("urn:x", "y"))
                                    .with_child(Element::text(QName::new("", "bare"), "v")),
                            ],
                        ),
                        Propstat::new(404, vec![Element::new(QName::caldav("calendar-data"))]),
                    ]),
                },
                Response {
                    href: "/dav/gone".into(),
                    body: ResponseBody::Status {
                        status: 404,
                        error: None,
                        description: None,
                    },
                },
            ],
            sync_token: Some("urn:x:1".into()),
        };
        let xml = multistatus_body(&ms);
        let root = parse_document(xml.as_bytes(), XmlLimits::default()).expect("well-formed");
        assert_eq!(root.name, QName::dav("multistatus"));
        let responses: Vec<&Element> = root
            .elements()
            .filter(|e| e.name.is(DAV, "response"))
            .collect();
        assert_eq!(responses.len(), 2);
        let first = responses[0];
        let props = first
            .child(DAV, "propstat")
            .and_then(|p| p.child(DAV, "prop"))
            .expect("prop");
        assert_eq!(
            props
                .child(DAV, "displayname")
                .map(Element::text_content)
                .as_deref(),
            Some("R&D <team>")
        );
        let custom = props.child("urn:x", "y").expect("custom namespace kept");
        assert!(custom.child("", "bare").is_some());
        assert!(xml.contains("<D:status>HTTP/1.1 404 Not Found</D:status>"));
        assert!(xml.contains("<D:sync-token>urn:x:1</D:sync-token>"));
    }

    #[test]
    fn fragment_is_standalone_and_parses_back() {
        let e = Element::new(QName::new("urn:x", "p"))
            .with_child(Element::text(QName::dav("href"), "/a"))
            .with_attr("a", "1");
        let xml = fragment(&e);
        let back = parse_document(xml.as_bytes(), XmlLimits::default()).expect("parses");
        assert_eq!(back, e);
    }

    #[test]
    fn error_body_names_the_precondition() {
        let xml = error_body(
            &Element::new(QName::caldav("valid-calendar-data")),
            Some("line 3: bad"),
        );
        assert!(xml.contains("<C:valid-calendar-data/>"));
        assert!(xml.contains("line 3: bad"));
    }

    #[test]
    fn special_characters_are_escaped_and_the_rest_copied() {
        let mut out = String::from(">");
        escape_into(&mut out, "a&b<c>d\"e\r\nf\u{20ac}");
        assert_eq!(out, ">a&amp;b&lt;c&gt;d&quot;e&#13;\nf\u{20ac}");
        let mut plain = String::new();
        escape_into(&mut plain, "SUMMARY:Caf\u{e9}");
        assert_eq!(plain, "SUMMARY:Caf\u{e9}");
    }
}
