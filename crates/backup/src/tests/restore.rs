//! Restores: every conflict policy, mirroring, dry runs, and every way a write can fail,
//! against a scripted target.

use bytes::Bytes;

use super::scripted::{home, Scripted, HOME};
use super::{backup_request, event, new_repo, Recorder};
use crate::error::Error;
use crate::restore::{
    carry_out, pick_snapshot, plan, snapshot_sources, Action, Applied, ConflictKind, FailureKind,
    KeptBecause, Mapping, OnConflict, Options, Outcome, RestorePlan, SourceCalendar, SourceObject,
};
use crate::take::{take, BackupRequest};
use crate::Selection;

const OLD: &str = "20260101T000000Z";
const NEW: &str = "20260201T000000Z";

fn object(name: &str, data: &str) -> SourceObject {
    SourceObject {
        name: name.to_owned(),
        uid: crate::facts::uid_of(data.as_bytes()),
        data: Bytes::from(data.to_owned()),
    }
}

/// The backed-up `work` calendar: a.ics and b.ics.
fn work() -> SourceCalendar {
    SourceCalendar {
        name: "work".into(),
        props: client::CalendarProps {
            displayname: Some("Work".into()),
            color: Some("#3A7BD5FF".into()),
            components: vec!["VEVENT".into()],
            ..Default::default()
        },
        objects: vec![
            object("a.ics", &event("a", "Stand-up", NEW)),
            object("b.ics", &event("b", "Review", NEW)),
        ],
        sharees: Vec::new(),
    }
}

fn options(on_conflict: OnConflict) -> Options {
    Options {
        calendars: Vec::new(),
        dry_run: false,
        on_conflict,
        mirror: false,
    }
}

/// A target already holding `work` with the same properties.
fn target_with_work() -> Scripted {
    let target = Scripted::default();
    target.add_calendar("work", "Work");
    target
        .state()
        .calendars
        .get_mut("work")
        .unwrap()
        .props
        .color = Some("#3A7BD5FF".into());
    target
}

async fn plan_for(target: &Scripted, sources: &[SourceCalendar], options: &Options) -> RestorePlan {
    plan(target, &home(), sources, options).await.unwrap()
}

async fn restore(target: &Scripted, sources: &[SourceCalendar], options: &Options) -> Applied {
    let plan = plan_for(target, sources, options).await;
    match carry_out(target, &plan, &Recorder::default())
        .await
        .unwrap()
    {
        Outcome::Applied(applied) => applied,
        Outcome::DryRun => panic!("not a dry run"),
    }
}

#[tokio::test]
async fn into_an_empty_account_it_creates_the_calendar_and_every_object() {
    let target = Scripted::default();
    let plan = plan_for(&target, &[work()], &options(OnConflict::Skip)).await;
    assert_eq!(
        plan.to_string(),
        "plan:\n  work -> work (new calendar): 2 to create, 0 to update, 0 to delete, 0 unchanged, \
         0 conflict(s)"
    );
    let observer = Recorder::default();
    let Outcome::Applied(applied) = carry_out(&target, &plan, &observer).await.unwrap() else {
        panic!("written")
    };
    assert_eq!(
        target.writes(),
        [
            "MKCALENDAR work",
            "PUT work/a.ics if-none-match *",
            "PUT work/b.ics if-none-match *"
        ]
    );
    assert_eq!(
        target.data("work", "a.ics").unwrap(),
        event("a", "Stand-up", NEW)
    );
    let props = target.state().calendars["work"].props.clone();
    assert_eq!(props.displayname.as_deref(), Some("Work"));
    assert_eq!(props.components, ["VEVENT"]);
    assert_eq!(
        (applied.written, applied.deleted, applied.failed.len()),
        (2, 0, 0)
    );
    assert!(applied.to_string().starts_with(
        "done: 2 object(s) written, 0 deleted, 0 unchanged, 0 conflict(s) skipped, 0 failed"
    ));
    assert_eq!(
        observer.lines(),
        ["writing 2", "wrote 1", "wrote 1", "writing done"]
    );
    assert!(applied.failure_note().is_none());
}

