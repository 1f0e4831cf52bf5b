//! COPY and MOVE of objects and collections.
#![allow(clippy::unwrap_used)]

mod support;

use http::StatusCode;
use support::*;

#[tokio::test]
async fn copy_and_move_between_calendars_honour_overwrite_and_component_sets() {
    let h = harness().await;
    h.ann("MKCALENDAR", "/dav/calendars/ann/other/", &[], "")
        .await;
    h.ann("PUT", &format!("{CAL}e.ics"), &[], &event("e", "x"))
        .await;
    let dest = [("destination", "/dav/calendars/ann/other/e.ics")];
    assert_eq!(
        h.ann("COPY", &format!("{CAL}e.ics"), &dest, "")
            .await
            .status(),
        StatusCode::CREATED
    );
    let no_overwrite = [
        ("destination", "/dav/calendars/ann/other/e.ics"),
        ("overwrite", "F"),
    ];
    assert_eq!(
        h.ann("COPY", &format!("{CAL}e.ics"), &no_overwrite, "")
            .await
            .status(),
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        h.ann("MOVE", &format!("{CAL}e.ics"), &dest, "")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.ann("GET", &format!("{CAL}e.ics"), &[], "").await.status(),
        StatusCode::NOT_FOUND
    );
    let body = h
        .ann("GET", "/dav/calendars/ann/other/e.ics", &[], "")
        .await;
    assert_eq!(body.body().as_ref(), event("e", "x").as_bytes());
    let todo_only = "<C:mkcalendar xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>\
        <C:supported-calendar-component-set><C:comp name='VTODO'/></C:supported-calendar-component-set>\
        </D:prop></D:set></C:mkcalendar>";
    h.ann("MKCALENDAR", "/dav/calendars/ann/todo/", &[], todo_only)
        .await;
    let r = h
        .ann(
            "MOVE",
            "/dav/calendars/ann/other/e.ics",
            &[("destination", "/dav/calendars/ann/todo/e.ics")],
            "",
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        h.ann("GET", "/dav/calendars/ann/other/e.ics", &[], "")
            .await
            .status(),
        StatusCode::OK
    );
    // Whole collections move with their content.
    let r = h
        .ann(
            "MOVE",
            "/dav/calendars/ann/other/",
            &[("destination", "/dav/calendars/ann/renamed/")],
            "",
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        h.ann("GET", "/dav/calendars/ann/renamed/e.ics", &[], "")
            .await
            .status(),
        StatusCode::OK
    );
    let cross = h
        .ann(
            "COPY",
            "/dav/calendars/ann/renamed/e.ics",
            &[("destination", "/dav/calendars/bob/calendar/e.ics")],
            "",
        )
        .await;
    assert_eq!(
        cross.status(),
        StatusCode::NOT_FOUND,
        "bob's calendar is not there for ann"
    );
}
