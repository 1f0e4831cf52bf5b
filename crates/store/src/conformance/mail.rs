//! What every backend must show about the mail outbox (`crate::mail`): a message is queued
//! with the write that caused it and only then, a claim takes each due message once (also
//! when two claim at the same moment), and attempts are recorded as the rules decide.

use super::{calendar, change, put, user};
use crate::rules::mail::Backoff;
use crate::*;

const MEETING: &str = "BEGIN:VCALENDAR\r\nUID:meeting\r\nEND:VCALENDAR\r\n";

/// Ann's calendar with the meeting m.ics written, queueing messages `numbers` with it.
async fn meeting_queueing(
    store: &dyn Store,
    numbers: std::ops::Range<usize>,
) -> (User, Collection) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let mut first = put(cal.id, "m.ics", MEETING, "meeting", Expect::Absent);
    first.mail = numbers.map(|n| mail(ann.id, n)).collect();
    store.put_object(first, &change("ann")).await.unwrap();
    (ann, cal)
}

fn mail(organizer: PrincipalId, n: usize) -> NewMail {
    NewMail {
        organizer,
        uid: "meeting".into(),
        method: "REQUEST".into(),
        sender: "mailto:ann@example.org".into(),
        recipient: format!("mailto:guest{n}@example.net"),
        calendar: "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n".into(),
    }
}

pub async fn mail_is_queued_with_its_write_and_claimed_once(store: &dyn Store) {
    let (ann, cal) = meeting_queueing(store, 1..2).await;
    // A refused write queues nothing.
    let mut refused = put(cal.id, "m.ics", MEETING, "meeting", Expect::Absent);
    refused.mail = vec![mail(ann.id, 2)];
    assert!(store.put_object(refused, &change("ann")).await.is_err());
    let queued = store.mail_of(ann.id).await.unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].mail, mail(ann.id, 1));
    assert_eq!(
        (queued[0].state, queued[0].attempts),
        (MailState::Queued, 0)
    );

    let claimed = store.claim_mail(10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].id, claimed[0].attempts), (queued[0].id, 1));
    assert!(
        store.claim_mail(10).await.unwrap().is_empty(),
        "a claimed message is its sender's until the lease lapses"
    );
    store.mail_sent(claimed[0].id).await.unwrap();
    let sent = store.mail_of(ann.id).await.unwrap();
    assert_eq!(sent[0].state, MailState::Sent);
    assert!(store.claim_mail(10).await.unwrap().is_empty());
    assert_eq!(
        store.mail_sent(claimed[0].id).await,
        Err(StoreError::NotFound),
        "a sent message is not sent again"
    );

    // A DELETE queues its CANCELs in its own transaction, a refused one none.
    let etag = store
        .object(cal.id, "m.ics")
        .await
        .unwrap()
        .unwrap()
        .meta
        .etag;
    let cancel = || NewMail {
        method: "CANCEL".into(),
        ..mail(ann.id, 3)
    };
    let stale = Expect::Etag("\"stale\"".into());
    let refused = store
        .delete_object_sending(cal.id, "m.ics", stale, &change("ann"), vec![cancel()])
        .await;
    assert!(refused.is_err());
    store
        .delete_object_sending(
            cal.id,
            "m.ics",
            Expect::Etag(etag),
            &change("ann"),
            vec![cancel()],
        )
        .await
        .unwrap();
    let all = store.mail_of(ann.id).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].mail.method, "CANCEL");
}

pub async fn failed_mail_is_retried_then_given_up(store: &dyn Store) {
    let (ann, _) = meeting_queueing(store, 1..2).await;
    let soon = Backoff {
        first_ms: 1,
        max_ms: 1,
        max_attempts: 3,
    };
    let claimed = store.claim_mail(10).await.unwrap();
    let fate = store
        .mail_not_sent(&claimed[0], "421 try later", false, soon)
        .await
        .unwrap();
    assert!(matches!(fate, MailFate::RetryAt(_)), "{fate:?}");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let again = store.claim_mail(10).await.unwrap();
    assert_eq!(again.len(), 1, "due again after the backoff");
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].last_error.as_deref(), Some("421 try later"));
    let fate = store
        .mail_not_sent(&again[0], "550 no such user", true, soon)
        .await
        .unwrap();
    assert_eq!(fate, MailFate::GaveUp, "a permanent refusal is final");
    let stored = store.mail_of(ann.id).await.unwrap();
    assert_eq!(stored[0].state, MailState::Failed);
    assert_eq!(stored[0].last_error.as_deref(), Some("550 no such user"));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(store.claim_mail(10).await.unwrap().is_empty());
}

pub async fn concurrent_claims_take_each_message_once(store: &dyn Store) {
    let _ = meeting_queueing(store, 0..20).await;
    let (a, b) = tokio::join!(store.claim_mail(15), store.claim_mail(15));
    let mut ids: Vec<i64> = a
        .unwrap()
        .into_iter()
        .chain(b.unwrap())
        .map(|m| m.id)
        .collect();
    let claimed = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), claimed, "no message claimed twice");
    assert_eq!(claimed, 20);
}
