//! Conditional requests: If-Match and If-None-Match (RFC 7232) and the WebDAV If header
//! (RFC 4918 §10.4). Where the store can check a condition inside the write's transaction
//! (a single If-Match etag, `If-None-Match: *`), it is handed over as a [`store::Expect`] so
//! that of two concurrent writers exactly one wins.

use http::HeaderMap;
use store::Expect;

use crate::error::{DavError, DavResult};
use crate::quirks;

/// One entity-tag list header: `*` or a list of tags (unquoted).
#[derive(Debug, PartialEq, Eq)]
enum TagList {
    Any,
    Tags(Vec<String>),
}

impl TagList {
    fn parse(value: &str) -> Self {
        if value.trim() == "*" {
            return TagList::Any;
        }
        TagList::Tags(
            value
                .split(',')
                .map(|t| quirks::normalize_etag(t).to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
        )
    }

    fn matches(&self, current: Option<&str>) -> bool {
        match (self, current) {
            (_, None) => false,
            (TagList::Any, Some(_)) => true,
            (TagList::Tags(tags), Some(etag)) => tags.iter().any(|t| t == etag),
        }
    }
}

fn header_list(headers: &HeaderMap, name: &str) -> Option<TagList> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        None
    } else {
        Some(TagList::parse(&values.join(",")))
    }
}

/// The state of the resource a condition is evaluated against.
#[derive(Clone, Copy, Debug)]
pub struct Current<'a> {
    pub exists: bool,
    /// Objects have an etag; collections exist without one.
    pub etag: Option<&'a str>,
}

fn failed() -> DavError {
    DavError::precondition_failed(
        "a precondition header (If-Match, If-None-Match or If) does not hold for the \
         resource's current state",
    )
}

/// For writes: checks the headers against `current` and returns what the store must
/// re-check atomically.
pub fn write_expectation(headers: &HeaderMap, current: Current<'_>) -> DavResult<Expect> {
    check_if_header(headers, current)?;
    let existing_tag = if current.exists {
        Some(current.etag.unwrap_or(""))
    } else {
        None
    };
    let mut expect = Expect::Anything;
    if let Some(list) = header_list(headers, "if-match") {
        if !list.matches(existing_tag) {
            return Err(failed());
        }
        expect = match (list, current.etag) {
            (TagList::Tags(_), Some(etag)) => Expect::Etag(etag.to_owned()),
            _ => Expect::Present,
        };
    }
    if let Some(list) = header_list(headers, "if-none-match") {
        if list.matches(existing_tag) {
            return Err(failed());
        }
        if list == TagList::Any {
            expect = Expect::Absent;
        }
    }
    Ok(expect)
}

/// What a GET or HEAD answers after its conditions (RFC 7232 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// The representation, as without conditions.
    Send,
    /// RFC 7232 §4.1: 304, the client's copy is current. Not an error: the request
    /// succeeded, there is just nothing to send.
    NotModified,
}

/// For GET and HEAD: [`Read::NotModified`] when If-None-Match matches, 412 when If-Match
/// does not.
pub fn check_read(headers: &HeaderMap, current: Current<'_>) -> DavResult<Read> {
    if let Some(list) = header_list(headers, "if-match") {
        if !list.matches(current.etag) {
            return Err(failed());
        }
    }
    if let Some(list) = header_list(headers, "if-none-match") {
        if list.matches(current.etag) {
            return Ok(Read::NotModified);
        }
    }
    Ok(Read::Send)
}

/// Evaluates the If header against the request resource. Tagged lists naming another
/// resource are evaluated as false for entity tags (we cannot see its state here) and true
/// for `Not` conditions; calvault holds no locks, so a lock token never matches.
pub fn check_if_header(headers: &HeaderMap, current: Current<'_>) -> DavResult<()> {
    let Some(value) = headers.get("if").and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let lists = parse_if(value)
        .ok_or_else(|| DavError::bad_request("the If header is malformed (RFC 4918 §10.4)"))?;
    let holds = lists.iter().any(|list| {
        list.conditions.iter().all(|c| {
            let matched = match &c.kind {
                Kind::Token => false,
                Kind::Etag(tag) => current.etag == Some(tag.as_str()),
            };
            matched != c.not
        })
    });
    if holds {
        Ok(())
    } else {
        Err(failed())
    }
}

