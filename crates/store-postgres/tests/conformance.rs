//! The store conformance suite on a fresh PostgreSQL database per test (see support/).

mod support;

use store_postgres::PostgresStore;

async fn fresh() -> (PostgresStore, support::Scratch) {
    let database = support::create_database().await;
    let store = PostgresStore::connect(&database.url())
        .await
        .expect("connect to the test database");
    (store, database)
}

store::conformance_tests!(fresh());
