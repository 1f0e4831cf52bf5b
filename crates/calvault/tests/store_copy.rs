//! `calvault store copy` end to end: an installation used by a client on SQLite moves to
//! PostgreSQL (the server named by CALVAULT_TEST_POSTGRES), and the client cannot tell.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use support::{add_user, postgres_database, Server, BIN};

const CAL: &str = "/dav/calendars/ann/calendar/";

fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:20261124T090000Z\r\nDURATION:PT1H\r\n\
         RRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// Runs the binary; (success, stdout + stderr).
fn calvault(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn put(s: &Server, name: &str, body: &str) {
    let r = s.ann(
        "PUT",
        &format!("{CAL}{name}"),
        &[("Content-Type", "text/calendar")],
        body,
    );
    assert!(matches!(r.status, 201 | 204), "PUT {name}: {}", r.status);
}

/// (status, ETag, body) of a GET.
fn get(s: &Server, name: &str) -> (u16, String, String) {
    let r = s.ann("GET", &format!("{CAL}{name}"), &[], "");
    let etag = r.header("ETag").unwrap_or_default().to_owned();
    (r.status, etag, r.text())
}

/// (sync token, changed hrefs) from a sync-collection REPORT.
fn sync(s: &Server, token: &str) -> (String, Vec<String>) {
    let body = format!(
        "<?xml version=\"1.0\"?><D:sync-collection xmlns:D=\"DAV:\"><D:sync-token>{token}\
         </D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>\
         </D:sync-collection>"
    );
    let r = s.ann("REPORT", CAL, &[("Content-Type", "application/xml")], &body);
    assert_eq!(r.status, 207, "{}", r.text());
    let text = r.text();
    let inner = |tag: &str| -> Vec<String> {
        text.split(&format!("<D:{tag}>"))
            .skip(1)
            .map(|s| s.split('<').next().unwrap().to_owned())
            .collect()
    };
    let token = inner("sync-token").pop().expect("a sync-token");
    (token, inner("href"))
}

#[test]
fn store_copy_moves_an_installation_to_postgres_and_clients_do_not_notice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_user(&data, "ann", "pw");
    let names: Vec<String> = (0..12).map(|i| format!("e{i}.ics")).collect();
    let sqlite = Server::start_on(&data, &[]);
    for (i, name) in names.iter().enumerate() {
        put(
            &sqlite,
            name,
            &event(&format!("u{i}"), &format!("Event {i} – été")),
        );
    }
    put(&sqlite, "e1.ics", &event("u1", "Event 1 edited"));
    assert_eq!(
        sqlite
            .ann("DELETE", &format!("{CAL}e2.ics"), &[], "")
            .status,
        204
    );
    let patch = "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop>\
                 <D:displayname>Work</D:displayname></D:prop></D:set></D:propertyupdate>";
    assert_eq!(sqlite.ann("PROPPATCH", CAL, &[], patch).status, 207);
    let (token, _) = sync(&sqlite, "");
    let before: Vec<_> = names.iter().map(|n| get(&sqlite, n)).collect();
    drop(sqlite);

    let url = postgres_database(&dir.path().join("copy"));
    let from = format!("sqlite:{}", data.display());
    let (ok, out) = calvault(&["store", "copy", "--from", &from, "--to", &url]);
    assert!(ok, "{out}");
    assert!(out.contains("Copied 1 users"), "{out}");
    assert!(out.contains("11 objects"), "{out}");
    assert!(out.contains("Verified"), "{out}");

    let unused = dir.path().join("unused");
    let pg = Server::start_on(&unused, &["--database", &url]);
    let after: Vec<_> = names.iter().map(|n| get(&pg, n)).collect();
    assert_eq!(
        after, before,
        "same status, ETag and bytes for every object"
    );
    let props = pg.ann("PROPFIND", CAL, &[("Depth", "0")], "");
    assert!(props.text().contains("Work"), "{}", props.text());
    assert_eq!(
        sync(&pg, &token),
        (token.clone(), vec![]),
        "the client's token is valid and nothing changed"
    );
    put(&pg, "new.ics", &event("new", "After the move"));
    let (newer, changed) = sync(&pg, &token);
    assert_ne!(newer, token);
    assert_eq!(changed, vec![format!("{CAL}new.ics")]);

    let (ok, out) = calvault(&["history", "verify", "--database", &url]);
    assert!(ok, "{out}");
    let (ok, out) = calvault(&[
        "history",
        "ann/calendar/e1.ics",
        "--json",
        "--database",
        &url,
    ]);
    assert!(ok, "{out}");
    assert_eq!(
        out.matches("\"object\":\"e1.ics\"").count(),
        2,
        "created and changed: {out}"
    );

    let (ok, out) = calvault(&["store", "copy", "--from", &from, "--to", &url]);
    assert!(!ok);
    assert!(out.contains("not empty"), "{out}");
    let missing = format!("sqlite:{}", dir.path().join("nowhere.db").display());
    let (ok, out) = calvault(&["store", "copy", "--from", &missing, "--to", &url]);
    assert!(!ok);
    assert!(out.contains("there is no SQLite database"), "{out}");
}
