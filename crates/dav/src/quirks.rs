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
