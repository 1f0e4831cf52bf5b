//! REPORT: calendar-multiget, sync-collection, calendar-query, free-busy-query,
//! expand-property and the principal reports.
#![allow(clippy::unwrap_used)]

mod support;

use http::StatusCode;
use support::*;

#[tokio::test]
async fn multiget_returns_requested_objects_with_partial_data_and_404s() {
    let h = harness().await;
    h.ann("PUT", &format!("{CAL}m1.ics"), &[], &event("m1", "First"))
        .await;
    h.ann("PUT", &format!("{CAL}m2.ics"), &[], &event("m2", "Second"))
        .await;
    let body = "<C:calendar-multiget xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop><D:getetag/>\
                <C:calendar-data><C:comp name='VCALENDAR'><C:prop name='VERSION'/><C:comp name='VEVENT'>\
                <C:prop name='SUMMARY'/><C:prop name='UID'/></C:comp></C:comp></C:calendar-data></D:prop>\
                <D:href>/dav/calendars/ann/calendar/m1.ics</D:href><D:href>/dav/calendars/ann/calendar/missing.ics</D:href>\
                <D:href>http://example.org/dav/calendars/ann/calendar/m2.ics</D:href></C:calendar-multiget>";
    let r = h.ann("REPORT", CAL, &[], body).await;
    assert_eq!(r.status(), StatusCode::MULTI_STATUS);
    let t = text(&r);
    assert!(
        t.contains("SUMMARY:First") && t.contains("SUMMARY:Second"),
        "{t}"
    );
    assert!(
        !t.contains("DTSTART"),
        "partial calendar-data leaves DTSTART out: {t}"
    );
    assert!(
        t.contains("missing.ics</D:href><D:status>HTTP/1.1 404"),
        "{t}"
    );
}

#[tokio::test]
async fn multiget_answers_each_href_in_request_order_even_when_repeated() {
    let h = harness().await;
    for name in ["m1", "m2"] {
        h.ann("PUT", &format!("{CAL}{name}.ics"), &[], &event(name, name))
            .await;
    }
    set_tag(&h, &format!("{CAL}m1.ics"), "tagged").await;
    let hrefs = [
        "/dav/calendars/ann/calendar/m2.ics",
        "/dav/calendars/ann/calendar/m1.ics",
        "/dav/calendars/bob/calendar/m1.ics",
        "/dav/calendars/ann/no-such-calendar/m1.ics",
        "/dav/calendars/ann/calendar/m1.ics",
    ];
    let body = format!(
        "<C:calendar-multiget xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav' xmlns:x='urn:x'>\
         <D:prop><D:getetag/><x:tag/></D:prop>{}</C:calendar-multiget>",
        hrefs
            .iter()
            .map(|h| format!("<D:href>{h}</D:href>"))
            .collect::<String>()
    );
    let r = h.ann("REPORT", CAL, &[], &body).await;
    let t = text(&r);
    let answers = responses(&t);
    assert_eq!(answers.len(), hrefs.len(), "{t}");
    for (answer, href) in answers.iter().zip(hrefs) {
        assert!(
            answer.starts_with(&format!("<D:href>{href}</D:href>")),
            "{t}"
        );
    }
    assert!(answers[0].contains("<D:getetag>") && answers[0].contains("HTTP/1.1 404"));
    for repeated in [answers[1], answers[4]] {
        assert!(repeated.contains(">tagged</x"), "{t}");
    }
    assert!(
        answers[2].contains("HTTP/1.1 404"),
        "bob's calendar is not ann's to see: {t}"
    );
    assert!(answers[3].contains("HTTP/1.1 404"), "{t}");
}

