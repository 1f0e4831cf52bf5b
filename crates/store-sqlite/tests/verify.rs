//! `store::verify` finds an edit made to a served object directly in the database.
#![allow(clippy::unwrap_used)]

use store::conformance::{new_user, put};
use store::prelude::*;
use store::verify::{check, Problem};
use store::{Change, Expect};

#[tokio::test]
async fn an_object_changed_in_the_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calvault.db");
    let store = store_sqlite::open(&path).unwrap();
    let ann = store.create_user(new_user("ann")).await.unwrap();
    let cal = store.collection(ann.id, "calendar").await.unwrap().unwrap();
    for name in ["a.ics", "b.ics"] {
        let p = put(cal.id, name, &format!("event {name}"), name, Expect::Absent);
        store.put_object(p, &Change::default()).await.unwrap();
    }
    let report = check(&store).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.objects, 2);

    // The served copy changes; no history row does, so every chain still verifies.
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute(
        "UPDATE calendar_object_data SET data = CAST('event tampered' AS BLOB) \
         WHERE object_id = (SELECT id FROM calendar_object WHERE name = 'b.ics')",
        [],
    )
    .unwrap();
    let report = check(&store).await.unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    let (calendar, problem) = &report.problems[0];
    assert_eq!(calendar.collection.path, "calendar");
    assert!(
        matches!(problem, Problem::Object { name, reason } if name == "b.ics" && reason.contains("ETag")),
        "{problem}"
    );

    // Even with the ETag recomputed to match, the history says otherwise.
    db.execute(
        "UPDATE calendar_object SET etag = ?1 WHERE name = 'b.ics'",
        [store::history::etag_of(b"event tampered")],
    )
    .unwrap();
    let report = check(&store).await.unwrap();
    assert!(
        matches!(&report.problems[0].1, Problem::Object { name, reason }
            if name == "b.ics" && reason.contains("history")),
        "{:?}",
        report.problems
    );
}
