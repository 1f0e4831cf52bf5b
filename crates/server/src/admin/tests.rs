#![allow(clippy::unwrap_used)]

use store::conformance::put;
use store::{Change, Expect, Store};

use super::*;
use crate::{Backend, Location};

const EVENT: &str = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTART:20261124T120000Z\r\n\
    SUMMARY:Lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

async fn open(dir: &tempfile::TempDir, name: &str) -> Backend {
    Backend::open(&Location::Sqlite(dir.path().join(name)))
        .await
        .unwrap()
}

fn by_ann() -> Change {
    Change {
        author: "ann".into(),
        client: Some("test".into()),
        address: None,
        locks: None,
    }
}

/// ann with one event, `calendar/a.ics`, which `deleted` deletes again.
async fn ann_with_event(store: &dyn Store, deleted: bool) -> Target {
    let ann = Account {
        quota: Some(1_000_000),
        ..Account::named("ann")
    };
    add_user(store, &ann, "pw").await.unwrap();
    let target = resolve(store, "ann/calendar").await.unwrap();
    let id = target.calendar.as_ref().unwrap().collection.id;
    let write = put(id, "a.ics", EVENT, "u", Expect::Absent);
    store.put_object(write, &by_ann()).await.unwrap();
    if deleted {
        let change = by_ann();
        let gone = store.delete_object(id, "a.ics", Expect::Anything, &change);
        gone.await.unwrap();
    }
    target
}

#[test]
fn user_names_are_plain() {
    for good in ["ann", "a.b_c-d@example.org", &"x".repeat(64)] {
        assert!(check_user_name(good).is_ok(), "{good}");
    }
    for bad in ["", "a/b", "ann smith", "é", &"x".repeat(65)] {
        let e = check_user_name(bad).unwrap_err();
        assert!(matches!(e, AdminError::BadUserName(_)), "{bad}");
    }
}

#[tokio::test]
async fn accounts_are_added_listed_changed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, "db").await;
    assert_eq!(
        UserList(&store.list_users().await.unwrap()).to_string(),
        "No users. Add one with `calvault user add NAME`."
    );
    let ann = Account {
        email: Some("ann@example.org".into()),
        quota: Some(5),
        ..Account::named("ann")
    };
    add_user(&*store, &ann, "pw").await.unwrap();
    add_user(&*store, &Account::named("bob"), "pw")
        .await
        .unwrap();
    assert!(store
        .collection(existing_user(&*store, "ann").await.unwrap().id, "calendar")
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        UserList(&store.list_users().await.unwrap()).to_string(),
        "ann\tann@example.org\tquota 5 bytes\nbob\t-\t"
    );
    let exists = ensure_new_user(&*store, "ann").await.unwrap_err();
    assert!(
        exists.to_string().contains("calvault user passwd ann"),
        "{exists}"
    );
    let again = add_user(&*store, &Account::named("ann"), "pw")
        .await
        .unwrap_err();
    assert_eq!(again.to_string(), "user \"ann\" already exists");

    set_password(&*store, "ann", "new").await.unwrap();
    let hash = existing_user(&*store, "ann").await.unwrap().password_hash;
    assert!(crate::password::verify("new", &hash) && !crate::password::verify("pw", &hash));

    remove_user(&*store, "ann").await.unwrap();
    let gone = existing_user(&*store, "ann").await.unwrap_err();
    assert_eq!(
        gone.to_string(),
        "there is no user \"ann\" (see `calvault user list`)"
    );
    let twice = remove_user(&*store, "ann").await.unwrap_err();
    assert_eq!(twice.to_string(), "there is no user \"ann\"");
}

