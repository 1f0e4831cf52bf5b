//! One module per HTTP method; shared request plumbing lives here.

pub mod calendar_values;
pub mod copy_move;
pub mod delete;
pub mod get;
pub mod group_members;
pub mod lock;
pub mod mkcol;
pub mod options;
pub mod post;
pub mod propfind;
pub mod proppatch;
pub mod put;
pub mod report;
pub mod unlock;

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};

pub use crate::cx::Cx;
use crate::error::{DavError, DavResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    Zero,
    One,
    Infinity,
}

/// The Depth header; `default` when absent.
pub fn depth(req: &Request<Bytes>, default: Depth) -> DavResult<Depth> {
    match req
        .headers()
        .get("depth")
        .map(|v| v.to_str().map(str::trim))
    {
        None => Ok(default),
        Some(Ok("0")) => Ok(Depth::Zero),
        Some(Ok("1")) => Ok(Depth::One),
        Some(Ok(v)) if v.eq_ignore_ascii_case("infinity") => Ok(Depth::Infinity),
        Some(_) => Err(DavError::bad_request(
            "the Depth header must be 0, 1 or infinity",
        )),
    }
}

pub fn multistatus(ms: &dav_xml::Multistatus) -> Response<Bytes> {
    xml_response(StatusCode::MULTI_STATUS, dav_xml::multistatus_body(ms))
}

pub fn xml_response(status: StatusCode, body: String) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
        .body(crate::answer_buffer::into_body(body))
        .unwrap_or_else(|_| Response::new(Bytes::new()))
}

pub fn empty(status: StatusCode) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .body(Bytes::new())
        .unwrap_or_else(|_| Response::new(Bytes::new()))
}

/// `Prefer: return=minimal` (RFC 8144) or `Brief: t`: leave out 404 propstats.
pub fn wants_minimal(req: &Request<Bytes>) -> bool {
    let values = |name: &str| -> Vec<String> {
        req.headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
            .collect()
    };
    values("prefer")
        .iter()
        .any(|v| v.split(',').any(|p| p.trim() == "return=minimal"))
        || values("brief").iter().any(|v| v == "t")
}
