//! The opt-in merge of concurrent edits through the engine (docs/locks-and-merging.md), on
//! SQLite or, with `CALVAULT_TEST_STORE=postgres`, on PostgreSQL: a PUT whose If-Match names
//! an older version is merged when the edits are disjoint (204, the merged bytes stored,
//! a history row naming both parents that can be undone) and refused with 412 as today
//! otherwise, with nothing stored; with merging off nothing changes.
#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use http::StatusCode;
use support::*;

const OBJ: &str = "/dav/calendars/ann/calendar/m.ics";

/// The event everyone starts from, with `changes` applied (LF line ends, sent as CRLF).
fn version(changes: &[(&str, &str)]) -> String {
    let base = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\nUID:m\n\
        DTSTAMP:20260101T000000Z\nDTSTART:20261201T100000Z\nDTEND:20261201T110000Z\n\
        SUMMARY:Planning\nDESCRIPTION:Agenda tbd\n\
        ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\nEND:VEVENT\nEND:VCALENDAR\n";
    changes
        .iter()
        .fold(base.to_owned(), |t, (from, to)| {
            assert!(t.contains(from), "{from}");
            t.replacen(from, to, 1)
        })
        .replace('\n', "\r\n")
}

async fn merging() -> Harness {
    let mut h = harness().await;
    h.engine = h.engine.clone().merging_concurrent_edits(true);
    h
}

async fn put(h: &Harness, body: &str, if_match: Option<&str>) -> http::Response<Bytes> {
    let mut headers = vec![("content-type", "text/calendar")];
    if let Some(tag) = if_match {
        headers.push(("if-match", tag));
    }
    h.ann("PUT", OBJ, &headers, body).await
}

async fn stored(h: &Harness) -> String {
    text(&h.ann("GET", OBJ, &[], "").await)
}

async fn calendar(h: &Harness) -> store::Collection {
    let store = h.engine.store();
    store
        .collection(h.ann.user.id, "calendar")
        .await
        .unwrap()
        .unwrap()
}

async fn put_count(h: &Harness) -> usize {
    let cal = calendar(h).await;
    let versions = h.engine.store().versions(cal.id).await.unwrap();
    versions
        .iter()
        .filter(|v| v.kind == store::VersionKind::Put && v.name == "m.ics")
        .count()
}

/// Stores the base, then "theirs" over it; returns the base's ETag.
async fn base_then_theirs(h: &Harness, theirs: &str) -> String {
    let base = put(h, &version(&[]), None).await;
    assert_eq!(base.status(), StatusCode::CREATED);
    let base_tag = etag(&base);
    let r = put(h, theirs, Some(&base_tag)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    base_tag
}

#[tokio::test]
async fn paired_edits_from_one_base_merge_or_are_refused_with_nothing_stored() {
    struct Pair {
        name: &'static str,
        theirs: Vec<(&'static str, &'static str)>,
        ours: Vec<(&'static str, &'static str)>,
        merged: Option<Vec<(&'static str, &'static str)>>,
    }
    let moved = [
        ("DTSTART:20261201T100000Z", "DTSTART:20261202T140000Z"),
        ("DTEND:20261201T110000Z", "DTEND:20261202T150000Z"),
    ];
    let accepted = (
        "PARTSTAT=NEEDS-ACTION:mailto:bob",
        "PARTSTAT=ACCEPTED:mailto:bob",
    );
    let described = ("DESCRIPTION:Agenda tbd", "DESCRIPTION:Budget first");
    let pairs = [
        Pair {
            name: "disjoint properties",
            theirs: moved.to_vec(),
            ours: vec![described],
            merged: Some([moved.as_slice(), &[described]].concat()),
        },
        Pair {
            name: "an attendee's answer and a new time",
            theirs: vec![accepted],
            ours: moved.to_vec(),
            merged: Some([moved.as_slice(), &[accepted]].concat()),
        },
        Pair {
            name: "the same property, differently",
            theirs: vec![("SUMMARY:Planning", "SUMMARY:Planning, room 2")],
            ours: vec![("SUMMARY:Planning", "SUMMARY:Q3 planning")],
            merged: None,
        },
    ];
    for pair in pairs {
        let h = merging().await;
        let base = base_then_theirs(&h, &version(&pair.theirs)).await;
        let before = put_count(&h).await;
        let r = put(&h, &version(&pair.ours), Some(&base)).await;
        match &pair.merged {
            Some(merged) => {
                assert_eq!(
                    r.status(),
                    StatusCode::NO_CONTENT,
                    "{}: {}",
                    pair.name,
                    text(&r)
                );
                // RFC 4791 §5.3.4: what is stored is not what was sent: no ETag.
                assert!(r.headers().get("etag").is_none(), "{}", pair.name);
                assert_eq!(stored(&h).await, version(merged), "{}", pair.name);
                assert_eq!(put_count(&h).await, before + 1, "{}", pair.name);
            }
            None => {
                assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED, "{}", pair.name);
                assert!(text(&r).contains("SUMMARY"), "{}: {}", pair.name, text(&r));
                assert_eq!(stored(&h).await, version(&pair.theirs), "{}", pair.name);
                assert_eq!(put_count(&h).await, before, "{}: nothing stored", pair.name);
            }
        }
    }
}

