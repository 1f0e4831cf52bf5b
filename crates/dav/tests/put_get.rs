//! PUT, GET, HEAD and DELETE: stored bytes, validation preconditions, UID conflicts,
//! conditional writes and quota.
#![allow(clippy::unwrap_used)]

mod support;

use dav::Limits;
use http::StatusCode;
use support::*;

#[tokio::test]
async fn put_then_get_returns_the_exact_bytes_and_the_same_strong_etag() {
    let h = harness().await;
    // Odd but valid bytes: LF line ends and a folded line must survive untouched.
    let body = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:a1\nDTSTAMP:20260101T000000Z\n\
                DTSTART:20261201T100000Z\nSUMMARY:Caf\u{e9} \u{2013} long line that goes on and \n on\nEND:VEVENT\nEND:VCALENDAR\n";
    let put = h
        .ann(
            "PUT",
            &format!("{CAL}a1.ics"),
            &[("content-type", "text/calendar")],
            body,
        )
        .await;
    assert_eq!(put.status(), StatusCode::CREATED);
    let tag = etag(&put);
    assert!(tag.starts_with('"') && tag.ends_with('"'));
    let get = h.ann("GET", &format!("{CAL}a1.ics"), &[], "").await;
    assert_eq!(get.status(), StatusCode::OK);
    assert_eq!(get.body().as_ref(), body.as_bytes());
    assert_eq!(etag(&get), tag);
    assert!(get.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let head = h.ann("HEAD", &format!("{CAL}a1.ics"), &[], "").await;
    assert!(head.body().is_empty(), "HEAD never carries a body");
    assert_eq!(
        head.headers()["content-length"],
        body.len().to_string().as_str()
    );
    let pf = h
        .ann(
            "PROPFIND",
            &format!("{CAL}a1.ics"),
            &[("depth", "0")],
            "<propfind xmlns='DAV:'><prop><getetag/></prop></propfind>",
        )
        .await;
    assert!(text(&pf).contains(&format!(
        "<D:getetag>{}</D:getetag>",
        tag.replace('"', "&quot;")
    )));
}

#[tokio::test]
async fn invalid_calendar_data_is_refused_with_its_precondition_and_nothing_is_stored() {
    let h = harness().await;
    let cases = [
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", "valid-calendar-data"),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "valid-calendar-object-resource",
        ),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:y\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "valid-calendar-object-resource",
        ),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:30000101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "max-date-time",
        ),
    ];
    for (body, condition) in cases {
        let r = h.ann("PUT", &format!("{CAL}bad.ics"), &[], body).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{condition}");
        assert!(
            text(&r).contains(&format!("<C:{condition}/>")),
            "{}",
            text(&r)
        );
        assert_eq!(
            h.ann("GET", &format!("{CAL}bad.ics"), &[], "")
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    }
    let vcard = h
        .ann(
            "PUT",
            &format!("{CAL}c.vcf"),
            &[("content-type", "text/vcard")],
            "BEGIN:VCARD\r\nEND:VCARD\r\n",
        )
        .await;
    assert!(text(&vcard).contains("supported-calendar-data"));
}

#[tokio::test]
async fn outlook_and_undefined_tzids_are_accepted() {
    let h = harness().await;
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:tz1\r\nDTSTAMP:20260101T000000Z\r\n\
                DTSTART;TZID=W. Europe Standard Time:20260301T090000\r\nDTEND;TZID=Europe/Berlin:20260301T100000\r\n\
                END:VEVENT\r\nEND:VCALENDAR\r\n";
    let r = h.ann("PUT", &format!("{CAL}tz1.ics"), &[], body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
}

#[tokio::test]
async fn a_uid_already_in_the_calendar_is_refused_naming_its_href() {
    let h = harness().await;
    assert_eq!(
        h.ann("PUT", &format!("{CAL}one.ics"), &[], &event("same", "a"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = h
        .ann("PUT", &format!("{CAL}two.ics"), &[], &event("same", "b"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = text(&r);
    assert!(
        body.contains("<C:no-uid-conflict><D:href>/dav/calendars/ann/calendar/one.ics</D:href>"),
        "{body}"
    );
    assert_eq!(
        h.ann("GET", &format!("{CAL}two.ics"), &[], "")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn conditional_writes_give_412_on_mismatch() {
    let h = harness().await;
    let url = format!("{CAL}c.ics");
    let first = h
        .ann("PUT", &url, &[("if-none-match", "*")], &event("c", "v1"))
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = h
        .ann("PUT", &url, &[("if-none-match", "*")], &event("c", "v2"))
        .await;
    assert_eq!(again.status(), StatusCode::PRECONDITION_FAILED);
    let stale = h
        .ann("PUT", &url, &[("if-match", "\"nope\"")], &event("c", "v2"))
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let ok = h
        .ann(
            "PUT",
            &url,
            &[("if-match", &etag(&first))],
            &event("c", "v2"),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_ne!(etag(&ok), etag(&first));
    let del = h
        .ann("DELETE", &url, &[("if-match", &etag(&first))], "")
        .await;
    assert_eq!(del.status(), StatusCode::PRECONDITION_FAILED);
    let get = h
        .ann("GET", &url, &[("if-none-match", &etag(&ok))], "")
        .await;
    assert_eq!(get.status(), StatusCode::NOT_MODIFIED);
    let if_header = format!("(<urn:uuid:none> [{}])", etag(&first));
    let r = h.ann("DELETE", &url, &[("if", &if_header)], "").await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let del = h.ann("DELETE", &url, &[("if-match", &etag(&ok))], "").await;
    assert_eq!(del.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn quota_exceeded_is_507_and_stores_nothing() {
    let quota = event("q1", "x").len() as u64 + 10;
    let h = harness_with(Limits {
        default_quota: Some(quota),
        ..Limits::default()
    })
    .await;
    assert_eq!(
        h.ann("PUT", &format!("{CAL}q1.ics"), &[], &event("q1", "x"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = h
        .ann("PUT", &format!("{CAL}q2.ics"), &[], &event("q2", "y"))
        .await;
    assert_eq!(r.status(), StatusCode::INSUFFICIENT_STORAGE);
    assert!(text(&r).contains("quota-not-exceeded"));
    let pf = h.ann("PROPFIND", CAL, &[("depth", "0")],
        "<propfind xmlns='DAV:'><prop><quota-used-bytes/><quota-available-bytes/></prop></propfind>").await;
    let used = event("q1", "x").len();
    assert!(
        text(&pf).contains(&format!("<D:quota-used-bytes>{used}</D:quota-used-bytes>")),
        "{}",
        text(&pf)
    );
    assert!(text(&pf).contains(&format!(
        "<D:quota-available-bytes>{}</D:quota-available-bytes>",
        quota as usize - used
    )));
}
