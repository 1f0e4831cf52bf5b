//! The WAL is copied into the database file by the checkpoint thread, not by the writes.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use store::conformance;
use store::conformance::new_user;
use store::prelude::*;
use store::{Change, Expect};

#[tokio::test]
async fn the_checkpoint_thread_copies_the_wal_while_the_store_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calvault.db");
    let store = store_sqlite::open(&path).unwrap();
    let owner = store.create_user(new_user("ann")).await.unwrap();
    let calendar = store
        .collection(owner.id, "calendar")
        .await
        .unwrap()
        .unwrap();
    let size_before = std::fs::metadata(&path).unwrap().len();
    let change = Change {
        author: "ann".into(),
        client: None,
        address: None,
        locks: None,
    };
    // Well past one nudge (every 100 writes), far below the writer's own backstop
    // (16,000 pages), so only the thread can have moved these pages.
    let body = "x".repeat(2_000);
    for i in 0..250 {
        let (name, uid) = (format!("e{i}.ics"), format!("u{i}"));
        let put = conformance::put(calendar.id, &name, &body, &uid, Expect::Anything);
        store.put_object(put, &change).await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut size = std::fs::metadata(&path).unwrap().len();
    // 200 objects of 2 KB (and their history) in the file itself, not only in the WAL.
    while size < size_before + 400_000 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        size = std::fs::metadata(&path).unwrap().len();
    }
    assert!(
        size >= size_before + 400_000,
        "the database file grew from {size_before} to {size} bytes only"
    );
    // Everything is still readable through the store.
    assert_eq!(store.object_count(calendar.id).await.unwrap(), 250);
}
