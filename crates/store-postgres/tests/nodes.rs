//! Two nodes (two stores, each with its own pool) writing one user's calendar at the same
//! moment: the owner's row lock serialises them, so sequences never repeat and the history
//! stays one chain.
#![allow(clippy::unwrap_used)]

mod support;

use store::conformance::new_user;
use store::prelude::*;
use store::{conformance, Change, Expect, VersionKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_two_nodes_keep_one_chain() {
    let database = support::create_database().await;
    let url = database.url().to_owned();
    let a = store_postgres::connect(&url).await.unwrap();
    let b = store_postgres::connect(&url).await.unwrap();
    let ann = a.create_user(new_user("ann")).await.unwrap();
    let cal = b.collection(ann.id, "calendar").await.unwrap().unwrap();
    let writes = (0..40).map(|i| {
        let node = if i % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move {
            let (name, data, uid) = (format!("{i}.ics"), format!("event {i}"), format!("uid-{i}"));
            let put = conformance::put(cal.id, &name, &data, &uid, Expect::Absent);
            node.put_object(put, &Change::default()).await
        })
    });
    let writes: Vec<_> = writes.collect();
    for write in writes {
        write.await.unwrap().unwrap();
    }
    let versions = a.versions(cal.id).await.unwrap();
    let puts = versions
        .iter()
        .filter(|v| v.kind == VersionKind::Put)
        .count();
    assert_eq!(puts, 40);
    let mut seqs: Vec<i64> = versions.iter().map(|v| v.seq).collect();
    seqs.dedup();
    assert_eq!(seqs.len(), versions.len(), "no sequence number twice");
    assert_eq!(store::history::verify_chain(&versions), Ok(versions.len()));
    let now = b.collection(ann.id, "calendar").await.unwrap().unwrap();
    assert_eq!(now.sync_seq, cal.sync_seq + 40);
}

/// A WebDAV lock taken through one node holds a write through the other until it is
/// released or expires, and a node started later (a restart) finds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_taken_on_one_node_holds_writes_on_another_and_survives_a_restart() {
    use store::{LockClaim, LockScope, NewLock, StoreError};
    let database = support::create_database().await;
    let url = database.url().to_owned();
    let a = store_postgres::connect(&url).await.unwrap();
    let b = store_postgres::connect(&url).await.unwrap();
    let ann = a.create_user(new_user("ann")).await.unwrap();
    let cal = b.collection(ann.id, "calendar").await.unwrap().unwrap();
    let claim = |tokens: &[&str]| Change {
        author: "ann".into(),
        locks: Some(LockClaim {
            principal: ann.id,
            tokens: tokens.iter().map(|t| t.to_string()).collect(),
        }),
        ..Change::default()
    };
    let write = |data: &str| conformance::put(cal.id, "a.ics", data, "a", Expect::Anything);
    b.put_object(write("v1"), &claim(&[])).await.unwrap();
    let lock = |token: &str, timeout_secs| NewLock {
        token: token.into(),
        home: ann.id,
        path: "calendar/a.ics".into(),
        principal: ann.id,
        scope: LockScope::Exclusive,
        deep: false,
        owner: None,
        timeout_secs,
        empty_resource: None,
    };
    a.create_lock(lock("urn:uuid:a", 600), &claim(&[]))
        .await
        .unwrap();
    let held = Err(StoreError::Locked {
        roots: vec!["calendar/a.ics".into()],
    });
    assert_eq!(b.put_object(write("v2"), &claim(&[])).await.map(drop), held);
    b.put_object(write("v2"), &claim(&["urn:uuid:a"]))
        .await
        .unwrap();

    // A restart: a new node on the same database still honours the lock.
    drop(a);
    let c = store_postgres::connect(&url).await.unwrap();
    assert_eq!(c.locks(ann.id).await.unwrap().len(), 1);
    assert_eq!(c.put_object(write("v3"), &claim(&[])).await.map(drop), held);
    b.remove_lock(ann.id, "calendar/a.ics", "urn:uuid:a", ann.id)
        .await
        .unwrap();
    c.put_object(write("v3"), &claim(&[])).await.unwrap();

    // Expiry releases a lock without anyone removing it.
    c.create_lock(lock("urn:uuid:short", 1), &claim(&[]))
        .await
        .unwrap();
    assert_eq!(b.put_object(write("v4"), &claim(&[])).await.map(drop), held);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    b.put_object(write("v4"), &claim(&[])).await.unwrap();
    assert!(c.locks(ann.id).await.unwrap().is_empty());
}
