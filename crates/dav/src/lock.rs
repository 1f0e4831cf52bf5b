//! WebDAV locks at the protocol edge (RFC 4918 §6-§10), shared by every method: what a
//! request holds against locks (the lock tokens its If header names, looked up once per
//! request), the home whose locks a request meets, new lock tokens, the Timeout header, and the XML of
//! `lockdiscovery`, `supportedlock` and `activelock`.
//!
//! Whether a write may go through is not decided here: the store decides it inside the
//! write's own transaction (`store::rules::locks`), from the tokens the request's
//! `store::Change::locks` carries, so a lock taken on one node holds on every node. The
//! methods themselves are `method::lock` and `method::unlock`.

use dav_xml::{Element, QName};
use http::{HeaderMap, Request};
use store::rules::locks::covers;
use store::rules::locks::member_path;
use store::{DavLock, LockScope, PrincipalId};

use crate::condition::Condition;
use crate::conditional::{self, IfToken, TokenMatches};
use crate::error::{DavError, DavResult};
use crate::path::{self, Target};
use crate::Engine;

/// The home whose locks a request meets: that of the content its path names (for a
/// calendar shared with the caller, its owner's, whichever URL the caller reaches it by),
/// with how the caller's URLs map onto it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    pub owner: PrincipalId,
    /// The owner's user name: hrefs of lock roots are in their home.
    pub name: String,
    /// The request's path below the owner's home ("" is the home itself).
    pub path: String,
    /// The caller's binding the request goes through, if any.
    pub binding: Option<Binding>,
}

/// A calendar seen through the caller's binding: its URLs in the caller's home stand for
/// the calendar's in its owner's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub user: String,
    /// The binding's path below the caller's home.
    pub path: String,
    /// The shared calendar's path below its owner's home.
    pub target: String,
}

impl Home {
    /// Where the caller knows a lock root (a path below the owner's home) by: the user
    /// whose home the URL is in and the path below it — through the binding for what is in
    /// the shared calendar, else in the owner's home.
    pub fn place(&self, root: &str) -> (&str, String) {
        if let Some(b) = &self.binding {
            if let Some(rest) = below(root, &b.target) {
                return (&b.user, member_path(&b.path, rest));
            }
        }
        (&self.name, root.to_owned())
    }

    /// The href of a lock root as a precondition names it ([`root_href`]).
    pub fn root_href(&self, root: &str) -> String {
        let (user, path) = self.place(root);
        root_href(user, &path)
    }

    /// The path below the owner's home that a URL path names, if it names one there
    /// (directly or through the binding).
    fn path_of(&self, url_path: &str) -> Option<String> {
        let Ok(Target::Home { user, segments, .. }) = path::parse(url_path) else {
            return None;
        };
        let joined = segments.join("/");
        if user == self.name {
            return Some(joined);
        }
        let b = self.binding.as_ref().filter(|b| b.user == user)?;
        below(&joined, &b.path).map(|rest| member_path(&b.target, rest))
    }
}

/// Lock roots come from the store as paths below the home of the request's content; in
/// the answer they are hrefs as the caller reaches them.
pub fn place_roots(mut e: DavError, home: &Home) -> DavError {
    if let Some(Condition::LockTokenSubmitted { roots } | Condition::NoConflictingLock { roots }) =
        e.condition.as_mut()
    {
        for root in roots.iter_mut() {
            *root = home.root_href(root);
        }
    }
    e
}

/// What is left of `path` below `prefix` ("" for `prefix` itself), if it is there.
fn below<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(path);
    }
    match path.strip_prefix(prefix)? {
        "" => Some(""),
        rest => rest.strip_prefix('/'),
    }
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
pub async fn held(
    engine: &Engine,
    req: &Request<bytes::Bytes>,
    home: Option<&Home>,
) -> DavResult<Held> {
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
    let Some(home) = home else {
        return Ok(Held {
            matches: TokenMatches::default(),
            submitted,
        });
    };
    let locks = engine.store.locks(home.owner).await?;
    let host = host_of(req.headers()).or_else(|| req.uri().authority().map(|a| a.as_str()));
    let matched = named
        .into_iter()
        .filter(|t| names_live_lock(t, &locks, home, host))
        .map(|t| (t.tag, t.token))
        .collect();
    Ok(Held {
        matches: TokenMatches { matched },
        submitted,
    })
}

fn host_of(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
}

/// RFC 4918 §10.4.1: a token matches when it is the token of a live lock covering the
/// resource its list is tagged with (the request's resource when untagged).
fn names_live_lock(t: &IfToken, locks: &[DavLock], home: &Home, host: Option<&str>) -> bool {
    let tagged;
    let path = match &t.tag {
        None => home.path.as_str(),
        Some(tag) => match path::href_path(tag, host).and_then(|p| home.path_of(p)) {
            Some(p) => {
                tagged = p;
                tagged.as_str()
            }
            None => return false,
        },
    };
    locks.iter().any(|l| l.token == t.token && covers(l, path))
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

/// The locks of `locks` covering the resource at `home.path` (href `href`), as
/// activelocks: a lock rooted there has the resource's href as its root, one on an ancestor
/// (depth infinity) the ancestor collection's.
pub fn active_on<'a>(
    locks: &'a [DavLock],
    home: &'a Home,
    href: &'a str,
    now: i64,
) -> impl Iterator<Item = Element> + 'a {
    locks
        .iter()
        .filter(move |l| covers(l, &home.path) && store::rules::locks::is_live(l, now))
        .map(move |l| {
            let root = if l.path == home.path {
                href.to_owned()
            } else {
                let (user, path) = home.place(&l.path);
                path::collection_href(user, &path)
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
        assert_eq!(
            root_href("ann", "webdav/a b"),
            "/dav/calendars/ann/webdav/a%20b"
        );
    }
}
