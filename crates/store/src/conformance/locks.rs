//! What every backend must show about WebDAV locks: writes inside their transaction honour
//! them, conflicts follow scope and depth, refresh and UNLOCK name a live lock, expired
//! locks are as if they were not there, and removed URLs end their locks.

use bytes::Bytes;

use super::{calendar, change, put, user};
use crate::*;

fn lock(token: &str, home: PrincipalId, path: &str, scope: LockScope, deep: bool) -> NewLock {
    NewLock {
        token: token.into(),
        home,
        path: path.into(),
        principal: home,
        scope,
        deep,
        owner: Some("<D:owner xmlns:D=\"DAV:\">ann's phone</D:owner>".into()),
        timeout_secs: 600,
        empty_resource: None,
    }
}

/// A WebDAV request's change by `author` as `principal`, submitting `tokens`.
fn claiming(author: &str, principal: PrincipalId, tokens: &[&str]) -> Change {
    Change {
        locks: Some(LockClaim {
            principal,
            tokens: tokens.iter().map(|t| t.to_string()).collect(),
        }),
        ..change(author)
    }
}

fn locked(roots: &[&str]) -> StoreError {
    StoreError::Locked {
        roots: roots.iter().map(|r| r.to_string()).collect(),
    }
}

pub async fn locks_hold_every_write_without_their_token(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let cal = calendar(store, &ann).await;
    let admin = change("admin");
    store
        .put_object(put(cal.id, "a.ics", "v1", "a", Expect::Absent), &admin)
        .await
        .unwrap();
    let taken = store
        .create_lock(
            lock(
                "urn:uuid:1",
                ann.id,
                "calendar/a.ics",
                LockScope::Exclusive,
                false,
            ),
            &admin,
        )
        .await
        .unwrap();
    assert_eq!(taken.path, "calendar/a.ics");
    assert!(taken.expires_at > taken.created_at);
    assert_eq!(
        store.locks(ann.id).await.unwrap(),
        std::slice::from_ref(&taken)
    );
    assert!(store.locks(bob.id).await.unwrap().is_empty());

    let without = claiming("ann", ann.id, &[]);
    let with = claiming("ann", ann.id, &["urn:uuid:1"]);
    let bobs = claiming("bob", bob.id, &["urn:uuid:1"]);
    let write = |data: &str| put(cal.id, "a.ics", data, "a", Expect::Anything);
    for refused in [&without, &bobs] {
        assert_eq!(
            store.put_object(write("v2"), refused).await,
            Err(locked(&["calendar/a.ics"]))
        );
        assert_eq!(
            store
                .delete_object(cal.id, "a.ics", Expect::Anything, refused)
                .await,
            Err(locked(&["calendar/a.ics"]))
        );
        let patch = PropertyPatch {
            collection: cal.id,
            object: Some("a.ics".into()),
            set: vec![Property::displayname("x")],
            remove: vec![],
        };
        assert_eq!(
            store.patch_properties(patch, refused).await,
            Err(locked(&["calendar/a.ics"]))
        );
        // Removing the calendar removes the locked member.
        assert_eq!(
            store.delete_collection(ann.id, "calendar", refused).await,
            Err(locked(&["calendar/a.ics"]))
        );
        let moved = ObjectTransfer {
            mode: TransferMode::Move,
            from: cal.id,
            from_name: "a.ics".into(),
            to: cal.id,
            to_name: "b.ics".into(),
            overwrite: true,
            quota: None,
            reindex: None,
        };
        assert_eq!(
            store.transfer_object(moved, refused).await,
            Err(locked(&["calendar/a.ics"]))
        );
    }
    // A refused write stored nothing; a copy of the locked resource is not locked.
    let stored = store.object(cal.id, "a.ics").await.unwrap().unwrap();
    assert_eq!(stored.data, Bytes::from_static(b"v1"));
    let elsewhere = store
        .create_collection(super::plain(ann.id, "files"), &admin)
        .await
        .unwrap();
    let copy = ObjectTransfer {
        mode: TransferMode::Copy,
        from: cal.id,
        from_name: "a.ics".into(),
        to: elsewhere.id,
        to_name: "copy.ics".into(),
        overwrite: true,
        quota: None,
        reindex: None,
    };
    assert_eq!(store.transfer_object(copy, &without).await, Ok(false));
    // With the token, and for writes that are not WebDAV requests, it goes through.
    store.put_object(write("v3"), &with).await.unwrap();
    store.put_object(write("v4"), &admin).await.unwrap();
    // Other URLs are free.
    store
        .put_object(put(cal.id, "other.ics", "o", "o", Expect::Absent), &without)
        .await
        .unwrap();
    // The lock outlives the writes and a new connection reads it.
    assert_eq!(store.locks(ann.id).await.unwrap().len(), 1);
    store
        .remove_lock(ann.id, "calendar/a.ics", "urn:uuid:1", ann.id)
        .await
        .unwrap();
    store.put_object(write("v5"), &without).await.unwrap();
}

