//! The behaviour every backend must show, as async checks over `&dyn Store`. Backends run
//! them through [`conformance_tests!`](crate::conformance_tests).
#![allow(clippy::unwrap_used)]

use bytes::Bytes;

use crate::history::{chain_hash, etag_of, ChainInput, Entry};
use crate::*;

mod accounts;
mod locks;
mod mail;
pub use accounts::*;
pub use locks::*;
pub use mail::*;

/// Generates one `#[tokio::test]` per check. `$make` is an async expression giving
/// `(store, guard)`; the guard (e.g. a temporary directory) lives until the test ends.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            users_get_a_home_and_a_first_calendar,
            objects_keep_exact_bytes_and_content_etags,
            a_collection_is_read_with_its_member,
            preconditions_are_checked_inside_the_write,
            uid_is_unique_per_calendar,
            quota_refuses_growth_beyond_the_limit,
            every_write_bumps_the_sync_sequence_and_chains_history,
            nested_collections_and_recursive_delete,
            collection_copy_and_move_carry_contents,
            object_copy_and_move_honour_overwrite,
            property_patches_are_all_or_nothing,
            removing_a_user_removes_their_data,
            changes_since_reports_each_member_once_with_its_last_state,
            range_prefilter_is_conservative,
            instance_index_decides_event_ranges,
            floating_instances_follow_the_query_zone,
            objects_are_listed_in_pages,
            concurrent_conditional_writes_have_one_winner,
            non_ascii_collection_names_keep_their_children,
            refused_writes_leave_sequence_and_history_alone,
            a_copied_calendar_records_its_objects_in_name_order,
            multiget_answers_in_the_order_asked_each_object_once,
            app_passwords_are_found_by_hash_until_revoked,
            a_disabled_account_cannot_sign_in_and_keeps_its_data,
            a_changed_quota_holds_the_next_write,
            grants_reach_users_through_groups_and_homes,
            bindings_go_when_read_is_lost,
            users_have_details_others_see,
            scheduling_collections_come_with_the_account_and_stay,
            objects_are_found_by_uid_in_all_of_a_users_collections,
            status_counts_users_and_live_objects,
            locks_hold_every_write_without_their_token,
            lock_conflicts_follow_scope_and_depth,
            refresh_and_unlock_name_a_live_lock_of_its_principal,
            expired_locks_are_as_if_they_were_not_there,
            a_locked_unmapped_url_gets_an_empty_resource_whose_removal_ends_the_lock,
            merged_versions_name_their_parents,
            pruning_drops_replaced_data_and_keeps_the_latest,
            collections_created_under_a_lock_are_held_by_it,
            mail_is_queued_with_its_write_and_claimed_once,
            failed_mail_is_retried_then_given_up,
            concurrent_claims_take_each_message_once);
        $crate::conformance_tests!(@copy $make);
    };
    (@copy $make:expr) => {
        #[tokio::test]
        async fn a_copy_keeps_every_row_and_every_chain() {
            let (from, _from_guard) = $make.await;
            let (to, _to_guard) = $make.await;
            $crate::conformance::a_copy_keeps_every_row_and_every_chain(&from, &to).await;
        }
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (store, _guard) = $make.await;
                $crate::conformance::$name(&store).await;
            }
        )*
    };
}

fn change(author: &str) -> Change {
    Change {
        author: author.into(),
        client: Some("conformance".into()),
        address: Some("127.0.0.1".into()),
        locks: None,
    }
}

/// A user as the checks here and backends' own tests create one: no quota, a first
/// calendar (path `calendar`).
pub fn new_user(name: &str) -> NewUser {
    NewUser {
        name: name.into(),
        email: None,
        password_hash: "hash".into(),
        quota_bytes: None,
        first_calendar: Some("Calendar".into()),
        admin: false,
        display_name: None,
    }
}

async fn user(store: &dyn Store, name: &str) -> User {
    store.create_user(new_user(name)).await.unwrap()
}

/// A PUT of `data` as a VEVENT with `uid`, as the checks here and backends' own tests write.
pub fn put(
    collection: CollectionId,
    name: &str,
    data: &str,
    uid: &str,
    expect: Expect,
) -> PutObject {
    PutObject {
        collection,
        name: name.into(),
        data: Bytes::copy_from_slice(data.as_bytes()),
        content_type: "text/calendar".into(),
        index: ObjectIndex {
            uid: Some(uid.into()),
            component: Some("VEVENT".into()),
            first_start: Some(0),
            last_end: None,
        },
        instances: None,
        expect,
        quota: None,
        merge: None,
        mail: Vec::new(),
    }
}

async fn calendar(store: &dyn Store, owner: &User) -> Collection {
    store
        .collection(owner.id, "calendar")
        .await
        .unwrap()
        .expect("first calendar")
}

