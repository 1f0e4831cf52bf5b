//! WebDAV locks through the engine, beyond the golden fixtures (`golden/lock`): a lock
//! lapses after its Timeout, a MOVE onto a locked destination needs the destination's
//! token (tagged with the destination's URL, as clients send it), and the Timeout granted
//! is capped by `Limits::max_lock_timeout_secs`.
#![allow(clippy::unwrap_used)]

mod support;

use dav::Limits;
use http::StatusCode;
use support::*;

const LOCKINFO: &str = "<D:lockinfo xmlns:D='DAV:'><D:lockscope><D:exclusive/></D:lockscope>\
    <D:locktype><D:write/></D:locktype></D:lockinfo>";

fn token_of(r: &http::Response<bytes::Bytes>) -> String {
    let t = r.headers()["lock-token"].to_str().unwrap();
    t.trim_matches(|c| c == '<' || c == '>').to_owned()
}

#[tokio::test]
async fn a_lock_lapses_after_its_timeout() {
    let h = harness().await;
    let path = format!("{CAL}a.ics");
    h.ann("PUT", &path, &[], &event("a", "first")).await;
    let r = h
        .ann("LOCK", &path, &[("timeout", "Second-1")], LOCKINFO)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(text(&r).contains("<D:timeout>Second-1</D:timeout>"));
    let r = h.ann("PUT", &path, &[], &event("a", "second")).await;
    assert_eq!(r.status(), StatusCode::LOCKED);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let r = h.ann("PUT", &path, &[], &event("a", "third")).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
    // The lapsed lock is gone from lockdiscovery and conflicts with nothing.
    let r = h
        .ann(
            "PROPFIND",
            &path,
            &[("depth", "0")],
            "<D:propfind xmlns:D='DAV:'><D:prop><D:lockdiscovery/></D:prop></D:propfind>",
        )
        .await;
    assert!(text(&r).contains("<D:lockdiscovery/>"), "{}", text(&r));
    let r = h.ann("LOCK", &path, &[], LOCKINFO).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_timeout_is_capped_by_the_servers_maximum() {
    let h = harness_with(Limits {
        max_lock_timeout_secs: 60,
        ..Limits::default()
    })
    .await;
    let r = h
        .ann("LOCK", CAL, &[("timeout", "Infinite")], LOCKINFO)
        .await;
    assert!(
        text(&r).contains("<D:timeout>Second-60</D:timeout>"),
        "{}",
        text(&r)
    );
    let r = h
        .ann(
            "LOCK",
            CAL,
            &[
                ("timeout", "Second-30"),
                ("if", &format!("(<{}>)", token_of(&r))),
            ],
            "",
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "a refresh: {}", text(&r));
    assert!(
        text(&r).contains("<D:timeout>Second-30</D:timeout>"),
        "{}",
        text(&r)
    );
}

#[tokio::test]
async fn a_move_onto_a_locked_destination_needs_the_destinations_token() {
    let h = harness().await;
    let files = "/dav/calendars/ann/files/";
    assert_eq!(
        h.ann("MKCOL", files, &[], "").await.status(),
        StatusCode::CREATED
    );
    let (from, to) = (format!("{files}from.txt"), format!("{files}to.txt"));
    h.ann("PUT", &from, &[], "moving").await;
    h.ann("PUT", &to, &[], "in the way").await;
    let token = token_of(&h.ann("LOCK", &to, &[], LOCKINFO).await);
    let r = h
        .ann("MOVE", &from, &[("destination", to.as_str())], "")
        .await;
    assert_eq!(r.status(), StatusCode::LOCKED, "{}", text(&r));
    assert!(text(&r).contains("<D:href>/dav/calendars/ann/files/to.txt</D:href>"));
    // The If header names the destination's lock, tagged with its absolute URL.
    let tagged = format!("<http://cal.example{to}> (<{token}>)");
    let r = h
        .ann(
            "MOVE",
            &from,
            &[
                ("destination", to.as_str()),
                ("host", "cal.example"),
                ("if", tagged.as_str()),
            ],
            "",
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
    let moved = h.ann("GET", &to, &[], "").await;
    assert_eq!(text(&moved), "moving");
    // The destination's lock ended with the resource it replaced (RFC 4918 §7.5).
    let r = h.ann("PUT", &to, &[], "free again").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
}