#[tokio::test]
async fn targets_name_a_user_a_calendar_or_an_object() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, "db").await;
    ann_with_event(&*store, false).await;
    let user = resolve(&*store, "ann").await.unwrap();
    assert!(user.calendar.is_none() && user.object.is_none());
    assert!(user.calendar("revert").is_err());
    assert_eq!(
        user.collections(&*store).await.unwrap().len(),
        4,
        "home, calendar and the scheduling inbox and outbox"
    );
    let object = resolve(&*store, "/ann/calendar/a.ics/").await.unwrap();
    assert_eq!(object.object.as_deref(), Some("a.ics"));
    assert_eq!(
        object.calendar("revert").unwrap().collection.path,
        "calendar"
    );
    assert_eq!(object.collections(&*store).await.unwrap().len(), 1);
    let e = resolve(&*store, "ann/work").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "user \"ann\" has no calendar \"work\"; their calendars are: calendar"
    );
    assert!(matches!(
        resolve(&*store, "bob").await.unwrap_err(),
        AdminError::NoSuchUser(_)
    ));
    assert_eq!(
        parse_time("2026-11-21T13:50:00+01:00").unwrap(),
        1_795_265_400_000
    );
    assert!(parse_time("yesterday")
        .unwrap_err()
        .to_string()
        .contains("RFC 3339"));
}

#[tokio::test]
async fn an_undelete_is_planned_then_carried_out_as_the_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, "db").await;
    let target = resolve(&*store, "ann/calendar/a.ics").await;
    assert!(target.is_err(), "no ann yet");
    ann_with_event(&*store, true).await;
    let target = resolve(&*store, "ann/calendar/a.ics").await.unwrap();

    let planned = Restore::undelete(&target, None).unwrap();
    let planned = planned.prepare(&*store).await.unwrap();
    assert!(!planned.changes_nothing());
    let plan = planned.plan().to_string();
    assert!(
        plan.starts_with("Plan for ann/calendar:\n  recreate a.ics from version"),
        "{plan}"
    );
    let done = planned.carry_out(&*store).await.unwrap();
    let outcome = planned.outcome(&done);
    assert!(outcome
        .to_string()
        .starts_with("Done: 1 written, 0 failed, 0 skipped."));
    assert!(outcome.failure_note().is_none());

    let calendar = target.calendar.as_ref().unwrap().collection.id;
    let latest = store.versions(calendar).await.unwrap().pop().unwrap();
    assert!(
        latest.change.author.starts_with("admin:"),
        "{:?}",
        latest.change
    );
    assert_eq!(latest.change.client.as_deref(), Some("calvault undelete"));

    let again = Restore::undelete(&target, None).unwrap();
    let e = again.prepare(&*store).await.map(|_| ()).unwrap_err();
    assert!(matches!(e, AdminError::Refused(_)), "{e}");
}

#[tokio::test]
async fn restore_words_are_checked_in_the_order_the_commands_report_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, "db").await;
    let calendar = ann_with_event(&*store, false).await;
    let object = resolve(&*store, "ann/calendar/a.ics").await.unwrap();
    let user = resolve(&*store, "ann").await.unwrap();

    let e = Restore::revert(&calendar, "3").map(|_| ()).unwrap_err();
    assert_eq!(e.to_string(), "revert needs USER/CALENDAR/OBJECT");
    let e = Restore::undelete(&user, None).map(|_| ()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "undelete needs USER/CALENDAR, not just a user"
    );
    let e = Restore::rollback(&object, Some("x"), None, None)
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(e, AdminError::RollbackOfOneEvent));

    // Words that make no request are reported when the calendar itself is fine.
    let both = Restore::undelete(&object, Some("2026-01-01T00:00:00Z")).unwrap();
    let e = both.prepare(&*store).await.map(|_| ()).unwrap_err();
    assert!(matches!(e, AdminError::ObjectAndDeletedSince), "{e}");
    let how = Restore::rollback(&calendar, None, Some("DAVx5"), None).unwrap();
    let e = how.prepare(&*store).await.map(|_| ()).unwrap_err();
    assert!(matches!(e, AdminError::RollbackNeedsTimeOrClient), "{e}");
    let live = Restore::undelete(&calendar, None).unwrap();
    let e = live.prepare(&*store).await.map(|_| ()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the calendar ann/calendar is not deleted; name an object (USER/CALENDAR/OBJECT) or \
         use --deleted-since TIME"
    );

    // Inside a deleted calendar the calendar comes first, whatever the words.
    store
        .delete_collection(user.user.id, "calendar", &by_ann())
        .await
        .unwrap();
    let gone = deleted(&*store, "ann").await.unwrap();
    assert!(
        gone.to_string().starts_with("ann/calendar  deleted "),
        "{gone}"
    );
    let object = resolve(&*store, "ann/calendar/a.ics").await.unwrap();
    let bad_time = Restore::revert(&object, "soon").unwrap();
    let e = bad_time.prepare(&*store).await.map(|_| ()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the calendar is deleted; bring it back first with `calvault undelete`"
    );
    let inside = Restore::undelete(&object, None).unwrap();
    let e = inside.prepare(&*store).await.map(|_| ()).unwrap_err();
    assert!(matches!(e, AdminError::UndeleteCalendarFirst(ref at) if at == "ann/calendar"));
    let whole = resolve(&*store, "ann/calendar").await.unwrap();
    let planned = Restore::undelete(&whole, None)
        .unwrap()
        .prepare(&*store)
        .await
        .unwrap();
    assert_eq!(
        planned.plan().to_string(),
        "Plan: restore the deleted calendar ann/calendar with its 1 objects and history."
    );
    let done = planned.carry_out(&*store).await.unwrap();
    assert_eq!(planned.outcome(&done).to_string(), "Restored ann/calendar.");
}

