//! Names sort by bytes, as in SQLite, even when the database's own collation is a natural
//! language's: listings, pages and dumps come out in the same order from both backends.
#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use store::conformance::new_user;
use store::prelude::*;
use store::{Change, Expect, ObjectIndex, PutObject};

#[tokio::test]
async fn names_sort_by_bytes_under_a_language_collation() {
    // English ICU order would put "a.ics" before "B.ics" and ignore the dot in "b.x".
    let database = support::create_database_with(
        "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C.UTF-8'",
    )
    .await;
    let store = store_postgres::connect(database.url()).await.unwrap();
    for name in ["bob", "Ann", "ann"] {
        store.create_user(new_user(name)).await.unwrap();
    }
    let users: Vec<String> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(users, ["Ann", "ann", "bob"]);

    let ann = store.user_by_name("ann").await.unwrap().unwrap();
    let cal = store.collection(ann.id, "calendar").await.unwrap().unwrap();
    let names = ["a.ics", "B.ics", "bx", "b.y", "é.ics", "Z.ics"];
    for name in names {
        let put = PutObject {
            collection: cal.id,
            name: name.into(),
            data: Bytes::from_static(b"x"),
            content_type: "text/calendar".into(),
            index: ObjectIndex::default(),
            instances: None,
            expect: Expect::Absent,
            quota: None,
            merge: None,
            mail: Vec::new(),
        };
        store.put_object(put, &Change::default()).await.unwrap();
    }
    let mut bytewise = names.map(str::to_owned).to_vec();
    bytewise.sort();
    let listed: Vec<String> = store
        .objects(cal.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(listed, bytewise);
    let first = store.objects_page(cal.id, None, 2).await.unwrap();
    let rest = store
        .objects_page(cal.id, Some(first[1].name.clone()), 10)
        .await
        .unwrap();
    assert_eq!(first.len() + rest.len(), names.len(), "pages skip nothing");
}
