//! REPORT (RFC 3253 §3.6), one module per report.

mod calendar_data;
mod calendar_multiget;
mod calendar_query;
mod expand_property;
mod filter_xml;
mod free_busy;
mod principal;
mod sync_collection;

use bytes::Bytes;
use dav_xml::Report;
use http::{Request, Response};

use super::Cx;
use crate::condition::Condition;
use crate::error::{DavError, DavResult};

pub async fn handle(cx: &Cx<'_>, req: &Request<Bytes>) -> DavResult<Response<Bytes>> {
    match dav_xml::parse_report(req.body())? {
        Report::CalendarMultiget(m) => calendar_multiget::handle(cx, req, m).await,
        Report::CalendarQuery(q) => calendar_query::handle(cx, req, q).await,
        Report::SyncCollection(s) => sync_collection::handle(cx, req, s).await,
        Report::FreeBusyQuery(body) => free_busy::handle(cx, req, body).await,
        Report::ExpandProperty(body) => expand_property::handle(cx, req, body).await,
        Report::PrincipalPropertySearch(body) => principal::property_search(cx, req, body).await,
        Report::PrincipalSearchPropertySet => principal::search_property_set(),
        Report::PrincipalMatch(body) => principal::principal_match(cx, req, body).await,
        other => Err(unsupported(report_name(&other))),
    }
}

fn report_name(r: &Report) -> String {
    match r {
        Report::Unknown(name) => name.to_string(),
        _ => String::new(),
    }
}

/// RFC 3253 §3.6: an unsupported report is a 403 with `DAV:supported-report`.
fn unsupported(name: String) -> DavError {
    DavError::condition(
        Condition::SupportedReport,
        format!("the report {name} is not supported on this resource"),
    )
}