pub async fn users_get_a_home_and_a_first_calendar(store: &dyn Store) {
    let ann = user(store, "ann").await;
    assert_eq!(store.user_by_name("ann").await.unwrap(), Some(ann.clone()));
    assert_eq!(store.user_by_name("nobody").await.unwrap(), None);
    let home = store.collection(ann.id, "").await.unwrap().expect("home");
    assert!(home.is_home());
    let children = store.child_collections(ann.id, "").await.unwrap();
    let paths: Vec<&str> = children.iter().map(|c| c.path.as_str()).collect();
    // The scheduling inbox and outbox come with every account (RFC 6638 §2).
    assert_eq!(paths, ["calendar", "inbox", "outbox"]);
    assert_eq!(children[0].path, "calendar");
    assert_eq!(children[0].kind, CollectionKind::Calendar);
    let props = store.properties(children[0].id, None).await.unwrap();
    assert!(props
        .iter()
        .any(|p| p.name == "displayname" && p.xml.contains("Calendar")));
    let again = store
        .create_user(NewUser {
            name: "ann".into(),
            email: None,
            password_hash: "x".into(),
            quota_bytes: None,
            first_calendar: None,
            admin: false,
            display_name: None,
        })
        .await;
    assert_eq!(again, Err(StoreError::AlreadyExists));
    store.set_password("ann", "new-hash").await.unwrap();
    assert_eq!(
        store
            .user_by_name("ann")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new-hash"
    );
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

pub async fn objects_keep_exact_bytes_and_content_etags(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let data = "BEGIN:VCALENDAR\r\nX-ODD:  spaces ,kept\n\r\nEND:VCALENDAR";
    let out = store
        .put_object(
            put(cal.id, "a.ics", data, "u1", Expect::Absent),
            &change("ann"),
        )
        .await
        .unwrap();
    assert!(out.created);
    assert_eq!(out.etag, etag_of(data.as_bytes()));
    let got = store.object(cal.id, "a.ics").await.unwrap().unwrap();
    assert_eq!(got.data.as_ref(), data.as_bytes());
    assert_eq!(got.meta.etag, out.etag);
    assert_eq!(got.meta.size, data.len() as u64);
    let out2 = store
        .put_object(
            put(cal.id, "a.ics", "v2", "u1", Expect::Anything),
            &change("ann"),
        )
        .await
        .unwrap();
    assert!(!out2.created);
    let metas = store.objects(cal.id).await.unwrap();
    assert_eq!(metas.len(), 1);
    assert_eq!(metas[0].etag, etag_of(b"v2"));
    let many = store
        .objects_by_name(
            cal.id,
            &["a.ics".into(), "missing.ics".into(), "a.ics".into()],
        )
        .await
        .unwrap();
    assert_eq!(
        many.len(),
        1,
        "each existing object once, however often named"
    );
    assert_eq!(many[0].data.as_ref(), b"v2");
}

pub async fn a_collection_is_read_with_its_member(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    store
        .put_object(put(cal.id, "a.ics", "data a", "u1", Expect::Absent), &c)
        .await
        .unwrap();
    let (collection, member) = store
        .collection_member(ann.id, "calendar", "a.ics")
        .await
        .unwrap()
        .expect("the calendar");
    // The same records the two separate lookups give.
    assert_eq!(
        Some(collection),
        store.collection(ann.id, "calendar").await.unwrap()
    );
    assert_eq!(member, store.object(cal.id, "a.ics").await.unwrap());
    assert_eq!(member.unwrap().data.as_ref(), b"data a");

    let (collection, member) = store
        .collection_member(ann.id, "calendar", "missing.ics")
        .await
        .unwrap()
        .expect("the calendar");
    assert_eq!(collection.id, cal.id);
    assert_eq!(member, None);
    // Another owner's calendar of the same path holds none of ann's objects.
    let (collection, member) = store
        .collection_member(bob.id, "calendar", "a.ics")
        .await
        .unwrap()
        .expect("bob's calendar");
    assert_eq!((collection.owner, member), (bob.id, None));
    assert_eq!(
        store
            .collection_member(ann.id, "nowhere", "a.ics")
            .await
            .unwrap(),
        None
    );
    store
        .delete_collection(ann.id, "calendar", &c)
        .await
        .unwrap();
    assert_eq!(
        store
            .collection_member(ann.id, "calendar", "a.ics")
            .await
            .unwrap(),
        None,
        "a deleted collection is gone with its members"
    );
}

pub async fn preconditions_are_checked_inside_the_write(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    assert_eq!(
        store
            .put_object(put(cal.id, "a.ics", "x", "u", Expect::Present), &c)
            .await,
        Err(StoreError::PreconditionFailed)
    );
    let first = store
        .put_object(put(cal.id, "a.ics", "x", "u", Expect::Absent), &c)
        .await
        .unwrap();
    assert_eq!(
        store
            .put_object(put(cal.id, "a.ics", "y", "u", Expect::Absent), &c)
            .await,
        Err(StoreError::PreconditionFailed)
    );
    assert_eq!(
        store
            .put_object(
                put(cal.id, "a.ics", "y", "u", Expect::Etag("nope".into())),
                &c
            )
            .await,
        Err(StoreError::PreconditionFailed)
    );
    store
        .put_object(
            put(cal.id, "a.ics", "y", "u", Expect::Etag(first.etag.clone())),
            &c,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .delete_object(cal.id, "a.ics", Expect::Etag(first.etag), &c)
            .await,
        Err(StoreError::PreconditionFailed)
    );
    let current = store.object(cal.id, "a.ics").await.unwrap().unwrap();
    assert_eq!(
        current.data.as_ref(),
        b"y",
        "a refused write changes nothing"
    );
    store
        .delete_object(cal.id, "a.ics", Expect::Etag(current.meta.etag), &c)
        .await
        .unwrap();
    assert_eq!(
        store
            .delete_object(cal.id, "a.ics", Expect::Anything, &c)
            .await,
        Err(StoreError::NotFound)
    );
}

pub async fn uid_is_unique_per_calendar(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    store
        .put_object(put(cal.id, "a.ics", "x", "same", Expect::Anything), &c)
        .await
        .unwrap();
    assert_eq!(
        store
            .put_object(put(cal.id, "b.ics", "y", "same", Expect::Anything), &c)
            .await,
        Err(StoreError::UidConflict {
            uid: "same".into(),
            existing_name: "a.ics".into()
        })
    );
    assert!(store.object(cal.id, "b.ics").await.unwrap().is_none());
}

pub async fn quota_refuses_growth_beyond_the_limit(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    let mut p = put(cal.id, "a.ics", "0123456789", "u1", Expect::Anything);
    p.quota = Some(15);
    store.put_object(p, &c).await.unwrap();
    assert_eq!(store.usage_bytes(ann.id).await.unwrap(), 10);
    let mut p = put(cal.id, "b.ics", "0123456789", "u2", Expect::Anything);
    p.quota = Some(15);
    assert_eq!(
        store.put_object(p, &c).await,
        Err(StoreError::QuotaExceeded {
            quota: 15,
            needed: 20
        })
    );
    // Replacing an object only counts the difference.
    let mut p = put(cal.id, "a.ics", "012345678901234", "u1", Expect::Anything);
    p.quota = Some(15);
    store.put_object(p, &c).await.unwrap();
}

pub async fn every_write_bumps_the_sync_sequence_and_chains_history(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    let mut last = cal.sync_seq;
    let mut expect_bump = |now: i64| {
        assert!(now > last, "sequence must grow on every write");
        last = now;
    };
    store
        .put_object(put(cal.id, "a.ics", "x", "u", Expect::Anything), &c)
        .await
        .unwrap();
    expect_bump(calendar(store, &ann).await.sync_seq);
    store
        .patch_properties(
            PropertyPatch {
                collection: cal.id,
                object: None,
                set: vec![Property {
                    namespace: "urn:x".into(),
                    name: "p".into(),
                    xml: "<p xmlns=\"urn:x\">1</p>".into(),
                }],
                remove: vec![],
            },
            &c,
        )
        .await
        .unwrap();
    expect_bump(calendar(store, &ann).await.sync_seq);
    store
        .delete_object(cal.id, "a.ics", Expect::Anything, &c)
        .await
        .unwrap();
    let seq = calendar(store, &ann).await.sync_seq;
    expect_bump(seq);
    // A refused write does not move the sequence.
    let _ = store
        .delete_object(cal.id, "a.ics", Expect::Anything, &c)
        .await;
    assert_eq!(calendar(store, &ann).await.sync_seq, seq);

    let versions = store.versions(cal.id).await.unwrap();
    let kinds: Vec<VersionKind> = versions.iter().map(|v| v.kind).collect();
    assert_eq!(
        kinds,
        [
            VersionKind::CollectionCreate,
            VersionKind::Put,
            VersionKind::Properties,
            VersionKind::Delete
        ]
    );
    assert_eq!(versions[1].data.as_deref(), Some(&b"x"[..]));
    assert_eq!(versions[1].change, c);
    assert_eq!(
        crate::history::verify_chain(&versions),
        Ok(versions.len()),
        "the chain verifies"
    );
    let expected = chain_hash(
        versions[1].prev_hash.as_ref(),
        &ChainInput {
            entry: &Entry {
                collection: versions[1].collection,
                seq: versions[1].seq,
                kind: versions[1].kind,
                name: &versions[1].name,
                uid: versions[1].uid.as_deref(),
                etag: versions[1].etag.as_deref(),
                data: versions[1].data.as_deref(),
                merge: None,
            },
            change: &versions[1].change,
            at: versions[1].at,
        },
    );
    assert_eq!(
        versions[1].hash, expected,
        "new rows use the current chain version"
    );
}

fn plain(owner: PrincipalId, path: &str) -> NewCollection {
    NewCollection {
        owner,
        path: path.into(),
        kind: CollectionKind::Plain,
        components: vec![],
        properties: vec![],
        target: None,
    }
}

pub async fn nested_collections_and_recursive_delete(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let c = change("ann");
    assert_eq!(
        store.create_collection(plain(ann.id, "a/b"), &c).await,
        Err(StoreError::ParentMissing)
    );
    store
        .create_collection(plain(ann.id, "a"), &c)
        .await
        .unwrap();
    let b = store
        .create_collection(plain(ann.id, "a/b"), &c)
        .await
        .unwrap();
    assert_eq!(
        store.create_collection(plain(ann.id, "a"), &c).await,
        Err(StoreError::AlreadyExists)
    );
    store
        .put_object(put(b.id, "f.txt", "hello", "f", Expect::Anything), &c)
        .await
        .unwrap();
    let kids = store.child_collections(ann.id, "a").await.unwrap();
    assert_eq!(
        kids.iter().map(|k| k.path.as_str()).collect::<Vec<_>>(),
        ["a/b"]
    );
    store.delete_collection(ann.id, "a", &c).await.unwrap();
    assert!(store.collection(ann.id, "a/b").await.unwrap().is_none());
    assert!(store.collection(ann.id, "a").await.unwrap().is_none());
    assert_eq!(store.usage_bytes(ann.id).await.unwrap(), 0);
    assert_eq!(
        store.delete_collection(ann.id, "a", &c).await,
        Err(StoreError::NotFound)
    );
    // The name can be used again after deletion.
    store
        .create_collection(plain(ann.id, "a"), &c)
        .await
        .unwrap();
}

pub async fn collection_copy_and_move_carry_contents(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let c = change("ann");
    store
        .create_collection(plain(ann.id, "src"), &c)
        .await
        .unwrap();
    let sub = store
        .create_collection(plain(ann.id, "src/sub"), &c)
        .await
        .unwrap();
    store
        .put_object(put(sub.id, "f.txt", "hello", "f", Expect::Anything), &c)
        .await
        .unwrap();
    let transfer = |mode, from: &str, to: &str, overwrite, shallow| CollectionTransfer {
        mode,
        owner: ann.id,
        from: from.into(),
        to: to.into(),
        overwrite,
        shallow,
        quota: None,
    };
    let replaced = store
        .transfer_collection(transfer(TransferMode::Copy, "src", "dst", false, false), &c)
        .await
        .unwrap();
    assert!(!replaced);
    let copied = store
        .collection(ann.id, "dst/sub")
        .await
        .unwrap()
        .expect("deep copy");
    let f = store
        .object(copied.id, "f.txt")
        .await
        .unwrap()
        .expect("file copied");
    assert_eq!(f.data.as_ref(), b"hello");
    assert_eq!(
        store
            .transfer_collection(transfer(TransferMode::Copy, "src", "dst", false, false), &c)
            .await,
        Err(StoreError::PreconditionFailed)
    );
    store
        .transfer_collection(
            transfer(TransferMode::Copy, "src", "shallow", false, true),
            &c,
        )
        .await
        .unwrap();
    assert!(store
        .collection(ann.id, "shallow/sub")
        .await
        .unwrap()
        .is_none());
    let replaced = store
        .transfer_collection(transfer(TransferMode::Move, "src", "dst", true, false), &c)
        .await
        .unwrap();
    assert!(replaced);
    assert!(store.collection(ann.id, "src").await.unwrap().is_none());
    let moved = store
        .collection(ann.id, "dst/sub")
        .await
        .unwrap()
        .expect("moved");
    assert!(store.object(moved.id, "f.txt").await.unwrap().is_some());
    assert_eq!(
        store
            .transfer_collection(transfer(TransferMode::Move, "nope", "x", false, false), &c)
            .await,
        Err(StoreError::NotFound)
    );
}

pub async fn object_copy_and_move_honour_overwrite(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let c = change("ann");
    let a = store
        .create_collection(plain(ann.id, "a"), &c)
        .await
        .unwrap();
    let b = store
        .create_collection(plain(ann.id, "b"), &c)
        .await
        .unwrap();
    store
        .put_object(put(a.id, "x", "one", "x1", Expect::Anything), &c)
        .await
        .unwrap();
    store
        .put_object(put(b.id, "y", "two", "y1", Expect::Anything), &c)
        .await
        .unwrap();
    let t = |mode, overwrite| ObjectTransfer {
        mode,
        from: a.id,
        from_name: "x".into(),
        to: b.id,
        to_name: "y".into(),
        overwrite,
        quota: None,
        reindex: None,
    };
    assert_eq!(
        store
            .transfer_object(t(TransferMode::Copy, false), &c)
            .await,
        Err(StoreError::PreconditionFailed)
    );
    assert!(store
        .transfer_object(t(TransferMode::Copy, true), &c)
        .await
        .unwrap());
    assert_eq!(
        store
            .object(b.id, "y")
            .await
            .unwrap()
            .unwrap()
            .data
            .as_ref(),
        b"one"
    );
    assert!(store.object(a.id, "x").await.unwrap().is_some());
    assert!(store
        .transfer_object(t(TransferMode::Move, true), &c)
        .await
        .unwrap());
    assert!(store.object(a.id, "x").await.unwrap().is_none());
}

pub async fn property_patches_are_all_or_nothing(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    let prop = |name: &str, v: &str| Property {
        namespace: "urn:x".into(),
        name: name.into(),
        xml: format!("<{name} xmlns=\"urn:x\">{v}</{name}>"),
    };
    store
        .patch_properties(
            PropertyPatch {
                collection: cal.id,
                object: None,
                set: vec![prop("a", "1"), prop("b", "2")],
                remove: vec![],
            },
            &c,
        )
        .await
        .unwrap();
    store
        .patch_properties(
            PropertyPatch {
                collection: cal.id,
                object: None,
                set: vec![prop("a", "3")],
                remove: vec![("urn:x".into(), "b".into())],
            },
            &c,
        )
        .await
        .unwrap();
    let props = store.properties(cal.id, None).await.unwrap();
    let mine: Vec<&Property> = props.iter().filter(|p| p.namespace == "urn:x").collect();
    assert_eq!(mine.len(), 1);
    assert!(mine[0].xml.contains('3'));
    store
        .put_object(put(cal.id, "o.ics", "x", "u", Expect::Anything), &c)
        .await
        .unwrap();
    store
        .patch_properties(
            PropertyPatch {
                collection: cal.id,
                object: Some("o.ics".into()),
                set: vec![prop("c", "4")],
                remove: vec![],
            },
            &c,
        )
        .await
        .unwrap();
    let members = store.member_properties(cal.id).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].0, "o.ics");
    assert_eq!(
        store
            .patch_properties(
                PropertyPatch {
                    collection: cal.id,
                    object: Some("missing.ics".into()),
                    set: vec![prop("c", "4")],
                    remove: vec![],
                },
                &c,
            )
            .await,
        Err(StoreError::NotFound)
    );
    // Deleting the object deletes its properties.
    store
        .delete_object(cal.id, "o.ics", Expect::Anything, &c)
        .await
        .unwrap();
    assert!(store.member_properties(cal.id).await.unwrap().is_empty());
}