#[tokio::test]
async fn sync_collection_reports_changes_and_deletions_since_any_token() {
    let h = harness().await;
    h.ann("PUT", &format!("{CAL}s1.ics"), &[], &event("s1", "a"))
        .await;
    let initial = text(
        &h.ann("REPORT", CAL, &[("depth", "1")], &sync_body(""))
            .await,
    );
    assert!(initial.contains("s1.ics"));
    let t1 = token_of(&initial);
    assert!(t1.contains(':') && t1.contains('/'), "tokens are URIs");
    h.ann("PUT", &format!("{CAL}s2.ics"), &[], &event("s2", "b"))
        .await;
    h.ann("DELETE", &format!("{CAL}s1.ics"), &[], "").await;
    let delta = text(
        &h.ann("REPORT", CAL, &[("depth", "0")], &sync_body(&t1))
            .await,
    );
    assert!(delta.contains("s2.ics</D:href><D:propstat>"), "{delta}");
    assert!(
        delta.contains("s1.ics</D:href><D:status>HTTP/1.1 404"),
        "{delta}"
    );
    let t2 = token_of(&delta);
    assert_ne!(t1, t2);
    let none = text(&h.ann("REPORT", CAL, &[], &sync_body(&t2)).await);
    assert!(!none.contains("<D:response>"), "{none}");
    // The old token still works and still reports the same changes.
    let again = text(&h.ann("REPORT", CAL, &[], &sync_body(&t1)).await);
    assert!(again.contains("s2.ics") && again.contains("s1.ics"));
    let bad = h
        .ann(
            "REPORT",
            CAL,
            &[],
            &sync_body("http://calvault.org/ns/sync/999-1"),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);
    assert!(text(&bad).contains("valid-sync-token"));
}

fn query(filter: &str) -> String {
    format!(
        "<C:calendar-query xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'>\
         <D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name='VCALENDAR'>{filter}\
         </C:comp-filter></C:filter></C:calendar-query>"
    )
}

#[tokio::test]
async fn calendar_query_expands_recurrences_and_ands_filters() {
    let h = harness().await;
    h.ann("PUT", &format!("{CAL}weekly.ics"), &[], WEEKLY_BERLIN)
        .await;
    h.ann(
        "PUT",
        &format!("{CAL}single.ics"),
        &[],
        &event("single", "Lunch with Zoë"),
    )
    .await;
    h.ann("PUT", &format!("{CAL}task.ics"), &[], &todo("task"))
        .await;
    let h = &h;
    let hits = |body: String| async move {
        let r = h.ann("REPORT", CAL, &[("depth", "1")], &body).await;
        assert_eq!(r.status(), StatusCode::MULTI_STATUS, "{}", text(&r));
        let t = text(&r);
        ["weekly.ics", "single.ics", "task.ics"]
            .into_iter()
            .filter(|n| t.contains(n))
            .collect::<Vec<_>>()
    };
    let range = |s: &str, e: &str| {
        format!(
            "<C:comp-filter name='VEVENT'><C:time-range start='{s}' end='{e}'/></C:comp-filter>"
        )
    };
    // The fourth instance (2026-03-26, after the DST change: 08:00Z) was moved to the 27th.
    assert_eq!(
        hits(query(&range("20260326T000000Z", "20260327T000000Z"))).await,
        Vec::<&str>::new()
    );
    assert_eq!(
        hits(query(&range("20260327T120000Z", "20260327T140000Z"))).await,
        ["weekly.ics"]
    );
    // The excluded instance (2026-03-19) matches nothing; the one after it does.
    assert!(hits(query(&range("20260319T000000Z", "20260320T000000Z")))
        .await
        .is_empty());
    assert_eq!(
        hits(query(&range("20260402T070000Z", "20260402T071500Z"))).await,
        ["weekly.ics"]
    );
    // After COUNT runs out, nothing.
    assert!(hits(query(&range("20260601T000000Z", "20260701T000000Z")))
        .await
        .is_empty());
    // Components are told apart, and nested conditions are ANDed.
    assert_eq!(
        hits(query("<C:comp-filter name='VTODO'/>")).await,
        ["task.ics"]
    );
    let and = "<C:comp-filter name='VEVENT'><C:time-range start='20261201T000000Z' end='20261202T000000Z'/>\
               <C:prop-filter name='SUMMARY'><C:text-match>ZOË</C:text-match></C:prop-filter></C:comp-filter>";
    assert!(
        hits(query(and)).await.is_empty(),
        "ascii-casemap does not fold ë"
    );
    let and = and.replace(
        "<C:text-match>",
        "<C:text-match collation='i;unicode-casemap'>",
    );
    assert_eq!(hits(query(&and)).await, ["single.ics"]);
    let negated = "<C:comp-filter name='VEVENT'><C:prop-filter name='SUMMARY'>\
                   <C:text-match negate-condition='yes'>standup</C:text-match></C:prop-filter></C:comp-filter>";
    assert_eq!(hits(query(negated)).await, ["single.ics"]);
    let uid = "<C:comp-filter name='VTODO'><C:prop-filter name='UID'><C:text-match collation='i;octet'>task</C:text-match>\
               </C:prop-filter><C:prop-filter name='COMPLETED'><C:is-not-defined/></C:prop-filter></C:comp-filter>";
    assert_eq!(hits(query(uid)).await, ["task.ics"]);
}

