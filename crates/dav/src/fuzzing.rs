//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing` only): the request
//! header parsers the engine runs before it looks at a body, called as a request would
//! call them, so a fuzzer reaches them without a store.

use bytes::Bytes;
use http::{HeaderValue, Request};

use crate::conditional::{self, Current};
use crate::method::{self, Depth};

/// Parses `If` (listing its lock tokens as the engine does), `If-Match`, `If-None-Match`,
/// `Depth` and `Destination` as given (each `None` leaves the header out), against an
/// object with ETag `"e1"`, then the Destination's path as COPY and MOVE resolve it. Errors are answers; only a panic or a
/// hang is a finding.
pub fn request_headers(
    if_header: Option<&str>,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
    depth: Option<&str>,
    destination: Option<&str>,
) {
    let mut req = Request::new(Bytes::new());
    let headers = req.headers_mut();
    let pairs = [
        ("if", if_header),
        ("if-match", if_match),
        ("if-none-match", if_none_match),
        ("depth", depth),
        ("destination", destination),
    ];
    for (name, value) in pairs {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, v);
        }
    }
    headers.insert("host", HeaderValue::from_static("dav.example"));
    // The If header's lock tokens as the engine lists them, one of them taken to name a
    // live lock (what `crate::lock::held` would find), so token matching runs too.
    let named = conditional::if_tokens(req.headers());
    let tokens = conditional::TokenMatches {
        matched: named
            .into_iter()
            .take(1)
            .map(|t| (t.tag, t.token))
            .collect(),
    };
    let current = Current {
        exists: true,
        etag: Some("\"e1\""),
        tokens: &tokens,
    };
    let _ = conditional::check_if_header(req.headers(), current);
    let _ = conditional::write_expectation(req.headers(), current);
    let _ = conditional::check_read(req.headers(), current);
    let _ = method::depth(&req, Depth::Infinity);
    if let Some(raw) = destination {
        if let Some(path) = crate::path::href_path(raw, Some("dav.example")) {
            let _ = crate::path::parse(path);
        }
    }
}