pub async fn removing_a_user_removes_their_data(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let cal = calendar(store, &ann).await;
    store
        .put_object(
            put(cal.id, "a.ics", "x", "u", Expect::Anything),
            &change("ann"),
        )
        .await
        .unwrap();
    store.remove_user("ann").await.unwrap();
    assert!(store.user_by_name("ann").await.unwrap().is_none());
    assert!(store
        .collection(ann.id, "calendar")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .collection(bob.id, "calendar")
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.remove_user("ann").await, Err(StoreError::NotFound));
}

pub async fn changes_since_reports_each_member_once_with_its_last_state(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    let start = cal.sync_seq;
    for (name, uid) in [("a.ics", "a"), ("b.ics", "b"), ("c.ics", "c")] {
        store
            .put_object(put(cal.id, name, "x", uid, Expect::Anything), &c)
            .await
            .unwrap();
    }
    let mid = calendar(store, &ann).await.sync_seq;
    store
        .put_object(put(cal.id, "a.ics", "y", "a", Expect::Anything), &c)
        .await
        .unwrap();
    store
        .delete_object(cal.id, "b.ics", Expect::Anything, &c)
        .await
        .unwrap();
    let now = calendar(store, &ann).await.sync_seq;
    let all = store.changes_since(cal.id, start, now).await.unwrap();
    let summary: Vec<(&str, bool)> = all.iter().map(|m| (m.name.as_str(), m.deleted)).collect();
    assert_eq!(
        summary,
        [("a.ics", false), ("b.ics", true), ("c.ics", false)]
    );
    let recent = store.changes_since(cal.id, mid, now).await.unwrap();
    let summary: Vec<(&str, bool)> = recent
        .iter()
        .map(|m| (m.name.as_str(), m.deleted))
        .collect();
    assert_eq!(summary, [("a.ics", false), ("b.ics", true)]);
    assert!(store
        .changes_since(cal.id, now, now)
        .await
        .unwrap()
        .is_empty());
}

