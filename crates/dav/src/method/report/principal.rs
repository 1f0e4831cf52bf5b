//! The principal REPORTs of RFC 3744 that clients send for attendee, sharee and delegate
//! look-up and setup: principal-property-search (§9.4), principal-search-property-set
//! (§9.5) and principal-match (§9.3). Searches see whom the `principal_search` setting
//! lets the caller see ([`Visibility`]), and answer 207 whatever they find.

use std::sync::Arc;

use bytes::Bytes;
use dav_xml::{Element, PropFind, QName, CALDAV, CALSERVER, DAV};
use http::StatusCode;

use crate::access::Visibility;
use crate::cx::Cx;
use crate::error::{DavError, DavResult};
use crate::path;
use crate::props::{self, dead_properties, members, no_extra, PropEnv, PropResponses};
use crate::resource::Resource;

/// The properties a principal search tests, with the description the property set gives.
const SEARCHABLE: [(&str, &str, &str); 5] = [
    (DAV, "displayname", "Display name"),
    (CALDAV, "calendar-user-address-set", "Calendar user address"),
    (CALSERVER, "email-address-set", "Email address"),
    (CALDAV, "calendar-user-type", "Calendar user type"),
    (CALDAV, "calendar-home-set", "Calendar home"),
];

pub fn search_property_set() -> DavResult<http::Response<Bytes>> {
    let mut root = Element::new(QName::dav("principal-search-property-set"));
    // The home is searchable (Thunderbird matches on it) but not advertised: it is no
    // name a person would type.
    for (ns, name, description) in &SEARCHABLE[..4] {
        root = root.with_child(
            Element::new(QName::dav("principal-search-property"))
                .with_child(
                    Element::new(QName::dav("prop")).with_child(Element::new(QName::new(ns, name))),
                )
                .with_child(
                    Element::text(QName::dav("description"), *description)
                        .with_attr("xml:lang", "en"),
                ),
        );
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{}",
        dav_xml::fragment(&root)
    );
    Ok(crate::method::xml_response(StatusCode::OK, body))
}

/// One `DAV:property-search`: the properties it tests and the text they must match.
struct Test {
    names: Vec<QName>,
    needle: String,
    how: MatchType,
}

/// How a value is compared: RFC 3744 has substring matching only; `match-type` is the
/// extension Outlook CalDav Synchronizer and others send.
#[derive(Clone, Copy)]
enum MatchType {
    Contains,
    Equals,
    StartsWith,
}

/// Case-insensitive, with and without `mailto:` (Evolution searches for a bare address).
fn comparable(s: &str) -> String {
    let lower = s.trim().to_lowercase();
    match lower.strip_prefix("mailto:") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

impl Test {
    fn parse(search: &Element) -> Test {
        let matcher = search.child(DAV, "match");
        let how = match matcher.and_then(|m| m.attr("match-type")) {
            Some("equals") => MatchType::Equals,
            Some("starts-with") => MatchType::StartsWith,
            _ => MatchType::Contains,
        };
        Test {
            names: search
                .child(DAV, "prop")
                .map(|p| p.elements().map(|e| e.name.clone()).collect())
                .unwrap_or_default(),
            needle: comparable(&matcher.map(Element::text_content).unwrap_or_default()),
            how,
        }
    }

    /// A property this server does not search matches nothing: the search still answers.
    fn matches(&self, env: &PropEnv<'_>, r: &Resource) -> bool {
        self.names
            .iter()
            .filter(|n| SEARCHABLE.iter().any(|(ns, l, _)| n.is(ns, l)))
            .filter_map(|n| props::value(env, r, n, &[]))
            .any(|value| {
                texts(&value).iter().any(|t| {
                    let t = comparable(t);
                    match self.how {
                        MatchType::Contains => t.contains(&self.needle),
                        MatchType::Equals => t == self.needle,
                        MatchType::StartsWith => t.starts_with(&self.needle),
                    }
                })
            })
    }
}

/// The texts a value holds: each child element's (hrefs of an address set), or its own.
fn texts(value: &Element) -> Vec<String> {
    let children: Vec<String> = value.elements().map(Element::text_content).collect();
    if children.is_empty() {
        vec![value.text_content()]
    } else {
        children
    }
}

/// Every principal the caller may find: users, then groups.
async fn findable(cx: &Cx<'_>) -> DavResult<Vec<Resource>> {
    let store = &cx.engine.store;
    let visible = Visibility::of(cx).await?;
    let me = &cx.caller.user;
    let mut out: Vec<Resource> = store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| visible.finds(u, me))
        .map(|u| Resource::Principal(Arc::new(u)))
        .collect();
    let groups = store.groups().await?;
    out.extend(
        groups
            .into_iter()
            .filter(|g| visible.sees_group(g.id))
            .map(|g| Resource::Group(Arc::new(g))),
    );
    Ok(out)
}