#[tokio::test]
async fn run_again_it_finds_everything_in_place_and_writes_nothing() {
    let target = Scripted::default();
    restore(&target, &[work()], &options(OnConflict::Overwrite)).await;
    // The server refolds what it stores: still the same content.
    let refolded = event("a", "Stand-up", NEW).replace("SUMMARY:Stand-up", "SUMMARY:Stand\r\n -up");
    target.store("work", "a.ics", &refolded);
    let writes = target.writes().len();
    let plan = plan_for(&target, &[work()], &options(OnConflict::Overwrite)).await;
    assert_eq!(plan.calendars[0].unchanged, 2);
    assert!(plan.calendars[0].writes.is_empty() && plan.calendars[0].create.is_none());
    let applied = restore(&target, &[work()], &options(OnConflict::Overwrite)).await;
    assert_eq!(applied.unchanged, 2);
    assert_eq!(target.writes().len(), writes);
}

/// The target's a.ics was edited since the backup (an older DTSTAMP: `older`).
async fn target_with_other_a(stamp: &str) -> Scripted {
    let target = target_with_work();
    target.store("work", "a.ics", &event("a", "Edited on the target", stamp));
    target
}

#[tokio::test]
async fn skip_leaves_the_other_version_alone_and_reports_it() {
    let target = target_with_other_a(OLD).await;
    let plan = plan_for(&target, &[work()], &options(OnConflict::Skip)).await;
    let text = plan.to_string();
    assert!(
        text.contains("    skip (conflict): work/a.ics: the target holds another version\n")
            || text.ends_with("    skip (conflict): work/a.ics: the target holds another version"),
        "{text}"
    );
    let applied = restore(&target, &[work()], &options(OnConflict::Skip)).await;
    assert_eq!(target.writes(), ["PUT work/b.ics if-none-match *"]);
    assert!(target
        .data("work", "a.ics")
        .unwrap()
        .contains("Edited on the target"));
    assert_eq!((applied.written, applied.conflicts), (1, 1));
}

#[tokio::test]
async fn overwrite_replaces_the_version_the_plan_saw() {
    let target = target_with_other_a(OLD).await;
    let etag = target.state().calendars["work"].objects["a.ics"]
        .etag
        .clone()
        .unwrap();
    restore(&target, &[work()], &options(OnConflict::Overwrite)).await;
    assert_eq!(
        target.writes(),
        [
            format!("PUT work/a.ics if-match {etag}"),
            "PUT work/b.ics if-none-match *".to_owned()
        ]
    );
    assert_eq!(
        target.data("work", "a.ics").unwrap(),
        event("a", "Stand-up", NEW)
    );
}

#[tokio::test]
async fn newer_replaces_only_versions_older_than_the_backup() {
    let target = target_with_work();
    target.store("work", "a.ics", &event("a", "Older on the target", OLD));
    target.store(
        "work",
        "b.ics",
        &event("b", "Newer on the target", "20260301T000000Z"),
    );
    let plan = plan_for(&target, &[work()], &options(OnConflict::Newer)).await;
    let writes: Vec<&str> = plan.calendars[0]
        .writes
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(writes, ["a.ics"]);
    assert!(matches!(
        plan.calendars[0].writes[0].action,
        Action::Update { .. }
    ));
    assert_eq!(
        plan.calendars[0].conflicts[0].kind,
        ConflictKind::OtherVersion {
            object: "b.ics".into(),
            reason: Some(KeptBecause::NotOlder)
        }
    );
    assert!(plan
        .to_string()
        .contains("skip (conflict): work/b.ics: the target holds another version (not older than the backed-up one)"));
    restore(&target, &[work()], &options(OnConflict::Newer)).await;
    assert!(target.data("work", "a.ics").unwrap().contains("Stand-up"));
    assert!(target
        .data("work", "b.ics")
        .unwrap()
        .contains("Newer on the target"));
}

