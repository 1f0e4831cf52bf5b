//! MKCOL and MKCALENDAR: calendars with properties and component sets, plain collections.
#![allow(clippy::unwrap_used)]

mod support;

use http::StatusCode;
use support::*;

#[tokio::test]
async fn mkcalendar_with_apple_properties_and_component_set() {
    let h = harness().await;
    let body = "<C:mkcalendar xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav' xmlns:A='http://apple.com/ns/ical/'>\
                <D:set><D:prop><D:displayname>Tasks</D:displayname>\
                <A:calendar-color symbolic-color='red'>#FF2968</A:calendar-color><A:calendar-order>3</A:calendar-order>\
                <C:supported-calendar-component-set><C:comp name='VTODO'/></C:supported-calendar-component-set>\
                <D:resourcetype><D:collection/><C:calendar/></D:resourcetype><orphan xmlns=''>x</orphan>\
                </D:prop></D:set></C:mkcalendar>";
    let r = h
        .ann("MKCALENDAR", "/dav/calendars/ann/tasks/", &[], body)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    assert_eq!(
        h.ann("MKCALENDAR", "/dav/calendars/ann/tasks/", &[], "")
            .await
            .status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    let pf = h.ann("PROPFIND", "/dav/calendars/ann/tasks/", &[("depth", "0")],
        "<propfind xmlns='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><prop><C:supported-calendar-component-set/><displayname/></prop></propfind>").await;
    let t = text(&pf);
    assert!(
        t.contains("<C:comp name=\"VTODO\"/>") && !t.contains("VEVENT"),
        "{t}"
    );
    let ev = h
        .ann(
            "PUT",
            "/dav/calendars/ann/tasks/e.ics",
            &[],
            &event("e", "x"),
        )
        .await;
    assert_eq!(ev.status(), StatusCode::FORBIDDEN);
    assert!(text(&ev).contains("supported-calendar-component"));
    assert_eq!(
        h.ann("PUT", "/dav/calendars/ann/tasks/t.ics", &[], &todo("t"))
            .await
            .status(),
        StatusCode::CREATED
    );
    // Extended MKCOL (RFC 5689) creates a calendar too.
    let ext = "<D:mkcol xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>\
               <D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>Ext</D:displayname>\
               </D:prop></D:set></D:mkcol>";
    assert_eq!(
        h.ann("MKCOL", "/dav/calendars/ann/ext/", &[], ext)
            .await
            .status(),
        StatusCode::CREATED
    );
    let pf = h
        .ann(
            "PROPFIND",
            "/dav/calendars/ann/ext/",
            &[("depth", "0")],
            "<propfind xmlns='DAV:'><prop><resourcetype/></prop></propfind>",
        )
        .await;
    assert!(text(&pf).contains("<C:calendar/>"));
    let nested = h
        .ann("MKCALENDAR", "/dav/calendars/ann/tasks/inner/", &[], "")
        .await;
    assert!(text(&nested).contains("calendar-collection-location-ok"));
    assert_eq!(
        h.ann("MKCOL", "/dav/calendars/ann/no/such/", &[], "")
            .await
            .status(),
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn plain_collections_hold_any_content() {
    let h = harness().await;
    assert_eq!(
        h.ann("MKCOL", "/dav/calendars/ann/files/", &[], "")
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = h
        .ann(
            "PUT",
            "/dav/calendars/ann/files/notes.txt",
            &[("content-type", "text/plain")],
            "hello",
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let g = h
        .ann("GET", "/dav/calendars/ann/files/notes.txt", &[], "")
        .await;
    assert_eq!(g.body().as_ref(), b"hello");
    assert_eq!(g.headers()["content-type"], "text/plain");
    let body415 = h
        .ann(
            "MKCOL",
            "/dav/calendars/ann/files/sub/",
            &[("content-type", "text/plain")],
            "junk",
        )
        .await;
    assert_eq!(body415.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        h.ann("DELETE", "/dav/calendars/ann/files/", &[], "")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.ann("GET", "/dav/calendars/ann/files/notes.txt", &[], "")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
