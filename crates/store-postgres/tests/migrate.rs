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