#[tokio::test]
async fn an_object_without_an_etag_is_never_replaced_blindly() {
    let target = target_with_work();
    target.store_without_etag("work", "a.ics", &event("a", "No ETag", OLD));
    let plan = plan_for(&target, &[work()], &options(OnConflict::Overwrite)).await;
    assert_eq!(
        plan.calendars[0].conflicts[0].to_string(),
        "work/a.ics: the target holds another version (without an ETag to replace it safely)"
    );
}

#[tokio::test]
async fn fail_writes_nothing_when_there_is_a_conflict() {
    let target = target_with_other_a(OLD).await;
    let plan = plan_for(&target, &[work()], &options(OnConflict::Fail)).await;
    assert!(
        plan.to_string().contains("    conflict: work/a.ics"),
        "{plan}"
    );
    let err = carry_out(&target, &plan, &Recorder::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflicts { count: 1 }));
    assert_eq!(
        err.to_string(),
        "1 conflict(s) and --on-conflict fail: nothing was written"
    );
    assert!(target.writes().is_empty());

    // Without conflicts, fail writes like any other policy.
    let empty = Scripted::default();
    let applied = restore(&empty, &[work()], &options(OnConflict::Fail)).await;
    assert_eq!(applied.written, 2);
}

#[tokio::test]
async fn a_dry_run_lists_every_write_and_changes_nothing() {
    let target = target_with_other_a(OLD).await;
    target.store("work", "extra.ics", &event("x", "Only on the target", OLD));
    let mut dry = options(OnConflict::Overwrite);
    dry.dry_run = true;
    dry.mirror = true;
    let plan = plan_for(&target, &[work()], &dry).await;
    let text = plan.to_string();
    for line in [
        "update work/a.ics",
        "create work/b.ics",
        "delete work/extra.ics",
    ] {
        assert!(text.contains(&format!("\n    {line}")), "{text}");
    }
    let observer = Recorder::default();
    let outcome = carry_out(&target, &plan, &observer).await.unwrap();
    assert!(matches!(outcome, Outcome::DryRun));
    assert!(target.writes().is_empty());
    assert!(observer.lines().is_empty());
}

#[tokio::test]
async fn a_put_refused_with_412_is_reported_and_the_others_are_written() {
    let target = target_with_other_a(OLD).await;
    let plan = plan_for(&target, &[work()], &options(OnConflict::Overwrite)).await;
    // Between the plan and the writes a client edits a.ics and creates b.ics.
    target.store("work", "a.ics", &event("a", "Edited meanwhile", OLD));
    target.store("work", "b.ics", &event("b", "Created meanwhile", OLD));
    let Outcome::Applied(applied) = carry_out(&target, &plan, &Recorder::default())
        .await
        .unwrap()
    else {
        panic!("written")
    };
    assert!(target.writes().is_empty(), "neither is overwritten");
    assert!(target
        .data("work", "a.ics")
        .unwrap()
        .contains("Edited meanwhile"));
    assert_eq!(
        applied.failed[0].kind,
        FailureKind::ChangedMeanwhile {
            object: "a.ics".into()
        }
    );
    let note = applied.failure_note().unwrap();
    assert_eq!(
        note,
        "2 object(s) were not written:\n  work/a.ics: changed on the target since the plan was \
         made; left alone\n  work/b.ics: changed on the target since the plan was made; left \
         alone\nrun the same command again to retry them"
    );
}

