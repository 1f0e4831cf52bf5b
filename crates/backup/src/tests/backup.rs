//! Snapshots: first and incremental runs, the sync-token fallback, full comparisons,
//! selections, and calendars that cannot be read.

use vault::{CalendarTree, Repo, Snapshot};

use super::scripted::{home, Scripted, HOME};
use super::{backup_request, event, new_repo, todo, Recorder};
use crate::error::Error;
use crate::selection::Selection;
use crate::take::{take, BackupReport, BackupRequest};

/// `work` with two events, `tasks` with one todo.
fn account() -> Scripted {
    let server = Scripted::default();
    server.add_calendar("work", "Work");
    server.add_calendar("tasks", "Tasks");
    server.store("work", "a.ics", &event("a", "Stand-up", "20260101T000000Z"));
    server.store("work", "b.ics", &event("b", "Review", "20260101T000000Z"));
    server.store("tasks", "t.ics", &todo("t", "Buy bread"));
    server
}

fn request<'a>(start: &'a client::Url, calendars: &'a [String]) -> BackupRequest<'a> {
    BackupRequest {
        calendars,
        ..backup_request(start, "http://dav.test/", "ann")
    }
}

async fn run(server: &Scripted, repo: &Repo, observer: &Recorder) -> BackupReport {
    let start = home();
    take(server, repo, &request(&start, &[]), observer)
        .await
        .unwrap()
}

/// The snapshot's calendars by name.
fn trees(repo: &Repo, snapshot: &Snapshot) -> Vec<CalendarTree> {
    repo.load_calendars(snapshot).unwrap().1
}

fn tree<'a>(trees: &'a [CalendarTree], name: &str) -> &'a CalendarTree {
    trees.iter().find(|t| t.name == name).unwrap()
}

#[tokio::test]
async fn a_first_backup_stores_every_object_with_its_facts() {
    let server = account();
    let (_dir, repo) = new_repo();
    let observer = Recorder::default();
    let report = run(&server, &repo, &observer).await;

    let s = &report.snapshot.summary;
    assert_eq!(
        (s.calendars, s.objects, s.new, s.changed, s.removed),
        (2, 3, 3, 0, 0)
    );
    assert_eq!(report.fetched, 3);
    assert!(report.snapshot.full_scan, "nothing to compare against");
    assert!(report.failures.is_empty());
    let trees = trees(&repo, &report.snapshot);
    let work = tree(&trees, "work");
    assert_eq!(work.href, format!("{HOME}work/"));
    assert_eq!(work.props.displayname.as_deref(), Some("Work"));
    let a = &work.objects[0];
    assert_eq!(a.href, format!("{HOME}work/a.ics"));
    assert_eq!(
        (a.uid.as_deref(), a.summary.as_deref()),
        (Some("a"), Some("Stand-up"))
    );
    assert_eq!(a.component.as_deref(), Some("VEVENT"));
    let stored = repo.read_blob(&a.blob).unwrap();
    assert_eq!(
        String::from_utf8(stored).unwrap(),
        server.data("work", "a.ics").unwrap()
    );

    assert_eq!(
        observer.lines()[..2],
        ["discovering", "selected tasks,work"]
    );
    assert!(observer.has("fetching work 2"));
    let text = report.to_string();
    assert!(
        text.starts_with(&format!(
            "snapshot {} saved: 2 calendar(s), 3 objects",
            report.id.short()
        )),
        "{text}"
    );
    assert!(
        text.contains("3 new, 0 changed, 0 removed; 3 objects fetched in"),
        "{text}"
    );
    assert!(text.ends_with("(full comparison)"), "{text}");
}

