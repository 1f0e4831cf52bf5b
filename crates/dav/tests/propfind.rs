//! PROPFIND: discovery properties, long listings, ctag and sync-token.
#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use http::{Response, StatusCode};
use support::*;

#[tokio::test]
async fn discovery_properties_on_root_and_principal() {
    let h = harness().await;
    let body = "<propfind xmlns='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><prop><current-user-principal/>\
                <C:calendar-home-set/><C:calendar-user-address-set/><principal-URL/><displayname/><resourcetype/>\
                <owner/><supported-report-set/><current-user-privilege-set/></prop></propfind>";
    let root = h.ann("PROPFIND", "/", &[("depth", "0")], body).await;
    assert_eq!(root.status(), StatusCode::MULTI_STATUS);
    assert!(text(&root).contains("<D:current-user-principal><D:href>/dav/principals/ann/</D:href>"));
    let p = h
        .ann("PROPFIND", "/dav/principals/ann/", &[("depth", "0")], body)
        .await;
    let t = text(&p);
    assert!(
        t.contains("<C:calendar-home-set><D:href>/dav/calendars/ann/</D:href>"),
        "{t}"
    );
    assert!(t.contains("<D:href>mailto:ann@example.org</D:href>"), "{t}");
    assert!(t.contains("<D:principal/>"), "{t}");
    let cal = h
        .ann("PROPFIND", CAL, &[("depth", "0")],
            "<propfind xmlns='DAV:'><prop><current-user-privilege-set/><supported-report-set/></prop></propfind>")
        .await;
    let t = text(&cal);
    for needle in [
        "<D:write-content/>",
        "<D:bind/>",
        "<C:calendar-multiget/>",
        "<D:sync-collection/>",
    ] {
        assert!(t.contains(needle), "{needle} missing in {t}");
    }
    let inf = h.ann("PROPFIND", CAL, &[("depth", "infinity")], "").await;
    assert_eq!(inf.status(), StatusCode::FORBIDDEN);
    assert!(text(&inf).contains("propfind-finite-depth"));
    let bad = h
        .ann(
            "PROPFIND",
            CAL,
            &[("depth", "0")],
            "<propfind xmlns='DAV:'><prop>",
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn listings_longer_than_a_page_answer_every_member_once_with_its_properties() {
    let h = harness().await;
    // More than one page of both listings (1,000 for PROPFIND, 500 for sync).
    let names: Vec<String> = (0..1_205).map(|i| format!("o{i:04}.ics")).collect();
    for name in &names {
        let r = h
            .ann("PUT", &format!("{CAL}{name}"), &[], &event(name, "x"))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    set_tag(&h, &format!("{CAL}o1100.ics"), "late").await;
    let propfind =
        "<propfind xmlns='DAV:' xmlns:x='urn:x'><prop><getetag/><x:tag/></prop></propfind>";
    let pf = text(&h.ann("PROPFIND", CAL, &[("depth", "1")], propfind).await);
    let sync = text(&h.ann("REPORT", CAL, &[], &sync_body("")).await);
    for (what, body, members) in [("PROPFIND", &pf, 1..), ("sync", &sync, 0..)] {
        let listed: Vec<&str> = responses(body)[members]
            .iter()
            .map(|r| {
                let href = &r[r.find(CAL).unwrap() + CAL.len()..];
                &href[..href.find('<').unwrap()]
            })
            .collect();
        assert_eq!(
            listed, names,
            "{what} lists every member once, in name order"
        );
    }
    let tagged: Vec<&str> = responses(&pf)
        .into_iter()
        .filter(|r| r.contains(">late</x"))
        .collect();
    assert_eq!(tagged.len(), 1);
    assert!(tagged[0].contains("o1100.ics"));
    assert!(token_of(&sync).contains("/sync/"));
}

#[tokio::test]
async fn ctag_changes_on_writes_and_only_then() {
    let h = harness().await;
    let ask = "<propfind xmlns='DAV:' xmlns:CS='http://calendarserver.org/ns/'><prop><CS:getctag/><sync-token/></prop></propfind>";
    let ctag = |r: Response<Bytes>| {
        let t = text(&r);
        let s = t.find("<CS:getctag>").unwrap();
        t[s..t[s..].find("</CS:getctag>").unwrap() + s].to_owned()
    };
    let a = ctag(h.ann("PROPFIND", CAL, &[("depth", "0")], ask).await);
    let b = ctag(h.ann("PROPFIND", CAL, &[("depth", "0")], ask).await);
    assert_eq!(a, b);
    h.ann("PUT", &format!("{CAL}x.ics"), &[], &event("x", "x"))
        .await;
    let c = ctag(h.ann("PROPFIND", CAL, &[("depth", "0")], ask).await);
    assert_ne!(b, c);
    // A refused write changes nothing.
    h.ann("PUT", &format!("{CAL}y.ics"), &[], &event("x", "dup"))
        .await;
    assert_eq!(
        c,
        ctag(h.ann("PROPFIND", CAL, &[("depth", "0")], ask).await)
    );
}