#[tokio::test]
async fn a_server_error_mid_restore_is_reported_and_running_again_finishes_the_job() {
    let target = Scripted::default();
    let mut sources = work();
    sources
        .objects
        .push(object("c.ics", &event("c", "Third", NEW)));
    target
        .state()
        .faults
        .write_status
        .insert("work/b.ics".into(), 500);
    target.state().faults.write_lost.insert("work/c.ics".into());
    let applied = restore(&target, &[sources.clone()], &options(OnConflict::Skip)).await;
    assert_eq!(applied.written, 1);
    let failures: Vec<String> = applied.failed.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        failures,
        [
            "work/b.ics: the server answered 500: Internal Server Error",
            &format!(
                "work/c.ics: PUT http://dav.test{HOME}work/c.ics failed: connection reset by peer"
            )
        ]
    );

    // The interrupted restore resumes: what was written compares equal.
    target.state().faults = Default::default();
    let plan = plan_for(&target, &[sources.clone()], &options(OnConflict::Skip)).await;
    assert_eq!(plan.calendars[0].unchanged, 1);
    assert!(
        plan.calendars[0].create.is_none(),
        "the calendar exists now"
    );
    let again = restore(&target, &[sources], &options(OnConflict::Skip)).await;
    assert_eq!(
        (again.written, again.unchanged, again.failed.len()),
        (2, 1, 0)
    );
    assert_eq!(target.names("work"), ["a.ics", "b.ics", "c.ics"]);
}

#[tokio::test]
async fn nothing_is_deleted_without_mirror() {
    let target = target_with_work();
    target.store("work", "extra.ics", &event("x", "Only on the target", OLD));
    restore(&target, &[work()], &options(OnConflict::Skip)).await;
    assert!(target.names("work").contains(&"extra.ics".to_owned()));
}

#[tokio::test]
async fn mirror_deletes_first_on_the_version_seen_so_a_moved_uid_can_be_written_back() {
    let target = target_with_work();
    // a.ics holds another event now, and a's UID moved to other.ics.
    target.store("work", "a.ics", &event("z", "Other event", OLD));
    target.store("work", "other.ics", &event("a", "Stand-up, renamed", OLD));
    target.store("work", "extra.ics", &event("x", "Only on the target", OLD));
    let etag_of = |name: &str| {
        target.state().calendars["work"].objects[name]
            .etag
            .clone()
            .unwrap()
    };
    let (a, other, extra) = (etag_of("a.ics"), etag_of("other.ics"), etag_of("extra.ics"));
    let mut mirror = options(OnConflict::Overwrite);
    mirror.mirror = true;
    let applied = restore(&target, &[work()], &mirror).await;
    assert!(applied.failed.is_empty(), "{:?}", applied.failed);
    assert_eq!((applied.written, applied.deleted), (2, 2));
    let mut writes = target.writes();
    let mut deletes: Vec<String> = writes.drain(..2).collect();
    deletes.sort();
    assert_eq!(
        deletes,
        [
            format!("DELETE work/extra.ics if-match {extra}"),
            format!("DELETE work/other.ics if-match {other}")
        ]
    );
    // Only with other.ics gone may a.ics take its UID back (no-uid-conflict otherwise).
    assert_eq!(
        writes,
        [
            format!("PUT work/a.ics if-match {a}"),
            "PUT work/b.ics if-none-match *".to_owned()
        ]
    );
    assert_eq!(target.names("work"), ["a.ics", "b.ics"]);
}

#[tokio::test]
async fn without_deletions_first_the_uid_would_conflict() {
    // The same target without mirror: a.ics is replaced only if its UID is free.
    let target = target_with_work();
    target.store("work", "a.ics", &event("z", "Other event", OLD));
    target.store("work", "other.ics", &event("a", "Stand-up, renamed", OLD));
    let applied = restore(&target, &[work()], &options(OnConflict::Overwrite)).await;
    assert_eq!(
        applied.failed[0].to_string(),
        "work/a.ics: the server answered 409 (no-uid-conflict)"
    );
}

#[tokio::test]
async fn mirror_leaves_an_object_without_an_etag_and_says_so() {
    let target = target_with_work();
    target.store_without_etag("work", "extra.ics", &event("x", "No ETag", OLD));
    let mut mirror = options(OnConflict::Skip);
    mirror.mirror = true;
    let plan = plan_for(&target, &[work()], &mirror).await;
    assert_eq!(
        plan.calendars[0].conflicts[0].to_string(),
        "work/extra.ics: not in the source, but the target gave no ETag to delete it safely; \
         left alone"
    );
    restore(&target, &[work()], &mirror).await;
    assert!(target.names("work").contains(&"extra.ics".to_owned()));
}