#[tokio::test]
async fn an_incremental_backup_asks_for_the_changes_and_fetches_only_them() {
    let server = account();
    let (_dir, repo) = new_repo();
    let first = run(&server, &repo, &Recorder::default()).await;
    server.store(
        "work",
        "a.ics",
        &event("a", "Stand-up, moved", "20260102T000000Z"),
    );
    server.store("work", "c.ics", &event("c", "New", "20260102T000000Z"));
    server.remove("work", "b.ics");
    let listings_before = server.count("PROPFIND");

    let second = run(&server, &repo, &Recorder::default()).await;
    let s = &second.snapshot.summary;
    assert_eq!((s.objects, s.new, s.changed, s.removed), (3, 1, 1, 1));
    assert_eq!(second.fetched, 2, "only the new and the edited object");
    assert!(!second.snapshot.full_scan);
    assert_eq!(second.snapshot.parent, Some(first.id));
    assert_eq!(
        server.count("REPORT sync"),
        2,
        "one sync-collection per calendar"
    );
    assert_eq!(
        server.count("PROPFIND") - listings_before,
        1,
        "discovery only: no ETag listing"
    );
    let trees = trees(&repo, &second.snapshot);
    let names: Vec<&str> = tree(&trees, "work")
        .objects
        .iter()
        .map(|o| o.href.as_str())
        .collect();
    assert_eq!(
        names,
        [format!("{HOME}work/a.ics"), format!("{HOME}work/c.ics")]
    );
    // The unchanged todo is the same blob, not fetched again.
    let before = trees_of(&repo, &first.snapshot, "tasks");
    assert_eq!(
        tree(&trees, "tasks").objects[0].blob,
        before.objects[0].blob
    );
}

fn trees_of(repo: &Repo, snapshot: &Snapshot, name: &str) -> CalendarTree {
    tree(&trees(repo, snapshot), name).clone()
}

#[tokio::test]
async fn a_refused_sync_token_falls_back_to_comparing_etags() {
    let server = account();
    let (_dir, repo) = new_repo();
    run(&server, &repo, &Recorder::default()).await;
    server.store(
        "work",
        "b.ics",
        &event("b", "Review, edited", "20260102T000000Z"),
    );
    server.state().faults.reject_sync_tokens = true;

    let observer = Recorder::default();
    let second = run(&server, &repo, &observer).await;
    assert!(
        observer.has(&format!(
            "sync fallback work: the server refused the sync token for http://dav.test{HOME}work/; \
             a full listing is needed"
        )),
        "{:?}",
        observer.lines()
    );
    assert_eq!(second.fetched, 1, "the ETag listing finds the one change");
    assert_eq!(second.snapshot.summary.changed, 1);
    assert_eq!(second.snapshot.summary.objects, 3);
    assert!(second.failures.is_empty());
}

#[tokio::test]
async fn a_full_run_lists_every_etag_but_still_fetches_only_changes() {
    let server = account();
    let (_dir, repo) = new_repo();
    run(&server, &repo, &Recorder::default()).await;
    let start = home();
    let mut full = request(&start, &[]);
    full.full = true;
    let report = take(&server, &repo, &full, &Recorder::default())
        .await
        .unwrap();
    assert!(report.snapshot.full_scan);
    assert_eq!(report.snapshot.runs_since_full, 0);
    assert_eq!(report.fetched, 0);
    assert_eq!(server.count("REPORT sync"), 0);

    // Every `full_every` runs the comparison is full anyway.
    let mut every_second = request(&start, &[]);
    every_second.full_every = 2;
    let one = take(&server, &repo, &every_second, &Recorder::default())
        .await
        .unwrap();
    let two = take(&server, &repo, &every_second, &Recorder::default())
        .await
        .unwrap();
    assert!(!one.snapshot.full_scan && two.snapshot.full_scan);
}

#[tokio::test]
async fn without_etags_every_object_is_fetched_again() {
    let server = Scripted::default();
    server.add_calendar("work", "Work");
    server.store_without_etag("work", "a.ics", &event("a", "A", "20260101T000000Z"));
    let (_dir, repo) = new_repo();
    run(&server, &repo, &Recorder::default()).await;
    server.state().faults.reject_sync_tokens = true;
    let second = run(&server, &repo, &Recorder::default()).await;
    assert_eq!(second.fetched, 1, "no ETag proves it unchanged");
    assert_eq!(second.snapshot.summary.changed, 0, "same bytes, same blob");
}

