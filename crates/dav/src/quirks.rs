//! Every place where calvault bends an RFC rule for a real client, gathered so that
//! `grep quirks::` lists them all.

/// PROPFIND without a Depth header is treated as Depth: 1 rather than infinity.
///
/// RFC 4918 §9.1 makes a missing Depth mean infinity, which we refuse
/// (`propfind-finite-depth`). Several clients omit the header when they mean "this collection
/// and its members" (sabre/dav makes the same choice); an explicit `Depth: infinity` is still
/// refused.
pub fn missing_propfind_depth_is_one() -> u8 {
    1
}

/// allprop answers include `DAV:current-user-principal`.
///
/// RFC 4918 §9.1 limits allprop to RFC 4918's own live properties, but the python `caldav`
/// library, after following the `/.well-known/caldav` redirect, re-sends PROPFIND with an
/// empty body (= allprop) and looks for current-user-principal in the answer; without it,
/// discovery from the well-known URL fails. Adding one property to allprop breaks no one.
pub const ALLPROP_HAS_CURRENT_USER_PRINCIPAL: bool = true;

/// Sync tokens are `http:` URIs: `SYNC_TOKEN_PREFIX` followed by `{collection}-{sequence}`.
///
/// RFC 6578 §3.2 only requires a URI, but evolution-data-server ignores a token without ':'
/// or '/', so the token is written in the one form every client takes.
pub const SYNC_TOKEN_PREFIX: &str = "http://calvault.org/ns/sync/";

/// ETags in If-Match / If-None-Match are compared with surrounding backslash escapes and
/// quotes removed.
///
/// Evolution sometimes sends `If-Match: \"abc\"` (escaped quotes) — CLIENTS.md, Everyone.
pub fn normalize_etag(raw: &str) -> &str {
    let t = raw.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches(|c| c == '"' || c == '\\')
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaped_quotes_are_removed_from_etags() {
        assert_eq!(super::normalize_etag(r#"\"abc\""#), "abc");
        assert_eq!(super::normalize_etag(r#" "abc" "#), "abc");
        assert_eq!(super::normalize_etag(r#"W/"abc""#), "abc");
    }
}
