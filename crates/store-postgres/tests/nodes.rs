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
