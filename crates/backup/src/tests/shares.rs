//! Shared calendars: left out of a backup unless asked for, sharees recorded with the
//! calendar, and shared again on restore with principal hrefs moved to the target.

use client::Sharee;

use super::scripted::{home, Scripted};
use super::{backup_request, event, new_repo, Recorder};
use crate::restore::{
    carry_out, pick_snapshot, plan, restore_shares, snapshot_sources, OnConflict, Options, Outcome,
    ShareOutcome,
};
use crate::take::{take, BackupRequest};

fn bob_read_write() -> Sharee {
    Sharee {
        href: "/principals/bob/".into(),
        read_write: true,
        common_name: Some("Bob".into()),
    }
}

/// Ann's `work`, shared with Bob (read-write) and Carol by address (read), and Dan's
/// `family`, which Dan shares with Ann.
fn account() -> Scripted {
    let server = Scripted::default();
    server.add_calendar("work", "Work");
    server.add_calendar("family", "Family");
    server.store("work", "a.ics", &event("a", "Stand-up", "20260101T000000Z"));
    server.store("family", "f.ics", &event("f", "Dinner", "20260101T000000Z"));
    {
        let mut state = server.state();
        state.calendars.get_mut("work").unwrap().sharees = vec![
            bob_read_write(),
            Sharee {
                href: "mailto:carol@example.org".into(),
                read_write: false,
                common_name: None,
            },
        ];
        state.calendars.get_mut("family").unwrap().shared = true;
    }
    server
}

#[tokio::test]
async fn calendars_shared_with_the_account_are_left_out_unless_included() {
    let server = account();
    let (_dir, repo) = new_repo();
    let start = home();
    let request = backup_request(&start, "http://dav.test/", "ann");
    let report = take(&server, &repo, &request, &Recorder::default())
        .await
        .unwrap();
    let (_, trees) = repo.load_calendars(&report.snapshot).unwrap();
    let names: Vec<&str> = trees.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["work"]);
    assert_eq!(report.shared_left_out, ["family"]);
    let text = report.to_string();
    assert!(
        text.contains("left out 1 calendar(s) other people share with this account (family)"),
        "{text}"
    );
    let work = &trees[0];
    assert_eq!(work.sharees.len(), 2);
    assert_eq!(work.sharees[0].href, "/principals/bob/");
    assert!(work.sharees[0].read_write && !work.sharees[1].read_write);

    let included = BackupRequest {
        include_shared: true,
        ..backup_request(&start, "http://dav.test/", "ann")
    };
    let report = take(&server, &repo, &included, &Recorder::default())
        .await
        .unwrap();
    let (_, trees) = repo.load_calendars(&report.snapshot).unwrap();
    let names: Vec<&str> = trees.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["family", "work"]);
    assert!(report.shared_left_out.is_empty());

    // A shared calendar named on the command line is backed up without the flag.
    let named = ["family".to_owned()];
    let request = BackupRequest {
        calendars: &named,
        ..backup_request(&start, "http://dav.test/", "ann")
    };
    let report = take(&server, &repo, &request, &Recorder::default())
        .await
        .unwrap();
    assert_eq!(report.snapshot.summary.calendars, 1);
}

fn options() -> Options {
    Options {
        calendars: Vec::new(),
        dry_run: false,
        on_conflict: OnConflict::Skip,
        mirror: false,
    }
}

#[tokio::test]
async fn a_restore_shares_each_calendar_again_on_the_target() {
    let source = account();
    let (_dir, repo) = new_repo();
    let start = home();
    let request = backup_request(&start, "http://dav.test/", "ann");
    take(&source, &repo, &request, &Recorder::default())
        .await
        .unwrap();
    let (id, snapshot) = pick_snapshot(&repo, "latest", "http://dav.test", "ann").unwrap();
    let sources = snapshot_sources(&repo, &id, &snapshot, &options()).unwrap();

    let target = Scripted::default();
    let plan = plan(&target, &start, &sources, &options()).await.unwrap();
    let Outcome::Applied(_) = carry_out(&target, &plan, &Recorder::default())
        .await
        .unwrap()
    else {
        panic!("not a dry run")
    };
    let shares = restore_shares(&target, &start, &plan, &sources).await;
    assert_eq!(
        shares.calendars,
        [ShareOutcome::Shared {
            calendar: "work".into(),
            with: vec![
                "/principals/bob/ (read-write)".into(),
                "mailto:carol@example.org (read)".into()
            ],
        }]
    );
    assert!(shares.failure_note().is_none());
    let writes = target.state().writes.clone();
    assert!(
        writes.contains(&"SHARE work /principals/bob/ read-write".to_owned()),
        "{writes:?}"
    );
    assert!(writes.contains(&"SHARE work mailto:carol@example.org read".to_owned()));

    // A target without CalendarServer sharing: the calendars are there, the note says the
    // shares are not.
    let plain = Scripted::default();
    plain.state().faults.no_sharing = true;
    let plan = super::super::restore::plan(&plain, &start, &sources, &options())
        .await
        .unwrap();
    carry_out(&plain, &plan, &Recorder::default())
        .await
        .unwrap();
    let shares = restore_shares(&plain, &start, &plan, &sources).await;
    assert!(shares.unsupported);
    let note = shares.failure_note().unwrap();
    assert!(note.contains("does not support calendar sharing"), "{note}");
    assert!(!plain.state().writes.iter().any(|w| w.starts_with("SHARE")));
}