pub async fn range_prefilter_is_conservative(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    let with_bounds = |name: &str, first: Option<i64>, last: Option<i64>, comp: &str| {
        let mut p = put(cal.id, name, name, name, Expect::Anything);
        p.index.first_start = first;
        p.index.last_end = last;
        p.index.component = Some(comp.into());
        p
    };
    for p in [
        with_bounds("past", Some(0), Some(100), "VEVENT"),
        with_bounds("now", Some(1000), Some(1100), "VEVENT"),
        with_bounds("future", Some(5000), Some(5100), "VEVENT"),
        with_bounds("forever", Some(0), None, "VEVENT"),
        with_bounds("undated", None, None, "VTODO"),
    ] {
        store.put_object(p, &c).await.unwrap();
    }
    let names = |metas: Vec<ObjectMeta>| metas.into_iter().map(|m| m.name).collect::<Vec<_>>();
    let hits = store
        .objects_in_range(cal.id, None, Some(1050), Some(1060))
        .await
        .unwrap();
    assert_eq!(names(hits), ["forever", "now", "undated"]);
    let events = store
        .objects_in_range(cal.id, Some("VEVENT"), Some(1100), None)
        .await
        .unwrap();
    assert_eq!(
        names(events),
        ["forever", "future", "now"],
        "bounds are inclusive"
    );
    let todos = store
        .objects_in_range(cal.id, Some("VTODO"), None, None)
        .await
        .unwrap();
    assert_eq!(names(todos), ["undated"]);
}

fn range(collection: CollectionId, start: i64, end: i64, offset: Option<i64>) -> EventRange {
    EventRange {
        collection,
        start,
        end,
        floating_offset: offset,
        with_data: false,
        slice: Slice::WHOLE,
    }
}

pub async fn instance_index_decides_event_ranges(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    let event = |name: &str, first: i64, last: Option<i64>, index: Option<InstanceIndex>| {
        let mut p = put(cal.id, name, name, name, Expect::Anything);
        p.index.first_start = Some(first);
        p.index.last_end = last;
        p.instances = index;
        p
    };
    let spans = |spans: &[(i64, i64)], complete_until: i64| {
        Some(InstanceIndex {
            spans: spans.to_vec(),
            complete_until,
            floating: false,
        })
    };
    for p in [
        // Weekly-like: instances at 1000 and 3000, none in between.
        event(
            "gaps",
            1000,
            Some(3100),
            spans(&[(1000, 1100), (3000, 3100)], i64::MAX),
        ),
        // A point instance (one second wide) at 2000.
        event("point", 2000, Some(2001), spans(&[(2000, 2001)], i64::MAX)),
        // Unbounded, indexed up to 5000 only.
        event(
            "daily",
            0,
            None,
            spans(&[(0, 10), (2500, 2510), (4990, 5000)], 5000),
        ),
        // Never indexed (floating, say): always left to exact evaluation.
        event("floating", 1500, Some(2500), None),
    ] {
        store.put_object(p, &c).await.unwrap();
    }
    let ask_slices = |start: i64, end: i64, of: u32| async move {
        let (mut matched, mut undecided) = (Vec::<String>::new(), Vec::<String>::new());
        for slice in Slice::all(of) {
            let got = store
                .events_in_range(EventRange {
                    slice,
                    ..range(cal.id, start, end, Some(0))
                })
                .await
                .unwrap();
            matched.extend(got.matched.into_iter().map(|(m, _)| m.name));
            undecided.extend(got.undecided.into_iter().map(|m| m.name));
        }
        matched.sort();
        undecided.sort();
        (matched, undecided)
    };
    // Every answer is checked whole and in slices: the parts are disjoint and add up.
    let ask = |start: i64, end: i64| async move {
        let whole = ask_slices(start, end, 1).await;
        for of in [2, 3] {
            assert_eq!(ask_slices(start, end, of).await, whole, "in {of} slices");
        }
        whole
    };
    let none: Vec<String> = Vec::new();
    assert_eq!(
        ask(1200, 2000).await,
        (none.clone(), vec!["floating".into()])
    );
    assert_eq!(
        ask(2000, 2001).await.0,
        ["point"],
        "a point at the range start matches"
    );
    assert_eq!(ask(1999, 2000).await.0, none, "the range end is exclusive");
    assert_eq!(ask(1100, 1200).await.0, none, "a span's end is exclusive");
    assert_eq!(ask(2505, 2506).await.0, ["daily"]);
    assert_eq!(ask(3050, 3060).await, (vec!["gaps".into()], none.clone()));
    // Beyond what "daily" has indexed: it must be decided exactly.
    assert_eq!(ask(6000, 7000).await, (none.clone(), vec!["daily".into()]));
    // Matched objects are not also reported as undecided.
    assert_eq!(ask(4995, 6000).await, (vec!["daily".into()], none.clone()));

    // Rewriting an object replaces its instances; copying carries them along.
    store
        .put_object(
            event("gaps", 8000, Some(8100), spans(&[(8000, 8100)], i64::MAX)),
            &c,
        )
        .await
        .unwrap();
    assert_eq!(ask(1000, 1001).await.0, none);
    let other = store
        .create_collection(plain(ann.id, "other"), &c)
        .await
        .unwrap();
    store
        .transfer_object(
            ObjectTransfer {
                from: cal.id,
                from_name: "gaps".into(),
                to: other.id,
                to_name: "gaps-copy".into(),
                mode: TransferMode::Copy,
                overwrite: false,
                quota: None,
                reindex: None,
            },
            &c,
        )
        .await
        .unwrap();
    let copied = store
        .events_in_range(EventRange {
            with_data: true,
            ..range(other.id, 8050, 8051, Some(0))
        })
        .await
        .unwrap();
    assert_eq!(copied.matched.len(), 1, "{copied:?}");
    assert_eq!(
        copied.matched[0].1.as_deref(),
        Some(&b"gaps"[..]),
        "data comes along"
    );
    store
        .delete_object(cal.id, "gaps", Expect::Anything, &c)
        .await
        .unwrap();
    assert_eq!(ask(8050, 8051).await.0, none);
}

pub async fn floating_instances_follow_the_query_zone(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    // Wall-clock 10:00-11:00 (as seconds 36_000-39_600), bounds widened as analyze does.
    let mut p = put(cal.id, "lunch", "lunch", "lunch", Expect::Anything);
    p.index.first_start = Some(36_000 - 50_400);
    p.index.last_end = Some(39_600 + 50_400);
    p.instances = Some(InstanceIndex {
        spans: vec![(36_000, 39_600)],
        complete_until: i64::MAX,
        floating: true,
    });
    store.put_object(p, &c).await.unwrap();
    let ask = |start: i64, end: i64, offset: Option<i64>| async move {
        let got = store
            .events_in_range(range(cal.id, start, end, offset))
            .await
            .unwrap();
        let names = |v: Vec<ObjectMeta>| v.into_iter().map(|m| m.name).collect::<Vec<_>>();
        (
            names(got.matched.into_iter().map(|(m, _)| m).collect()),
            names(got.undecided),
        )
    };
    let none: Vec<String> = Vec::new();
    let lunch = vec!["lunch".to_string()];
    // Read in UTC: 10:00Z. Read two hours east (UTC+2): 08:00Z.
    assert_eq!(
        ask(36_000, 36_001, Some(0)).await,
        (lunch.clone(), none.clone())
    );
    assert_eq!(
        ask(28_800, 28_801, Some(7200)).await,
        (lunch.clone(), none.clone())
    );
    assert_eq!(
        ask(36_000, 36_001, Some(7200)).await,
        (none.clone(), none.clone())
    );
    // No constant offset (a DST change nearby): decided exactly.
    assert_eq!(ask(28_800, 28_801, None).await, (none, lunch));
}

