//! The WebDAV/CalDAV request bodies: the XML document reader with its limits, and the
//! PROPFIND, PROPPATCH, MKCOL/MKCALENDAR and REPORT (calendar-query filters included)
//! readers on top of it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dav_xml::parse_document(data, dav_xml::XmlLimits::default());
    let _ = dav_xml::parse_propfind(data);
    let _ = dav_xml::parse_propertyupdate(data);
    let _ = dav_xml::parse_mkcol(data);
    let _ = dav_xml::parse_report(data);
});
