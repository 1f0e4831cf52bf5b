//! Response bodies: 207 multistatus and precondition error documents.
//!
//! The four namespaces clients expect are declared once on the root with their customary
//! prefixes; any other namespace is declared on the element that uses it.

use std::borrow::Cow;

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
        Self::in_buffer(String::new())
    }

    /// Writes into `buffer` (cleared first), whose capacity is then reused: a large answer
    /// in a fresh buffer pays a page fault for every page it fills.
    pub fn in_buffer(buffer: String) -> Self {
        let mut w = Writer::in_buffer(buffer);
        w.open_root(&QName::dav("multistatus"));
        MultistatusWriter { w }
    }

    pub fn response(&mut self, response: &Response) {
        self.open_response(&response.href);
        let w = &mut self.w;
        match &response.body {
            ResponseBody::Propstats(propstats) => {
                for ps in propstats {
                    w.propstat(ps.status, &ps.props);
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

    /// Opens a `DAV:response`: then [`propstat`](Self::propstat)s, then
    /// [`close_response`](Self::close_response). Listings write their members this way,
    /// straight from the property values.
    pub fn open_response(&mut self, href: &str) {
        self.w.raw("<D:response><D:href>");
        self.w.escaped(href);
        self.w.raw("</D:href>");
    }

    pub fn propstat(&mut self, status: u16, props: &[Element]) {
        self.w.propstat(status, props);
        self.w.raw("</D:propstat>");
    }

    pub fn close_response(&mut self) {
        self.w.raw("</D:response>");
    }

    /// Bytes written so far.
    pub fn written_len(&self) -> usize {
        self.w.out.len()
    }

    /// Room for `additional` more bytes, so that a large answer is not copied each time it
    /// outgrows its buffer. Only a hint: if the memory is not there, nothing is reserved.
    pub fn reserve(&mut self, additional: usize) {
        let _ = self.w.out.try_reserve(additional);
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
        // RFC 4918 §16: every DAV: child of DAV:error is a condition code, so the
        // human-readable reason goes into an element of our own namespace, which clients
        // that do not know it skip (RFC 4918 §17).
        w.raw("<CV:message xmlns:CV=\"");
        w.raw(crate::CALVAULT);
        w.raw("\">");
        w.escaped(d);
        w.raw("</CV:message>");
    }
    w.raw("</D:error>");
    w.out
}

/// One property element as a standalone XML fragment (with its namespace declarations),
/// the form in which stored properties are kept. An element read from a request keeps its
/// prefixes; its declarations must already be on it (see [`crate::parse_propertyupdate`],
/// which copies those in scope).
pub fn fragment(e: &Element) -> String {
    let mut w = Writer {
        out: String::new(),
        next_prefix: 0,
        root_declarations_pending: true,
        scope: Vec::new(),
    };
    w.element(e);
    w.out
}

struct Writer {
    /// A fragment declares the root namespaces on its first element the server built.
    root_declarations_pending: bool,
    out: String,
    next_prefix: usize,
    /// The namespace declarations in scope where the writer is, innermost last:
    /// `(prefix, namespace)`, `""` for the default namespace. Small: the four root
    /// declarations, plus those of the elements being written.
    scope: Vec<(Cow<'static, str>, Cow<'static, str>)>,
}

/// How an element or attribute name is written.
enum Prefix<'a> {
    /// No prefix: no namespace, or (for an element read from a document) the default one.
    None,
    /// A fixed prefix: one of the root namespaces, or `xml`.
    Fixed(&'static str),
    /// Declared in place as `xN`.
    Declared(usize),
    /// The prefix the element was written with in the request.
    Source(&'a str),
    /// A prefix in scope that names an attribute's namespace.
    Owned(String),
}

impl Writer {
    fn new() -> Self {
        Self::in_buffer(String::new())
    }

    fn in_buffer(mut out: String) -> Self {
        out.clear();
        out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        Writer {
            out,
            next_prefix: 0,
            root_declarations_pending: false,
            scope: Vec::new(),
        }
    }

    fn open_root(&mut self, name: &QName) {
        self.out.push('<');
        self.out.push_str(root_prefix(&name.ns).unwrap_or("D"));
        self.out.push(':');
        self.out.push_str(&name.local);
        self.root_declarations();
        self.out.push('>');
    }

    fn root_declarations(&mut self) {
        for (ns, prefix) in ROOT_PREFIXES {
            self.out.push_str(" xmlns:");
            self.out.push_str(prefix);
            self.out.push_str("=\"");
            self.out.push_str(ns);
            self.out.push('"');
            self.scope.push((Cow::Borrowed(prefix), Cow::Borrowed(ns)));
        }
    }

    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn escaped(&mut self, s: &str) {
        escape_into(&mut self.out, s);
    }

    /// An open `DAV:propstat` with its props and status; the caller closes it.
    fn propstat(&mut self, status: u16, props: &[Element]) {
        self.raw("<D:propstat><D:prop>");
        for p in props {
            self.element(p);
        }
        self.raw("</D:prop>");
        self.status(status);
    }

    fn status(&mut self, code: u16) {
        self.raw("<D:status>HTTP/1.1 ");
        push_decimal(&mut self.out, usize::from(code));
        self.out.push(' ');
        self.raw(reason_phrase(code));
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

    /// Writes an element. One the server built gets the root prefixes, or a prefix
    /// declared in place for other namespaces; one read from a request gets the prefix and
    /// declarations it was written with. Either way a prefix is declared wherever what is
    /// in scope does not already bind it to the element's namespace.
    fn element(&mut self, e: &Element) {
        let mark = self.scope.len();
        self.out.push('<');
        let prefix = match &e.prefix {
            None => {
                let prefix = self.prefix_for(&e.name.ns);
                self.name(&prefix, &e.name.local);
                if std::mem::take(&mut self.root_declarations_pending) {
                    self.root_declarations();
                }
                prefix
            }
            Some(p) => {
                let prefix = if p.is_empty() {
                    Prefix::None
                } else {
                    Prefix::Source(p)
                };
                self.name(&prefix, &e.name.local);
                for (declared, ns) in &e.namespaces {
                    self.declare_if_unbound(declared, ns);
                }
                prefix
            }
        };
        match &prefix {
            Prefix::None => self.declare_if_unbound("", &e.name.ns),
            Prefix::Fixed(p) => self.declare_if_unbound(p, &e.name.ns),
            Prefix::Source(p) => self.declare_if_unbound(p, &e.name.ns),
            Prefix::Declared(_) => self.declaration(&prefix, &e.name.ns),
            Prefix::Owned(_) => {}
        }
        for (name, value) in &e.attrs {
            let attr_prefix = self.attribute_prefix(&name.ns);
            self.out.push(' ');
            self.name(&attr_prefix, &name.local);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value);
            self.out.push('"');
        }
        if e.children.is_empty() {
            self.out.push_str("/>");
        } else {
            self.out.push('>');
            for child in &e.children {
                match child {
                    Node::Element(c) => self.element(c),
                    Node::Text(t) => escape_into(&mut self.out, t),
                }
            }
            self.out.push_str("</");
            self.name(&prefix, &e.name.local);
            self.out.push('>');
        }
        self.scope.truncate(mark);
    }

    /// The namespace `prefix` names here (`""` for the default namespace, which is no
    /// namespace unless declared).
    fn bound(&self, prefix: &str) -> &str {
        if prefix == "xml" {
            return crate::XML;
        }
        self.scope
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map_or("", |(_, ns)| ns)
    }

    /// Writes `xmlns:prefix="ns"` unless `prefix` already names `ns` here.
    fn declare_if_unbound(&mut self, prefix: &str, ns: &str) {
        if prefix == "xml" || prefix == "xmlns" || self.bound(prefix) == ns {
            return;
        }
        self.out.push_str(" xmlns");
        if !prefix.is_empty() {
            self.out.push(':');
            self.out.push_str(prefix);
        }
        self.out.push_str("=\"");
        escape_into(&mut self.out, ns);
        self.out.push('"');
        self.scope
            .push((Cow::Owned(prefix.to_owned()), Cow::Owned(ns.to_owned())));
    }

    fn prefix_for(&mut self, ns: &str) -> Prefix<'static> {
        if ns.is_empty() {
            return Prefix::None;
        }
        if let Some(prefix) = root_prefix(ns) {
            return Prefix::Fixed(prefix);
        }
        self.next_prefix += 1;
        Prefix::Declared(self.next_prefix)
    }

    /// An attribute's prefix: none without a namespace, `xml` for `xml:lang`, a prefix in
    /// scope for the namespace, else one declared on the element.
    fn attribute_prefix(&mut self, ns: &str) -> Prefix<'static> {
        if ns.is_empty() {
            return Prefix::None;
        }
        if ns == crate::XML {
            return Prefix::Fixed("xml");
        }
        if let Some(prefix) = root_prefix(ns).filter(|p| self.bound(p) == ns) {
            return Prefix::Fixed(prefix);
        }
        let in_scope = self
            .scope
            .iter()
            .rev()
            .find(|(p, n)| !p.is_empty() && n == ns)
            .map(|(p, _)| p.to_string())
            .filter(|p| self.bound(p) == ns);
        if let Some(prefix) = in_scope {
            return Prefix::Owned(prefix);
        }
        let prefix = self.prefix_for(ns);
        self.declaration(&prefix, ns);
        prefix
    }

    fn name(&mut self, prefix: &Prefix<'_>, local: &str) {
        match prefix {
            Prefix::None => {}
            Prefix::Fixed(p) | Prefix::Source(p) => {
                self.out.push_str(p);
                self.out.push(':');
            }
            Prefix::Owned(p) => {
                self.out.push_str(p);
                self.out.push(':');
            }
            Prefix::Declared(n) => {
                self.out.push('x');
                push_decimal(&mut self.out, *n);
                self.out.push(':');
            }
        }
        self.out.push_str(local);
    }

    /// Declares an `xN` prefix in place.
    fn declaration(&mut self, prefix: &Prefix<'_>, ns: &str) {
        if let Prefix::Declared(n) = prefix {
            let at = self.out.len();
            self.out.push_str(" xmlns:x");
            push_decimal(&mut self.out, *n);
            let name = self.out[at + " xmlns:".len()..].to_owned();
            self.out.push_str("=\"");
            escape_into(&mut self.out, ns);
            self.out.push('"');
            self.scope
                .push((Cow::Owned(name), Cow::Owned(ns.to_owned())));
        }
    }
}

fn push_decimal(out: &mut String, n: usize) {
    if n >= 10 {
        push_decimal(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

fn root_prefix(ns: &str) -> Option<&'static str> {
    ROOT_PREFIXES
        .iter()
        .find(|(n, _)| *n == ns)
        .map(|(_, p)| *p)
}

fn escape_into(out: &mut String, s: &str) {
    // Copy the runs between special characters whole (calendar-data is mostly plain text),
    // finding them eight bytes at a time.
    let bytes = s.as_bytes();
    let mut plain_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let at = match bytes.get(i..i + 8) {
            Some(word) => {
                let specials =
                    special_bytes(u64::from_le_bytes(word.try_into().unwrap_or_default()));
                if specials == 0 {
                    i += 8;
                    continue;
                }
                // The lowest flag is exact (only flags above a match can be false).
                i + specials.trailing_zeros() as usize / 8
            }
            None => i,
        };
        if let Some(entity) = entity(bytes[at]) {
            out.push_str(&s[plain_from..at]);
            out.push_str(entity);
            plain_from = at + 1;
        }
        i = at + 1;
    }
    out.push_str(&s[plain_from..]);
}

fn entity(b: u8) -> Option<&'static str> {
    Some(match b {
        b'&' => "&amp;",
        b'<' => "&lt;",
        b'>' => "&gt;",
        b'"' => "&quot;",
        // Keep CR through an XML round trip (RFC 4791 calendar-data uses CRLF).
        b'\r' => "&#13;",
        _ => return None,
    })
}

/// The high bit of each byte of the word that may be one `entity` replaces; the lowest set
/// flag always marks a real one (the classic "has zero byte" test on the word xor each
/// special byte repeated).
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    [b'&', b'<', b'>', b'"', b'\r'].iter().fold(0, |flags, &b| {
        flags | zero_bytes(word ^ (ONES * u64::from(b)))
    })
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
    fn a_stored_property_round_trips_with_its_lang_prefixes_and_declarations() {
        let body = br#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>
            <D:details xml:lang="en">My Name</D:details><Z:q>Z:name</Z:q>
            <p xmlns="urn:d"><c a="1"/></p></D:prop></D:set></D:propertyupdate>"#;
        let updates = crate::parse_propertyupdate(body).expect("parses");
        let stored: Vec<String> = updates
            .iter()
            .map(|u| match u {
                crate::PropUpdate::Set(e) => fragment(e),
                crate::PropUpdate::Remove(_) => String::new(),
            })
            .collect();
        assert_eq!(
            stored,
            [
                r#"<D:details xmlns:D="DAV:" xml:lang="en">My Name</D:details>"#,
                r#"<Z:q xmlns:Z="urn:z">Z:name</Z:q>"#,
                r#"<p xmlns="urn:d"><c a="1"/></p>"#,
            ]
        );
        for (update, xml) in updates.iter().zip(&stored) {
            let crate::PropUpdate::Set(e) = update else {
                continue;
            };
            let back = parse_document(xml.as_bytes(), XmlLimits::default()).expect("parses");
            assert_eq!(&back, e, "{xml}");
            // Served inside a multistatus, the value keeps its prefixes.
            let mut w = MultistatusWriter::new();
            w.open_response("/x");
            w.propstat(200, std::slice::from_ref(&back));
            w.close_response();
            let answer = w.finish(None);
            let inner = if xml.starts_with("<D:") {
                r#"<D:details xml:lang="en">My Name</D:details>"#
            } else {
                xml.as_str()
            };
            assert!(answer.contains(inner), "{answer}");
            parse_document(answer.as_bytes(), XmlLimits::default()).expect("well-formed");
        }
    }

    #[test]
    fn a_value_that_rebinds_a_root_prefix_is_declared_where_it_is_used() {
        let body = br#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
            <C:x xmlns:C="urn:not-caldav"><D:href>/a</D:href></C:x></D:prop></D:set>
            </D:propertyupdate>"#;
        let updates = crate::parse_propertyupdate(body).expect("parses");
        let crate::PropUpdate::Set(e) = &updates[0] else {
            panic!("set");
        };
        let mut w = MultistatusWriter::new();
        w.open_response("/x");
        w.propstat(200, std::slice::from_ref(e));
        w.close_response();
        let answer = w.finish(None);
        let root = parse_document(answer.as_bytes(), XmlLimits::default()).expect("parses");
        let prop = root
            .child(crate::DAV, "response")
            .and_then(|r| r.child(crate::DAV, "propstat"))
            .and_then(|p| p.child(crate::DAV, "prop"))
            .expect("prop");
        assert_eq!(prop.elements().next(), Some(e), "{answer}");
    }

    #[test]
    fn error_body_names_the_precondition() {
        let xml = error_body(
            &Element::new(QName::caldav("valid-calendar-data")),
            Some("line 3: bad"),
        );
        assert!(xml.contains("<C:valid-calendar-data/>"));
        assert!(xml.contains("line 3: bad"));
        // RFC 4918 §16: DAV:error holds the condition, and no DAV:responsedescription.
        let root = parse_document(xml.as_bytes(), XmlLimits::default()).expect("parses");
        assert!(
            root.child(crate::DAV, "responsedescription").is_none(),
            "{xml}"
        );
        let message = root.child(crate::CALVAULT, "message").expect("message");
        assert_eq!(message.text_content(), "line 3: bad");
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

    #[test]
    fn escaping_finds_special_characters_at_every_offset_of_a_word() {
        let naive = |s: &str| -> String {
            s.chars()
                .map(|c| match c {
                    '&' => "&amp;".to_owned(),
                    '<' => "&lt;".to_owned(),
                    '>' => "&gt;".to_owned(),
                    '"' => "&quot;".to_owned(),
                    '\r' => "&#13;".to_owned(),
                    c => c.to_string(),
                })
                .collect()
        };
        let filler = ['a', '\u{e9}', '%', '\u{7f}'];
        for special in ['&', '<', '>', '"', '\r'] {
            for len in 0..20 {
                for at in 0..len {
                    let text: String = (0..len)
                        .map(|i| if i == at { special } else { filler[i % 4] })
                        .collect();
                    let mut out = String::new();
                    escape_into(&mut out, &text);
                    assert_eq!(out, naive(&text), "{text:?}");
                }
            }
        }
    }
}
