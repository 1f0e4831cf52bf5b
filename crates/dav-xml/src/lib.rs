//! The WebDAV/CalDAV XML vocabulary: namespace-aware parsing of request bodies into typed
//! values, and writing of multistatus and error bodies.
//!
//! This crate knows XML and the element names of RFC 4918, RFC 4791, RFC 6578 and the
//! CalendarServer/Apple extensions. It knows nothing of HTTP, storage or calendar data.
//! Parsing refuses DOCTYPE (no entity expansion) and caps depth and element count.

use std::borrow::Cow;

mod document;
mod request;
mod write;

pub use document::{parse_document, parse_document_verbatim, Element, Node, XmlError, XmlLimits};
pub use request::{
    parse_lockinfo, parse_mkcol, parse_propertyupdate, parse_propfind, parse_report, CalendarQuery,
    LockInfo, Multiget, PropFind, PropUpdate, Report, SyncCollection,
};
pub use write::{
    error_body, fragment, multistatus_body, status_line, Multistatus, MultistatusWriter, Propstat,
    Response, ResponseBody,
};

/// RFC 4918 namespace.
pub const DAV: &str = "DAV:";
/// RFC 4791 namespace.
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
/// Apple's CalendarServer extensions (getctag, ...).
pub const CALSERVER: &str = "http://calendarserver.org/ns/";
/// Apple iCal properties (calendar-color, calendar-order).
pub const APPLE_ICAL: &str = "http://apple.com/ns/ical/";
/// The namespace of `xml:lang` and `xml:space`, bound to the prefix `xml` in every document
/// (Namespaces in XML 1.0 §3); it is never declared.
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
/// calvault's own elements (the human-readable `message` of an error body).
pub const CALVAULT: &str = "http://calvault.org/ns/";

/// A namespace-qualified XML name. Elements are always matched on `(ns, local)`, never on
/// the prefix a client happened to use. Names the server writes itself borrow their static
/// text, so building a response allocates nothing for them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QName {
    pub ns: Cow<'static, str>,
    pub local: Cow<'static, str>,
}

impl QName {
    pub fn new(ns: &str, local: &str) -> Self {
        QName {
            ns: Cow::Owned(ns.to_owned()),
            local: Cow::Owned(local.to_owned()),
        }
    }

    /// A name known at compile time.
    pub const fn fixed(ns: &'static str, local: &'static str) -> Self {
        QName {
            ns: Cow::Borrowed(ns),
            local: Cow::Borrowed(local),
        }
    }

    pub const fn dav(local: &'static str) -> Self {
        Self::fixed(DAV, local)
    }

    pub const fn caldav(local: &'static str) -> Self {
        Self::fixed(CALDAV, local)
    }

    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

impl std::fmt::Display for QName {
    /// Clark notation, `{DAV:}displayname`, as used in logs and error texts.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{{{}}}{}", self.ns, self.local)
    }
}