pub async fn lock_conflicts_follow_scope_and_depth(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let c = change("ann");
    let conflict = |roots: &[&str]| StoreError::LockConflict {
        roots: roots.iter().map(|r| r.to_string()).collect(),
    };
    let take = |token: &str, path: &str, scope, deep| {
        let new = lock(token, ann.id, path, scope, deep);
        let c = c.clone();
        async move { store.create_lock(new, &c).await.map(|l| l.token) }
    };
    use LockScope::{Exclusive, Shared};
    take("e", "calendar/a.ics", Exclusive, false).await.unwrap();
    assert_eq!(
        take("x", "calendar/a.ics", Shared, false).await,
        Err(conflict(&["calendar/a.ics"]))
    );
    // A deep lock above meets the lock below it; a shallow one does not.
    assert_eq!(
        take("x", "calendar", Shared, true).await,
        Err(conflict(&["calendar/a.ics"]))
    );
    take("s1", "calendar", Shared, false).await.unwrap();
    take("s2", "calendar", Shared, false).await.unwrap();
    assert_eq!(
        take("x", "calendar", Exclusive, false).await,
        Err(conflict(&["calendar"]))
    );
    take("d", "other", Shared, true).await.unwrap();
    assert_eq!(
        take("x", "other/deep/below", Exclusive, false).await,
        Err(conflict(&["other"]))
    );
    take("s3", "other/deep/below", Shared, false).await.unwrap();
    let tokens: Vec<String> = store
        .locks(ann.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.token)
        .collect();
    assert_eq!(tokens, ["s1", "s2", "e", "d", "s3"]);
}

pub async fn refresh_and_unlock_name_a_live_lock_of_its_principal(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let c = change("ann");
    let mut new = lock("t", ann.id, "calendar", LockScope::Exclusive, true);
    new.timeout_secs = 60;
    let taken = store.create_lock(new, &c).await.unwrap();
    let claim = |principal, token: &str| LockClaim {
        principal,
        tokens: vec![token.to_owned()],
    };
    // Refreshed through a member of the depth-infinity lock (RFC 4918 §9.10.2).
    let renewed = store
        .refresh_locks(ann.id, "calendar/x.ics", &claim(ann.id, "t"), 3_600)
        .await
        .unwrap();
    assert_eq!(renewed.len(), 1);
    assert_eq!(renewed[0].timeout_secs, 3_600);
    assert!(renewed[0].expires_at >= taken.expires_at + 3_540_000);
    assert_eq!(store.locks(ann.id).await.unwrap(), renewed);
    for wrong in [claim(ann.id, "nope"), claim(bob.id, "t")] {
        assert_eq!(
            store.refresh_locks(ann.id, "calendar", &wrong, 60).await,
            Err(StoreError::PreconditionFailed)
        );
    }
    assert_eq!(
        store.remove_lock(ann.id, "elsewhere", "t", ann.id).await,
        Err(StoreError::NoSuchLock)
    );
    assert_eq!(
        store.remove_lock(ann.id, "calendar", "bogus", ann.id).await,
        Err(StoreError::NoSuchLock)
    );
    assert_eq!(
        store.remove_lock(ann.id, "calendar", "t", bob.id).await,
        Err(StoreError::NotLockOwner)
    );
    store
        .remove_lock(ann.id, "calendar/x.ics", "t", ann.id)
        .await
        .unwrap();
    assert!(store.locks(ann.id).await.unwrap().is_empty());
}

pub async fn expired_locks_are_as_if_they_were_not_there(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let mut new = lock("gone", ann.id, "calendar", LockScope::Exclusive, true);
    new.timeout_secs = 0;
    store.create_lock(new, &change("ann")).await.unwrap();
    assert!(store.locks(ann.id).await.unwrap().is_empty());
    let nobody = claiming("ann", ann.id, &[]);
    store
        .put_object(put(cal.id, "a.ics", "v", "a", Expect::Absent), &nobody)
        .await
        .unwrap();
    store
        .create_lock(
            lock("new", ann.id, "calendar", LockScope::Exclusive, true),
            &nobody,
        )
        .await
        .unwrap();
    assert_eq!(
        store.remove_lock(ann.id, "calendar", "gone", ann.id).await,
        Err(StoreError::NoSuchLock)
    );
}

