//! The store conformance suite on a real SQLite file.

use store_sqlite::SqliteStore;

async fn fresh() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store_sqlite::open(&dir.path().join("calvault.db")).expect("open");
    (store, dir)
}

store::conformance_tests!(fresh());
