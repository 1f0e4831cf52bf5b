//! Attendees elsewhere by e-mail (iMIP, RFC 6047) through the engine: what an organizer's
//! PUT and DELETE queue in the store's mail outbox and the SCHEDULE-STATUS they store, the
//! status the sender records afterwards, and a REPLY that came back by e-mail.
#![allow(clippy::unwrap_used)]

mod support;

use dav::imip;
use dav::{Engine, Limits};
use http::StatusCode;
use store::{MailState, QueuedMail};
use support::*;

const MEETING: &str = "/dav/calendars/ann/calendar/m.ics";

fn meeting(summary: &str, attendees: &[&str]) -> String {
    let mut lines = String::new();
    for a in attendees {
        lines.push_str(&format!(
            "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{a}\r\n"
        ));
    }
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:m-1\r\n\
         DTSTAMP:20261101T000000Z\r\nDTSTART:20261201T100000Z\r\nDURATION:PT1H\r\n\
         SUMMARY:{summary}\r\nORGANIZER;CN=Ann:mailto:ann@example.org\r\n\
         ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.org\r\n{lines}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// A harness whose engine sends mail (as with `[smtp]` configured).
async fn mailing() -> Harness {
    let mut h = harness().await;
    let store = h.engine.store().clone();
    let engine = std::mem::replace(&mut h.engine, Engine::new(store, Limits::default()));
    h.engine = engine.sending_mail(true);
    h
}

/// Ann's meeting "Planning" with dora, who is no user of this server.
async fn invite_dora(h: &Harness) {
    let r = h
        .ann(
            "PUT",
            MEETING,
            &[],
            &meeting("Planning", &["dora@elsewhere.example"]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
}

async fn outbox(h: &Harness) -> Vec<QueuedMail> {
    h.engine.store().mail_of(h.ann.user.id).await.unwrap()
}

async fn ann_copy(h: &Harness) -> String {
    let r = h.ann("GET", MEETING, &[], "").await;
    assert_eq!(r.status(), StatusCode::OK);
    text(&r).replace("\r\n ", "")
}

#[tokio::test]
async fn an_outside_attendee_is_mailed_with_the_write_and_shown_queued_then_delivered() {
    let h = mailing().await;
    let invite = meeting("Planning", &["bob@example.org", "dora@elsewhere.example"]);
    let r = h.ann("PUT", MEETING, &[], &invite).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let copy = ann_copy(&h).await;
    assert!(
        copy.contains("SCHEDULE-STATUS=1.2:mailto:bob@example.org"),
        "{copy}"
    );
    assert!(
        copy.contains("SCHEDULE-STATUS=1.1:mailto:dora@elsewhere.example"),
        "{copy}"
    );

    let queued = outbox(&h).await;
    assert_eq!(queued.len(), 1, "bob is on this server: no mail for him");
    let mail = &queued[0].mail;
    assert_eq!(
        (
            mail.method.as_str(),
            mail.recipient.as_str(),
            mail.sender.as_str()
        ),
        (
            "REQUEST",
            "mailto:dora@elsewhere.example",
            "mailto:ann@example.org"
        )
    );
    assert!(mail.calendar.contains("METHOD:REQUEST\r\n"));
    assert!(
        !mail.calendar.contains("SCHEDULE-STATUS"),
        "{}",
        mail.calendar
    );

    // Saved again unchanged: nothing new to send, the status stays.
    let r = h.ann("PUT", MEETING, &[], &invite).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(outbox(&h).await.len(), 1);

    // The relay accepted it: the organizer's copy says delivered, recorded as a change.
    imip::record_status(&h.engine, mail, imip::SENT)
        .await
        .unwrap();
    let copy = ann_copy(&h).await;
    assert!(
        copy.contains("SCHEDULE-STATUS=2.0:mailto:dora@elsewhere.example"),
        "{copy}"
    );
    assert!(copy.contains("SCHEDULE-STATUS=1.2:mailto:bob@example.org"));
    let r = h.ann("PUT", MEETING, &[], &invite).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(
        ann_copy(&h)
            .await
            .contains("SCHEDULE-STATUS=2.0:mailto:dora@elsewhere.example"),
        "an unchanged save keeps what the last message came to"
    );

    // A changed meeting is sent again; taking dora off sends her a CANCEL.
    let moved = meeting("Planning, moved", &["dora@elsewhere.example"]);
    h.ann("PUT", MEETING, &[], &moved).await;
    let queued = outbox(&h).await;
    assert_eq!(queued.len(), 2);
    assert!(queued[1].mail.calendar.contains("SUMMARY:Planning, moved"));
    h.ann("PUT", MEETING, &[], &meeting("Planning, moved", &[]))
        .await;
    let queued = outbox(&h).await;
    assert_eq!(queued.len(), 3);
    assert_eq!(queued[2].mail.method, "CANCEL");
    assert!(queued[2].mail.calendar.contains("STATUS:CANCELLED"));
    assert!(queued.iter().all(|q| q.state == MailState::Queued));
}

#[tokio::test]
async fn deleting_the_meeting_mails_a_cancel_in_the_same_write() {
    let h = mailing().await;
    invite_dora(&h).await;
    let r = h.ann("DELETE", MEETING, &[], "").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let queued = outbox(&h).await;
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[1].mail.method, "CANCEL");
    assert_eq!(queued[1].mail.recipient, "mailto:dora@elsewhere.example");
}

#[tokio::test]
async fn without_a_relay_outside_attendees_are_told_unreachable_and_nothing_is_queued() {
    let h = harness().await;
    invite_dora(&h).await;
    assert!(ann_copy(&h)
        .await
        .contains("SCHEDULE-STATUS=3.7:mailto:dora@elsewhere.example"));
    assert!(outbox(&h).await.is_empty());
}

fn reply(from_attendee: &str, partstat: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//elsewhere//EN\r\nMETHOD:REPLY\r\n\
         BEGIN:VEVENT\r\nUID:m-1\r\nDTSTAMP:20261102T000000Z\r\nDTSTART:20261201T100000Z\r\n\
         ORGANIZER:mailto:ann@example.org\r\n\
         ATTENDEE;PARTSTAT={partstat}:mailto:{from_attendee}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

#[tokio::test]
async fn a_reply_by_mail_is_recorded_and_a_forged_one_refused() {
    let h = mailing().await;
    let invite = meeting(
        "Planning",
        &["dora@elsewhere.example", "ed@elsewhere.example"],
    );
    h.ann("PUT", MEETING, &[], &invite).await;

    // Sent by someone else in dora's name: refused, nothing changes.
    let forged = imip::receive_reply(
        &h.engine,
        &reply("dora@elsewhere.example", "DECLINED"),
        "mallory@evil.example",
    )
    .await;
    let e = forged.unwrap_err();
    assert_eq!(e.status, StatusCode::FORBIDDEN);
    assert!(e.detail.contains("forged"), "{}", e.detail);
    // Someone not invited, from their own address.
    let stranger = imip::receive_reply(
        &h.engine,
        &reply("zed@elsewhere.example", "ACCEPTED"),
        "zed@elsewhere.example",
    )
    .await;
    assert!(stranger.unwrap_err().detail.contains("not invited"));
    // Not a REPLY.
    let request =
        reply("dora@elsewhere.example", "ACCEPTED").replace("METHOD:REPLY", "METHOD:REQUEST");
    let e = imip::receive_reply(&h.engine, &request, "dora@elsewhere.example")
        .await
        .unwrap_err();
    assert!(e.detail.contains("METHOD:REPLY"), "{}", e.detail);
    assert!(ann_copy(&h)
        .await
        .contains("PARTSTAT=NEEDS-ACTION;RSVP=TRUE;SCHEDULE-STATUS=1.1:mailto:dora"));

    // Dora's own answer, her address in another case: recorded in ann's copy and inbox.
    let got = imip::receive_reply(
        &h.engine,
        &reply("dora@elsewhere.example", "ACCEPTED"),
        "Dora@Elsewhere.Example",
    )
    .await
    .unwrap();
    assert_eq!(
        (got.organizer.as_str(), got.partstat.as_str()),
        ("ann", "ACCEPTED")
    );
    let copy = ann_copy(&h).await;
    assert!(
        copy.contains("PARTSTAT=ACCEPTED") && copy.contains("mailto:dora@elsewhere.example"),
        "{copy}"
    );
    let line = copy.lines().find(|l| l.contains("dora@")).unwrap();
    assert!(line.contains("PARTSTAT=ACCEPTED"), "{line}");
    let ed = copy.lines().find(|l| l.contains("ed@")).unwrap();
    assert!(ed.contains("PARTSTAT=NEEDS-ACTION"), "{ed}");
    let r = h
        .ann(
            "PROPFIND",
            "/dav/calendars/ann/inbox/",
            &[("depth", "1")],
            "",
        )
        .await;
    assert!(
        text(&r).contains("reply"),
        "the organizer's inbox has the REPLY: {}",
        text(&r)
    );
    // History names the attendee and iMIP.
    let cal = h
        .engine
        .store()
        .collection(h.ann.user.id, "calendar")
        .await
        .unwrap()
        .unwrap();
    let versions = h.engine.store().versions(cal.id).await.unwrap();
    let last = versions.iter().rev().find(|v| v.name == "m.ics").unwrap();
    assert_eq!(last.change.client.as_deref(), Some("imip"));
    assert_eq!(last.change.author, "Dora@Elsewhere.Example");
}
