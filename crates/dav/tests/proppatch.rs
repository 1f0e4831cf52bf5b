//! PROPPATCH: all instructions apply or none does.
#![allow(clippy::unwrap_used)]

mod support;

use http::StatusCode;
use support::*;

#[tokio::test]
async fn proppatch_is_all_or_nothing() {
    let h = harness().await;
    let body = "<D:propertyupdate xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>\
                <D:displayname>Renamed</D:displayname><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>";
    let r = h.ann("PROPPATCH", CAL, &[], body).await;
    let t = text(&r);
    assert!(
        t.contains("HTTP/1.1 403") && t.contains("HTTP/1.1 424"),
        "{t}"
    );
    assert!(t.contains("cannot-modify-protected-property"));
    let pf = h
        .ann(
            "PROPFIND",
            CAL,
            &[("depth", "0")],
            "<propfind xmlns='DAV:'><prop><displayname/></prop></propfind>",
        )
        .await;
    assert!(text(&pf).contains(">Calendar<"), "nothing may change");
    let ok = "<D:propertyupdate xmlns:D='DAV:' xmlns:A='http://apple.com/ns/ical/'><D:set><D:prop>\
              <D:displayname>Work</D:displayname><A:calendar-color>#FF0000FF</A:calendar-color></D:prop></D:set>\
              </D:propertyupdate>";
    assert_eq!(
        h.ann("PROPPATCH", CAL, &[], ok).await.status(),
        StatusCode::MULTI_STATUS
    );
    let pf = h.ann("PROPFIND", CAL, &[("depth", "0")], "").await;
    assert!(text(&pf).contains(">Work<") && text(&pf).contains("#FF0000FF"));
    let bad_tz = "<D:propertyupdate xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>\
                  <C:calendar-timezone>not a timezone</C:calendar-timezone></D:prop></D:set></D:propertyupdate>";
    assert!(text(&h.ann("PROPPATCH", CAL, &[], bad_tz).await).contains("valid-calendar-data"));
}
