//! Conditional requests: If-Match and If-None-Match (RFC 7232) and the WebDAV If header
//! (RFC 4918 §10.4). Where the store can check a condition inside the write's transaction
//! (a single If-Match etag, `If-None-Match: *`), it is handed over as a [`store::Expect`] so
//! that of two concurrent writers exactly one wins. The If header's lock tokens are listed
//! here ([`if_tokens`]); which of them name live locks the engine looks up once per request
//! ([`TokenMatches`], `crate::lock`).

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
    /// Which lock tokens of the If header name a live lock of what they tag.
    pub tokens: &'a TokenMatches,
}

/// The lock tokens of a request's If header that match (RFC 4918 §10.4.1: a state token
/// matches when it names a live lock covering the resource its list is tagged with, or the
/// request's resource for an untagged list), as `(tag, token)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenMatches {
    pub matched: Vec<(Option<String>, String)>,
}

impl TokenMatches {
    fn matches(&self, tag: Option<&str>, token: &str) -> bool {
        self.matched
            .iter()
            .any(|(t, k)| t.as_deref() == tag && k == token)
    }
}

/// One lock token named in an If header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfToken {
    /// The resource tag of its list (RFC 4918 §10.4.3), as written.
    pub tag: Option<String>,
    pub token: String,
    /// Under `Not`: the request does not submit it.
    pub negated: bool,
}

/// Every lock token of the If header; empty without one (or for a malformed one, which
/// the header's evaluation refuses).
pub fn if_tokens(headers: &HeaderMap) -> Vec<IfToken> {
    /// Named once: every request looks for it.
    static IF: http::HeaderName = http::HeaderName::from_static("if");
    let Some(lists) = headers
        .get(&IF)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_if)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for list in lists {
        for c in list.conditions {
            if let Kind::Token(token) = c.kind {
                out.push(IfToken {
                    tag: list.tag.clone(),
                    token,
                    negated: c.not,
                });
            }
        }
    }
    out
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

/// The ETag a write's If-Match names when it is a single one that is no longer the
/// resource's (and no If-None-Match says anything): the version a client edited, which a
/// merge of concurrent edits starts from. None when the header is absent, `*`, a list, or
/// current.
pub fn stale_if_match(headers: &HeaderMap, current_etag: Option<&str>) -> Option<String> {
    // The header constants need no name parsing: this runs on every PUT.
    if !headers.contains_key(http::header::IF_MATCH)
        || headers.contains_key(http::header::IF_NONE_MATCH)
    {
        return None;
    }
    let current = current_etag?;
    match header_list(headers, "if-match")? {
        TagList::Tags(tags) if tags.len() == 1 && tags[0] != current => tags.into_iter().next(),
        _ => None,
    }
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

/// Evaluates the If header. Entity tags are compared with the request resource's (for
/// tagged lists too: what clients send in practice); a lock token matches when it names a
/// live lock covering the resource its list is tagged with ([`TokenMatches`]).
pub fn check_if_header(headers: &HeaderMap, current: Current<'_>) -> DavResult<()> {
    let Some(value) = headers.get("if").and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let lists = parse_if(value)
        .ok_or_else(|| DavError::bad_request("the If header is malformed (RFC 4918 §10.4)"))?;
    let holds = lists.iter().any(|list| {
        list.conditions.iter().all(|c| {
            let matched = match &c.kind {
                Kind::Token(token) => current.tokens.matches(list.tag.as_deref(), token),
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
    /// The resource tag the list follows, if any.
    tag: Option<String>,
    conditions: Vec<Condition>,
}

#[derive(Debug)]
struct Condition {
    not: bool,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// A state (lock) token.
    Token(String),
    Etag(String),
}

/// `If: [<tag>] (cond cond) (cond) [<tag>] (...)` into its lists; None when malformed.
fn parse_if(value: &str) -> Option<Vec<List>> {
    let mut lists = Vec::new();
    let mut tag: Option<String> = None;
    let mut rest = value.trim_start();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('<') {
            // A resource tag: the lists that follow apply to it.
            let end = r.find('>')?;
            tag = Some(r[..end].to_owned());
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
                (Kind::Token(r[..e].to_owned()), &r[e + 1..])
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
        lists.push(List {
            tag: tag.clone(),
            conditions,
        });
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

    /// No token matches: a request without lock tokens.
    static NO_TOKENS: TokenMatches = TokenMatches {
        matched: Vec::new(),
    };

    const OBJ: Current<'static> = Current {
        exists: true,
        etag: Some("abc"),
        tokens: &NO_TOKENS,
    };
    const NONE: Current<'static> = Current {
        exists: false,
        etag: None,
        tokens: &NO_TOKENS,
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
    fn a_single_if_match_that_is_not_current_is_stale() {
        let h = headers(&[("if-match", "\"old\"")]);
        assert_eq!(stale_if_match(&h, Some("abc")), Some("old".into()));
        assert_eq!(stale_if_match(&h, Some("old")), None);
        assert_eq!(stale_if_match(&h, None), None);
        for other in [
            headers(&[("if-match", "*")]),
            headers(&[("if-match", "\"a\", \"b\"")]),
            headers(&[("if-match", "\"old\""), ("if-none-match", "*")]),
            headers(&[]),
        ] {
            assert_eq!(stale_if_match(&other, Some("abc")), None);
        }
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

    #[test]
    fn lock_tokens_match_what_their_list_is_tagged_with() {
        let held = TokenMatches {
            matched: vec![
                (None, "urn:uuid:a".into()),
                (Some("http://h/dav/x".into()), "urn:uuid:b".into()),
            ],
        };
        let obj = Current {
            tokens: &held,
            ..OBJ
        };
        let h = headers(&[("if", "(<urn:uuid:a> [\"abc\"])")]);
        assert!(check_if_header(&h, obj).is_ok());
        assert!(check_if_header(&h, OBJ).is_err());
        let h = headers(&[("if", "<http://h/dav/x> (<urn:uuid:b>)")]);
        assert!(check_if_header(&h, obj).is_ok());
        let h = headers(&[("if", "(<urn:uuid:b>)")]);
        assert!(
            check_if_header(&h, obj).is_err(),
            "b matches only where tagged"
        );
        // A corrupted token does not match, but the Not list holds (litmus
        // cond_put_corrupt_token): the header holds, the token is not submitted.
        let h = headers(&[("if", "(<urn:uuid:ax>) (Not <DAV:no-lock>)")]);
        assert!(check_if_header(&h, obj).is_ok());
        assert_eq!(
            if_tokens(&h),
            [
                IfToken {
                    tag: None,
                    token: "urn:uuid:ax".into(),
                    negated: false
                },
                IfToken {
                    tag: None,
                    token: "DAV:no-lock".into(),
                    negated: true
                }
            ]
        );
        let h = headers(&[("if", "</a> (<t1>) </b> ([\"e\"] <t2>)")]);
        let tags: Vec<Option<String>> = if_tokens(&h).into_iter().map(|t| t.tag).collect();
        assert_eq!(tags, [Some("/a".into()), Some("/b".into())]);
    }
}
