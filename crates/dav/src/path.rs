//! Request paths to resources and back: the URL layout of the server in one place.
//!
//! ```text
//! /                              root (discovery)
//! /dav/                          DAV root
//! /dav/principals/               principal collection
//! /dav/principals/NAME/          a user's principal
//! /dav/principals/NAME/calendar-proxy-read/
//! /dav/principals/NAME/calendar-proxy-write/
//!                                the user's delegates (caldav-proxy groups)
//! /dav/groups/                   group principals
//! /dav/groups/NAME/              a group
//! /dav/calendars/NAME/           a user's calendar home
//! /dav/calendars/NAME/a/b/       collections below it (calendars, plain collections)
//! /dav/calendars/NAME/a/x.ics    an object
//! ```

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

pub const DAV_ROOT: &str = "/dav/";
pub const PRINCIPALS: &str = "/dav/principals/";
pub const HOMES: &str = "/dav/calendars/";
pub const GROUPS: &str = "/dav/groups/";

/// The names of a user principal's delegate groups (caldav-proxy), read and write.
pub const PROXY_READ: &str = "calendar-proxy-read";
pub const PROXY_WRITE: &str = "calendar-proxy-write";

/// Everything but RFC 3986 unreserved characters and a few safe sub-delimiters is escaped.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']')
    .add(b'|');

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Root,
    DavRoot,
    Principals,
    Principal(String),
    /// One of a user's delegate groups; `write` for calendar-proxy-write.
    Proxy {
        user: String,
        write: bool,
    },
    Groups,
    Group(String),
    Homes,
    /// Something under a user's home: `segments` empty is the home itself.
    Home {
        user: String,
        segments: Vec<String>,
        trailing_slash: bool,
    },
    NotFound,
}

#[derive(Debug, PartialEq, Eq)]
pub struct BadPath;

/// Parses a request path (without query). Segments are percent-decoded and must be UTF-8;
/// `.`/`..` segments and empty segments inside the path are refused.
pub fn parse(path: &str) -> Result<Target, BadPath> {
    // A fragment never belongs in a request target (RFC 9112 §3.2); acting on the part
    // before it could delete something the client did not name.
    if path.contains('#') {
        return Err(BadPath);
    }
    let path = path.split('?').next().unwrap_or("");
    if path == "/" || path.is_empty() {
        return Ok(Target::Root);
    }
    let trailing_slash = path.ends_with('/');
    let mut parts = Vec::new();
    for raw in path.trim_matches('/').split('/') {
        let seg = percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| BadPath)?
            .into_owned();
        if seg.is_empty() || seg == "." || seg == ".." || seg.contains('/') {
            return Err(BadPath);
        }
        parts.push(seg);
    }
    let mut it = parts.into_iter();
    if it.next().as_deref() != Some("dav") {
        return Ok(Target::NotFound);
    }
    let Some(area) = it.next() else {
        return Ok(Target::DavRoot);
    };
    let user = it.next();
    let rest: Vec<String> = it.collect();
    Ok(match (area.as_str(), user) {
        ("principals", None) => Target::Principals,
        ("principals", Some(u)) if rest.is_empty() => Target::Principal(u),
        ("principals", Some(user)) => match rest.as_slice() {
            [proxy] if proxy == PROXY_READ => Target::Proxy { user, write: false },
            [proxy] if proxy == PROXY_WRITE => Target::Proxy { user, write: true },
            _ => Target::NotFound,
        },
        ("groups", None) => Target::Groups,
        ("groups", Some(g)) if rest.is_empty() => Target::Group(g),
        ("calendars", None) => Target::Homes,
        ("calendars", Some(user)) => Target::Home {
            user,
            segments: rest,
            trailing_slash,
        },
        _ => Target::NotFound,
    })
}

/// Extracts the path of an href that may be an absolute URL (Destination headers, hrefs in
/// REPORT bodies). Returns None for a URL on another host when `host` is given and differs.
pub fn href_path<'a>(href: &'a str, host: Option<&str>) -> Option<&'a str> {
    for scheme in ["http://", "https://"] {
        if let Some(rest) = href.strip_prefix(scheme) {
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            if let Some(h) = host {
                if !authority.eq_ignore_ascii_case(h) {
                    return None;
                }
            }
            return Some(path);
        }
    }
    Some(href)
}

/// Bytes that never need escaping in a segment: letters, digits, '-', '_', '.', '@'.
const PLAIN_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'@');
        b += 1;
    }
    table
};

