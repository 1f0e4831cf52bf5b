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

use super::{Cx, Depth};
use crate::access::{self, Need};
use crate::condition::Condition;
use crate::error::{DavError, DavResult};
use crate::resource::Resource;

pub async fn handle(
    cx: &Cx<'_>,
    req: &Request<Bytes>,
    resource: Resource,
) -> DavResult<Response<Bytes>> {
    let report = dav_xml::parse_report(req.body())?;
    // Free-busy alone is what a read-free-busy grant allows; every other report reads.
    if !matches!(report, Report::FreeBusyQuery(_)) {
        access::check_resource(&resource, Need::READ)?;
    }
    match &report {
        Report::CalendarMultiget(dav_xml::Multiget { prop, .. })
        | Report::CalendarQuery(dav_xml::CalendarQuery { prop, .. })
        | Report::SyncCollection(dav_xml::SyncCollection { prop, .. }) => {
            calendar_data::check_request(prop)?;
        }
        Report::PrincipalPropertySearch(_)
        | Report::PrincipalSearchPropertySet
        | Report::PrincipalMatch(_) => depth_zero_only(req)?,
        _ => {}
    }
    match report {
        Report::CalendarMultiget(m) => calendar_multiget::handle(cx, req, m).await,
        Report::CalendarQuery(q) => calendar_query::handle(cx, req, resource, q).await,
        Report::SyncCollection(s) => sync_collection::handle(cx, req, resource, s).await,
        Report::FreeBusyQuery(body) => free_busy::handle(cx, resource, body).await,
        Report::ExpandProperty(body) => expand_property::handle(cx, req, resource, body).await,
        Report::PrincipalPropertySearch(body) => principal::property_search(cx, body).await,
        Report::PrincipalSearchPropertySet => principal::search_property_set(),
        Report::PrincipalMatch(body) => principal::principal_match(cx, resource, body).await,
        other => Err(unsupported(report_name(&other))),
    }
}

/// RFC 3744 §9.3-§9.5: principal-match, principal-property-search and
/// principal-search-property-set are "only defined when the Depth header has value 0; other
/// values result in a 400 (Bad Request)". No Depth header is Depth 0 (RFC 3253 §3.6).
fn depth_zero_only(req: &Request<Bytes>) -> DavResult<()> {
    match super::depth(req, Depth::Zero)? {
        Depth::Zero => Ok(()),
        _ => Err(DavError::bad_request(
            "this report is only defined for Depth: 0 (RFC 3744 §9); send Depth: 0",
        )),
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
