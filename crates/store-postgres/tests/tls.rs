//! TLS to PostgreSQL: sslmode require, verify-ca and verify-full against the test server,
//! whose certificate a CA of its own signed (tests/postgres.sh; the CA is in
//! `CALVAULT_TEST_POSTGRES_CA`).
#![allow(clippy::unwrap_used)]

mod support;

use store::prelude::*;
use tokio_postgres::NoTls;

fn ca() -> String {
    std::env::var("CALVAULT_TEST_POSTGRES_CA")
        .expect("CALVAULT_TEST_POSTGRES_CA names the CA of the test server's certificate")
}

/// Whether the store's connections to `database` are encrypted, as the server sees them.
async fn encrypted(database: &str) -> bool {
    let (client, connection) = tokio_postgres::connect(&support::url_of("postgres"), NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = $1",
            &[&database],
        )
        .await
        .unwrap();
    drop(client);
    let _ = driver.await;
    row.get::<_, Option<bool>>(0).unwrap_or(false)
}

async fn connects_encrypted(query: &str) -> bool {
    let db = support::create_database().await;
    let store = store_postgres::connect(&format!("{}?{query}", db.url()))
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    store.list_users().await.unwrap();
    let on = encrypted(db.name()).await;
    drop(store);
    on
}

#[tokio::test]
async fn require_encrypts_and_verify_full_checks_the_certificate() {
    assert!(connects_encrypted("sslmode=require").await);
    let ca = ca();
    assert!(connects_encrypted(&format!("sslmode=verify-ca&sslrootcert={ca}")).await);
    assert!(connects_encrypted(&format!("sslmode=verify-full&sslrootcert={ca}")).await);
    assert!(!connects_encrypted("sslmode=disable").await);
}

#[tokio::test]
async fn a_certificate_no_trusted_ca_signed_is_refused() {
    let db = support::create_database().await;
    // Without sslrootcert the trusted CAs are the public ones, which did not sign it.
    let Err(e) = store_postgres::connect(&format!("{}?sslmode=verify-full", db.url())).await else {
        panic!("a test CA's certificate must not verify against the public roots");
    };
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    let Err(e) = store_postgres::connect(&format!(
        "{}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        db.url()
    ))
    .await
    else {
        panic!("a missing sslrootcert must be refused");
    };
    assert!(e.to_string().contains("sslrootcert"), "{e}");
}
