//! A small, capped XML tree: the request bodies of DAV are tiny, so a tree is simpler to
//! decide on than a stream, and the caps keep hostile bodies cheap.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::QName;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("the request body is not well-formed XML: {0}")]
    Malformed(String),
    #[error("DOCTYPE declarations are not accepted in request bodies")]
    DocType,
    /// A DOCTYPE naming an external DTD or entity (`SYSTEM`/`PUBLIC`): RFC 4918 §16
    /// `no-external-entities`.
    #[error("external entities and DTDs are not accepted in request bodies")]
    ExternalEntity,
    #[error("the XML body is nested deeper than {0} elements")]
    TooDeep(usize),
    #[error("the XML body has more than {0} elements")]
    TooManyElements(usize),
    #[error("expected a {expected} element, found {found}")]
    UnexpectedRoot { expected: String, found: String },
    #[error("invalid request body: {0}")]
    Invalid(String),
}

/// Why these caps: a DAV request body is a few kilobytes of properties; anything deeper or
/// larger is an attack on the parser rather than a request.
#[derive(Clone, Copy, Debug)]
pub struct XmlLimits {
    pub max_depth: usize,
    pub max_elements: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        XmlLimits {
            max_depth: 64,
            max_elements: 100_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// An element: its namespace-qualified name, attributes and children. An element read from
/// a document also remembers how it was written there (its prefix and the namespace
/// declarations on it), so that a stored dead property is served back as the client wrote
/// it (RFC 4918 §4.3: servers SHOULD preserve prefixes). Equality is that of the XML
/// Infoset items RFC 4918 §4.3 makes servers preserve: names, attributes and children, not
/// the prefixes.
#[derive(Clone, Debug)]
pub struct Element {
    pub name: QName,
    pub attrs: Vec<(QName, String)>,
    pub children: Vec<Node>,
    /// The prefix the element was written with (`""` for none); `None` for an element the
    /// server builds, which the writer names with its own prefixes.
    pub prefix: Option<String>,
    /// The namespace declarations written on the element, `(prefix, namespace)`, `""` as
    /// the prefix of the default namespace.
    pub namespaces: Vec<(String, String)>,
}

impl PartialEq for Element {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.attrs == other.attrs && self.children == other.children
    }
}

impl Eq for Element {}

impl Element {
    pub fn new(name: QName) -> Self {
        Element {
            name,
            attrs: Vec::new(),
            children: Vec::new(),
            prefix: None,
            namespaces: Vec::new(),
        }
    }

    /// An element holding one text node.
    pub fn text(name: QName, text: impl Into<String>) -> Self {
        let mut e = Element::new(name);
        e.children.push(Node::Text(text.into()));
        e
    }

    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    pub fn with_children(mut self, children: impl IntoIterator<Item = Element>) -> Self {
        self.children
            .extend(children.into_iter().map(Node::Element));
        self
    }

    pub fn with_attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attrs.push((QName::new("", name), value.into()));
        self
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.name.is(ns, local))
    }

    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attr_in("", local)
    }

    /// The value of the attribute `local` in namespace `ns` (`""` for an unprefixed one).
    pub fn attr_in(&self, ns: &str, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n.ns == ns && n.local == local)
            .map(|(_, v)| v.as_str())
    }

    /// The element's `xml:lang`, the language of its text (XML 1.0 §2.12).
    pub fn lang(&self) -> Option<&str> {
        self.attr_in(crate::XML, "lang")
    }

    /// The concatenated text content of this element and its descendants.
    pub fn text_content(&self) -> String {
        let mut out = String::new();
        collect_text(self, &mut out);
        out
    }
}

fn collect_text(e: &Element, out: &mut String) {
    for child in &e.children {
        match child {
            Node::Text(t) => out.push_str(t),
            Node::Element(c) => collect_text(c, out),
        }
    }
}

