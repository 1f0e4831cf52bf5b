//! What every backend must show about an account's state: a disabled account is found by
//! no sign-in lookup (password or app password) yet keeps its data, its listing and its
//! shares, and comes back whole when enabled; a quota set on an existing account is the
//! one its next write is held to.

use super::{calendar, change, put, user};
use crate::*;

pub async fn a_disabled_account_cannot_sign_in_and_keeps_its_data(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    store
        .put_object(
            put(cal.id, "a.ics", "0123456789", "u1", Expect::Anything),
            &c,
        )
        .await
        .unwrap();
    let phone = NewToken {
        owner: ann.id,
        label: "phone".into(),
        hash: "h-ann".into(),
        scope: TokenScope::All,
    };
    store.create_token(phone).await.unwrap();
    store
        .grant(cal.id, Grantee::User(bob.id), Privilege::Read, true, &c)
        .await
        .unwrap();

    store.set_disabled("ann", true).await.unwrap();
    assert_eq!(store.user_by_name("ann").await.unwrap(), None, "no sign-in");
    assert_eq!(store.user_by_token("ann", "h-ann").await.unwrap(), None);
    let found = store.account_by_name("ann").await.unwrap().unwrap();
    assert!(found.disabled, "administration still finds it, marked");
    assert!(store.user_by_id(ann.id).await.unwrap().unwrap().disabled);
    let listed = store.list_users().await.unwrap();
    let states: Vec<(&str, bool)> = listed
        .iter()
        .map(|u| (u.name.as_str(), u.disabled))
        .collect();
    assert_eq!(states, [("ann", true), ("bob", false)]);
    // Its data, its app passwords and what it shares stay as they were.
    assert_eq!(store.usage_bytes(ann.id).await.unwrap(), 10);
    assert_eq!(store.objects(cal.id).await.unwrap().len(), 1);
    assert_eq!(store.tokens(ann.id).await.unwrap().len(), 1);
    assert_eq!(
        store.privilege(bob.id, cal.id).await.unwrap(),
        Some(Privilege::Read)
    );
    assert_eq!(store.reachable(bob.id).await.unwrap().len(), 1);
    assert!(store.user_by_name("bob").await.unwrap().is_some());

    store.set_disabled("ann", false).await.unwrap();
    let back = store.user_by_name("ann").await.unwrap().unwrap();
    assert_eq!(back, ann, "enabled again, the account is as it was");
    let (by_token, _) = store.user_by_token("ann", "h-ann").await.unwrap().unwrap();
    assert_eq!(by_token.id, ann.id);
    assert_eq!(
        store.set_disabled("nobody", true).await,
        Err(StoreError::NotFound)
    );
}

pub async fn a_changed_quota_holds_the_next_write(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let cal = calendar(store, &ann).await;
    let c = change("ann");
    assert_eq!(ann.quota_bytes, None);
    store.set_quota("ann", Some(15)).await.unwrap();
    let quota = store
        .user_by_name("ann")
        .await
        .unwrap()
        .unwrap()
        .quota_bytes;
    assert_eq!(quota, Some(15));
    assert_eq!(store.list_users().await.unwrap()[0].quota_bytes, Some(15));
    let mut p = put(cal.id, "a.ics", "0123456789", "u1", Expect::Anything);
    p.quota = quota;
    store.put_object(p, &c).await.unwrap();
    let mut p = put(cal.id, "b.ics", "0123456789", "u2", Expect::Anything);
    p.quota = store.user_by_id(ann.id).await.unwrap().unwrap().quota_bytes;
    assert_eq!(
        store.put_object(p, &c).await,
        Err(StoreError::QuotaExceeded {
            quota: 15,
            needed: 20
        })
    );
    store.set_quota("ann", Some(u64::MAX)).await.unwrap();
    let huge = store
        .user_by_name("ann")
        .await
        .unwrap()
        .unwrap()
        .quota_bytes;
    assert!(
        huge >= Some(i64::MAX as u64),
        "a huge quota stays huge: {huge:?}"
    );
    store.set_quota("ann", None).await.unwrap();
    let back = store
        .user_by_name("ann")
        .await
        .unwrap()
        .unwrap()
        .quota_bytes;
    assert_eq!(back, None, "back to the server's default");
    assert_eq!(
        store.set_quota("nobody", Some(1)).await,
        Err(StoreError::NotFound)
    );
}