#[tokio::test]
async fn calendar_query_refuses_what_it_cannot_evaluate() {
    let h = harness().await;
    let bad_collation = query(
        "<C:comp-filter name='VEVENT'><C:prop-filter name='SUMMARY'>\
        <C:text-match collation='i;klingon'>x</C:text-match></C:prop-filter></C:comp-filter>",
    );
    let r = h.ann("REPORT", CAL, &[], &bad_collation).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(text(&r).contains("supported-collation"));
    let unknown = query("<C:comp-filter name='VEVENT'><C:frobnicate/></C:comp-filter>");
    assert!(text(&h.ann("REPORT", CAL, &[], &unknown).await).contains("supported-filter"));
    let bad_range =
        query("<C:comp-filter name='VEVENT'><C:time-range start='yesterday'/></C:comp-filter>");
    assert!(text(&h.ann("REPORT", CAL, &[], &bad_range).await).contains("valid-filter"));
    let unknown_report = h.ann("REPORT", CAL, &[], "<x:foo xmlns:x='urn:x'/>").await;
    assert_eq!(unknown_report.status(), StatusCode::FORBIDDEN);
    assert!(text(&unknown_report).contains("supported-report"));
}

#[tokio::test]
async fn calendar_data_expand_returns_instances_in_utc() {
    let h = harness().await;
    h.ann("PUT", &format!("{CAL}weekly.ics"), &[], WEEKLY_BERLIN)
        .await;
    let body = "<C:calendar-query xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop>\
                <C:calendar-data><C:expand start='20260301T000000Z' end='20260401T000000Z'/></C:calendar-data>\
                </D:prop><C:filter><C:comp-filter name='VCALENDAR'><C:comp-filter name='VEVENT'>\
                <C:time-range start='20260301T000000Z' end='20260401T000000Z'/></C:comp-filter></C:comp-filter>\
                </C:filter></C:calendar-query>";
    let t = text(&h.ann("REPORT", CAL, &[("depth", "1")], body).await);
    // 5, 12, (19 excluded), 26 moved to 27 14:00 Berlin; 8:00Z before DST, 13:00Z after.
    assert!(t.contains("DTSTART:20260305T080000Z"), "{t}");
    assert!(t.contains("DTSTART:20260312T080000Z"), "{t}");
    assert!(!t.contains("20260319T"), "{t}");
    assert!(t.contains("DTSTART:20260327T130000Z"), "{t}");
    assert!(!t.contains("RRULE"), "{t}");
}