#[tokio::test]
async fn edits_to_different_instances_of_a_series_merge() {
    let h = merging().await;
    let path = format!("{CAL}weekly.ics");
    let body = WEEKLY_BERLIN.replace("\r\n", "\n").replace('\n', "\r\n");
    let base = h.ann("PUT", &path, &[], &body).await;
    let base_tag = etag(&base);
    let theirs = body.replace("SUMMARY:Standup moved", "SUMMARY:Standup moved again");
    let r = h
        .ann("PUT", &path, &[("if-match", &base_tag)], &theirs)
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let april = "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\n\
        RECURRENCE-ID;TZID=Europe/Berlin:20260402T090000\r\n\
        DTSTART;TZID=Europe/Berlin:20260402T100000\r\nDURATION:PT1H\r\n\
        SUMMARY:Standup late\r\nEND:VEVENT\r\n";
    let ours = body.replace("END:VCALENDAR", &format!("{april}END:VCALENDAR"));
    let r = h.ann("PUT", &path, &[("if-match", &base_tag)], &ours).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
    let merged = text(&h.ann("GET", &path, &[], "").await);
    assert_eq!(
        merged,
        theirs.replace("END:VCALENDAR", &format!("{april}END:VCALENDAR"))
    );
}

#[tokio::test]
async fn a_base_the_history_no_longer_holds_is_a_412() {
    let h = merging().await;
    let base = base_then_theirs(&h, &version(&[("SUMMARY:Planning", "SUMMARY:Moved")])).await;
    // Retention drops the data of the base, which "theirs" replaced.
    let far = store::db::now_ms() + 60_000;
    let dropped = h
        .engine
        .store()
        .prune_history(far, &store::Change::default())
        .await
        .unwrap();
    assert!(dropped >= 1);
    let r = put(
        &h,
        &version(&[("DESCRIPTION:Agenda tbd", "DESCRIPTION:x")]),
        Some(&base),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert!(
        text(&r).contains("no longer in this object's history"),
        "{}",
        text(&r)
    );
    // An ETag that never was is refused the same way.
    let r = put(&h, &version(&[]), Some("\"never\"")).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn with_merging_off_a_stale_if_match_is_412_as_always() {
    let h = harness().await;
    let base = base_then_theirs(&h, &version(&[("SUMMARY:Planning", "SUMMARY:Moved")])).await;
    let before = put_count(&h).await;
    let r = put(
        &h,
        &version(&[("DESCRIPTION:Agenda tbd", "DESCRIPTION:x")]),
        Some(&base),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        text(&r),
        "a precondition header (If-Match, If-None-Match or If) does not hold for the \
         resource's current state\n"
    );
    assert_eq!(put_count(&h).await, before);
}

#[tokio::test]
async fn a_calendar_property_turns_merging_on_or_off_for_that_calendar() {
    let set = |value: &str| {
        format!(
            "<D:propertyupdate xmlns:D='DAV:' xmlns:CV='http://calvault.org/ns/'><D:set>\
             <D:prop><CV:merge-concurrent-edits>{value}</CV:merge-concurrent-edits></D:prop>\
             </D:set></D:propertyupdate>"
        )
    };
    let disjoint = version(&[("DESCRIPTION:Agenda tbd", "DESCRIPTION:x")]);
    // Off on the server, on for the calendar.
    let h = harness().await;
    let r = h.ann("PROPPATCH", CAL, &[], &set("true")).await;
    assert!(text(&r).contains("200 OK"), "{}", text(&r));
    let base = base_then_theirs(&h, &version(&[("SUMMARY:Planning", "SUMMARY:Moved")])).await;
    assert_eq!(
        put(&h, &disjoint, Some(&base)).await.status(),
        StatusCode::NO_CONTENT
    );
    // On on the server, off for the calendar.
    let h = merging().await;
    h.ann("PROPPATCH", CAL, &[], &set("false")).await;
    let base = base_then_theirs(&h, &version(&[("SUMMARY:Planning", "SUMMARY:Moved")])).await;
    assert_eq!(
        put(&h, &disjoint, Some(&base)).await.status(),
        StatusCode::PRECONDITION_FAILED
    );
}

#[tokio::test]
async fn a_merge_names_both_parents_shows_all_four_states_and_can_be_undone() {
    let h = merging().await;
    let theirs = version(&[("SUMMARY:Planning", "SUMMARY:Moved")]);
    let base = base_then_theirs(&h, &theirs).await;
    let ours = version(&[("DESCRIPTION:Agenda tbd", "DESCRIPTION:Budget")]);
    assert_eq!(
        put(&h, &ours, Some(&base)).await.status(),
        StatusCode::NO_CONTENT
    );
    let store = h.engine.store();
    let cal = calendar(&h).await;
    let versions = store.versions(cal.id).await.unwrap();
    let merged = versions.last().unwrap().clone();
    let parents = merged.merge.clone().unwrap();
    assert_eq!(format!("\"{}\"", parents.base), base);
    assert_eq!(parents.ours, ours.as_bytes());
    let theirs_row = &versions[versions.len() - 2];
    assert_eq!(Some(parents.theirs.clone()), theirs_row.etag);
    assert_eq!(store::history::verify_chain(&versions), Ok(versions.len()));

    let shown = dav::history::show(&**store, merged.clone()).await.unwrap();
    let view = shown.to_json();
    assert_eq!(view["merge"]["base"]["data"], version(&[]));
    assert_eq!(view["merge"]["theirs"]["data"], theirs);
    assert_eq!(view["merge"]["ours"]["data"], ours);
    assert_eq!(
        view["merge"]["result"]["data"],
        version(&[
            ("SUMMARY:Planning", "SUMMARY:Moved"),
            ("DESCRIPTION:Agenda tbd", "DESCRIPTION:Budget")
        ])
    );
    let text = shown.to_string();
    for section in [
        "--- base ---",
        "--- theirs ---",
        "--- ours ---",
        "--- result ---",
    ] {
        assert!(text.contains(section), "{text}");
    }
    assert!(text.contains("a merge of two edits"), "{text}");

    // Undone like any change: revert to the version it merged with.
    let plan = dav::history::plan_revert(
        &cal,
        &versions,
        "m.ics",
        dav::history::RevertTo::Version(theirs_row.id),
    )
    .unwrap();
    let done = dav::history::apply(&**store, &plan, &h.ann.change, None).await;
    assert!(done.failed.is_empty(), "{:?}", done.failed);
    assert_eq!(stored(&h).await, theirs);
}

/// Twenty writers edit one base at once, each a property of its own: each is merged or gets
/// 412, and every merged edit is in the final object (no update is lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_writers_from_one_base_lose_no_update() {
    let h = std::sync::Arc::new(merging().await);
    let base = etag(&put(&h, &version(&[]), None).await);
    let writers = (0..20).map(|i| {
        let h = h.clone();
        let base = base.clone();
        tokio::spawn(async move {
            let body = version(&[("END:VEVENT", &format!("X-WRITER-{i}:edit {i}\nEND:VEVENT"))]);
            let r = put(&h, &body, Some(&base)).await;
            (i, r.status())
        })
    });
    let writers: Vec<_> = writers.collect();
    let mut merged = Vec::new();
    for w in writers {
        let (i, status) = w.await.unwrap();
        match status {
            StatusCode::NO_CONTENT => merged.push(i),
            StatusCode::PRECONDITION_FAILED => {}
            other => panic!("writer {i}: {other}"),
        }
    }
    assert!(!merged.is_empty());
    eprintln!("{} of 20 writers merged: {merged:?}", merged.len());
    let last = stored(&h).await;
    for i in &merged {
        assert!(
            last.contains(&format!("X-WRITER-{i}:edit {i}")),
            "writer {i} lost:\n{last}"
        );
    }
    assert_eq!(
        put_count(&h).await,
        1 + merged.len(),
        "one version per merged writer"
    );
}
