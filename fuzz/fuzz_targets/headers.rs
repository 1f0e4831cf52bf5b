//! The request headers the engine reads before any body: If (RFC 4918 §10.4), If-Match and
//! If-None-Match, Depth, and Destination with its path. The input is up to five lines, one
//! header value each in that order; an empty line leaves that header out.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n').map(|l| Some(l).filter(|l| !l.is_empty()));
    let mut next = || lines.next().flatten();
    let (if_header, if_match, if_none_match, depth, destination) =
        (next(), next(), next(), next(), next());
    dav::fuzzing::request_headers(if_header, if_match, if_none_match, depth, destination);
});