/// Whichever URL the search is sent to, every principal collection is searched (RFC 3744
/// §9.4 `apply-to-principal-collection-set`): Evolution and python caldav send it to
/// calendars and to the server's base URL.
pub async fn property_search(cx: &Cx<'_>, body: Element) -> DavResult<http::Response<Bytes>> {
    let any_of = body.attr("test") == Some("anyof");
    let prop = PropFind::Prop(crate::quirks::principal_search_props(&body));
    let tests: Vec<Test> = body
        .elements()
        .filter(|e| e.name.is(DAV, "property-search"))
        .map(Test::parse)
        .collect();
    let mut candidates = findable(cx).await?;
    if crate::quirks::principal_search_finds_users_only(&body) {
        candidates.retain(|r| matches!(r, Resource::Principal(_)));
    }
    let mut env = PropEnv::new(cx, &prop).await?;
    // With no test at all, every principal the caller may see (python caldav lists so).
    let matched: Vec<Resource> = candidates
        .into_iter()
        .filter(|r| {
            let mut results = tests.iter().map(|t| t.matches(&env, r));
            match any_of {
                true => tests.is_empty() || results.any(|hit| hit),
                false => results.all(|hit| hit),
            }
        })
        .collect();
    let listed: Vec<&Resource> = matched.iter().collect();
    env.load(cx, &listed).await?;
    let mut out = crate::answer_buffer::multistatus();
    let mut responses = PropResponses::new(&env, &prop, false);
    for r in &matched {
        responses.write(&mut out, &r.href(), r, &[], &no_extra);
    }
    Ok(crate::method::xml_response(
        StatusCode::MULTI_STATUS,
        out.finish(None),
    ))
}

pub async fn principal_match(
    cx: &Cx<'_>,
    resource: Resource,
    body: Element,
) -> DavResult<http::Response<Bytes>> {
    let prop = body
        .child(DAV, "prop")
        .map(|p| PropFind::Prop(p.elements().cloned().collect()))
        .unwrap_or(PropFind::Prop(Vec::new()));
    let mut env = PropEnv::new(cx, &prop).await?;
    let me = &cx.caller.user;
    let matches: Vec<(Resource, Vec<store::Property>)> = if body.child(DAV, "self").is_some() {
        // The caller's principal and the groups they are in, where the request looks.
        let mine = Resource::Principal(Arc::new(me.clone()));
        let in_scope = match &resource {
            Resource::Principals | Resource::Groups => true,
            Resource::Principal(u) => u.id == me.id,
            _ => false,
        };
        let mut out = Vec::new();
        if in_scope {
            if !matches!(resource, Resource::Groups) {
                out.push((mine, Vec::new()));
            }
            if !matches!(resource, Resource::Principal(_)) {
                for g in cx.engine.store.groups_of(me.id).await? {
                    out.push((Resource::Group(Arc::new(g)), Vec::new()));
                }
            }
        }
        out
    } else if let Some(property) = body.child(DAV, "principal-property") {
        // The members (and the resource itself) whose named property names the caller.
        let Some(name) = property.elements().next().map(|e| e.name.clone()) else {
            return Err(DavError::bad_request(
                "DAV:principal-property names the property to match, e.g. DAV:owner",
            ));
        };
        let mut out = members(cx, &resource).await?;
        if matches!(resource, Resource::Collection(_) | Resource::Object { .. }) {
            let dead = dead_properties(cx, &resource).await?;
            out.insert(0, (resource, dead));
        }
        let mine = path::principal_href(&me.name);
        out.retain(|(r, dead)| {
            props::value(&env, r, &name, dead).is_some_and(|v| {
                v.elements()
                    .filter(|e| e.name.is(DAV, "href"))
                    .any(|h| h.text_content() == mine)
            })
        });
        out
    } else {
        return Err(DavError::bad_request(
            "principal-match needs DAV:self or DAV:principal-property",
        ));
    };
    let listed: Vec<&Resource> = matches.iter().map(|(r, _)| r).collect();
    env.load(cx, &listed).await?;
    let mut out = crate::answer_buffer::multistatus();
    let mut responses = PropResponses::new(&env, &prop, false);
    for (r, dead) in &matches {
        responses.write(&mut out, &r.href(), r, dead, &no_extra);
    }
    Ok(crate::method::xml_response(
        StatusCode::MULTI_STATUS,
        out.finish(None),
    ))
}
