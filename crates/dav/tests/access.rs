//! Access: another user's space, without a share, is absent (404) to every method and is
//! left unchanged.
#![allow(clippy::unwrap_used)]

mod support;

use http::StatusCode;
use support::*;

#[tokio::test]
async fn another_users_space_is_absent_for_every_method_and_unchanged() {
    let h = harness().await;
    h.ann(
        "PUT",
        &format!("{CAL}secret.ics"),
        &[],
        &event("s", "Secret meeting"),
    )
    .await;
    let targets = [
        "/dav/calendars/ann/calendar/secret.ics",
        "/dav/calendars/ann/calendar/",
        "/dav/calendars/ann/",
        "/dav/principals/ann/",
        "/dav/calendars/ann/nothing-here/",
    ];
    for path in targets {
        for method in [
            "GET",
            "PROPFIND",
            "PUT",
            "DELETE",
            "PROPPATCH",
            "MKCOL",
            "MOVE",
            "REPORT",
            "LOCK",
            "UNLOCK",
        ] {
            let r = h
                .send(
                    &h.bob,
                    method,
                    path,
                    &[("destination", "/dav/calendars/bob/calendar/x.ics")],
                    &event("b", "x"),
                )
                .await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
            assert!(
                !text(&r).contains("Secret"),
                "{method} {path} leaked content"
            );
        }
    }
    let still = h.ann("GET", &format!("{CAL}secret.ics"), &[], "").await;
    assert!(text(&still).contains("Secret meeting"));
    // A multiget from bob naming ann's object gets a per-href 404 and no data.
    let body = "<C:calendar-multiget xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'>\
                <D:prop><C:calendar-data/></D:prop><D:href>/dav/calendars/ann/calendar/secret.ics</D:href>\
                </C:calendar-multiget>";
    let r = h
        .send(&h.bob, "REPORT", "/dav/calendars/bob/calendar/", &[], body)
        .await;
    assert_eq!(r.status(), StatusCode::MULTI_STATUS);
    assert!(text(&r).contains("404") && !text(&r).contains("Secret"));
}