/// Parses a whole document into its root element.
pub fn parse_document(bytes: &[u8], limits: XmlLimits) -> Result<Element, XmlError> {
    parse(bytes, limits, LineEnds::Normalize)
}

/// Like [`parse_document`], but text keeps its line ends as sent. A client reading
/// `calendar-data` needs this: servers send the stored CRLF raw, and XML's end-of-line
/// normalisation would turn the exact bytes into different ones.
pub fn parse_document_verbatim(bytes: &[u8], limits: XmlLimits) -> Result<Element, XmlError> {
    parse(bytes, limits, LineEnds::Keep)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LineEnds {
    Normalize,
    Keep,
}

fn parse(bytes: &[u8], limits: XmlLimits, line_ends: LineEnds) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Err(XmlError::Malformed("content after the root element".into()));
            }
            Event::Start(ref start) | Event::Empty(ref start) => {
                count += 1;
                if count > limits.max_elements {
                    return Err(XmlError::TooManyElements(limits.max_elements));
                }
                let element = open_element(&reader, start)?;
                if matches!(event, Event::Empty(_)) {
                    attach(&mut stack, &mut root, element);
                } else {
                    if stack.len() >= limits.max_depth {
                        return Err(XmlError::TooDeep(limits.max_depth));
                    }
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let done = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unexpected end tag".into()))?;
                attach(&mut stack, &mut root, done);
            }
            Event::Text(text) => {
                let s = match line_ends {
                    LineEnds::Normalize => text.xml_content(),
                    LineEnds::Keep => text.decode(),
                }
                .map_err(|e| XmlError::Malformed(e.to_string()))?;
                push_text(&mut stack, &s)?;
            }
            Event::CData(data) => {
                let s = String::from_utf8(data.into_inner().into_owned())
                    .map_err(|_| XmlError::Malformed("CDATA is not UTF-8".into()))?;
                push_text(&mut stack, &s)?;
            }
            Event::GeneralRef(reference) => {
                let s = resolve_reference(&reference)?;
                push_text(&mut stack, &s)?;
            }
            Event::DocType(d) => {
                let text = String::from_utf8_lossy(d.as_ref()).to_ascii_uppercase();
                let external = text.contains("SYSTEM") || text.contains("PUBLIC");
                return Err(if external {
                    XmlError::ExternalEntity
                } else {
                    XmlError::DocType
                });
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed(
            "unclosed element at end of body".into(),
        ));
    }
    root.ok_or_else(|| XmlError::Malformed("the body has no root element".into()))
}

fn open_element(reader: &NsReader<&[u8]>, start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let (resolved, local) = reader.resolve_element(start.name());
    let name = QName {
        ns: namespace_of(resolved)?,
        local: Cow::Owned(utf8(local.as_ref())?),
    };
    let prefix = match start.name().prefix() {
        Some(p) => utf8(p.as_ref())?,
        None => String::new(),
    };
    let mut attrs = Vec::new();
    let mut namespaces = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
        let key = attr.key;
        let declared = match key.as_ref().strip_prefix(b"xmlns") {
            Some(b"") => Some(String::new()),
            Some(rest) => match rest.strip_prefix(b":") {
                Some(p) => Some(utf8(p)?),
                None => None,
            },
            None => None,
        };
        if let Some(declared) = declared {
            let value = attr
                .unescape_value()
                .map_err(|e| XmlError::Malformed(e.to_string()))?;
            namespaces.push((declared, value.into_owned()));
            continue;
        }
        let (ns, local) = reader.resolve_attribute(key);
        let value = attr
            .unescape_value()
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        attrs.push((
            QName {
                ns: namespace_of(ns)?,
                local: Cow::Owned(utf8(local.as_ref())?),
            },
            value.into_owned(),
        ));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        prefix: Some(prefix),
        namespaces,
    })
}

