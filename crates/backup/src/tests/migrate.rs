//! Migrations: sources read from a live server, then the same plan and writes as a
//! restore.

use super::scripted::{home, Scripted};
use super::{event, todo, Recorder};
use crate::error::Error;
use crate::restore::{carry_out, plan, server_sources, Mapping, OnConflict, Options, Outcome};

fn source() -> Scripted {
    let server = Scripted::default();
    server.add_calendar("work", "Work");
    server.add_calendar("tasks", "Tasks");
    for i in 0..3 {
        let data = event(&format!("e{i}"), &format!("Event {i}"), "20260101T000000Z");
        server.store("work", &format!("e{i}.ics"), &data);
    }
    server.store("tasks", "t.ics", &todo("t", "Buy bread"));
    server
}

fn options(calendars: &[&str]) -> Options {
    Options {
        calendars: calendars.iter().map(|c| Mapping::parse(c)).collect(),
        dry_run: false,
        on_conflict: OnConflict::Skip,
        mirror: false,
    }
}

#[tokio::test]
async fn a_migration_copies_the_named_calendars_with_their_uids() {
    let from = source();
    let observer = Recorder::default();
    let options = options(&["work:office"]);
    let sources = server_sources(&from, &home(), "http://dav.test/", &options, &observer)
        .await
        .unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].objects[0].uid.as_deref(), Some("e0"));
    assert_eq!(
        observer.lines(),
        [
            "fetching work 3",
            "fetched 2 (366 bytes)",
            "fetched 1 (183 bytes)",
            "fetch done"
        ]
    );
    let to = Scripted::default();
    let plan = plan(&to, &home(), &sources, &options).await.unwrap();
    let Outcome::Applied(applied) = carry_out(&to, &plan, &Recorder::default()).await.unwrap()
    else {
        panic!("written")
    };
    assert_eq!(applied.written, 3);
    assert_eq!(to.names("office"), ["e0.ics", "e1.ics", "e2.ics"]);
    assert_eq!(to.data("office", "e1.ics"), from.data("work", "e1.ics"));
    assert!(from.writes().is_empty(), "the source is only read");
}

#[tokio::test]
async fn a_source_that_cannot_be_read_stops_before_anything_is_written() {
    let from = source();
    from.state().faults.failing_fetch.insert("tasks".into());
    let err = server_sources(
        &from,
        &home(),
        "http://dav.test/",
        &options(&[]),
        &Recorder::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Client(client::Error::Status { status: 500, .. })
        ),
        "{err}"
    );

    let err = server_sources(
        &from,
        &home(),
        "http://dav.test/",
        &options(&["holidays"]),
        &Recorder::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NoSuchCalendar { .. }), "{err}");
}