#[tokio::test]
async fn the_same_uid_under_another_name_is_a_conflict_not_a_copy() {
    let target = target_with_work();
    target.store(
        "work",
        "renamed.ics",
        &event("a", "Stand-up, elsewhere", OLD),
    );
    let applied = restore(&target, &[work()], &options(OnConflict::Skip)).await;
    assert_eq!(applied.conflicts, 1);
    assert_eq!(target.names("work"), ["b.ics", "renamed.ics"]);
}

#[tokio::test]
async fn missing_properties_are_set_and_differing_ones_follow_the_policy() {
    let target = Scripted::default();
    target.add_calendar("work", "Travail");
    let plan = plan_for(&target, &[work()], &options(OnConflict::Skip)).await;
    let calendar = &plan.calendars[0];
    assert_eq!(calendar.set_props.color.as_deref(), Some("#3A7BD5FF"));
    assert_eq!(calendar.set_props.displayname, None);
    assert_eq!(
        calendar.conflicts[0].to_string(),
        "work: property displayname is \"Travail\" on the target, \"Work\" in the source"
    );
    assert!(plan
        .to_string()
        .contains("\n    set properties: calendar-color"));

    restore(&target, &[work()], &options(OnConflict::Overwrite)).await;
    assert_eq!(
        target.writes()[..2],
        [
            "PROPPATCH work displayname",
            "PROPPATCH work calendar-color"
        ]
    );
    assert_eq!(
        target.state().calendars["work"]
            .props
            .displayname
            .as_deref(),
        Some("Work")
    );
}

#[tokio::test]
async fn a_refused_property_is_a_failure_and_the_objects_are_still_written() {
    let target = Scripted::default();
    target.add_calendar("work", "Work");
    target.state().faults.refused_props.push("calendar-color");
    let applied = restore(&target, &[work()], &options(OnConflict::Skip)).await;
    assert_eq!(applied.written, 2);
    assert_eq!(
        applied.failed[0].to_string(),
        "work: property calendar-color (answered 403)"
    );
}

#[tokio::test]
async fn a_calendar_created_without_some_properties_is_noted() {
    let target = Scripted::default();
    target.state().faults.refused_props.push("calendar-color");
    let plan = plan_for(&target, &[work()], &options(OnConflict::Skip)).await;
    let observer = Recorder::default();
    carry_out(&target, &plan, &observer).await.unwrap();
    assert!(observer.has("created work without calendar-color (answered 403)"));
    assert_eq!(target.names("work"), ["a.ics", "b.ics"]);
}

#[tokio::test]
async fn a_calendar_that_cannot_be_created_fails_alone() {
    let target = Scripted::default();
    target.add_calendar("home", "Home");
    let mut home_calendar = work();
    home_calendar.name = "home".into();
    home_calendar.props.displayname = Some("Home".into());
    home_calendar.props.color = None;
    target.state().faults.mkcalendar_fails = true;
    let observer = Recorder::default();
    let plan = plan_for(
        &target,
        &[work(), home_calendar],
        &options(OnConflict::Skip),
    )
    .await;
    let Outcome::Applied(applied) = carry_out(&target, &plan, &observer).await.unwrap() else {
        panic!("written")
    };
    assert_eq!(
        applied.failed[0].to_string(),
        format!(
            "work: the calendar could not be created (MKCALENDAR http://dav.test{HOME}work/: \
             the server answered 403); its 2 object(s) were not written"
        )
    );
    assert_eq!(target.names("home"), ["a.ics", "b.ics"]);
    assert_eq!(
        observer.lines(),
        ["writing 4", "wrote 2", "wrote 1", "wrote 1", "writing done"]
    );
}

