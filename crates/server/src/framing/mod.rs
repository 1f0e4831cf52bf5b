//! HTTP/1.1 message framing the server refuses (RFC 9112), before anything else looks at
//! a request: a request without exactly one `Host` (§3.2: a server "MUST respond with a 400"
//! to a request lacking it or having more than one), and one with both `Transfer-Encoding`
//! and `Content-Length` (§6.1: the shape of request smuggling behind a proxy that reads the
//! other header; "ought to be handled as an error"), which hyper hides from us and
//! [`watch`] finds on the connection. Obsolete line folding (§5.2) never gets this far: the
//! parser answers 400 itself.

pub mod watch;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, Response, StatusCode, Version};
use axum::middleware::Next;

/// The framing error of a request, if it has one.
pub fn problem(version: Version, headers: &HeaderMap) -> Option<&'static str> {
    // HTTP/2 and HTTP/3 carry the authority in a pseudo-header; HTTP/1.0 predates Host.
    if version == Version::HTTP_11 {
        match headers.get_all(header::HOST).iter().count() {
            0 => return Some("an HTTP/1.1 request needs a Host header (RFC 9112 §3.2)"),
            1 => {}
            _ => return Some("a request may carry only one Host header (RFC 9112 §3.2)"),
        }
    }
    if headers.contains_key(watch::MARK)
        || headers.contains_key(header::TRANSFER_ENCODING)
            && headers.contains_key(header::CONTENT_LENGTH)
    {
        return Some(
            "a request may not carry both Transfer-Encoding and Content-Length (RFC 9112 §6.1)",
        );
    }
    None
}

/// The middleware: refuses a badly framed request with 400 and closes the connection, since
/// where its body ends is not known.
pub async fn check(req: Request<Body>, next: Next) -> Response<Body> {
    match problem(req.version(), req.headers()) {
        None => next.run(req).await,
        Some(why) => {
            let mut res = Response::new(Body::from(format!("{why}\n")));
            *res.status_mut() = StatusCode::BAD_REQUEST;
            let headers = res.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            headers.insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, header::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn host_must_be_there_once_in_http_1_1_and_te_with_cl_is_refused() {
        let ok = headers(&[("host", "a")]);
        assert_eq!(problem(Version::HTTP_11, &ok), None);
        assert!(problem(Version::HTTP_11, &headers(&[])).is_some());
        assert_eq!(problem(Version::HTTP_10, &headers(&[])), None);
        assert_eq!(problem(Version::HTTP_2, &headers(&[])), None);
        assert!(problem(Version::HTTP_11, &headers(&[("host", "a"), ("host", "b")])).is_some());
        let smuggle = headers(&[
            ("host", "a"),
            ("transfer-encoding", "chunked"),
            ("content-length", "5"),
        ]);
        assert!(problem(Version::HTTP_11, &smuggle).is_some());
        assert!(problem(Version::HTTP_2, &smuggle).is_some());
    }
}