/// Pages walk a collection once, in name order, with all of `objects` but the index.
pub async fn objects_are_listed_in_pages(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    for i in 0..7 {
        let name = format!("o{i}.ics");
        store
            .put_object(put(cal.id, &name, &name, &name, Expect::Anything), &c)
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.objects_page(cal.id, after.clone(), 3).await.unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(last.name.clone());
        seen.extend(page);
    }
    // A listing carries all the metadata but the index (see `Store::objects_page`).
    let all: Vec<ObjectMeta> = store
        .objects(cal.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| ObjectMeta {
            index: ObjectIndex::default(),
            ..m
        })
        .collect();
    assert_eq!(seen, all, "pages walk every object once, in name order");
    assert_eq!(store.object_count(cal.id).await.unwrap(), 7);
    store
        .delete_object(cal.id, "o3.ics", Expect::Anything, &c)
        .await
        .unwrap();
    assert_eq!(store.object_count(cal.id).await.unwrap(), 6);
}

/// Several writers with the same If-Match at the same moment: exactly one wins, the others
/// see the precondition fail, and the history records the winner once.
pub async fn concurrent_conditional_writes_have_one_winner(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    let first = store
        .put_object(put(cal.id, "a.ics", "v0", "u", Expect::Absent), &c)
        .await
        .unwrap();
    for round in 0..5 {
        let current = store.object(cal.id, "a.ics").await.unwrap().unwrap();
        let attempt = |writer: usize| {
            let data = format!("round {round} writer {writer}");
            let p = put(
                cal.id,
                "a.ics",
                &data,
                "u",
                Expect::Etag(current.meta.etag.clone()),
            );
            async move { store.put_object(p, &change(&format!("w{writer}"))).await }
        };
        let results = tokio::join!(attempt(0), attempt(1), attempt(2), attempt(3));
        let results = [results.0, results.1, results.2, results.3];
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: {results:?}");
        assert!(results
            .iter()
            .all(|r| r.is_ok() || *r == Err(StoreError::PreconditionFailed)));
    }
    let versions = store.versions(cal.id).await.unwrap();
    let puts = versions
        .iter()
        .filter(|v| v.kind == VersionKind::Put)
        .count();
    assert_eq!(puts, 6, "the first write and one winner per round");
    assert_eq!(crate::history::verify_chain(&versions), Ok(versions.len()));
    let stored = store.object(cal.id, "a.ics").await.unwrap().unwrap();
    assert_ne!(stored.meta.etag, first.etag);
    assert_eq!(Some(stored.meta.etag), versions.last().unwrap().etag);
}

/// Fills `from` with every kind of row, copies it into the empty `to`, and checks that the
/// copy is exact, that its chains verify and that writes continue where the source stopped.
pub async fn a_copy_keeps_every_row_and_every_chain<S: Store + crate::dump::Dump>(
    from: &S,
    to: &S,
) {
    use crate::dump::{copy, verify_copy};
    let ann = user(from, "ann").await;
    let bob = user(from, "bob").await;
    let cal = calendar(from, &ann).await;
    let c = change("ann");
    let phone = NewToken {
        owner: ann.id,
        label: "phone".into(),
        hash: "0123".into(),
        scope: TokenScope::All,
    };
    from.create_token(phone).await.unwrap();
    for i in 0..7 {
        let mut p = put(
            cal.id,
            &format!("e{i}.ics"),
            &format!("event {i}"),
            &format!("u{i}"),
            Expect::Anything,
        );
        p.instances = Some(InstanceIndex {
            spans: vec![(i * 100, i * 100 + 50), (i * 1000, i * 1000 + 50)],
            complete_until: 10_000,
            floating: i % 2 == 0,
        });
        from.put_object(p, &c).await.unwrap();
    }
    // The edit is a merge, whose parents come along too.
    let mut edited = put(cal.id, "e1.ics", "event 1 edited", "u1", Expect::Anything);
    edited.merge = Some(Merge {
        base: "b".into(),
        theirs: "t".into(),
        ours: b"event 1 ours".to_vec(),
    });
    from.put_object(edited, &c).await.unwrap();
    from.delete_object(cal.id, "e2.ics", Expect::Anything, &c)
        .await
        .unwrap();
    from.patch_properties(
        PropertyPatch {
            collection: cal.id,
            object: Some("e3.ics".into()),
            set: vec![Property {
                namespace: "urn:x".into(),
                name: "p".into(),
                xml: "<p xmlns=\"urn:x\">é</p>".into(),
            }],
            remove: vec![],
        },
        &c,
    )
    .await
    .unwrap();
    from.create_collection(plain(bob.id, "gone"), &change("bob"))
        .await
        .unwrap();
    from.delete_collection(bob.id, "gone", &change("bob"))
        .await
        .unwrap();
    let team = from.create_group("team", Some("Team")).await.unwrap();
    from.add_member(team.id, bob.id, true, &c).await.unwrap();
    from.grant(
        cal.id,
        Grantee::User(bob.id),
        Privilege::ReadWrite,
        true,
        &c,
    )
    .await
    .unwrap();
    from.grant(cal.id, Grantee::Group(team.id), Privilege::Read, true, &c)
        .await
        .unwrap();
    let no_progress = |_: usize, _: usize, _: &str| {};

    let report = copy(from, to, &no_progress).await.unwrap();
    assert_eq!(report.principals, 2);
    assert_eq!(report.tokens, 1);
    assert_eq!(report.grants, 2);
    assert_eq!(report.objects, 6);
    verify_copy(from, to, &no_progress).await.unwrap();
    assert_eq!(
        copy(from, to, &no_progress).await.map(|_| ()),
        Err(StoreError::Conflict(
            "the target store is not empty: a copy only goes into a new, empty store".into()
        )),
        "a second copy into the same store is refused"
    );

    let copied = to.collection(ann.id, "calendar").await.unwrap().unwrap();
    assert_eq!(
        copied,
        calendar(from, &ann).await,
        "ids and sync sequence are kept"
    );
    let versions = to.versions(cal.id).await.unwrap();
    assert_eq!(crate::history::verify_chain(&versions), Ok(versions.len()));
    assert_eq!(
        to.grants(cal.id).await.unwrap(),
        from.grants(cal.id).await.unwrap()
    );
    assert_eq!(to.group_members(team.id).await.unwrap().len(), 1);
    let bound = to.collection(bob.id, "ann-calendar").await.unwrap();
    assert_eq!(
        bound.unwrap().target,
        Some(cal.id),
        "bindings keep their target"
    );
    let deleted = to.history_collections(Some(bob.id)).await.unwrap();
    assert!(deleted
        .iter()
        .any(|h| h.collection.path == "gone" && h.deleted_at.is_some()));
    let got = to
        .events_in_range(range(cal.id, 2950, 3100, Some(0)))
        .await
        .unwrap();
    assert_eq!(
        got.matched.len(),
        1,
        "the instance index came along: {got:?}"
    );

    // Writes continue on the copy: fresh ids, a growing sequence, an unbroken chain.
    let carol = user(to, "carol").await;
    assert!(carol.id > bob.id);
    to.put_object(put(cal.id, "new.ics", "new", "new", Expect::Absent), &c)
        .await
        .unwrap();
    let after = to.collection(ann.id, "calendar").await.unwrap().unwrap();
    assert!(after.sync_seq > copied.sync_seq);
    let versions = to.versions(cal.id).await.unwrap();
    assert_eq!(crate::history::verify_chain(&versions), Ok(versions.len()));
    let changes = to
        .changes_since(cal.id, copied.sync_seq, after.sync_seq)
        .await
        .unwrap();
    assert_eq!(
        changes,
        vec![ChangedMember {
            name: "new.ics".into(),
            deleted: false
        }]
    );
    assert!(
        verify_copy(from, to, &no_progress).await.is_err(),
        "verification notices a difference"
    );
}

/// Paths are compared whole, in characters: a non-ASCII parent finds its children, and
/// deleting it takes them along.
pub async fn non_ascii_collection_names_keep_their_children(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let c = change("ann");
    store
        .create_collection(plain(ann.id, "été"), &c)
        .await
        .unwrap();
    store
        .create_collection(plain(ann.id, "été/août"), &c)
        .await
        .unwrap();
    let children = store.child_collections(ann.id, "été").await.unwrap();
    assert_eq!(children.len(), 1, "{children:?}");
    assert_eq!(children[0].path, "été/août");
    store.delete_collection(ann.id, "été", &c).await.unwrap();
    assert_eq!(store.collection(ann.id, "été/août").await.unwrap(), None);
}