#[tokio::test]
async fn versions_are_shown_diffed_and_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, "db").await;
    let target = ann_with_event(&*store, false).await;
    let id = target.calendar.as_ref().unwrap().collection.id;
    let changed = EVENT.replace("Lunch", "Brunch");
    let write = put(id, "a.ics", &changed, "u", Expect::Present);
    store.put_object(write, &by_ann()).await.unwrap();
    let ids: Vec<i64> = store
        .versions(id)
        .await
        .unwrap()
        .iter()
        .filter(|v| v.name == "a.ics")
        .map(|v| v.id)
        .collect();
    let changed = diff(&*store, ids[0], ids[1]).await.unwrap();
    assert_eq!(changed.changes.len(), 1);
    assert_eq!(changed.changes[0].property, "SUMMARY");
    let listed = changes(
        &*store,
        "ann/calendar/a.ics",
        None,
        Some("TEST".into()),
        None,
    );
    assert_eq!(
        listed.await.unwrap().len(),
        2,
        "created and changed, newest first"
    );
    let later = changes(&*store, "ann", Some("2999-01-01T00:00:00Z"), None, None);
    assert!(later.await.unwrap().is_empty());
    let limited = changes(&*store, "ann", None, None, Some(1)).await.unwrap();
    assert_eq!(limited[0].version.id, ids[1]);
    let home = store.versions(id).await.unwrap()[0].id;
    let e = diff(&*store, home, ids[1]).await.unwrap_err();
    assert!(
        e.to_string().ends_with("(a.ics) are of different objects"),
        "{e}"
    );
    assert!(matches!(
        version(&*store, 9999).await,
        Err(AdminError::NoSuchVersion(9999))
    ));

    let pruned = prune(&*store, "2999-01-01T00:00:00Z").await.unwrap();
    assert_eq!(pruned.versions, 1, "the first a.ics was replaced");
    assert_eq!(
        pruned.to_string(),
        "Dropped the data of 1 superseded versions older than 2999-01-01T00:00:00Z; the chains \
         still verify."
    );
}