#[derive(Debug)]
struct List {
    conditions: Vec<Condition>,
}

#[derive(Debug)]
struct Condition {
    not: bool,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// A state (lock) token; we hold no locks, so it never matches.
    Token,
    Etag(String),
}

/// `If: [<tag>] (cond cond) (cond) [<tag>] (...)` into its lists; None when malformed.
fn parse_if(value: &str) -> Option<Vec<List>> {
    let mut lists = Vec::new();
    let mut rest = value.trim_start();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('<') {
            // A resource tag: the lists that follow apply to it; we evaluate them against the
            // request resource, which is what clients send in practice.
            let end = r.find('>')?;
            rest = r[end + 1..].trim_start();
            continue;
        }
        let r = rest.strip_prefix('(')?;
        let end = r.find(')')?;
        let mut inner = r[..end].trim();
        let mut conditions = Vec::new();
        while !inner.is_empty() {
            let mut not = false;
            if let Some(r) = inner.strip_prefix("Not") {
                not = true;
                inner = r.trim_start();
            }
            let (kind, r) = if let Some(r) = inner.strip_prefix('<') {
                let e = r.find('>')?;
                (Kind::Token, &r[e + 1..])
            } else if let Some(r) = inner.strip_prefix('[') {
                let e = r.find(']')?;
                (
                    Kind::Etag(quirks::normalize_etag(&r[..e]).to_owned()),
                    &r[e + 1..],
                )
            } else {
                return None;
            };
            conditions.push(Condition { not, kind });
            inner = r.trim_start();
        }
        if conditions.is_empty() {
            return None;
        }
        lists.push(List { conditions });
        rest = r[end + 1..].trim_start();
    }
    (!lists.is_empty()).then_some(lists)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    const OBJ: Current<'static> = Current {
        exists: true,
        etag: Some("abc"),
    };
    const NONE: Current<'static> = Current {
        exists: false,
        etag: None,
    };

    #[test]
    fn if_match_becomes_an_atomic_expectation() {
        let h = headers(&[("if-match", "\"abc\"")]);
        assert_eq!(
            write_expectation(&h, OBJ).ok(),
            Some(Expect::Etag("abc".into()))
        );
        let h = headers(&[("if-match", "\"zzz\"")]);
        assert!(write_expectation(&h, OBJ).is_err());
        let h = headers(&[("if-match", "*")]);
        assert!(write_expectation(&h, NONE).is_err());
    }

    #[test]
    fn if_none_match_star_means_create_only() {
        let h = headers(&[("if-none-match", "*")]);
        assert_eq!(write_expectation(&h, NONE).ok(), Some(Expect::Absent));
        assert!(write_expectation(&h, OBJ).is_err());
    }

    #[test]
    fn get_with_matching_if_none_match_is_not_modified() {
        let h = headers(&[("if-none-match", "\"abc\"")]);
        assert_eq!(check_read(&h, OBJ).ok(), Some(Read::NotModified));
        assert_eq!(check_read(&headers(&[]), OBJ).ok(), Some(Read::Send));
    }

    #[test]
    fn if_header_lists_are_ored_and_conditions_anded() {
        let h = headers(&[("if", "(<urn:uuid:x>) ([\"abc\"])")]);
        assert!(check_if_header(&h, OBJ).is_ok());
        let h = headers(&[("if", "(<urn:uuid:x> [\"abc\"])")]);
        assert!(check_if_header(&h, OBJ).is_err());
        let h = headers(&[("if", "(Not <urn:uuid:x> [\"abc\"])")]);
        assert!(check_if_header(&h, OBJ).is_ok());
        let h = headers(&[("if", "<http://h/x> ([\"nope\"])")]);
        assert!(check_if_header(&h, OBJ).is_err());
        let h = headers(&[("if", "garbage")]);
        assert_eq!(
            check_if_header(&h, OBJ).expect_err("400").status,
            http::StatusCode::BAD_REQUEST
        );
    }
}