/// The backends once drifted here: one advanced the sequence before its checks ran (a
/// rollback undid it, but the rule is: decide first, then write).
pub async fn refused_writes_leave_sequence_and_history_alone(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    store
        .put_object(put(cal.id, "a.ics", "x", "u", Expect::Absent), &c)
        .await
        .unwrap();
    let before = calendar(store, &ann).await.sync_seq;
    let versions = store.versions(cal.id).await.unwrap().len();
    let refused = [
        store
            .put_object(put(cal.id, "a.ics", "y", "u", Expect::Absent), &c)
            .await,
        store
            .put_object(put(cal.id, "b.ics", "y", "u", Expect::Anything), &c)
            .await,
    ];
    assert!(refused.iter().all(Result::is_err));
    assert!(store
        .delete_object(cal.id, "a.ics", Expect::Etag("old".into()), &c)
        .await
        .is_err());
    assert_eq!(calendar(store, &ann).await.sync_seq, before);
    assert_eq!(store.versions(cal.id).await.unwrap().len(), versions);
    assert_eq!(
        store.changes_since(cal.id, before, i64::MAX).await.unwrap(),
        vec![]
    );
}

/// The backends once copied objects in different orders; a copy's history lists them by
/// name, each at the one sequence number of the copy.
pub async fn a_copied_calendar_records_its_objects_in_name_order(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    for name in ["c.ics", "a.ics", "b.ics"] {
        store
            .put_object(put(cal.id, name, name, name, Expect::Absent), &c)
            .await
            .unwrap();
    }
    let copy = CollectionTransfer {
        mode: TransferMode::Copy,
        owner: ann.id,
        from: "calendar".into(),
        to: "copy".into(),
        overwrite: false,
        shallow: false,
        quota: None,
    };
    store.transfer_collection(copy, &c).await.unwrap();
    let copied = store.collection(ann.id, "copy").await.unwrap().unwrap();
    let puts: Vec<(String, i64)> = store
        .versions(copied.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.kind == VersionKind::Put)
        .map(|v| (v.name, v.seq))
        .collect();
    let seq = copied.sync_seq;
    assert_eq!(
        puts,
        [
            ("a.ics".into(), seq),
            ("b.ics".into(), seq),
            ("c.ics".into(), seq)
        ]
    );
    let objects = store.objects(copied.id).await.unwrap();
    assert!(objects.iter().all(|m| m.modified_seq == seq));
}

/// The backends once answered in different orders (one by name, one as asked).
pub async fn multiget_answers_in_the_order_asked_each_object_once(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    for name in ["a.ics", "b.ics", "c.ics"] {
        store
            .put_object(put(cal.id, name, name, name, Expect::Absent), &c)
            .await
            .unwrap();
    }
    let asked: Vec<String> = ["c.ics", "missing.ics", "a.ics", "c.ics", "b.ics"]
        .into_iter()
        .map(String::from)
        .collect();
    let found: Vec<String> = store
        .objects_by_name(cal.id, &asked)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.meta.name)
        .collect();
    assert_eq!(found, ["c.ics", "a.ics", "b.ics"]);
}

pub async fn app_passwords_are_found_by_hash_until_revoked(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let token = |owner: &User, label: &str, hash: &str| NewToken {
        owner: owner.id,
        label: label.into(),
        hash: hash.into(),
        scope: TokenScope::ReadOnly,
    };
    let phone = store
        .create_token(token(&ann, "phone", "h1"))
        .await
        .unwrap();
    assert_eq!(
        (phone.label.as_str(), phone.scope),
        ("phone", TokenScope::ReadOnly)
    );
    assert_eq!(phone.last_used_at, None);
    assert_eq!(
        store.create_token(token(&ann, "phone", "h2")).await,
        Err(StoreError::AlreadyExists),
        "a label names one token of its user"
    );
    store
        .create_token(token(&bob, "phone", "h3"))
        .await
        .unwrap();
    store
        .create_token(token(&ann, "laptop", "h4"))
        .await
        .unwrap();
    let labels: Vec<String> = store
        .tokens(ann.id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.label)
        .collect();
    assert_eq!(labels, ["laptop", "phone"]);
    let (found, found_token) = store.user_by_token("ann", "h1").await.unwrap().unwrap();
    assert_eq!((found.id, found_token.id), (ann.id, phone.id));
    assert_eq!(
        store.user_by_token("bob", "h1").await.unwrap(),
        None,
        "another user's token"
    );
    store.token_used(phone.id, 1234).await.unwrap();
    let used = store.tokens(ann.id).await.unwrap();
    assert_eq!(
        used.iter()
            .find(|t| t.label == "phone")
            .unwrap()
            .last_used_at,
        Some(1234)
    );
    store.revoke_token(ann.id, "phone").await.unwrap();
    assert_eq!(store.user_by_token("ann", "h1").await.unwrap(), None);
    assert_eq!(
        store.revoke_token(ann.id, "phone").await,
        Err(StoreError::NotFound)
    );
    assert!(store.user_by_token("bob", "h3").await.unwrap().is_some());
    assert!(!store.user_by_name("ann").await.unwrap().unwrap().admin);
    store.set_admin("ann", true).await.unwrap();
    assert!(store.user_by_name("ann").await.unwrap().unwrap().admin);
    assert_eq!(
        store.set_admin("nobody", true).await,
        Err(StoreError::NotFound)
    );
}