#[tokio::test]
async fn mappings_choose_the_target_and_two_sources_cannot_share_one() {
    let target = Scripted::default();
    let mut into_office = options(OnConflict::Skip);
    into_office.calendars = vec![Mapping::parse("Work:office")];
    restore(&target, &[work()], &into_office).await;
    assert_eq!(target.names("office"), ["a.ics", "b.ics"]);

    let mut other = work();
    other.name = "personal".into();
    let mut both = options(OnConflict::Skip);
    both.calendars = vec![
        Mapping::parse("work:shared"),
        Mapping::parse("personal:shared"),
    ];
    let err = plan(&target, &home(), &[work(), other], &both)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "calendars \"work\" and \"personal\" would both be restored into \"shared\"; pick targets \
         with --calendar A:B"
    );
}

#[tokio::test]
async fn a_single_calendar_url_cannot_take_a_new_calendar() {
    let target = Scripted::default();
    target.state().faults.no_home = true;
    let err = plan(&target, &home(), &[work()], &options(OnConflict::Skip))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SingleCalendarTarget { .. }));
}

/// A snapshot of `work` (a.ics, b.ics) from a scripted source.
async fn snapshot_of_work(repo: &vault::Repo, selection: Selection) {
    let source = Scripted::default();
    source.add_calendar("work", "Work");
    for o in work().objects {
        source.store("work", &o.name, std::str::from_utf8(&o.data).unwrap());
    }
    let start = home();
    let request = BackupRequest {
        selection,
        ..backup_request(&start, "http://dav.test/", "ann")
    };
    take(&source, repo, &request, &Recorder::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_snapshot_restores_byte_for_byte() {
    let (_dir, repo) = new_repo();
    snapshot_of_work(&repo, Selection::default()).await;
    let (id, snapshot) = pick_snapshot(&repo, "latest", "http://dav.test", "ann").unwrap();
    let sources = snapshot_sources(&repo, &id, &snapshot, &options(OnConflict::Skip)).unwrap();
    let target = Scripted::default();
    restore(&target, &sources, &options(OnConflict::Skip)).await;
    for o in work().objects {
        assert_eq!(
            target.data("work", &o.name).unwrap().as_bytes(),
            &o.data[..]
        );
    }

    let mut unknown = options(OnConflict::Skip);
    unknown.calendars = vec![Mapping::parse("holidays")];
    let err = snapshot_sources(&repo, &id, &snapshot, &unknown).unwrap_err();
    assert!(matches!(err, Error::NotInSnapshot { .. }), "{err}");
    assert!(err
        .to_string()
        .starts_with("the snapshot has no calendar \"holidays\""));
}

#[tokio::test]
async fn a_partial_snapshot_cannot_be_mirrored() {
    let (_dir, repo) = new_repo();
    let todos = Selection {
        components: vec!["VTODO".into()],
        ..Selection::default()
    };
    snapshot_of_work(&repo, todos).await;
    let (id, snapshot) = repo.find_snapshot("latest").unwrap();
    let mut mirror = options(OnConflict::Skip);
    mirror.mirror = true;
    let err = snapshot_sources(&repo, &id, &snapshot, &mirror).unwrap_err();
    assert!(matches!(err, Error::MirrorOfPartialSnapshot { .. }));
}

#[tokio::test]
async fn latest_never_picks_another_accounts_snapshot() {
    let (_dir, repo) = new_repo();
    snapshot_of_work(&repo, Selection::default()).await;
    // One account: its latest snapshot, whatever the target.
    assert!(pick_snapshot(&repo, "latest", "http://other.test", "bob").is_ok());
    // A second account in the repository: the target must be one of them.
    let source = Scripted::default();
    source.add_calendar("work", "Work");
    let start = home();
    let request = backup_request(&start, "http://other.test/", "cara");
    take(&source, &repo, &request, &Recorder::default())
        .await
        .unwrap();
    let err = pick_snapshot(&repo, "latest", "http://third.test", "bob").unwrap_err();
    assert!(
        matches!(err, Error::OtherAccounts { count: 2, .. }),
        "{err}"
    );
    let (_, mine) = pick_snapshot(&repo, "latest", "http://dav.test/", "ann").unwrap();
    assert_eq!(mine.source.user, "ann");
}