#[tokio::test]
async fn a_copy_goes_into_an_empty_store_and_is_verified() {
    let dir = tempfile::tempdir().unwrap();
    let missing = Location::Sqlite(dir.path().join("none.db"));
    let other = Location::Sqlite(dir.path().join("other.db"));
    assert!(matches!(
        check_copy(&other, &other),
        Err(AdminError::SameStore)
    ));
    let e = check_copy(&missing, &other).unwrap_err();
    assert!(
        e.to_string().starts_with("there is no SQLite database at"),
        "{e}"
    );

    let source = open(&dir, "a.db").await;
    ann_with_event(&*source, true).await;
    let target = open(&dir, "b.db").await;
    check_copy(source.location(), target.location()).unwrap();
    let copied = copy(&source, &target, &|_, _, _| {}).await.unwrap();
    assert_eq!((copied.report.principals, copied.report.objects), (1, 0));
    assert!(copied.to.ends_with("b.db"), "{}", copied.to);
    let verified = verify(&source, &target, &|_, _, _| {}).await.unwrap();
    // Home, calendar, scheduling inbox and outbox.
    assert_eq!(verified.chains, 4);
    assert!(verified
        .to_string()
        .contains("the 4 history chains of the copy verify"));

    let e = copy(&source, &target, &|_, _, _| {}).await.unwrap_err();
    assert!(e.to_string().contains("stopped part way"), "{e}");
}

#[tokio::test]
async fn app_passwords_are_added_listed_and_revoked_by_label() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, "db").await;
    add_user(&*store, &Account::named("ann"), "pw")
        .await
        .unwrap();
    assert!(token_list(&*store, "ann")
        .await
        .unwrap()
        .to_string()
        .starts_with("No app passwords"));
    let (token, secret) = add_token(&*store, "ann", "phone", store::TokenScope::ReadOnly)
        .await
        .unwrap();
    assert_eq!(token.label, "phone");
    assert!(secret.to_string().starts_with("cv1-"));
    let listed = token_list(&*store, "ann").await.unwrap().to_string();
    assert!(listed.starts_with("phone\tread-only\tcreated "), "{listed}");
    assert!(listed.ends_with("last used never"), "{listed}");
    assert!(!listed.contains(&secret.to_string()));
    let again = add_token(&*store, "ann", "phone", store::TokenScope::All).await;
    assert!(matches!(again, Err(AdminError::TokenExists(..))));
    assert!(matches!(
        add_token(&*store, "nobody", "x", store::TokenScope::All).await,
        Err(AdminError::NoSuchUser(_))
    ));
    revoke_token(&*store, "ann", "phone").await.unwrap();
    assert!(matches!(
        revoke_token(&*store, "ann", "phone").await,
        Err(AdminError::NoSuchToken(..))
    ));
    set_admin(&*store, "ann", true).await.unwrap();
    assert!(UserList(&store.list_users().await.unwrap())
        .to_string()
        .contains("administrator"));
    assert!(matches!(
        set_admin(&*store, "nobody", true).await,
        Err(AdminError::NoSuchUser(_))
    ));
}

#[tokio::test]
async fn accounts_are_disabled_enabled_and_given_a_new_quota() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, "db").await;
    add_user(&*store, &Account::named("ann"), "pw")
        .await
        .unwrap();
    set_disabled(&*store, "ann", true).await.unwrap();
    assert_eq!(
        UserList(&store.list_users().await.unwrap()).to_string(),
        "ann\t-\t\tdisabled"
    );
    assert!(store.user_by_name("ann").await.unwrap().is_none());
    assert!(
        existing_user(&*store, "ann").await.unwrap().disabled,
        "administration still finds a disabled account"
    );
    let taken = ensure_new_user(&*store, "ann").await.unwrap_err();
    assert!(matches!(taken, AdminError::UserExists(_)), "{taken}");
    set_disabled(&*store, "ann", false).await.unwrap();
    assert!(store.user_by_name("ann").await.unwrap().is_some());

    set_quota(&*store, "ann", parse_quota("2 MB").unwrap())
        .await
        .unwrap();
    assert_eq!(
        UserList(&store.list_users().await.unwrap()).to_string(),
        "ann\t-\tquota 2000000 bytes"
    );
    set_quota(&*store, "ann", parse_quota("default").unwrap())
        .await
        .unwrap();
    assert_eq!(
        existing_user(&*store, "ann").await.unwrap().quota_bytes,
        None
    );
    for missing in [
        set_disabled(&*store, "nobody", true).await,
        set_quota(&*store, "nobody", Some(1)).await,
    ] {
        let e = missing.unwrap_err();
        assert_eq!(
            e.to_string(),
            "there is no user \"nobody\" (see `calvault user list`)"
        );
    }
}