/// Grants reach users by name, through groups, and through the owner's home (delegation);
/// the greatest wins. Read or more binds a calendar into the sharee's home once.
pub async fn grants_reach_users_through_groups_and_homes(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let carl = user(store, "carl").await;
    let dave = user(store, "dave").await;
    let cal = calendar(store, &ann).await;
    let by_ann = change("ann");
    let privilege = |u: PrincipalId| store.privilege(u, cal.id);
    assert_eq!(privilege(bob.id).await.unwrap(), None);

    store
        .grant(
            cal.id,
            Grantee::User(bob.id),
            Privilege::Read,
            true,
            &by_ann,
        )
        .await
        .unwrap();
    assert_eq!(privilege(bob.id).await.unwrap(), Some(Privilege::Read));
    let binding = store.collection(bob.id, "ann-calendar").await.unwrap();
    let binding = binding.expect("bob finds ann's calendar in his home");
    assert_eq!(
        (binding.kind, binding.target, binding.components.clone()),
        (CollectionKind::Shared, Some(cal.id), cal.components.clone())
    );
    let props = store.properties(binding.id, None).await.unwrap();
    assert!(
        props
            .iter()
            .any(|p| p.name == "displayname" && p.xml.contains("Calendar")),
        "the binding starts with the calendar's name: {props:?}"
    );
    assert_eq!(
        store
            .collection_by_id(binding.target.unwrap())
            .await
            .unwrap(),
        Some(cal.clone())
    );

    // Changing a grant changes the privilege, not the binding.
    store
        .grant(
            cal.id,
            Grantee::User(bob.id),
            Privilege::ReadWrite,
            true,
            &by_ann,
        )
        .await
        .unwrap();
    assert_eq!(privilege(bob.id).await.unwrap(), Some(Privilege::ReadWrite));
    let homes = store.child_collections(bob.id, "").await.unwrap();
    let paths: Vec<&str> = homes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["ann-calendar", "calendar", "inbox", "outbox"]);

    // A group: free-busy reaches its members without a binding, read with one.
    let team = store.create_group("team", Some("The team")).await.unwrap();
    assert_eq!(
        store.create_group("team", None).await,
        Err(StoreError::AlreadyExists)
    );
    store
        .add_member(team.id, carl.id, true, &by_ann)
        .await
        .unwrap();
    store
        .add_member(team.id, bob.id, true, &by_ann)
        .await
        .unwrap();
    store
        .grant(
            cal.id,
            Grantee::Group(team.id),
            Privilege::FreeBusy,
            true,
            &by_ann,
        )
        .await
        .unwrap();
    assert_eq!(privilege(carl.id).await.unwrap(), Some(Privilege::FreeBusy));
    assert_eq!(
        privilege(bob.id).await.unwrap(),
        Some(Privilege::ReadWrite),
        "the greatest grant counts"
    );
    assert_eq!(
        store.collection(carl.id, "ann-calendar").await.unwrap(),
        None
    );
    store
        .grant(
            cal.id,
            Grantee::Group(team.id),
            Privilege::Read,
            true,
            &by_ann,
        )
        .await
        .unwrap();
    assert!(store
        .collection(carl.id, "ann-calendar")
        .await
        .unwrap()
        .is_some());
    let grants = store.grants(cal.id).await.unwrap();
    let listed: Vec<(&str, Privilege)> = grants
        .iter()
        .map(|g| (g.grantee_name.as_str(), g.privilege))
        .collect();
    assert_eq!(
        listed,
        [("bob", Privilege::ReadWrite), ("team", Privilege::Read)],
        "users first, then groups"
    );
    assert_eq!(grants[0].created_by, "ann");
    let by_owner = store.grants_by_owner(ann.id).await.unwrap();
    assert_eq!(by_owner, grants, "ann's grants, wherever they are");
    assert!(store.grants_by_owner(bob.id).await.unwrap().is_empty());
    let members: Vec<String> = store
        .group_members(team.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(members, ["bob", "carl"]);
    assert_eq!(store.groups_of(carl.id).await.unwrap(), vec![team.clone()]);
    assert_eq!(
        store.group_by_name("team").await.unwrap(),
        Some(team.clone())
    );

    // A grant on the home reaches every calendar in it, and binds nothing.
    let home = store.collection(ann.id, "").await.unwrap().unwrap();
    store
        .grant(
            home.id,
            Grantee::User(dave.id),
            Privilege::ReadWrite,
            true,
            &by_ann,
        )
        .await
        .unwrap();
    assert_eq!(
        privilege(dave.id).await.unwrap(),
        Some(Privilege::ReadWrite)
    );
    // Dave's first calendar and his scheduling inbox and outbox; no binding.
    assert_eq!(store.child_collections(dave.id, "").await.unwrap().len(), 3);

    let reachable = store.reachable(bob.id).await.unwrap();
    let seen: Vec<(&str, &str, Privilege)> = reachable
        .iter()
        .map(|r| {
            (
                r.owner_name.as_str(),
                r.collection.path.as_str(),
                r.privilege,
            )
        })
        .collect();
    assert_eq!(seen, [("ann", "calendar", Privilege::ReadWrite)]);
    assert!(store.reachable(ann.id).await.unwrap().is_empty());

    // What cannot be granted.
    let refused = |why: &str| Err(StoreError::Conflict(why.into()));
    assert_eq!(
        store
            .grant(
                cal.id,
                Grantee::User(ann.id),
                Privilege::Read,
                true,
                &by_ann
            )
            .await,
        refused("the owner has every privilege already")
    );
    assert_eq!(
        store
            .grant(
                cal.id,
                Grantee::User(bob.id),
                Privilege::Owner,
                true,
                &by_ann
            )
            .await,
        refused("ownership cannot be granted")
    );
    assert_eq!(
        store
            .grant(
                binding.id,
                Grantee::User(carl.id),
                Privilege::Read,
                true,
                &change("bob")
            )
            .await,
        refused("a shared calendar is shared by its owner, not by its sharees")
    );
    assert!(
        store
            .create_collection(plain(bob.id, "ann-calendar/x"), &change("bob"))
            .await
            .is_err(),
        "a binding holds no collections"
    );
}

/// A binding goes (into history) when its user can no longer read the calendar: the grant
/// revoked, the group left or removed. A name already taken gets a number.
pub async fn bindings_go_when_read_is_lost(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let carl = user(store, "carl").await;
    let cal = calendar(store, &ann).await;
    let by_ann = change("ann");
    store
        .create_collection(plain(bob.id, "ann-calendar"), &change("bob"))
        .await
        .unwrap();
    store
        .grant(
            cal.id,
            Grantee::User(bob.id),
            Privilege::Read,
            true,
            &by_ann,
        )
        .await
        .unwrap();
    let bound = store.collection(bob.id, "ann-calendar-2").await.unwrap();
    assert_eq!(
        bound.unwrap().target,
        Some(cal.id),
        "the taken name got a number"
    );
    let team = store.create_group("team", None).await.unwrap();
    store
        .add_member(team.id, bob.id, true, &by_ann)
        .await
        .unwrap();
    store
        .add_member(team.id, carl.id, true, &by_ann)
        .await
        .unwrap();
    store
        .grant(
            cal.id,
            Grantee::Group(team.id),
            Privilege::Read,
            true,
            &by_ann,
        )
        .await
        .unwrap();
    assert!(store
        .collection(carl.id, "ann-calendar")
        .await
        .unwrap()
        .is_some());

    // Bob still reads through the group: his binding stays.
    store
        .revoke(cal.id, Grantee::User(bob.id), &by_ann)
        .await
        .unwrap();
    assert!(store
        .collection(bob.id, "ann-calendar-2")
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store.revoke(cal.id, Grantee::User(bob.id), &by_ann).await,
        Err(StoreError::NotFound)
    );
    store.remove_member(team.id, bob.id, &by_ann).await.unwrap();
    assert_eq!(
        store.collection(bob.id, "ann-calendar-2").await.unwrap(),
        None
    );
    assert_eq!(store.privilege(bob.id, cal.id).await.unwrap(), None);
    let history = store.history_collections(Some(bob.id)).await.unwrap();
    assert!(
        history
            .iter()
            .any(|h| h.collection.path == "ann-calendar-2" && h.deleted_at.is_some()),
        "the lost binding is in bob's history"
    );
    assert_eq!(
        store.remove_member(team.id, bob.id, &by_ann).await,
        Err(StoreError::NotFound)
    );

    // Without `bind` a grant gives access but no binding (shares still to be accepted).
    store
        .grant(
            cal.id,
            Grantee::User(bob.id),
            Privilege::Read,
            false,
            &by_ann,
        )
        .await
        .unwrap();
    assert_eq!(
        store.privilege(bob.id, cal.id).await.unwrap(),
        Some(Privilege::Read)
    );
    assert_eq!(
        store.collection(bob.id, "ann-calendar-2").await.unwrap(),
        None
    );
    let accepted = store.accept(cal.id, bob.id, &change("bob")).await.unwrap();
    assert_eq!(
        (accepted.path.as_str(), accepted.target),
        ("ann-calendar-2", Some(cal.id))
    );
    let again = store.accept(cal.id, bob.id, &change("bob")).await.unwrap();
    assert_eq!(again.id, accepted.id, "accepting twice binds once");

    store.remove_group("team", &by_ann).await.unwrap();
    assert_eq!(
        store
            .accept(cal.id, carl.id, &change("carl"))
            .await
            .map(|_| ()),
        Err(StoreError::NotFound),
        "nothing to accept without a grant"
    );
    assert_eq!(
        store.collection(carl.id, "ann-calendar").await.unwrap(),
        None
    );
    assert_eq!(store.grants(cal.id).await.unwrap().len(), 1);
    assert!(store.groups().await.unwrap().is_empty());
    assert_eq!(
        store.remove_group("team", &by_ann).await,
        Err(StoreError::NotFound)
    );

    // A deleted calendar reaches no one; its owner's removal takes grants and bindings.
    store
        .grant(
            cal.id,
            Grantee::User(carl.id),
            Privilege::Read,
            true,
            &by_ann,
        )
        .await
        .unwrap();
    store
        .delete_collection(ann.id, "calendar", &by_ann)
        .await
        .unwrap();
    assert!(store.reachable(carl.id).await.unwrap().is_empty());
    store.remove_user("ann").await.unwrap();
    assert_eq!(
        store.collection(carl.id, "ann-calendar").await.unwrap(),
        None
    );
    assert_eq!(store.privilege(carl.id, cal.id).await.unwrap(), None);
    let kept = store.collection(carl.id, "calendar").await.unwrap();
    assert!(kept.is_some(), "carl's own calendar is untouched");
}