/// Appends a percent-encoded segment; a name with nothing to escape is copied in one piece.
pub fn push_segment(out: &mut String, s: &str) {
    // Most names are UIDs of letters, digits, '-', '_', '.' and '@': checking for that is
    // cheaper than the general encoder, which weighs every byte against the set.
    if s.bytes().all(|b| PLAIN_BYTE[usize::from(b)]) {
        out.push_str(s);
        return;
    }
    for piece in utf8_percent_encode(s, SEGMENT) {
        out.push_str(piece);
    }
}

pub fn principal_href(user: &str) -> String {
    let mut href = String::from(PRINCIPALS);
    push_segment(&mut href, user);
    href.push('/');
    href
}

pub fn proxy_href(user: &str, write: bool) -> String {
    let mut href = principal_href(user);
    href.push_str(if write { PROXY_WRITE } else { PROXY_READ });
    href.push('/');
    href
}

pub fn group_href(group: &str) -> String {
    let mut href = String::from(GROUPS);
    push_segment(&mut href, group);
    href.push('/');
    href
}

pub fn home_href(user: &str) -> String {
    let mut href = String::from(HOMES);
    push_segment(&mut href, user);
    href.push('/');
    href
}

/// The href of a collection at `path` (slash-separated, "" = home) below the user's home.
pub fn collection_href(user: &str, path: &str) -> String {
    let mut href = home_href(user);
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        push_segment(&mut href, seg);
        href.push('/');
    }
    href
}

pub fn object_href(user: &str, collection_path: &str, name: &str) -> String {
    member_href(&collection_href(user, collection_path), name)
}

/// The href of a member named `name` of the collection at `collection_href`.
pub fn member_href(collection_href: &str, name: &str) -> String {
    let mut href = String::with_capacity(collection_href.len() + name.len());
    href.push_str(collection_href);
    push_segment(&mut href, name);
    href
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_layout() {
        assert_eq!(parse("/"), Ok(Target::Root));
        assert_eq!(parse("/dav"), Ok(Target::DavRoot));
        assert_eq!(parse("/dav/principals/"), Ok(Target::Principals));
        assert_eq!(
            parse("/dav/principals/ann/"),
            Ok(Target::Principal("ann".into()))
        );
        assert_eq!(
            parse("/dav/calendars/ann/work/a%20b.ics"),
            Ok(Target::Home {
                user: "ann".into(),
                segments: vec!["work".into(), "a b.ics".into()],
                trailing_slash: false
            })
        );
        assert_eq!(
            parse("/dav/principals/ann/calendar-proxy-write/"),
            Ok(Target::Proxy {
                user: "ann".into(),
                write: true
            })
        );
        assert_eq!(parse("/dav/principals/ann/other/"), Ok(Target::NotFound));
        assert_eq!(parse("/dav/groups/"), Ok(Target::Groups));
        assert_eq!(parse("/dav/groups/team/"), Ok(Target::Group("team".into())));
        assert_eq!(parse("/elsewhere"), Ok(Target::NotFound));
        assert_eq!(parse("/dav/calendars/ann/../bob/"), Err(BadPath));
        assert_eq!(parse("/dav/calendars/ann/%ff/"), Err(BadPath));
        assert_eq!(parse("/dav/calendars/ann/a%2Fb/"), Err(BadPath));
        assert_eq!(parse("/dav/calendars/ann/a/#frag"), Err(BadPath));
    }

    #[test]
    fn hrefs_round_trip_through_parse() {
        let href = object_href("ann", "we ird/nested", "Café #1.ics");
        assert_eq!(
            href,
            "/dav/calendars/ann/we%20ird/nested/Caf%C3%A9%20%231.ics"
        );
        assert_eq!(
            parse(&href),
            Ok(Target::Home {
                user: "ann".into(),
                segments: vec!["we ird".into(), "nested".into(), "Café #1.ics".into()],
                trailing_slash: false
            })
        );
        assert_eq!(collection_href("ann", ""), "/dav/calendars/ann/");
    }

    #[test]
    fn the_plain_name_shortcut_encodes_like_the_general_encoder() {
        for b in 0u8..128 {
            let name = format!("a{}b", b as char);
            let mut fast = String::new();
            push_segment(&mut fast, &name);
            let general: String = utf8_percent_encode(&name, SEGMENT).collect();
            assert_eq!(fast, general, "byte {b:#04x}");
        }
    }

    #[test]
    fn absolute_hrefs_are_reduced_to_their_path() {
        assert_eq!(href_path("http://h:1/dav/x", Some("h:1")), Some("/dav/x"));
        assert_eq!(href_path("http://other/dav/x", Some("h:1")), None);
        assert_eq!(href_path("/dav/x", Some("h:1")), Some("/dav/x"));
    }
}