#[tokio::test]
async fn free_busy_query_merges_busy_time_and_skips_transparent_and_cancelled() {
    let h = harness().await;
    let ev = |uid: &str, start: &str, end: &str, extra: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:{start}\r\nDTEND:{end}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    let puts = [
        ev("a", "20261201T090000Z", "20261201T100000Z", ""),
        ev("b", "20261201T093000Z", "20261201T110000Z", ""),
        ev(
            "c",
            "20261201T120000Z",
            "20261201T130000Z",
            "TRANSP:TRANSPARENT\r\n",
        ),
        ev(
            "d",
            "20261201T140000Z",
            "20261201T150000Z",
            "STATUS:CANCELLED\r\n",
        ),
        ev(
            "e",
            "20261201T160000Z",
            "20261201T170000Z",
            "STATUS:TENTATIVE\r\n",
        ),
        ev(
            "f",
            "20261130T080000Z",
            "20261130T083000Z",
            "RRULE:FREQ=DAILY;COUNT=3\r\n",
        ),
    ];
    for (i, body) in puts.iter().enumerate() {
        let r = h.ann("PUT", &format!("{CAL}fb{i}.ics"), &[], body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    }
    let body = "<C:free-busy-query xmlns:C='urn:ietf:params:xml:ns:caldav'>\
                <C:time-range start='20261201T000000Z' end='20261202T000000Z'/></C:free-busy-query>";
    let r = h.ann("REPORT", CAL, &[("depth", "1")], body).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let t = text(&r).replace("\r\n ", "");
    assert!(
        t.contains("FREEBUSY;FBTYPE=BUSY:20261201T080000Z/20261201T083000Z,20261201T090000Z/20261201T110000Z\r\n"),
        "{t}"
    );
    assert!(
        t.contains("FREEBUSY;FBTYPE=BUSY-TENTATIVE:20261201T160000Z/20261201T170000Z"),
        "{t}"
    );
    assert!(
        !t.contains("20261201T120000Z") && !t.contains("20261201T140000Z"),
        "{t}"
    );
    let open = "<C:free-busy-query xmlns:C='urn:ietf:params:xml:ns:caldav'>\
                <C:time-range start='20261201T000000Z'/></C:free-busy-query>";
    assert_eq!(
        h.ann("REPORT", CAL, &[], open).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn expand_property_replaces_hrefs_with_the_named_resources_properties() {
    let h = harness().await;
    let body = "<D:expand-property xmlns:D='DAV:'>\
                <D:property name='current-user-principal'><D:property name='displayname'/>\
                <D:property name='calendar-home-set' namespace='urn:ietf:params:xml:ns:caldav'/></D:property>\
                <D:property name='calendar-proxy-read-for' namespace='http://calendarserver.org/ns/'/>\
                </D:expand-property>";
    let r = h
        .ann("REPORT", "/dav/principals/ann/", &[("depth", "0")], body)
        .await;
    assert_eq!(r.status(), StatusCode::MULTI_STATUS);
    let t = text(&r);
    assert!(
        t.contains("<D:current-user-principal><D:response><D:href>/dav/principals/ann/</D:href>"),
        "{t}"
    );
    assert!(t.contains("<D:displayname>ann</D:displayname>"), "{t}");
    assert!(
        t.contains("<C:calendar-home-set><D:href>/dav/calendars/ann/</D:href>"),
        "{t}"
    );
    assert!(
        t.contains("<CS:calendar-proxy-read-for/></D:prop><D:status>HTTP/1.1 200"),
        "nobody's delegate yet: {t}"
    );
}

#[tokio::test]
async fn principal_search_finds_only_the_callers_own_principal() {
    let h = harness().await;
    let search = |needle: &str| {
        format!(
            "<D:principal-property-search xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav' test='anyof'>\
             <D:property-search><D:prop><D:displayname/></D:prop><D:match>{needle}</D:match></D:property-search>\
             <D:property-search><D:prop><C:calendar-user-address-set/></D:prop><D:match>{needle}</D:match></D:property-search>\
             <D:prop><D:displayname/><C:calendar-user-address-set/></D:prop></D:principal-property-search>"
        )
    };
    let mine = text(
        &h.ann(
            "REPORT",
            "/dav/principals/",
            &[("depth", "0")],
            &search("ANN@EXAMPLE"),
        )
        .await,
    );
    assert!(
        mine.contains("<D:href>/dav/principals/ann/</D:href>"),
        "{mine}"
    );
    assert!(mine.contains("mailto:ann@example.org"), "{mine}");
    let other = text(
        &h.ann(
            "REPORT",
            "/dav/principals/",
            &[("depth", "0")],
            &search("bob"),
        )
        .await,
    );
    assert!(
        !other.contains("<D:response>"),
        "other users are never revealed: {other}"
    );
    let set = h
        .ann(
            "REPORT",
            "/dav/principals/",
            &[],
            "<D:principal-search-property-set xmlns:D='DAV:'/>",
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    assert!(text(&set).contains("<C:calendar-user-address-set/>"));
    let me = h
        .ann("REPORT", "/dav/principals/", &[("depth", "0")],
            "<D:principal-match xmlns:D='DAV:'><D:self/><D:prop><D:displayname/></D:prop></D:principal-match>")
        .await;
    assert!(text(&me).contains("<D:href>/dav/principals/ann/</D:href>"));
}