/// How others see a user: display name and e-mail, set and cleared.
pub async fn users_have_details_others_see(store: &dyn Store) {
    let mut new = new_user("ann");
    new.display_name = Some("Ann Smith".into());
    let ann = store.create_user(new).await.unwrap();
    assert_eq!(ann.display_name.as_deref(), Some("Ann Smith"));
    store
        .set_details("ann", Some("Ann S."), Some("ann@example.org"))
        .await
        .unwrap();
    let ann = store.user_by_name("ann").await.unwrap().unwrap();
    assert_eq!(
        (ann.display_name.as_deref(), ann.email.as_deref()),
        (Some("Ann S."), Some("ann@example.org"))
    );
    store.set_details("ann", None, None).await.unwrap();
    let ann = store.user_by_name("ann").await.unwrap().unwrap();
    assert_eq!((ann.display_name, ann.email), (None, None));
    assert_eq!(
        store.set_details("nobody", None, None).await,
        Err(StoreError::NotFound)
    );
}

pub async fn status_counts_users_and_live_objects(store: &dyn Store) {
    let fresh = store.status().await.unwrap();
    assert!(fresh.schema_current(), "{fresh:?}");
    assert!(fresh.schema > 0);
    assert_eq!((fresh.users, fresh.objects), (0, 0));
    let ann = user(store, "ann").await;
    user(store, "bob").await;
    let cal = calendar(store, &ann).await;
    for n in ["a", "b"] {
        let data = format!("BEGIN:VCALENDAR\r\nUID:{n}\r\nEND:VCALENDAR\r\n");
        let put = put(cal.id, &format!("{n}.ics"), &data, n, Expect::Absent);
        store.put_object(put, &change("ann")).await.unwrap();
    }
    let now = store.status().await.unwrap();
    assert_eq!((now.users, now.objects), (2, 2));
    store
        .delete_collection(ann.id, "calendar", &change("ann"))
        .await
        .unwrap();
    assert_eq!(
        store.status().await.unwrap().objects,
        0,
        "a deleted calendar's objects"
    );
}

pub async fn scheduling_collections_come_with_the_account_and_stay(store: &dyn Store) {
    use crate::rules::scheduling::{INBOX_PATH, OUTBOX_PATH};
    let ann = user(store, "ann").await;
    let c = change("ann");
    let inbox = store.collection(ann.id, INBOX_PATH).await.unwrap().unwrap();
    let outbox = store
        .collection(ann.id, OUTBOX_PATH)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inbox.kind, CollectionKind::ScheduleInbox);
    assert_eq!(outbox.kind, CollectionKind::ScheduleOutbox);
    assert!(inbox.is_scheduling() && outbox.is_scheduling());
    let fixed = |r: Result<()>| matches!(r, Err(StoreError::Conflict(_)));
    assert!(fixed(store.delete_collection(ann.id, INBOX_PATH, &c).await));
    let moved = CollectionTransfer {
        mode: TransferMode::Move,
        owner: ann.id,
        from: OUTBOX_PATH.into(),
        to: "elsewhere".into(),
        overwrite: false,
        shallow: false,
        quota: None,
    };
    assert!(fixed(
        store.transfer_collection(moved, &c).await.map(|_| ())
    ));
    // Nor may a copy replace one.
    let replaced = CollectionTransfer {
        mode: TransferMode::Copy,
        owner: ann.id,
        from: "calendar".into(),
        to: INBOX_PATH.into(),
        overwrite: true,
        shallow: false,
        quota: None,
    };
    assert!(fixed(
        store.transfer_collection(replaced, &c).await.map(|_| ())
    ));
    let inside = NewCollection {
        owner: ann.id,
        path: format!("{INBOX_PATH}/x"),
        kind: CollectionKind::Plain,
        components: vec![],
        properties: vec![],
        target: None,
    };
    assert!(matches!(
        store.create_collection(inside, &c).await,
        Err(StoreError::Conflict(_))
    ));
    // Messages are stored in the inbox like any member, and recorded.
    let before = inbox.sync_seq;
    store
        .put_object(put(inbox.id, "m.ics", "x", "u", Expect::Absent), &c)
        .await
        .unwrap();
    let inbox = store.collection(ann.id, INBOX_PATH).await.unwrap().unwrap();
    assert_eq!(inbox.sync_seq, before + 1);
    assert!(store
        .collection(ann.id, OUTBOX_PATH)
        .await
        .unwrap()
        .is_some());
}

pub async fn objects_are_found_by_uid_in_all_of_a_users_collections(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let c = change("ann");
    let cal = calendar(store, &ann).await;
    let work = store
        .create_collection(
            NewCollection {
                owner: ann.id,
                path: "work".into(),
                kind: CollectionKind::Calendar,
                components: vec!["VEVENT".into()],
                properties: vec![],
                target: None,
            },
            &c,
        )
        .await
        .unwrap();
    for (collection, name, uid) in [
        (cal.id, "a.ics", "meeting"),
        (work.id, "b.ics", "meeting"),
        (work.id, "c.ics", "other"),
    ] {
        store
            .put_object(put(collection, name, "x", uid, Expect::Absent), &c)
            .await
            .unwrap();
    }
    let bobs = calendar(store, &bob).await;
    store
        .put_object(put(bobs.id, "a.ics", "x", "meeting", Expect::Absent), &c)
        .await
        .unwrap();
    let found = store.objects_by_uid(ann.id, "meeting").await.unwrap();
    let at: Vec<(CollectionId, &str)> = found
        .iter()
        .map(|o| (o.meta.collection, o.meta.name.as_str()))
        .collect();
    assert_eq!(at, [(cal.id, "a.ics"), (work.id, "b.ics")]);
    assert_eq!(found[0].data.as_ref(), b"x");
    // A deleted calendar's objects are not found.
    store.delete_collection(ann.id, "work", &c).await.unwrap();
    let found = store.objects_by_uid(ann.id, "meeting").await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(store
        .objects_by_uid(ann.id, "nothing")
        .await
        .unwrap()
        .is_empty());
}

/// Pruning drops only the data a later version replaced, records itself, and reports its
/// size; the latest state of every object keeps its data.
pub async fn pruning_drops_replaced_data_and_keeps_the_latest(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    for body in ["one", "two"] {
        let write = put(cal.id, "a.ics", body, "u", Expect::Anything);
        store.put_object(write, &c).await.unwrap();
    }
    let write = put(cal.id, "b.ics", "only", "v", Expect::Anything);
    store.put_object(write, &c).await.unwrap();
    let before = store.history_stats().await.unwrap();
    let stats = before.iter().find(|s| s.collection == cal.id).unwrap();
    let rows = store.versions(cal.id).await.unwrap().len();
    assert_eq!((stats.versions, stats.pruned), (rows as u64, 0));
    assert!(stats.data_bytes > 0);

    let pruned = store.prune_history(i64::MAX, &c).await.unwrap();
    assert_eq!(pruned, 1, "only the first version of a.ics was replaced");
    let versions = store.versions(cal.id).await.unwrap();
    let with_data: Vec<(&str, bool)> = versions
        .iter()
        .filter(|v| v.kind == VersionKind::Put)
        .map(|v| (v.name.as_str(), v.data.is_some()))
        .collect();
    assert_eq!(
        with_data,
        [("a.ics", false), ("a.ics", true), ("b.ics", true)]
    );
    assert_eq!(versions.last().map(|v| v.kind), Some(VersionKind::Prune));
    let after = store.history_stats().await.unwrap();
    let stats = after.iter().find(|s| s.collection == cal.id).unwrap();
    assert_eq!(stats.pruned, 1);
    assert_eq!(store.prune_history(i64::MAX, &c).await.unwrap(), 0);
}
