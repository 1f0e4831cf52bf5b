//! Request bodies as typed values: PROPFIND, PROPPATCH, MKCOL/MKCALENDAR and REPORT.

use crate::document::{parse_document, Element, XmlError, XmlLimits};
use crate::{QName, CALDAV, DAV};

/// What a PROPFIND (or a REPORT's property list) asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropFind {
    /// `allprop`, with the RFC 4918 §14.8 `include` extras.
    AllProp {
        include: Vec<QName>,
    },
    PropName,
    /// The requested property elements, kept whole: `calendar-data` carries a selection.
    Prop(Vec<Element>),
}

/// One instruction of a PROPPATCH, in document order (RFC 4918 §9.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropUpdate {
    /// The property element with its value as children.
    Set(Element),
    Remove(QName),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multiget {
    pub prop: PropFind,
    pub hrefs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarQuery {
    pub prop: PropFind,
    /// The `C:filter` element; its meaning belongs to the calendar domain.
    pub filter: Option<Element>,
    /// `C:timezone` text, a VCALENDAR with one VTIMEZONE.
    pub timezone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncCollection {
    pub sync_token: String,
    pub sync_level: Option<String>,
    pub limit: Option<u64>,
    pub prop: PropFind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    CalendarMultiget(Multiget),
    CalendarQuery(CalendarQuery),
    SyncCollection(SyncCollection),
    FreeBusyQuery(Element),
    ExpandProperty(Element),
    PrincipalPropertySearch(Element),
    PrincipalSearchPropertySet,
    PrincipalMatch(Element),
    /// A report this vocabulary does not know; answered with `DAV:supported-report`.
    Unknown(QName),
}

/// An empty body means allprop (RFC 4918 §9.1).
pub fn parse_propfind(body: &[u8]) -> Result<PropFind, XmlError> {
    if is_blank(body) {
        return Ok(PropFind::AllProp {
            include: Vec::new(),
        });
    }
    let root = parse_root(body, DAV, "propfind")?;
    propfind_of(&root)?
        .ok_or_else(|| XmlError::Invalid("propfind needs one of prop, allprop or propname".into()))
}

/// Reads the `prop`/`allprop`/`propname` children of a propfind-shaped element.
fn propfind_of(parent: &Element) -> Result<Option<PropFind>, XmlError> {
    let mut found = None;
    for child in parent.elements() {
        let this = if child.name.is(DAV, "prop") {
            PropFind::Prop(child.elements().cloned().collect())
        } else if child.name.is(DAV, "allprop") {
            PropFind::AllProp {
                include: Vec::new(),
            }
        } else if child.name.is(DAV, "propname") {
            PropFind::PropName
        } else {
            continue;
        };
        if found.is_some() {
            return Err(XmlError::Invalid(
                "only one of prop, allprop or propname may be given".into(),
            ));
        }
        found = Some(this);
    }
    if let (Some(PropFind::AllProp { include }), Some(inc)) =
        (found.as_mut(), parent.child(DAV, "include"))
    {
        include.extend(inc.elements().map(|e| e.name.clone()));
    }
    Ok(found)
}

pub fn parse_propertyupdate(body: &[u8]) -> Result<Vec<PropUpdate>, XmlError> {
    let root = parse_root(body, DAV, "propertyupdate")?;
    let mut updates = Vec::new();
    for action in root.elements() {
        let set = if action.name.is(DAV, "set") {
            true
        } else if action.name.is(DAV, "remove") {
            false
        } else {
            continue;
        };
        for prop in action.elements().filter(|e| e.name.is(DAV, "prop")) {
            for p in prop.elements() {
                updates.push(if set {
                    PropUpdate::Set(standalone(p, &[&root, action, prop]))
                } else {
                    PropUpdate::Remove(p.name.clone())
                });
            }
        }
    }
    if updates.is_empty() {
        return Err(XmlError::Invalid(
            "propertyupdate holds no property to set or remove".into(),
        ));
    }
    Ok(updates)
}

/// The properties to set from an RFC 5689 extended MKCOL (`D:mkcol`) or an RFC 4791
/// MKCALENDAR (`C:mkcalendar`) body. An empty body sets nothing.
pub fn parse_mkcol(body: &[u8]) -> Result<Vec<Element>, XmlError> {
    if is_blank(body) {
        return Ok(Vec::new());
    }
    let root = parse_document(body, XmlLimits::default())?;
    if !(root.name.is(DAV, "mkcol") || root.name.is(CALDAV, "mkcalendar")) {
        return Err(XmlError::UnexpectedRoot {
            expected: "DAV:mkcol or CALDAV:mkcalendar".into(),
            found: root.name.to_string(),
        });
    }
    let mut props = Vec::new();
    for set in root.elements().filter(|e| e.name.is(DAV, "set")) {
        for prop in set.elements().filter(|e| e.name.is(DAV, "prop")) {
            props.extend(prop.elements().map(|p| standalone(p, &[&root, set, prop])));
        }
    }
    Ok(props)
}

/// A property element of a request as it stands alone, to be stored and served back: with
/// the `xml:lang` in scope (RFC 4918 §4.3 makes servers keep it; XML 1.0 §2.12 lets an
/// ancestor give it) and the namespace declarations of `ancestors` (outermost first) that
/// its names use or that its text may use as a QName prefix.
fn standalone(prop: &Element, ancestors: &[&Element]) -> Element {
    let mut e = prop.clone();
    if e.lang().is_none() {
        if let Some(lang) = ancestors.iter().rev().find_map(|a| a.lang()) {
            e.attrs
                .push((QName::fixed(crate::XML, "lang"), lang.to_owned()));
        }
    }
    let mut inherited: Vec<(String, String)> = Vec::new();
    for ancestor in ancestors.iter().rev() {
        for (prefix, ns) in &ancestor.namespaces {
            let shadowed = e
                .namespaces
                .iter()
                .chain(&inherited)
                .any(|(p, _)| p == prefix);
            if !shadowed && uses_prefix(&e, prefix, ns) {
                inherited.push((prefix.clone(), ns.clone()));
            }
        }
    }
    inherited.append(&mut e.namespaces);
    e.namespaces = inherited;
    e
}

/// Whether the declaration `prefix` = `ns` may be needed inside `e`: an element or
/// attribute name uses it, or a text or attribute value holds `prefix:` (a QName value, as
/// in XPath or XML Schema; RFC 4918 §4.3). A needless declaration costs a few bytes; a
/// missing one changes what the value means.
fn uses_prefix(e: &Element, prefix: &str, ns: &str) -> bool {
    if e.prefix.as_deref() == Some(prefix) || e.attrs.iter().any(|(n, _)| n.ns == ns) {
        return true;
    }
    if !prefix.is_empty() {
        let qname = format!("{prefix}:");
        let texts = e.children.iter().filter_map(|c| match c {
            crate::Node::Text(t) => Some(t.as_str()),
            crate::Node::Element(_) => None,
        });
        if e.attrs
            .iter()
            .map(|(_, v)| v.as_str())
            .chain(texts)
            .any(|t| t.contains(&qname))
        {
            return true;
        }
    }
    e.elements().any(|c| uses_prefix(c, prefix, ns))
}

/// A LOCK request body (RFC 4918 §9.10.1, §14.11): which scope the client asks for, and
/// the `owner` element it wants recorded, with the namespace declarations it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockInfo {
    pub exclusive: bool,
    pub owner: Option<Element>,
}

/// A `lockinfo` body: one lockscope (exclusive or shared) and the write locktype, the only
/// one RFC 4918 defines.
pub fn parse_lockinfo(body: &[u8]) -> Result<LockInfo, XmlError> {
    let root = parse_root(body, DAV, "lockinfo")?;
    let scope = root
        .child(DAV, "lockscope")
        .ok_or_else(|| XmlError::Invalid("lockinfo needs a lockscope".into()))?;
    let exclusive = match (
        scope.child(DAV, "exclusive").is_some(),
        scope.child(DAV, "shared").is_some(),
    ) {
        (true, false) => true,
        (false, true) => false,
        _ => {
            return Err(XmlError::Invalid(
                "lockscope holds exactly one of exclusive or shared".into(),
            ))
        }
    };
    let write = root
        .child(DAV, "locktype")
        .is_some_and(|t| t.child(DAV, "write").is_some());
    if !write {
        return Err(XmlError::Invalid(
            "locktype must be write, the only lock type there is (RFC 4918 §7)".into(),
        ));
    }
    let owner = root.child(DAV, "owner").map(|o| standalone(o, &[&root]));
    Ok(LockInfo { exclusive, owner })
}

pub fn parse_report(body: &[u8]) -> Result<Report, XmlError> {
    let root = parse_document(body, XmlLimits::default())?;
    let name = &root.name;
    let prop = || -> Result<PropFind, XmlError> {
        Ok(propfind_of(&root)?.unwrap_or(PropFind::AllProp {
            include: Vec::new(),
        }))
    };
    Ok(if name.is(CALDAV, "calendar-multiget") {
        Report::CalendarMultiget(Multiget {
            prop: prop()?,
            hrefs: root
                .elements()
                .filter(|e| e.name.is(DAV, "href"))
                .map(|e| e.text_content().trim().to_owned())
                .collect(),
        })
    } else if name.is(CALDAV, "calendar-query") {
        Report::CalendarQuery(CalendarQuery {
            prop: prop()?,
            filter: root.child(CALDAV, "filter").cloned(),
            timezone: root.child(CALDAV, "timezone").map(Element::text_content),
        })
    } else if name.is(DAV, "sync-collection") {
        let limit = match root
            .child(DAV, "limit")
            .and_then(|l| l.child(DAV, "nresults"))
        {
            Some(n) => Some(n.text_content().trim().parse::<u64>().map_err(|_| {
                XmlError::Invalid("DAV:nresults must be a non-negative integer".into())
            })?),
            None => None,
        };
        Report::SyncCollection(SyncCollection {
            // RFC 6578 §6.1: the element is required, empty for the first sync (sabre/dav
            // refuses a body without it too, so no client leaves it out).
            sync_token: root
                .child(DAV, "sync-token")
                .map(|t| t.text_content().trim().to_owned())
                .ok_or_else(|| {
                    XmlError::Invalid(
                        "sync-collection needs a DAV:sync-token, empty for the first sync \
                         (RFC 6578 §6.1)"
                            .into(),
                    )
                })?,
            sync_level: root
                .child(DAV, "sync-level")
                .map(|t| t.text_content().trim().to_owned()),
            limit,
            prop: prop()?,
        })
    } else if name.is(CALDAV, "free-busy-query") {
        Report::FreeBusyQuery(root)
    } else if name.is(DAV, "expand-property") {
        Report::ExpandProperty(root)
    } else if name.is(DAV, "principal-property-search") {
        Report::PrincipalPropertySearch(root)
    } else if name.is(DAV, "principal-search-property-set") {
        Report::PrincipalSearchPropertySet
    } else if name.is(DAV, "principal-match") {
        Report::PrincipalMatch(root)
    } else {
        Report::Unknown(root.name)
    })
}

fn parse_root(body: &[u8], ns: &str, local: &str) -> Result<Element, XmlError> {
    let root = parse_document(body, XmlLimits::default())?;
    if !root.name.is(ns, local) {
        return Err(XmlError::UnexpectedRoot {
            expected: QName::new(ns, local).to_string(),
            found: root.name.to_string(),
        });
    }
    Ok(root)
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockinfo_gives_its_scope_and_keeps_its_owner() {
        let body = br#"<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/>
            </D:lockscope><D:locktype><D:write/></D:locktype>
            <D:owner><D:href>mailto:ann@example.org</D:href></D:owner></D:lockinfo>"#;
        let info = parse_lockinfo(body).expect("a lockinfo");
        assert!(!info.exclusive);
        let owner = info.owner.expect("an owner");
        assert_eq!(owner.text_content(), "mailto:ann@example.org");
        assert_eq!(
            crate::fragment(&owner),
            "<D:owner xmlns:D=\"DAV:\"><D:href>mailto:ann@example.org</D:href></D:owner>"
        );
        let no_type = br#"<lockinfo xmlns="DAV:"><lockscope><exclusive/></lockscope></lockinfo>"#;
        assert!(parse_lockinfo(no_type).is_err());
        let both = br#"<lockinfo xmlns="DAV:"><lockscope><exclusive/><shared/></lockscope>
            <locktype><write/></locktype></lockinfo>"#;
        assert!(parse_lockinfo(both).is_err());
    }

    #[test]
    fn empty_propfind_is_allprop() {
        assert_eq!(
            parse_propfind(b"  \r\n"),
            Ok(PropFind::AllProp { include: vec![] })
        );
    }

    #[test]
    fn propfind_prop_keeps_requested_names_in_order() {
        let body = br#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
            <D:prop><D:getetag/><C:calendar-home-set/></D:prop></D:propfind>"#;
        let PropFind::Prop(props) = parse_propfind(body).expect("parses") else {
            panic!("expected prop");
        };
        let names: Vec<QName> = props.into_iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [QName::dav("getetag"), QName::caldav("calendar-home-set")]
        );
    }

    #[test]
    fn propfind_rejects_wrong_root_and_double_selection() {
        assert!(matches!(
            parse_propfind(b"<a xmlns='urn:x'/>"),
            Err(XmlError::UnexpectedRoot { .. })
        ));
        assert!(matches!(
            parse_propfind(b"<propfind xmlns='DAV:'><allprop/><propname/></propfind>"),
            Err(XmlError::Invalid(_))
        ));
    }

    #[test]
    fn allprop_include_lists_extra_names() {
        let body = b"<propfind xmlns='DAV:'><allprop/><include><supported-report-set/></include></propfind>";
        assert_eq!(
            parse_propfind(body),
            Ok(PropFind::AllProp {
                include: vec![QName::dav("supported-report-set")]
            })
        );
    }

    #[test]
    fn propertyupdate_keeps_document_order() {
        let body = br#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">
            <D:set><D:prop><Z:a>1</Z:a></D:prop></D:set>
            <D:remove><D:prop><Z:b/></D:prop></D:remove>
            <D:set><D:prop><Z:b>2</Z:b></D:prop></D:set></D:propertyupdate>"#;
        let updates = parse_propertyupdate(body).expect("parses");
        assert!(
            matches!(&updates[0], PropUpdate::Set(e) if e.name == QName::new("urn:z", "a") && e.text_content() == "1")
        );
        assert_eq!(updates[1], PropUpdate::Remove(QName::new("urn:z", "b")));
        assert!(matches!(&updates[2], PropUpdate::Set(e) if e.text_content() == "2"));
    }

    #[test]
    fn a_property_keeps_its_xml_lang_and_the_declarations_it_needs() {
        let body = br#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z" xmlns:U="urn:unused"
            xml:lang="de"><D:set><D:prop><D:details xml:lang="en">My Name</D:details>
            <Z:q>Z:name</Z:q><Z:plain>Gruss</Z:plain></D:prop></D:set></D:propertyupdate>"#;
        let updates = parse_propertyupdate(body).expect("parses");
        let PropUpdate::Set(details) = &updates[0] else {
            panic!("set");
        };
        assert_eq!(details.lang(), Some("en"));
        assert_eq!(details.namespaces, [("D".to_owned(), "DAV:".to_owned())]);
        let PropUpdate::Set(q) = &updates[1] else {
            panic!("set");
        };
        assert_eq!(q.namespaces, [("Z".to_owned(), "urn:z".to_owned())]);
        let PropUpdate::Set(plain) = &updates[2] else {
            panic!("set");
        };
        // xml:lang in scope on an ancestor belongs to the property (RFC 4918 §4.3).
        assert_eq!(plain.lang(), Some("de"));
    }

    #[test]
    fn mkcalendar_body_yields_its_properties() {
        let body = br#"<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
            <D:set><D:prop><D:displayname>Work</D:displayname>
            <C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
            </D:prop></D:set></C:mkcalendar>"#;
        let props = parse_mkcol(body).expect("parses");
        assert_eq!(props.len(), 2);
        assert_eq!(props[0].text_content(), "Work");
        assert_eq!(parse_mkcol(b""), Ok(vec![]));
    }

    #[test]
    fn multiget_and_sync_collection_reports() {
        let body = br#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
            <D:prop><D:getetag/><C:calendar-data/></D:prop>
            <D:href>/dav/calendars/a/c/1.ics</D:href><D:href> /dav/calendars/a/c/2.ics </D:href>
            </C:calendar-multiget>"#;
        let Ok(Report::CalendarMultiget(m)) = parse_report(body) else {
            panic!("expected multiget");
        };
        assert_eq!(
            m.hrefs,
            ["/dav/calendars/a/c/1.ics", "/dav/calendars/a/c/2.ics"]
        );

        let body = b"<sync-collection xmlns='DAV:'><sync-token/><sync-level>1</sync-level>\
            <limit><nresults>10</nresults></limit><prop><getetag/></prop></sync-collection>";
        let Ok(Report::SyncCollection(s)) = parse_report(body) else {
            panic!("expected sync-collection");
        };
        assert_eq!(s.sync_token, "");
        assert_eq!(s.limit, Some(10));
        assert_eq!(s.sync_level.as_deref(), Some("1"));
    }

    #[test]
    fn unknown_report_is_named() {
        assert_eq!(
            parse_report(b"<x xmlns='urn:x'/>"),
            Ok(Report::Unknown(QName::new("urn:x", "x")))
        );
    }
}
