//! The commit mark (`Accounts::commit_mark`) a cached sign-in trusts: it stays while
//! nothing is committed and changes with every commit, this store's and another
//! connection's (the CLI's, in another process) alike.
#![allow(clippy::unwrap_used)]

use store::conformance::new_user;
use store::prelude::*;

#[tokio::test]
async fn the_mark_changes_with_every_commit_by_anyone_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calvault.db");
    let store = store_sqlite::open(&path).unwrap();
    let before = store.commit_mark().expect("SQLite reads its WAL index");
    assert_eq!(store.commit_mark(), Some(before), "no commit, same mark");
    let ann = store.create_user(new_user("ann")).await.unwrap();
    let _ = store.user_by_name("ann").await.unwrap();
    let created = store.commit_mark().unwrap();
    assert_ne!(created, before, "this store's write");
    assert_eq!(store.commit_mark(), Some(created), "reads change nothing");

    // Another connection, as `calvault user disable` makes from its own process.
    let other = rusqlite::Connection::open(&path).unwrap();
    let sql = "UPDATE principal SET disabled = 1 WHERE id = ?1";
    assert_eq!(other.execute(sql, [ann.id]).unwrap(), 1);
    let disabled = store.commit_mark().unwrap();
    assert_ne!(disabled, created, "another connection's write");
    assert!(store.user_by_name("ann").await.unwrap().is_none());
    // A statement that changes no row writes nothing, so there is nothing to notice.
    other
        .execute("UPDATE principal SET disabled = 1 WHERE id = -1", [])
        .unwrap();
    assert_eq!(store.commit_mark(), Some(disabled));
}
