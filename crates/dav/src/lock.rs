//! WebDAV locks at the protocol edge (RFC 4918 §6-§10), shared by every method: what a
//! request holds against locks (the lock tokens its If header names, looked up once per
//! request), the home a path is in, new lock tokens, the Timeout header, and the XML of
//! `lockdiscovery`, `supportedlock` and `activelock`.
//!
//! Whether a write may go through is not decided here: the store decides it inside the
//! write's own transaction (`store::rules::locks`), from the tokens the request's
//! `store::Change::locks` carries, so a lock taken on one node holds on every node. The
//! methods themselves are `method::lock` and `method::unlock`.

use dav_xml::{Element, QName};
use http::{HeaderMap, Request};
use store::rules::locks::covers;
use store::{DavLock, LockScope, PrincipalId, User};

use crate::conditional::{self, IfToken, TokenMatches};
use crate::error::{DavError, DavResult};
use crate::path::{self, Target};
use crate::Engine;

/// The home a request path is in: whose URLs its locks are on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    pub owner: PrincipalId,
    pub name: String,
    /// The request's path below the home ("" is the home itself).
    pub path: String,
}

/// The home `request_path` names, if it names one below `/dav/calendars/` (another user's
/// home is looked up: what the access decision lets through is not decided here).
pub async fn home_of(
    engine: &Engine,
    request_path: &str,
    me: &User,
) -> DavResult<Option<Home>> {
    let Ok(Target::Home { user, segments, .. }) = path::parse(request_path) else {
        return Ok(None);
    };
    let owner = if user == me.name {
        me.id
    } else {
        match engine.store.user_by_name(&user).await? {
            Some(u) => u.id,
            None => return Ok(None),
        }
    };
    Ok(Some(Home {
        owner,
        name: user,
        path: segments.join("/"),
    }))
}

/// What a request holds against locks, from its If header.
#[derive(Debug, Default)]
pub struct Held {
    /// The tokens that name a live lock of what their list is tagged with.
    pub matches: TokenMatches,
    /// The tokens the request submits (RFC 4918 §10.4.1): those it names outside `Not`.
    pub submitted: Vec<String>,
}

/// Reads the If header's lock tokens and, when there are any, the locks of the request's
/// home once, to tell which of them match. A request without tokens costs nothing here.
pub async fn held(engine: &Engine, req: &Request<bytes::Bytes>, me: &User) -> DavResult<Held> {
    let named = conditional::if_tokens(req.headers());
    if named.is_empty() {
        return Ok(Held::default());
    }
    let mut submitted: Vec<String> = named
        .iter()
        .filter(|t| !t.negated)
        .map(|t| t.token.clone())
        .collect();
    submitted.sort();
    submitted.dedup();
    let Some(home) = home_of(engine, req.uri().path(), me).await? else {
        return Ok(Held {
            matches: TokenMatches::default(),
            submitted,
        });
    };
    let locks = engine.store.locks(home.owner).await?;
    let host = host_of(req.headers()).or_else(|| req.uri().authority().map(|a| a.as_str()));
    let matched = named
        .into_iter()
        .filter(|t| names_live_lock(t, &locks, &home, host))
        .map(|t| (t.tag, t.token))
        .collect();
    Ok(Held {
        matches: TokenMatches { matched },
        submitted,
    })
}

fn host_of(headers: &HeaderMap) -> Option<&str> {
    headers.get(http::header::HOST).and_then(|v| v.to_str().ok())
}

/// RFC 4918 §10.4.1: a token matches when it is the token of a live lock covering the
/// resource its list is tagged with (the request's resource when untagged).
fn names_live_lock(t: &IfToken, locks: &[DavLock], home: &Home, host: Option<&str>) -> bool {
    let tagged;
    let path = match &t.tag {
        None => home.path.as_str(),
        Some(tag) => match tag_path(tag, host, &home.name) {
            Some(p) => {
                tagged = p;
                tagged.as_str()
            }
            None => return false,
        },
    };
    locks
        .iter()
        .any(|l| l.token == t.token && covers(l, path))
}

/// The path below `home` a resource tag names, if it names one in that home.
fn tag_path(tag: &str, host: Option<&str>, home: &str) -> Option<String> {
    match path::parse(path::href_path(tag, host)?) {
        Ok(Target::Home { user, segments, .. }) if user == home => Some(segments.join("/")),
        _ => None,
    }
}

/// A new lock token (RFC 4918 §6.5): a random `urn:uuid:` (RFC 4122 version 4), unique
/// across servers and time.
pub fn new_token() -> DavResult<String> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(|e| {
        DavError::new(
            http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("no randomness for a lock token: {e}"),
        )
    })?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// The Timeout header's first understood value in seconds (RFC 4918 §10.7); None for