pub async fn a_locked_unmapped_url_gets_an_empty_resource_whose_removal_ends_the_lock(
    store: &dyn Store,
) {
    let ann = user(store, "ann").await;
    let dav = store
        .create_collection(super::plain(ann.id, "webdav"), &change("ann"))
        .await
        .unwrap();
    let mut new = lock("t", ann.id, "webdav/new.txt", LockScope::Exclusive, false);
    new.empty_resource = Some((dav.id, "new.txt".into()));
    store.create_lock(new, &change("ann")).await.unwrap();
    let empty = store.object(dav.id, "new.txt").await.unwrap().unwrap();
    assert!(empty.data.is_empty());
    assert_eq!(empty.meta.size, 0);
    let with = claiming("ann", ann.id, &["t"]);
    assert_eq!(
        store
            .delete_object(
                dav.id,
                "new.txt",
                Expect::Anything,
                &claiming("ann", ann.id, &[])
            )
            .await,
        Err(locked(&["webdav/new.txt"]))
    );
    store
        .delete_object(dav.id, "new.txt", Expect::Anything, &with)
        .await
        .unwrap();
    assert!(store.locks(ann.id).await.unwrap().is_empty());
    // A lock on a collection's membership (depth 0) holds up new members.
    store
        .create_lock(
            lock("m", ann.id, "webdav", LockScope::Exclusive, false),
            &with,
        )
        .await
        .unwrap();
    let mut inside = lock("u", ann.id, "webdav/x", LockScope::Exclusive, false);
    inside.empty_resource = Some((dav.id, "x".into()));
    assert_eq!(
        store
            .create_lock(inside, &claiming("ann", ann.id, &[]))
            .await,
        Err(locked(&["webdav"]))
    );
    assert!(store.object(dav.id, "x").await.unwrap().is_none());
}

/// A merged edit's history row names its parents, its chain verifies with them, and the
/// base a stale If-Match names is found by its ETag.
pub async fn merged_versions_name_their_parents(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    let base = store
        .put_object(put(cal.id, "a.ics", "base", "a", Expect::Absent), &c)
        .await
        .unwrap();
    let theirs = store
        .put_object(
            put(
                cal.id,
                "a.ics",
                "theirs",
                "a",
                Expect::Etag(base.etag.clone()),
            ),
            &c,
        )
        .await
        .unwrap();
    let mut merged = put(
        cal.id,
        "a.ics",
        "merged",
        "a",
        Expect::Etag(theirs.etag.clone()),
    );
    let parents = Merge {
        base: base.etag.clone(),
        theirs: theirs.etag.clone(),
        ours: b"ours".to_vec(),
    };
    merged.merge = Some(parents.clone());
    store.put_object(merged, &c).await.unwrap();
    let versions = store.versions(cal.id).await.unwrap();
    let last = versions.last().unwrap();
    assert_eq!(last.merge.as_ref(), Some(&parents));
    assert_eq!(last.data.as_deref(), Some(&b"merged"[..]));
    assert!(versions[..versions.len() - 1]
        .iter()
        .all(|v| v.merge.is_none()));
    assert_eq!(crate::history::verify_chain(&versions), Ok(versions.len()));
    // The parents are covered by the hash: a row claiming other parents does not verify.
    let mut forged = versions.clone();
    if let Some(m) = forged.last_mut().and_then(|v| v.merge.as_mut()) {
        m.base = theirs.etag.clone();
    }
    assert!(crate::history::verify_chain(&forged).is_err());
    let found = store
        .version_with_etag(cal.id, "a.ics", &base.etag)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.data.as_deref(), Some(&b"base"[..]));
    assert_eq!(
        store
            .version_with_etag(cal.id, "a.ics", "unknown")
            .await
            .unwrap(),
        None
    );
}

/// Whether a home has locks is kept on its collections: one created while the home is
/// locked is held by the lock too, and removing the last lock frees them all.
pub async fn collections_created_under_a_lock_are_held_by_it(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let with = claiming("ann", ann.id, &["home"]);
    let without = claiming("ann", ann.id, &[]);
    store
        .create_lock(lock("home", ann.id, "", LockScope::Exclusive, true), &with)
        .await
        .unwrap();
    let mut new = super::plain(ann.id, "later");
    new.kind = CollectionKind::Calendar;
    new.components = vec!["VEVENT".into()];
    assert_eq!(
        store
            .create_collection(new.clone(), &without)
            .await
            .map(drop),
        Err(locked(&[""]))
    );
    let later = store.create_collection(new, &with).await.unwrap();
    let write = |name: &str| put(later.id, name, "v", name, Expect::Absent);
    assert_eq!(
        store.put_object(write("a.ics"), &without).await.map(drop),
        Err(locked(&[""]))
    );
    store.put_object(write("a.ics"), &with).await.unwrap();
    store.remove_lock(ann.id, "", "home", ann.id).await.unwrap();
    store.put_object(write("b.ics"), &without).await.unwrap();
    // Locked again: every collection is held again, the new one too.
    store
        .create_lock(lock("again", ann.id, "", LockScope::Exclusive, true), &with)
        .await
        .unwrap();
    assert_eq!(
        store.put_object(write("c.ics"), &without).await.map(drop),
        Err(locked(&[""]))
    );
}
