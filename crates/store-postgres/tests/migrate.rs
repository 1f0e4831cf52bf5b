//! Several nodes starting at once on one database migrate it exactly once.
#![allow(clippy::unwrap_used)]

mod support;

use store::conformance::new_user;
use store::prelude::*;
use store_postgres::SCHEMA_VERSION;
use tokio_postgres::NoTls;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_starting_together_migrate_once() {
    let database = support::create_database().await;
    let url = database.url().to_owned();
    let nodes: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { store_postgres::connect(&url).await })
        })
        .collect();
    let mut stores = Vec::new();
    for node in nodes {
        stores.push(node.await.unwrap().expect("every node starts"));
    }

    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one("SELECT max(version), count(*) FROM calvault_schema", &[])
        .await
        .unwrap();
    let (version, applied): (i32, i64) = (row.get(0), row.get(1));
    assert_eq!(version as usize, SCHEMA_VERSION);
    assert_eq!(applied as usize, SCHEMA_VERSION, "each migration ran once");

    let ann = stores[0].create_user(new_user("ann")).await.unwrap();
    assert_eq!(stores[3].user_by_name("ann").await.unwrap(), Some(ann));
}

#[tokio::test]
async fn connection_errors_name_the_server_but_not_the_password() {
    let url = "postgres://calvault:s3cret-pw@127.0.0.1:1/nothing";
    let Err(e) = store_postgres::connect(url).await else {
        panic!("nothing listens on port 1");
    };
    let text = e.to_string();
    assert!(
        text.contains("cannot connect to PostgreSQL at 127.0.0.1:1"),
        "{text}"
    );
    assert!(!text.contains("s3cret-pw"), "{text}");
}

/// Accounts made before scheduling get their inbox and outbox from the migration; one whose
/// own collection holds the path keeps it (the SQLite side: `store-sqlite` schema tests).
/// The schema version scheduling's migration brings a database to.
const SCHEDULING_VERSION: usize = 5;

#[tokio::test]
async fn accounts_older_than_scheduling_get_an_inbox_and_an_outbox() {
    let database = support::create_database().await;
    let url = database.url().to_owned();
    let store = store_postgres::connect(&url).await.unwrap();
    let ann = store.create_user(new_user("ann")).await.unwrap();
    let bob = store.create_user(new_user("bob")).await.unwrap();
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    // As before scheduling: ann has neither; bob made a plain collection called "inbox".
    client
        .batch_execute(&format!(
            "DELETE FROM collection WHERE owner_id = {a} AND path IN ('inbox', 'outbox');
             DELETE FROM collection WHERE owner_id = {b} AND path = 'outbox';
             UPDATE collection SET kind = 'plain' WHERE owner_id = {b} AND path = 'inbox';
             DELETE FROM calvault_schema WHERE version >= {v};
             DROP TABLE mail_outbox;",
            a = ann.id,
            b = bob.id,
            // Scheduling's migration, and (undone by hand above) the ones after it.
            v = SCHEDULING_VERSION
        ))
        .await
        .unwrap();
    drop(store);
    let store = store_postgres::connect(&url).await.unwrap();
    let kind = |owner, path: &'static str| {
        let store = &store;
        async move { store.collection(owner, path).await.unwrap().map(|c| c.kind) }
    };
    use store::CollectionKind::*;
    assert_eq!(kind(ann.id, "inbox").await, Some(ScheduleInbox));
    assert_eq!(kind(ann.id, "outbox").await, Some(ScheduleOutbox));
    assert_eq!(kind(bob.id, "inbox").await, Some(Plain));
    assert_eq!(kind(bob.id, "outbox").await, Some(ScheduleOutbox));
}

/// A database of the schema before WebDAV locks (version 9, sharing) upgrades when a node
/// starts: what it held is there, nothing is locked, and locks can be taken and hold.
#[tokio::test]
async fn a_database_from_before_locks_upgrades() {
    use store::{Change, Expect, LockClaim, LockScope, NewLock, StoreError};
    let database = support::create_database().await;
    let url = database.url().to_owned();
    let (mut client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    store_postgres::migrate_up_to(&mut client, 9).await.unwrap();
    client
        .batch_execute(
            "INSERT INTO principal (id, name, password_hash, created_at) VALUES (1, 'ann', 'h', 0);
             INSERT INTO collection (id, owner_id, path, kind, created_at, modified_at)
                 VALUES (1, 1, '', 'home', 0, 0), (2, 1, 'calendar', 'calendar', 0, 0);",
        )
        .await
        .unwrap();

    let store = store_postgres::connect(&url).await.unwrap();
    let row = client
        .query_one("SELECT max(version) FROM calvault_schema", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0) as usize, SCHEMA_VERSION);
    let ann = store.user_by_name("ann").await.unwrap().unwrap();
    let cal = store.collection(ann.id, "calendar").await.unwrap().unwrap();
    assert!(store.locks(ann.id).await.unwrap().is_empty());
    let claim = Change {
        locks: Some(LockClaim {
            principal: ann.id,
            tokens: Vec::new(),
        }),
        ..Change::default()
    };
    let put = || store::conformance::put(cal.id, "a.ics", "a", "a", Expect::Anything);
    store.put_object(put(), &claim).await.unwrap();
    let lock = NewLock {
        token: "urn:uuid:after-upgrade".into(),
        home: ann.id,
        path: "calendar".into(),
        principal: ann.id,
        scope: LockScope::Exclusive,
        deep: true,
        owner: None,
        timeout_secs: 60,
        empty_resource: None,
    };
    store.create_lock(lock, &claim).await.unwrap();
    assert!(matches!(
        store.put_object(put(), &claim).await,
        Err(StoreError::Locked { .. })
    ));
}