/// `Infinite`, no header or none understood, which the server's maximum then answers.
pub fn requested_timeout(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get("timeout")?.to_str().ok()?;
    for part in value.split(',').map(str::trim) {
        if part.eq_ignore_ascii_case("infinite") {
            return None;
        }
        let seconds = part
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("second-"))
            .and_then(|_| part[7..].parse().ok());
        if seconds.is_some() {
            return seconds;
        }
    }
    None
}

/// The href of a lock root: the path below `owner`'s home, without a trailing slash but
/// for the home itself (RFC 4918 §8.3 lets a client compare either).
pub fn root_href(owner: &str, root: &str) -> String {
    let href = path::collection_href(owner, root);
    if root.is_empty() {
        href
    } else {
        href.trim_end_matches('/').to_owned()
    }
}

/// RFC 4918 §14.1 `activelock`: one lock as lockdiscovery and a LOCK answer show it.
pub fn activelock(lock: &DavLock, root: String, now: i64) -> Element {
    let scope = match lock.scope {
        LockScope::Exclusive => "exclusive",
        LockScope::Shared => "shared",
    };
    let left = ((lock.expires_at - now).max(0) + 999) / 1000;
    let mut e = Element::new(QName::dav("activelock"))
        .with_child(wrap("locktype", Element::new(QName::dav("write"))))
        .with_child(wrap("lockscope", Element::new(QName::dav(scope))))
        .with_child(Element::text(
            QName::dav("depth"),
            if lock.deep { "infinity" } else { "0" },
        ));
    if let Some(owner) = lock
        .owner
        .as_deref()
        .and_then(|xml| dav_xml::parse_document(xml.as_bytes(), Default::default()).ok())
    {
        e = e.with_child(owner);
    }
    e.with_child(Element::text(
        QName::dav("timeout"),
        format!("Second-{left}"),
    ))
    .with_child(wrap("locktoken", href(lock.token.clone())))
    .with_child(wrap("lockroot", href(root)))
}

/// RFC 4918 §15.8 `lockdiscovery`: the live locks on a resource.
pub fn lockdiscovery(active: impl IntoIterator<Item = Element>) -> Element {
    Element::new(QName::dav("lockdiscovery")).with_children(active)
}

/// RFC 4918 §15.10 `supportedlock`: exclusive and shared write locks.
pub fn supportedlock() -> Element {
    let entry = |scope: &'static str| {
        Element::new(QName::dav("lockentry"))
            .with_child(wrap("lockscope", Element::new(QName::dav(scope))))
            .with_child(wrap("locktype", Element::new(QName::dav("write"))))
    };
    Element::new(QName::dav("supportedlock"))
        .with_child(entry("exclusive"))
        .with_child(entry("shared"))
}

/// The locks of `locks` covering the resource at `path` (href `href`), as activelocks: a
/// lock rooted there has the resource's href as its root, one on an ancestor (depth
/// infinity) the ancestor collection's.
pub fn active_on<'a>(
    locks: &'a [DavLock],
    owner: &'a str,
    path: &'a str,
    href: &'a str,
    now: i64,
) -> impl Iterator<Item = Element> + 'a {
    locks
        .iter()
        .filter(move |l| covers(l, path) && store::rules::locks::is_live(l, now))
        .map(move |l| {
            let root = if l.path == path {
                href.to_owned()
            } else {
                path::collection_href(owner, &l.path)
            };
            activelock(l, root, now)
        })
}

fn wrap(name: &'static str, child: Element) -> Element {
    Element::new(QName::dav(name)).with_child(child)
}

fn href(text: String) -> Element {
    Element::text(QName::dav("href"), text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn tokens_are_version_4_uuids() {
        let t = new_token().expect("a token");
        assert_eq!(t.len(), "urn:uuid:".len() + 36);
        assert_eq!(&t[23..24], "4");
        assert!(matches!(&t[28..29], "8" | "9" | "a" | "b"));
        assert_ne!(t, new_token().expect("another"));
    }

    #[test]
    fn the_first_understood_timeout_counts() {
        let mut h = HeaderMap::new();
        assert_eq!(requested_timeout(&h), None);
        h.insert("timeout", HeaderValue::from_static("Second-3600"));
        assert_eq!(requested_timeout(&h), Some(3600));
        h.insert(
            "timeout",
            HeaderValue::from_static("Infinite, Second-4100000000"),
        );
        assert_eq!(requested_timeout(&h), None);
        h.insert("timeout", HeaderValue::from_static("Weeks-2, second-60"));
        assert_eq!(requested_timeout(&h), Some(60));
    }

    #[test]
    fn roots_are_hrefs_in_the_home() {
        assert_eq!(root_href("ann", ""), "/dav/calendars/ann/");
        assert_eq!(root_href("ann", "webdav/a b"), "/dav/calendars/ann/webdav/a%20b");
    }
}
