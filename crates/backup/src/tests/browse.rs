//! Looking into snapshots: finding objects, diffs, exports and forgetting.

use vault::{CalendarTree, Repo};

use super::scripted::{home, Scripted, HOME};
use super::{backup_request, event, new_repo, Recorder};
use crate::browse::{count, diff, find_calendar, find_object, ChangeKind};
use crate::error::Error;
use crate::export::{export, ExportRequest};
use crate::plan_forget;
use crate::take::take;

async fn snapshot(server: &Scripted, repo: &Repo) -> Vec<CalendarTree> {
    let start = home();
    let request = backup_request(&start, "http://dav.test/", "ann");
    let report = take(server, repo, &request, &Recorder::default())
        .await
        .unwrap();
    repo.load_calendars(&report.snapshot).unwrap().1
}

fn account() -> Scripted {
    let server = Scripted::default();
    server.add_calendar("work", "Work");
    server.add_calendar("home", "Home");
    server.store("work", "a.ics", &event("a", "Stand-up", "20260101T000000Z"));
    server.store("work", "b.ics", &event("b", "Review", "20260101T000000Z"));
    server.store("home", "b.ics", &event("b2", "Dinner", "20260101T000000Z"));
    server
}

#[tokio::test]
async fn objects_are_found_by_path_href_or_uid() {
    let (_dir, repo) = new_repo();
    let trees = snapshot(&account(), &repo).await;
    assert_eq!(
        find_object(&trees, "work/a.ics").unwrap().uid.as_deref(),
        Some("a")
    );
    let href = format!("{HOME}home/b.ics");
    assert_eq!(
        find_object(&trees, &href).unwrap().uid.as_deref(),
        Some("b2")
    );
    assert_eq!(find_object(&trees, "b2").unwrap().href, href);
    assert!(matches!(
        find_object(&trees, "b.ics"),
        Err(Error::NoSuchObject { .. })
    ));
    assert!(find_calendar(&trees, "Work").is_ok());
    assert_eq!(
        find_calendar(&trees, "x").unwrap_err().to_string(),
        "the snapshot has no calendar \"x\"; it has: home, work"
    );
}

#[tokio::test]
async fn a_diff_names_what_was_added_removed_and_changed() {
    let server = account();
    let (_dir, repo) = new_repo();
    let before = snapshot(&server, &repo).await;
    server.store(
        "work",
        "a.ics",
        &event("a", "Stand-up, later", "20260102T000000Z"),
    );
    server.remove("work", "b.ics");
    server.store("home", "c.ics", &event("c", "Party", "20260102T000000Z"));
    let after = snapshot(&server, &repo).await;
    let changes = diff(&before, &after);
    let lines: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        lines,
        [
            "+ home  c  \"Party\"  2026-11-24 09:00Z",
            "~ work  a  \"Stand-up, later\"  2026-11-24 09:00Z",
            "- work  b  \"Review\"  2026-11-24 09:00Z",
        ]
    );
    assert_eq!(count(&changes, ChangeKind::Added), 1);
}

#[tokio::test]
async fn an_export_merges_each_calendar_and_never_replaces_files() {
    let (dir, repo) = new_repo();
    let trees = snapshot(&account(), &repo).await;
    let to = dir.path().join("out");
    let only_work = ["work".to_owned()];
    let request = ExportRequest {
        to: &to,
        per_object: false,
        calendars: &only_work,
    };
    let observer = Recorder::default();
    let done = export(&repo, trees.clone(), &request, &observer).unwrap();
    assert_eq!((done.calendars, done.objects, done.files), (1, 2, 1));
    let merged = std::fs::read_to_string(to.join("work.ics")).unwrap();
    assert_eq!(merged.matches("BEGIN:VEVENT").count(), 2);
    assert!(merged.contains("X-WR-CALNAME:Work\r\n"));
    assert_eq!(
        observer.lines(),
        ["exporting 2", "exported", "exported", "export done"]
    );
    let again = export(&repo, trees, &request, &Recorder::default()).unwrap_err();
    assert!(again.to_string().starts_with("cannot create "), "{again}");
}

#[tokio::test]
async fn forget_plans_named_snapshots_and_what_a_policy_drops() {
    let server = account();
    let (_dir, repo) = new_repo();
    for _ in 0..3 {
        snapshot(&server, &repo).await;
    }
    let all = repo.snapshots().unwrap();
    let policy = vault::KeepPolicy {
        last: Some(1),
        ..Default::default()
    };
    let plan = plan_forget(&repo, &[], Some(&policy)).unwrap();
    let forgotten: Vec<_> = plan.forget.iter().map(|(id, _)| *id).collect();
    assert_eq!(forgotten, [all[0].0, all[1].0]);
    assert_eq!(plan.kept, [(all[2].0, vec!["last"])]);
    let named = plan_forget(&repo, &[all[1].0.to_string()], None).unwrap();
    assert_eq!(named.forget.len(), 1);
    assert!(named.kept.is_empty());
}
