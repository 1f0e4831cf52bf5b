//! The store conformance suite on a fresh PostgreSQL database per test (see support/).

mod support;

async fn fresh() -> (store_postgres::PostgresStore, support::Scratch) {
    let database = support::create_database().await;
    let store = store_postgres::connect(database.url())
        .await
        .expect("connect to the test database");
    (store, database)
}

store::conformance_tests!(fresh());
