//! Scheduling (RFC 6638) through the engine, as Apple Calendar, Thunderbird, DAVx5 and
//! python caldav send it (shared/CLIENTS-multiuser.md §6): ann organizes, bob and carl are
//! attendees on this server, dora@elsewhere.example is not.
#![allow(clippy::unwrap_used)]

mod support;

use dav::{Caller, Limits, PrincipalSearch};
use http::StatusCode;
use store::{Grantee, Privilege};
use support::*;

const ANN_CAL: &str = "/dav/calendars/ann/calendar/";
const BOB_COPY: &str = "/dav/calendars/bob/calendar/meeting-1.ics";
const BOB_INBOX: &str = "/dav/calendars/bob/inbox/";

/// A meeting ann organizes, with `attendees` as ATTENDEE lines and `extra` lines.
fn meeting(uid: &str, start: &str, attendees: &[&str], extra: &str) -> String {
    let mut lines = String::new();
    for a in attendees {
        lines.push_str(&format!(
            "ATTENDEE;CN={a};PARTSTAT=NEEDS-ACTION;RSVP=TRUE;ROLE=REQ-PARTICIPANT:mailto:{a}\r\n"
        ));
    }
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20261101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:Planning\r\n\
         {extra}ORGANIZER;CN=Ann:mailto:ann@example.org\r\n\
         ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.org\r\n{lines}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn header(r: &http::Response<bytes::Bytes>, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

async fn get(h: &Harness, who: &Caller, path: &str) -> (String, Option<String>) {
    let r = h.send(who, "GET", path, &[], "").await;
    assert_eq!(r.status(), StatusCode::OK, "GET {path}: {}", text(&r));
    // Unfolded (RFC 5545 §3.1), to compare whole lines.
    (text(&r).replace("\r\n ", ""), header(&r, "schedule-tag"))
}

/// The names of the items in a user's inbox.
async fn inbox(h: &Harness, who: &Caller) -> Vec<String> {
    let path = format!("/dav/calendars/{}/inbox/", who.user.name);
    let body = "<D:propfind xmlns:D='DAV:'><D:prop><D:getetag/></D:prop></D:propfind>";
    let r = h
        .send(who, "PROPFIND", &path, &[("depth", "1")], body)
        .await;
    assert_eq!(r.status(), StatusCode::MULTI_STATUS);
    let t = text(&r);
    responses(&t)
        .iter()
        .filter_map(|r| {
            let href = r.split("<D:href>").nth(1)?.split('<').next()?;
            href.strip_prefix(&path)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
        })
        .collect()
}

async fn put(
    h: &Harness,
    who: &Caller,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> http::Response<bytes::Bytes> {
    h.send(who, "PUT", path, headers, body).await
}

#[tokio::test]
async fn principals_inboxes_and_the_options_header_advertise_scheduling() {
    let h = harness().await;
    let r = h.ann("OPTIONS", "/dav/principals/ann/", &[], "").await;
    assert!(header(&r, "dav")
        .unwrap()
        .contains("calendar-auto-schedule"));
    let body = "<D:propfind xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop>\
        <C:schedule-inbox-URL/><C:schedule-outbox-URL/><C:calendar-user-address-set/>\
        <C:calendar-user-type/></D:prop></D:propfind>";
    let r = h
        .ann("PROPFIND", "/dav/principals/ann/", &[("depth", "0")], body)
        .await;
    let t = text(&r);
    assert!(
        t.contains("<C:schedule-inbox-URL><D:href>/dav/calendars/ann/inbox/</D:href>"),
        "{t}"
    );
    assert!(t.contains("<C:schedule-outbox-URL><D:href>/dav/calendars/ann/outbox/</D:href>"));
    assert!(
        t.contains("<D:href>mailto:ann@example.org</D:href><D:href>/dav/principals/ann/</D:href>")
    );
    assert!(t.contains("INDIVIDUAL"));

    let body = "<D:propfind xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop>\
        <D:resourcetype/><C:schedule-default-calendar-URL/><D:current-user-privilege-set/>\
        </D:prop></D:propfind>";
    let r = h
        .ann(
            "PROPFIND",
            "/dav/calendars/ann/inbox/",
            &[("depth", "0")],
            body,
        )
        .await;
    let t = text(&r);
    assert!(t.contains("<C:schedule-inbox/>"), "{t}");
    assert!(
        t.contains(
            "<C:schedule-default-calendar-URL><D:href>/dav/calendars/ann/calendar/</D:href>"
        ),
        "{t}"
    );
    assert!(t.contains("<C:schedule-deliver/>"));
    let r = h
        .ann(
            "PROPFIND",
            "/dav/calendars/ann/outbox/",
            &[("depth", "0")],
            body,
        )
        .await;
    assert!(text(&r).contains("<C:schedule-outbox/>"));

    // The default calendar is the owner's to choose, among their calendars.
    let r = h
        .ann("MKCALENDAR", "/dav/calendars/ann/work/", &[], "")
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let set = |href: &str| {
        format!(
            "<D:propertyupdate xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>\
             <C:schedule-default-calendar-URL><D:href>{href}</D:href></C:schedule-default-calendar-URL>\
             </D:prop></D:set></D:propertyupdate>"
        )
    };
    let r = h
        .ann(
            "PROPPATCH",
            "/dav/calendars/ann/inbox/",
            &[],
            &set("/dav/calendars/bob/calendar/"),
        )
        .await;
    assert!(
        text(&r).contains("valid-schedule-default-calendar-URL"),
        "{}",
        text(&r)
    );
    let r = h
        .ann(
            "PROPPATCH",
            "/dav/calendars/ann/inbox/",
            &[],
            &set("/dav/calendars/ann/work/"),
        )
        .await;
    assert!(text(&r).contains("HTTP/1.1 200"), "{}", text(&r));
    let r = h
        .ann(
            "PROPFIND",
            "/dav/calendars/ann/inbox/",
            &[("depth", "0")],
            body,
        )
        .await;
    assert!(text(&r).contains("<D:href>/dav/calendars/ann/work/</D:href>"));

    // Only the server puts messages into an inbox; neither box can be deleted.
    let r = h
        .ann(
            "PUT",
            "/dav/calendars/ann/inbox/x.ics",
            &[],
            &event("x", "x"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = h.ann("DELETE", "/dav/calendars/ann/outbox/", &[], "").await;
    assert!(r.status().is_client_error(), "{}", r.status());
    // A home listing shows both, so Apple finds them there too.
    let r = h
        .ann("PROPFIND", "/dav/calendars/ann/", &[("depth", "1")], body)
        .await;
    assert!(text(&r).contains("<D:href>/dav/calendars/ann/inbox/</D:href>"));
}

#[tokio::test]
async fn an_ordinary_event_has_no_schedule_tag_and_keeps_its_etag() {
    let h = harness().await;
    let r = h
        .ann(
            "PUT",
            &format!("{CAL}plain.ics"),
            &[],
            &event("plain", "Lunch"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(header(&r, "etag").is_some());
    assert!(header(&r, "schedule-tag").is_none());
    let (_, tag) = get(&h, &h.ann, &format!("{CAL}plain.ics")).await;
    assert_eq!(tag, None);
}

#[tokio::test]
async fn invite_accept_and_move_keep_the_attendees_answer_and_alarm() {
    let h = harness().await;
    let invite = meeting(
        "meeting-1",
        "20261201T100000Z",
        &["bob@example.org", "dora@elsewhere.example"],
        "",
    );
    let r = put(&h, &h.ann, &format!("{ANN_CAL}meeting-1.ics"), &invite, &[]).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let first_tag = header(&r, "schedule-tag").expect("Schedule-Tag on creation");
    assert!(
        header(&r, "etag").is_none(),
        "the server changed what was sent"
    );

    // The organizer's copy says who got it: bob is here, dora is not (no e-mail is sent).
    let (ann_copy, tag) = get(&h, &h.ann, &format!("{ANN_CAL}meeting-1.ics")).await;
    assert_eq!(tag.as_deref(), Some(first_tag.as_str()));
    assert!(
        ann_copy.contains("SCHEDULE-STATUS=1.2:mailto:bob@example.org"),
        "{ann_copy}"
    );
    assert!(ann_copy.contains("SCHEDULE-STATUS=3.7:mailto:dora@elsewhere.example"));

    // Bob has the meeting in his calendar, waiting for his answer, and the REQUEST.
    let (bobs, bob_tag) = get(&h, &h.bob, BOB_COPY).await;
    assert!(
        bobs.contains(
            "PARTSTAT=NEEDS-ACTION;RSVP=TRUE;ROLE=REQ-PARTICIPANT:mailto:bob@example.org"
        ),
        "{bobs}"
    );
    assert!(!bobs.contains("SCHEDULE-STATUS"));
    assert_eq!(
        bob_tag.as_deref(),
        Some(first_tag.as_str()),
        "both copies have one tag"
    );
    let items = inbox(&h, &h.bob).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let (message, _) = get(&h, &h.bob, &format!("{BOB_INBOX}{}", items[0])).await;
    assert!(message.contains("METHOD:REQUEST") && message.contains("UID:meeting-1"));

    // Bob accepts on his phone (DAVx5: If-Schedule-Tag-Match instead of If-Match) and sets
    // an alarm.
    let accepted = bobs
        .replace("PARTSTAT=NEEDS-ACTION;RSVP=TRUE;ROLE=REQ-PARTICIPANT:mailto:bob", "PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:bob")
        .replace("END:VEVENT", "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\nDESCRIPTION:x\r\nEND:VALARM\r\nEND:VEVENT");
    let r = put(
        &h,
        &h.bob,
        BOB_COPY,
        &accepted,
        &[("if-schedule-tag-match", &first_tag)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
    assert_eq!(
        header(&r, "schedule-tag").as_deref(),
        Some(first_tag.as_str())
    );
    assert!(
        inbox(&h, &h.bob).await.is_empty(),
        "acting on an invitation clears it"
    );

    // The organizer sees the answer; her Schedule-Tag did not change for it.
    let (ann_copy, tag) = get(&h, &h.ann, &format!("{ANN_CAL}meeting-1.ics")).await;
    assert!(
        ann_copy.contains(
            "PARTSTAT=ACCEPTED;RSVP=TRUE;ROLE=REQ-PARTICIPANT;SCHEDULE-STATUS=1.2:mailto:bob"
        ),
        "{ann_copy}"
    );
    assert_eq!(tag.as_deref(), Some(first_tag.as_str()));
    let ann_items = inbox(&h, &h.ann).await;
    assert_eq!(ann_items.len(), 1, "the REPLY");

    // Ann moves the meeting (her client still thinks bob has not answered).
    let moved = meeting(
        "meeting-1",
        "20261201T150000Z",
        &["bob@example.org", "dora@elsewhere.example"],
        "SEQUENCE:1\r\n",
    );
    let r = put(&h, &h.ann, &format!("{ANN_CAL}meeting-1.ics"), &moved, &[]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
    let moved_tag = header(&r, "schedule-tag").unwrap();
    assert_ne!(
        moved_tag, first_tag,
        "an organizer's change is a new Schedule-Tag"
    );
    let (bobs, tag) = get(&h, &h.bob, BOB_COPY).await;
    assert!(bobs.contains("DTSTART:20261201T150000Z"), "{bobs}");
    assert!(
        bobs.contains("PARTSTAT=ACCEPTED"),
        "bob's answer stays: {bobs}"
    );
    assert!(bobs.contains("TRIGGER:-PT10M"), "bob's alarm stays");
    assert_eq!(tag.as_deref(), Some(moved_tag.as_str()));

    // DAVx5 reads the tag with the data in its multiget.
    let multiget = format!(
        "<C:calendar-multiget xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop>\
         <D:getetag/><C:schedule-tag/><C:calendar-data/></D:prop><D:href>{BOB_COPY}</D:href>\
         </C:calendar-multiget>"
    );
    let r = h
        .send(
            &h.bob,
            "REPORT",
            "/dav/calendars/bob/calendar/",
            &[("depth", "1")],
            &multiget,
        )
        .await;
    assert!(
        text(&r).contains(&format!(
            "<C:schedule-tag>{}</C:schedule-tag>",
            moved_tag.replace('"', "&quot;")
        )) || text(&r).contains(&format!("<C:schedule-tag>{moved_tag}</C:schedule-tag>")),
        "{}",
        text(&r)
    );

    // Bob's other device still holds the old tag: its change is refused.
    let stale = accepted.replace("SUMMARY:Planning", "SUMMARY:Mine");
    let r = put(
        &h,
        &h.bob,
        BOB_COPY,
        &stale,
        &[("if-schedule-tag-match", &first_tag)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let (bobs, _) = get(&h, &h.bob, BOB_COPY).await;
    assert!(bobs.contains("DTSTART:20261201T150000Z"));

    // Every write scheduling made is in the history, by who caused it.
    let cal = h
        .engine
        .store()
        .collection(h.bob.user.id, "calendar")
        .await
        .unwrap()
        .unwrap();
    let versions = h.engine.store().versions(cal.id).await.unwrap();
    let by: Vec<(&str, Option<&str>)> = versions
        .iter()
        .filter(|v| v.name == "meeting-1.ics")
        .map(|v| (v.change.author.as_str(), v.change.client.as_deref()))
        .collect();
    assert_eq!(
        by,
        [
            ("ann", Some("scheduling")),
            ("bob", Some("engine-test")),
            ("ann", Some("scheduling"))
        ]
    );
}

#[tokio::test]
async fn declining_one_occurrence_reaches_the_organizer_on_that_instance_only() {
    let h = harness().await;
    let weekly = meeting(
        "meeting-1",
        "20261201T100000Z",
        &["bob@example.org"],
        "RRULE:FREQ=WEEKLY;COUNT=4\r\n",
    );
    let r = put(&h, &h.ann, &format!("{ANN_CAL}meeting-1.ics"), &weekly, &[]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (bobs, tag) = get(&h, &h.bob, BOB_COPY).await;
    // Bob's client declines the second week: an override with his answer.
    let override_ = "BEGIN:VEVENT\r\nUID:meeting-1\r\nDTSTAMP:20261102T000000Z\r\n\
        RECURRENCE-ID:20261208T100000Z\r\nDTSTART:20261208T100000Z\r\nDURATION:PT1H\r\n\
        SUMMARY:Planning\r\nORGANIZER;CN=Ann:mailto:ann@example.org\r\n\
        ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.org\r\n\
        ATTENDEE;CN=bob@example.org;PARTSTAT=DECLINED;ROLE=REQ-PARTICIPANT:mailto:bob@example.org\r\n\
        END:VEVENT\r\nEND:VCALENDAR\r\n";
    let declined = bobs.replace("END:VCALENDAR\r\n", override_);
    let r = put(
        &h,
        &h.bob,
        BOB_COPY,
        &declined,
        &[("if-schedule-tag-match", tag.as_deref().unwrap())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
    let (ann_copy, ann_tag) = get(&h, &h.ann, &format!("{ANN_CAL}meeting-1.ics")).await;
    let root = ical::parse(&ann_copy).unwrap();
    let partstat = |rid: Option<&str>| {
        ical::itip::edit::component_for(&root, rid)
            .and_then(|c| ical::itip::edit::partstat_in(c, "mailto:bob@example.org"))
    };
    assert_eq!(
        partstat(None).as_deref(),
        Some("NEEDS-ACTION"),
        "{ann_copy}"
    );
    assert_eq!(
        partstat(Some("20261208T100000Z")).as_deref(),
        Some("DECLINED")
    );
    assert_eq!(ann_tag, tag, "recording a reply keeps the organizer's tag");

    // Ann renames the meeting from the copy she read before bob answered, sending the tag
    // she read (DAVx5): bob's answers are merged into what she sent, not lost.
    let renamed = weekly.replace("SUMMARY:Planning", "SUMMARY:Planning, renamed");
    let r = put(
        &h,
        &h.ann,
        &format!("{ANN_CAL}meeting-1.ics"),
        &renamed,
        &[("if-schedule-tag-match", tag.as_deref().unwrap())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
    let (ann_copy, _) = get(&h, &h.ann, &format!("{ANN_CAL}meeting-1.ics")).await;
    assert!(ann_copy.contains("SUMMARY:Planning, renamed"));
    let root = ical::parse(&ann_copy).unwrap();
    let instance =
        ical::itip::edit::component_for(&root, Some("20261208T100000Z")).expect(&ann_copy);
    assert_eq!(
        ical::itip::edit::partstat_in(instance, "mailto:bob@example.org").as_deref(),
        Some("DECLINED")
    );
    assert_eq!(
        instance.property("SUMMARY").map(|p| p.value.as_str()),
        Some("Planning, renamed"),
        "the instance is the renamed meeting's"
    );
    let (bobs, _) = get(&h, &h.bob, BOB_COPY).await;
    assert!(bobs.contains("SUMMARY:Planning, renamed"));
}

#[tokio::test]
async fn removing_an_attendee_or_the_meeting_cancels_it_for_them() {
    let h = harness().await;
    let carl = add_user(&h, "carl").await;
    let both = meeting(
        "meeting-1",
        "20261201T100000Z",
        &["bob@example.org", "carl@example.org"],
        "",
    );
    let path = format!("{ANN_CAL}meeting-1.ics");
    assert_eq!(
        put(&h, &h.ann, &path, &both, &[]).await.status(),
        StatusCode::CREATED
    );
    let carl_copy = "/dav/calendars/carl/calendar/meeting-1.ics";
    assert!(get(&h, &carl, carl_copy).await.0.contains("UID:meeting-1"));

    // Carl is taken off the meeting.
    let bob_only = meeting(
        "meeting-1",
        "20261201T100000Z",
        &["bob@example.org"],
        "SEQUENCE:1\r\n",
    );
    assert_eq!(
        put(&h, &h.ann, &path, &bob_only, &[]).await.status(),
        StatusCode::NO_CONTENT
    );
    let (carls, _) = get(&h, &carl, carl_copy).await;
    assert!(carls.contains("STATUS:CANCELLED"), "{carls}");
    let items = inbox(&h, &carl).await;
    assert_eq!(
        items.len(),
        1,
        "the CANCEL replaced nothing but the REQUEST: {items:?}"
    );
    let (message, _) = get(
        &h,
        &carl,
        &format!("/dav/calendars/carl/inbox/{}", items[0]),
    )
    .await;
    assert!(message.contains("METHOD:CANCEL"));
    assert!(!get(&h, &h.bob, BOB_COPY).await.0.contains("CANCELLED"));

    // The meeting is deleted: bob's copy is cancelled too.
    let r = h.ann("DELETE", &path, &[], "").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(get(&h, &h.bob, BOB_COPY)
        .await
        .0
        .contains("STATUS:CANCELLED"));
}

#[tokio::test]
async fn an_attendee_deleting_their_copy_declines_unless_told_not_to() {
    let h = harness().await;
    let carl = add_user(&h, "carl").await;
    let path = format!("{ANN_CAL}meeting-1.ics");
    let both = meeting(
        "meeting-1",
        "20261201T100000Z",
        &["bob@example.org", "carl@example.org"],
        "",
    );
    assert_eq!(
        put(&h, &h.ann, &path, &both, &[]).await.status(),
        StatusCode::CREATED
    );
    let r = h.send(&h.bob, "DELETE", BOB_COPY, &[], "").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = h
        .send(
            &carl,
            "DELETE",
            "/dav/calendars/carl/calendar/meeting-1.ics",
            &[("schedule-reply", "F")],
            "",
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (ann_copy, _) = get(&h, &h.ann, &path).await;
    assert!(
        ann_copy.contains(
            "PARTSTAT=DECLINED;RSVP=TRUE;ROLE=REQ-PARTICIPANT;SCHEDULE-STATUS=1.2:mailto:bob"
        ),
        "{ann_copy}"
    );
    assert!(ann_copy.contains(
        "PARTSTAT=NEEDS-ACTION;RSVP=TRUE;ROLE=REQ-PARTICIPANT;SCHEDULE-STATUS=1.2:mailto:carl"
    ));
}

#[tokio::test]
async fn schedule_agent_client_and_force_send_are_honoured() {
    let h = harness().await;
    let path = format!("{ANN_CAL}meeting-1.ics");
    let client = meeting("meeting-1", "20261201T100000Z", &[], "").replace(
        "END:VEVENT",
        "ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:bob@example.org\r\nEND:VEVENT",
    );
    assert_eq!(
        put(&h, &h.ann, &path, &client, &[]).await.status(),
        StatusCode::CREATED
    );
    let r = h.send(&h.bob, "GET", BOB_COPY, &[], "").await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "the client delivers it itself"
    );
    assert!(inbox(&h, &h.bob).await.is_empty());
    let (ann_copy, _) = get(&h, &h.ann, &path).await;
    assert!(!ann_copy.contains("SCHEDULE-STATUS"), "{ann_copy}");

    // The server's turn again; then an unchanged meeting sent again only with FORCE-SEND.
    let server = meeting("meeting-1", "20261201T100000Z", &["bob@example.org"], "");
    assert_eq!(
        put(&h, &h.ann, &path, &server, &[]).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(inbox(&h, &h.bob).await.len(), 1);
    let item = format!("{BOB_INBOX}{}", inbox(&h, &h.bob).await[0]);
    assert_eq!(
        h.send(&h.bob, "DELETE", &item, &[], "").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        put(&h, &h.ann, &path, &server, &[]).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(
        inbox(&h, &h.bob).await.is_empty(),
        "nothing changed, nothing sent"
    );
    let forced = server.replace("RSVP=TRUE;", "RSVP=TRUE;SCHEDULE-FORCE-SEND=REQUEST;");
    assert_eq!(
        put(&h, &h.ann, &path, &forced, &[]).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(inbox(&h, &h.bob).await.len(), 1);
    assert!(
        !get(&h, &h.ann, &path).await.0.contains("FORCE-SEND"),
        "never stored"
    );
}

#[tokio::test]
async fn scheduling_preconditions_refuse_what_rfc_6638_forbids() {
    let h = harness_with(Limits {
        max_attendees: 2,
        ..Limits::default()
    })
    .await;
    let r = h
        .ann("MKCALENDAR", "/dav/calendars/ann/work/", &[], "")
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let m = meeting("meeting-1", "20261201T100000Z", &["bob@example.org"], "");
    assert_eq!(
        put(&h, &h.ann, &format!("{ANN_CAL}meeting-1.ics"), &m, &[])
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = put(&h, &h.ann, "/dav/calendars/ann/work/again.ics", &m, &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(text(&r).contains("unique-scheduling-object-resource"));
    assert!(text(&r).contains("/dav/calendars/ann/calendar/meeting-1.ics"));

    let crowd = meeting(
        "meeting-2",
        "20261201T100000Z",
        &["bob@example.org", "x@example.org"],
        "",
    );
    let r = put(&h, &h.ann, &format!("{ANN_CAL}meeting-2.ics"), &crowd, &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(text(&r).contains("max-attendees-per-instance"));

    let two = m.replace("END:VCALENDAR", "BEGIN:VEVENT\r\nUID:meeting-1\r\nRECURRENCE-ID:20261208T100000Z\r\n\
        DTSTAMP:20261101T000000Z\r\nDTSTART:20261208T100000Z\r\nORGANIZER:mailto:eve@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR");
    let r = put(
        &h,
        &h.ann,
        &format!("{ANN_CAL}meeting-3.ics"),
        &two.replace("meeting-1", "meeting-3"),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(text(&r).contains("same-organizer-in-all-components"));

    // If-Schedule-Tag-Match on something that is no scheduling object.
    h.ann("PUT", &format!("{CAL}plain.ics"), &[], &event("plain", "x"))
        .await;
    let r = h
        .ann(
            "PUT",
            &format!("{CAL}plain.ics"),
            &[("if-schedule-tag-match", "\"x\"")],
            &event("plain", "y"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
}

const FREEBUSY_DAY: &str = "DTSTART:20261201T000000Z\r\nDTEND:20261202T000000Z\r\n";

fn freebusy_request(attendees: &[&str]) -> String {
    let mut lines = String::new();
    for a in attendees {
        lines.push_str(&format!("ATTENDEE:{a}\r\n"));
    }
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\n\
         UID:fb-1\r\nDTSTAMP:20261130T000000Z\r\n{FREEBUSY_DAY}ORGANIZER:mailto:ann@example.org\r\n\
         {lines}END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )
}

fn timed(uid: &str, start: &str, end: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20261101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:secret\r\n{extra}\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// Each recipient's request-status and FREEBUSY lines, in answer order.
fn freebusy_answers(body: &str) -> Vec<(String, String, Vec<String>)> {
    let body = body.replace("&#13;\n ", "");
    body.split("<C:response>")
        .skip(1)
        .map(|r| {
            let between = |a: &str, b: &str| {
                r.split(a)
                    .nth(1)
                    .and_then(|x| x.split(b).next())
                    .unwrap_or("")
                    .to_owned()
            };
            let lines = r
                .split('\n')
                .map(|l| l.trim_end_matches("&#13;").trim_end_matches('\r'))
                .filter(|l| l.starts_with("FREEBUSY"))
                .map(str::to_owned)
                .collect();
            (
                between("<D:href>", "<"),
                between("<C:request-status>", "<"),
                lines,
            )
        })
        .collect()
}

async fn busy_calendars(h: &Harness, carl: &Caller) {
    // Bob: a weekly series (the Tuesday instance counts), a transparent and a cancelled event.
    for (uid, body) in [
        (
            "weekly",
            timed(
                "weekly",
                "20261124T090000Z",
                "20261124T093000Z",
                "RRULE:FREQ=WEEKLY;COUNT=3\r\n",
            ),
        ),
        (
            "free",
            timed(
                "free",
                "20261201T120000Z",
                "20261201T130000Z",
                "TRANSP:TRANSPARENT\r\n",
            ),
        ),
        (
            "off",
            timed(
                "off",
                "20261201T140000Z",
                "20261201T150000Z",
                "STATUS:CANCELLED\r\n",
            ),
        ),
        (
            "late",
            timed("late", "20261201T230000Z", "20261202T010000Z", ""),
        ),
    ] {
        let r = put(
            h,
            &h.bob,
            &format!("/dav/calendars/bob/calendar/{uid}.ics"),
            &body,
            &[],
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let body = timed(
        "c",
        "20261201T160000Z",
        "20261201T170000Z",
        "STATUS:TENTATIVE\r\n",
    );
    let r = put(h, carl, "/dav/calendars/carl/calendar/c.ics", &body, &[]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn free_busy_lookup_answers_each_attendees_busy_time_exactly() {
    let h = harness_with(Limits {
        principal_search: PrincipalSearch::All,
        ..Limits::default()
    })
    .await;
    let carl = add_user(&h, "carl").await;
    busy_calendars(&h, &carl).await;
    let req = freebusy_request(&[
        "mailto:bob@example.org",
        "MAILTO:carl@example.org",
        "mailto:nobody@example.org",
    ]);
    let r = h
        .ann(
            "POST",
            "/dav/calendars/ann/outbox/",
            &[("content-type", "text/calendar")],
            &req,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let body = text(&r);
    assert!(!body.contains("secret"), "busy time only");
    assert!(
        !body.contains("responsedescription"),
        "python caldav refuses other children"
    );
    let answers = freebusy_answers(&body);
    let expected = vec![
        (
            "mailto:bob@example.org".to_owned(),
            "2.0;Success".to_owned(),
            // The series' Tuesday and the evening event clipped at midnight.
            vec!["FREEBUSY;FBTYPE=BUSY:20261201T090000Z/20261201T093000Z,20261201T230000Z/20261202T000000Z".to_owned()],
        ),
        (
            "MAILTO:carl@example.org".to_owned(),
            "2.0;Success".to_owned(),
            vec!["FREEBUSY;FBTYPE=BUSY-TENTATIVE:20261201T160000Z/20261201T170000Z".to_owned()],
        ),
        ("mailto:nobody@example.org".to_owned(), "3.7;Invalid calendar user".to_owned(), vec![]),
    ];
    assert_eq!(answers, expected, "{body}");

    // A calendar marked transparent does not count.
    let transp = "<D:propertyupdate xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set>\
        <D:prop><C:schedule-calendar-transp><C:transparent/></C:schedule-calendar-transp></D:prop>\
        </D:set></D:propertyupdate>";
    let r = h
        .send(
            &carl,
            "PROPPATCH",
            "/dav/calendars/carl/calendar/",
            &[],
            transp,
        )
        .await;
    assert!(text(&r).contains("200"));
    let r = h
        .ann(
            "POST",
            "/dav/calendars/ann/outbox/",
            &[],
            &freebusy_request(&["mailto:carl@example.org"]),
        )
        .await;
    assert_eq!(freebusy_answers(&text(&r))[0].2, Vec::<String>::new());

    // Apple names attendees by urn:x-uid: and sends Originator/Recipient headers (the body
    // decides); Evolution's ORGANIZER may be the login (`quirks::login_is_an_address`).
    let apple = freebusy_request(&["urn:x-uid:bob"]);
    let r = h
        .ann(
            "POST",
            "/dav/calendars/ann/outbox/",
            &[
                ("originator", "mailto:ann@example.org"),
                ("recipient", "urn:x-uid:bob"),
            ],
            &apple,
        )
        .await;
    assert_eq!(
        freebusy_answers(&text(&r))[0].1,
        "2.0;Success",
        "{}",
        text(&r)
    );
    let evolution = freebusy_request(&["mailto:bob@example.org"])
        .replace("ORGANIZER:mailto:ann@example.org", "ORGANIZER:mailto:ann");
    let r = h
        .ann("POST", "/dav/calendars/ann/outbox/", &[], &evolution)
        .await;
    assert_eq!(freebusy_answers(&text(&r))[0].2.len(), 1, "{}", text(&r));

    // One asks as oneself only; and not through someone else's outbox.
    let as_bob = req.replace(
        "ORGANIZER:mailto:ann@example.org",
        "ORGANIZER:mailto:bob@example.org",
    );
    let r = h
        .ann("POST", "/dav/calendars/ann/outbox/", &[], &as_bob)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(text(&r).contains("valid-organizer"));
    let r = h.ann("POST", "/dav/calendars/bob/outbox/", &[], &req).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = h
        .ann(
            "POST",
            "/dav/calendars/ann/outbox/",
            &[],
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        )
        .await;
    assert!(text(&r).contains("valid-scheduling-message"));
}

#[tokio::test]
async fn free_busy_lookup_tells_nothing_without_a_grant_when_privacy_requires_it() {
    let h = harness().await; // principal_search "groups"
    let carl = add_user(&h, "carl").await;
    busy_calendars(&h, &carl).await;
    let store = h.engine.store();
    // Bob lets ann see when he is busy; carl shares something else with her (so she may
    // see his principal) but not his free-busy.
    let bob_home = store.collection(h.bob.user.id, "").await.unwrap().unwrap();
    let by_bob = store::Change {
        author: "bob".into(),
        ..Default::default()
    };
    store
        .grant(
            bob_home.id,
            Grantee::User(h.ann.user.id),
            Privilege::FreeBusy,
            false,
            &by_bob,
        )
        .await
        .unwrap();
    let r = h
        .send(&carl, "MKCALENDAR", "/dav/calendars/carl/shared/", &[], "")
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let shared = store
        .collection(carl.user.id, "shared")
        .await
        .unwrap()
        .unwrap();
    store
        .grant(
            shared.id,
            Grantee::User(h.ann.user.id),
            Privilege::Read,
            false,
            &by_bob,
        )
        .await
        .unwrap();
    let dora = add_user(&h, "dora").await;
    // Erin is in ann's group (so ann may see her principal) but grants nothing.
    let erin = add_user(&h, "erin").await;
    let team = store.create_group("team", None).await.unwrap();
    for member in [h.ann.user.id, erin.user.id] {
        store
            .add_member(team.id, member, false, &by_bob)
            .await
            .unwrap();
    }
    let req = freebusy_request(&[
        "mailto:bob@example.org",
        "mailto:carl@example.org",
        "mailto:dora@example.org",
        "mailto:erin@example.org",
    ]);
    let r = h.ann("POST", "/dav/calendars/ann/outbox/", &[], &req).await;
    let answers = freebusy_answers(&text(&r));
    assert_eq!(answers[0].1, "2.0;Success");
    assert_eq!(answers[0].2.len(), 1);
    // Carl's busy calendar is not granted: his shared, empty one is.
    assert_eq!(answers[1].1, "2.0;Success");
    assert!(answers[1].2.is_empty(), "{:?}", answers[1]);
    // Dora has nothing to do with ann: as if unknown.
    assert_eq!(answers[2].1, "3.7;Invalid calendar user");
    // Erin is known to ann, but her busy time is not hers to see.
    assert_eq!(answers[3].1, "3.8;No authority");
    assert!(answers[3].2.is_empty());
    let _ = dora;
}

#[tokio::test]
async fn an_inbox_keeps_the_newest_messages_up_to_its_bound() {
    let h = harness_with(Limits {
        max_inbox_items: 2,
        ..Limits::default()
    })
    .await;
    for n in 1..=3 {
        let uid = format!("meeting-{n}");
        let m = meeting(&uid, "20261201T100000Z", &["bob@example.org"], "");
        let r = put(&h, &h.ann, &format!("{ANN_CAL}{uid}.ics"), &m, &[]).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        // A newer REQUEST about the same meeting takes the older one's place.
        let again = m.replace("SUMMARY:Planning", "SUMMARY:Planning, moved room");
        let r = put(&h, &h.ann, &format!("{ANN_CAL}{uid}.ics"), &again, &[]).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let items = inbox(&h, &h.bob).await;
    assert_eq!(items.len(), 2, "{items:?}");
    let mut uids = Vec::new();
    for item in &items {
        let (message, _) = get(&h, &h.bob, &format!("{BOB_INBOX}{item}")).await;
        assert!(message.contains("moved room"));
        uids.extend(
            ["meeting-1", "meeting-2", "meeting-3"]
                .into_iter()
                .filter(|u| message.contains(&format!("UID:{u}\r"))),
        );
    }
    uids.sort();
    assert_eq!(uids, ["meeting-2", "meeting-3"], "the oldest went");
    // All three meetings are in bob's calendar all the same.
    for n in 1..=3 {
        get(
            &h,
            &h.bob,
            &format!("/dav/calendars/bob/calendar/meeting-{n}.ics"),
        )
        .await;
    }
    // Bob empties his inbox as Apple does after processing.
    for item in &items {
        let r = h
            .send(&h.bob, "DELETE", &format!("{BOB_INBOX}{item}"), &[], "")
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    assert!(inbox(&h, &h.bob).await.is_empty());
}

#[tokio::test]
async fn an_attendee_who_cannot_take_the_meeting_does_not_stop_the_others() {
    let h = harness().await;
    // Aaron's quota is full: his copy cannot be written, and he is delivered to first
    // (attendees go in address order).
    let aaron = h
        .engine
        .store()
        .create_user(store::NewUser {
            name: "aaron".into(),
            email: Some("aaron@example.org".into()),
            password_hash: "x".into(),
            quota_bytes: Some(10),
            first_calendar: Some("Calendar".into()),
            admin: false,
            display_name: None,
        })
        .await
        .unwrap();
    let aaron = caller(aaron);
    let m = meeting(
        "meeting-1",
        "20261201T100000Z",
        &["aaron@example.org", "bob@example.org"],
        "",
    );
    let r = put(&h, &h.ann, &format!("{ANN_CAL}meeting-1.ics"), &m, &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "the organizer's write stands"
    );
    let r = h
        .send(
            &aaron,
            "GET",
            "/dav/calendars/aaron/calendar/meeting-1.ics",
            &[],
            "",
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    get(&h, &h.bob, BOB_COPY).await;
    assert_eq!(inbox(&h, &h.bob).await.len(), 1);
}