#[tokio::test]
async fn a_failing_multiget_keeps_the_calendars_previous_copy_and_is_reported() {
    let server = account();
    let (_dir, repo) = new_repo();
    let first = run(&server, &repo, &Recorder::default()).await;
    server.store("work", "c.ics", &event("c", "New", "20260102T000000Z"));
    server.store("tasks", "u.ics", &todo("u", "Call"));
    server.state().faults.failing_fetch.insert("work".into());

    let second = run(&server, &repo, &Recorder::default()).await;
    assert_eq!(second.failures.len(), 1);
    assert_eq!(second.failures[0].calendar, format!("{HOME}work/"));
    assert!(
        second.failures[0].reason.contains("answered 500"),
        "{:?}",
        second.failures
    );
    // work as it was; tasks with its new todo.
    let trees = trees(&repo, &second.snapshot);
    assert_eq!(
        tree(&trees, "work").objects,
        trees_of(&repo, &first.snapshot, "work").objects
    );
    assert_eq!(tree(&trees, "tasks").objects.len(), 2);
    assert_eq!(second.snapshot.summary.objects, 4);
    let note = second.failure_note().unwrap();
    assert!(
        note.starts_with(&format!(
            "snapshot {} was saved, but 1 calendar(s) could not be read",
            second.id.short()
        )),
        "{note}"
    );
    assert!(note.contains(&format!("{HOME}work/: REPORT")), "{note}");
}

#[tokio::test]
async fn a_calendar_failing_on_its_first_backup_is_left_out() {
    let server = account();
    server.state().faults.failing_fetch.insert("tasks".into());
    let (_dir, repo) = new_repo();
    let report = run(&server, &repo, &Recorder::default()).await;
    let names: Vec<String> = trees(&repo, &report.snapshot)
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["work"]);
    assert_eq!(report.failures.len(), 1);
}

#[tokio::test]
async fn a_selection_keeps_only_what_it_names_and_is_recorded() {
    let server = account();
    let (_dir, repo) = new_repo();
    let start = home();
    let mut todos = request(&start, &[]);
    todos.selection = Selection {
        components: vec!["VTODO".into()],
        ..Selection::default()
    };
    let report = take(&server, &repo, &todos, &Recorder::default())
        .await
        .unwrap();
    assert_eq!(report.snapshot.summary.objects, 1);
    assert_eq!(report.snapshot.selection, "components=VTODO;since=;until=");
    // A run selecting everything does not reuse the partial snapshot's objects.
    let all = run(&server, &repo, &Recorder::default()).await;
    assert!(all.snapshot.full_scan);
    assert_eq!(all.snapshot.summary.objects, 3);
}

#[tokio::test]
async fn named_calendars_only_and_unknown_names_are_refused() {
    let server = account();
    let (_dir, repo) = new_repo();
    let start = home();
    let only = ["Tasks".to_owned()];
    let report = take(
        &server,
        &repo,
        &request(&start, &only),
        &Recorder::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.snapshot.summary.calendars, 1);
    let missing = ["holidays".to_owned()];
    let err = take(
        &server,
        &repo,
        &request(&start, &missing),
        &Recorder::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NoSuchCalendar { .. }));
    assert_eq!(
        err.to_string(),
        "there is no calendar \"holidays\"; the account has: tasks (Tasks), work (Work)"
    );
    assert_eq!(
        server.writes(),
        Vec::<String>::new(),
        "a backup never writes"
    );
}

#[tokio::test]
async fn a_calendar_deleted_on_the_server_counts_as_removed() {
    let server = account();
    let (_dir, repo) = new_repo();
    run(&server, &repo, &Recorder::default()).await;
    server.state().calendars.remove("work");
    let report = run(&server, &repo, &Recorder::default()).await;
    assert_eq!(report.snapshot.summary.removed, 2);
    assert_eq!(report.snapshot.summary.calendars, 1);
}

#[tokio::test]
async fn an_account_without_calendars_is_an_error() {
    let server = Scripted::default();
    let (_dir, repo) = new_repo();
    let start = home();
    let err = take(&server, &repo, &request(&start, &[]), &Recorder::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoCalendars));
    assert!(repo.snapshots().unwrap().is_empty());
}