/// The namespace of a name; the ones this server knows are shared, not copied.
fn namespace_of(resolved: ResolveResult<'_>) -> Result<Cow<'static, str>, XmlError> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(match ns.as_ref() {
            b"DAV:" => Cow::Borrowed(crate::DAV),
            b"urn:ietf:params:xml:ns:caldav" => Cow::Borrowed(crate::CALDAV),
            b"http://calendarserver.org/ns/" => Cow::Borrowed(crate::CALSERVER),
            b"http://apple.com/ns/ical/" => Cow::Borrowed(crate::APPLE_ICAL),
            b"http://www.w3.org/XML/1998/namespace" => Cow::Borrowed(crate::XML),
            other => Cow::Owned(utf8(other)?),
        }),
        ResolveResult::Unbound => Ok(Cow::Borrowed("")),
        ResolveResult::Unknown(prefix) => Err(XmlError::Malformed(format!(
            "undeclared namespace prefix '{}'",
            String::from_utf8_lossy(&prefix)
        ))),
    }
}

fn utf8(bytes: &[u8]) -> Result<String, XmlError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| XmlError::Malformed("name is not UTF-8".into()))
}

fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>) -> Result<String, XmlError> {
    if let Some(c) = reference
        .resolve_char_ref()
        .map_err(|e| XmlError::Malformed(e.to_string()))?
    {
        return Ok(c.to_string());
    }
    let name = reference
        .decode()
        .map_err(|e| XmlError::Malformed(e.to_string()))?;
    let resolved = match name.as_ref() {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        other => {
            return Err(XmlError::Malformed(format!(
                "unknown entity reference &{other};"
            )))
        }
    };
    Ok(resolved.to_owned())
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => {
            if let Some(Node::Text(prev)) = parent.children.last_mut() {
                prev.push_str(text);
            } else {
                parent.children.push(Node::Text(text.to_owned()));
            }
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlError::Malformed("text outside the root element".into())),
    }
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Element, XmlError> {
        parse_document(s.as_bytes(), XmlLimits::default())
    }

    #[test]
    fn resolves_prefixes_and_default_namespaces() {
        let root = parse(
            "<?xml version='1.0'?><propfind xmlns='DAV:' xmlns:c='urn:ietf:params:xml:ns:caldav'>\
             <prop><c:calendar-data/><x:foo xmlns:x='urn:x'/><bar xmlns=''/></prop></propfind>",
        )
        .expect("parses");
        assert_eq!(root.name, QName::dav("propfind"));
        let prop = root.child(crate::DAV, "prop").expect("prop");
        let names: Vec<String> = prop.elements().map(|e| e.name.to_string()).collect();
        assert_eq!(
            names,
            [
                "{urn:ietf:params:xml:ns:caldav}calendar-data",
                "{urn:x}foo",
                "{}bar"
            ]
        );
    }

    #[test]
    fn decodes_entities_and_char_refs_in_text() {
        let root = parse("<a xmlns='urn:a'>x &amp; y&#13;&#x41;</a>").expect("parses");
        assert_eq!(root.text_content(), "x & y\rA");
    }

    #[test]
    fn refuses_doctype_and_malformed_bodies() {
        assert_eq!(
            parse("<!DOCTYPE a [<!ENTITY e 'x'>]><a/>"),
            Err(XmlError::DocType)
        );
        assert_eq!(
            parse("<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><a>&e;</a>"),
            Err(XmlError::ExternalEntity)
        );
        assert!(matches!(parse("<a><b></a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<x:a/>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse(""), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<a/><b/>"), Err(XmlError::Malformed(_))));
    }

    #[test]
    fn caps_depth_and_element_count() {
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse(&deep), Err(XmlError::TooDeep(64)));
        let wide = format!("<a>{}</a>", "<b/>".repeat(20));
        let limits = XmlLimits {
            max_depth: 8,
            max_elements: 10,
        };
        assert_eq!(
            parse_document(wide.as_bytes(), limits),
            Err(XmlError::TooManyElements(10))
        );
    }
}
