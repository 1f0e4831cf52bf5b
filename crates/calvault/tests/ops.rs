//! Everyday operation on the real binary (issue 24): calendars from the command line,
//! importing the `.ics` file Google Calendar exports and exporting it back, the same over
//! `/api/`, GET of a calendar as a subscription, `/metrics`, the health checks, shell
//! completions and the man page. On SQLite, and on PostgreSQL with
//! `CALVAULT_TEST_STORE=postgres` (tests/run-all.sh runs both).
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use support::{add_user, cli, cli_with, Server, BIN};

/// A calendar as Google Calendar's export writes one (Settings > Import & export): METHOD
/// PUBLISH, the X-WR-* calendar properties, one VTIMEZONE, 150 single events and 20 weekly
/// series, each series with one occurrence moved (an override with RECURRENCE-ID, written
/// after its master as Google does). 170 UIDs, 190 VEVENTs. Generated here rather than
/// copied: the shape (property order, UID form, DTSTAMP/CREATED/LAST-MODIFIED/SEQUENCE/
/// STATUS/TRANSP) follows Google's exports; the content is made up.
fn google_export() -> String {
    let mut out = String::from(
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n\
         CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Ann's Google calendar\r\n\
         X-WR-TIMEZONE:America/New_York\r\nBEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n\
         X-LIC-LOCATION:America/New_York\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\n\
         TZOFFSETTO:-0400\r\nTZNAME:EDT\r\nDTSTART:19700308T020000\r\n\
         RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\n\
         TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nDTSTART:19701101T020000\r\n\
         RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
    );
    let stamp = "DTSTAMP:20261206T120000Z\r\nCREATED:20260101T100000Z\r\n\
                 LAST-MODIFIED:20260102T100000Z\r\nSEQUENCE:0\r\nSTATUS:CONFIRMED\r\n\
                 TRANSP:OPAQUE\r\n";
    for i in 0..150 {
        let (day, hour) = (1 + i % 28, 8 + i % 9);
        out.push_str(&format!(
            "BEGIN:VEVENT\r\nDTSTART;TZID=America/New_York:202611{day:02}T{hour:02}0000\r\n\
             DTEND;TZID=America/New_York:202611{day:02}T{:02}0000\r\n{stamp}\
             UID:single{i:03}x7a9c2f@google.com\r\nSUMMARY:Meeting {i}\r\n\
             DESCRIPTION:Agenda\\, notes and a link\\; see https://example.com/{i}\r\n\
             LOCATION:Room {i}\r\nEND:VEVENT\r\n",
            hour + 1
        ));
    }
    for i in 0..20 {
        let uid = format!("series{i:02}k3m8q1@google.com");
        let hour = 9 + i % 8;
        out.push_str(&format!(
            "BEGIN:VEVENT\r\nDTSTART;TZID=America/New_York:20261102T{hour:02}0000\r\n\
             DTEND;TZID=America/New_York:20261102T{hour:02}3000\r\n\
             RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO\r\n{stamp}UID:{uid}\r\n\
             SUMMARY:Weekly {i}\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\n\
             TRIGGER:-P0DT0H10M0S\r\nEND:VALARM\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nDTSTART;TZID=America/New_York:20261117T{:02}0000\r\n\
             DTEND;TZID=America/New_York:20261117T{:02}3000\r\n{stamp}UID:{uid}\r\n\
             RECURRENCE-ID;TZID=America/New_York:20261116T{hour:02}0000\r\n\
             SUMMARY:Weekly {i} (moved to Tuesday)\r\nEND:VEVENT\r\n",
            hour + 1,
            hour + 1
        ));
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

/// The object names a PROPFIND Depth 1 lists in a collection.
fn members(s: &Server, calendar: &str) -> usize {
    let body = "<?xml version=\"1.0\"?><propfind xmlns=\"DAV:\"><prop><getetag/></prop></propfind>";
    let r = s.ann(
        "PROPFIND",
        &format!("/dav/calendars/ann/{calendar}/"),
        &[("Depth", "1"), ("Content-Type", "application/xml")],
        body,
    );
    assert_eq!(r.status, 207, "{}", r.text());
    r.text().matches(".ics</").count()
}

fn count(text: &str, line: &str) -> usize {
    text.lines().filter(|l| l.trim_end() == line).count()
}

/// The Done-when of issue 24: 170 UIDs in, 170 objects over CalDAV, all 190 VEVENTs out,
/// and the export imports again as the same 170 objects.
#[test]
fn a_google_export_imports_as_one_object_per_uid_and_round_trips() {
    let s = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("google.ics");
    std::fs::write(&file, google_export()).unwrap();
    let file = file.to_str().unwrap();

    // Imported while the server runs; the calendar is created with the file's name.
    let (ok, out, err) = cli(&s.data, &["calendar", "import", "ann/google", file]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("Created the calendar ann/google (\"Ann's Google calendar\")"),
        "{out}"
    );
    assert!(
        out.contains("170 created, 0 replaced, 0 skipped (already there), 0 failed"),
        "{out}"
    );
    assert_eq!(members(&s, "google"), 170);

    // A moved occurrence stays with its series: one object holds both VEVENTs, the zone,
    // no METHOD.
    let r = s.ann(
        "GET",
        "/dav/calendars/ann/google/series03k3m8q1@google.com.ics",
        &[],
        "",
    );
    assert_eq!(r.status, 200);
    let series = r.text();
    assert_eq!(count(&series, "BEGIN:VEVENT"), 2, "{series}");
    assert_eq!(count(&series, "BEGIN:VTIMEZONE"), 1);
    assert!(series.contains("RECURRENCE-ID;TZID=America/New_York:20261116T120000"));
    assert!(!series.contains("METHOD"));

    let (ok, list, _) = cli(&s.data, &["calendar", "list", "ann"]);
    assert!(ok);
    let row = list.lines().find(|l| l.starts_with("google\t")).unwrap();
    assert!(
        row.contains("\tAnn's Google calendar\tVEVENT,VTODO,VJOURNAL\t170\t"),
        "{row}"
    );

    // The export: one VCALENDAR, the zone once, every VEVENT.
    let exported = dir.path().join("export.ics");
    let exported = exported.to_str().unwrap();
    let (ok, _, err) = cli(
        &s.data,
        &["calendar", "export", "ann/google", "-o", exported],
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("170 objects (190 components) exported"),
        "{err}"
    );
    let text = std::fs::read_to_string(exported).unwrap();
    assert_eq!(count(&text, "BEGIN:VCALENDAR"), 1);
    assert_eq!(count(&text, "BEGIN:VTIMEZONE"), 1);
    assert_eq!(count(&text, "BEGIN:VEVENT"), 190);
    assert!(text.contains("X-WR-CALNAME:Ann's Google calendar\r\n"));
    assert!(!text.contains("METHOD:"));

    // Into another calendar: the same 170 objects, byte for byte the same components.
    let (ok, out, err) = cli(&s.data, &["calendar", "import", "ann/again", exported]);
    assert!(ok && out.contains("170 created"), "{out}{err}");
    assert_eq!(members(&s, "again"), 170);
    for name in [
        "single007x7a9c2f@google.com.ics",
        "series03k3m8q1@google.com.ics",
    ] {
        let a = s.ann("GET", &format!("/dav/calendars/ann/google/{name}"), &[], "");
        let b = s.ann("GET", &format!("/dav/calendars/ann/again/{name}"), &[], "");
        let components = |t: &str| t[t.find("BEGIN:VTIMEZONE").unwrap()..].to_owned();
        assert_eq!(components(&a.text()), components(&b.text()), "{name}");
    }
    // And into the same calendar again: nothing new.
    let (ok, out, _) = cli(&s.data, &["calendar", "import", "ann/google", exported]);
    assert!(
        ok && out.contains("0 created, 0 replaced, 170 skipped"),
        "{out}"
    );
    assert_eq!(members(&s, "google"), 170);
}

/// GET of a calendar collection is the export (a read-only subscription), with a strong
/// ETag that a conditional GET and HEAD honour and that moves with every change.
#[test]
fn a_calendar_url_answers_the_whole_calendar_with_an_etag() {
    let s = Server::start();
    let (ok, _, err) = cli_with(
        &s.data,
        &["calendar", "import", "ann/google", "-"],
        google_export().as_bytes(),
    );
    assert!(ok, "{err}");
    let r = s.ann("GET", "/dav/calendars/ann/google/", &[], "");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    assert_eq!(count(&r.text(), "BEGIN:VEVENT"), 190);
    let etag = r.header("etag").unwrap().to_owned();
    assert!(etag.starts_with('"'), "{etag}");

    let head = s.ann("HEAD", "/dav/calendars/ann/google/", &[], "");
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    assert_eq!(head.header("content-length"), r.header("content-length"));
    let again = s.ann(
        "GET",
        "/dav/calendars/ann/google/",
        &[("If-None-Match", &etag)],
        "",
    );
    assert_eq!(again.status, 304);

    let event = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:new\r\n\
                 DTSTAMP:20260101T000000Z\r\nDTSTART:20261201T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let put = s.ann("PUT", "/dav/calendars/ann/google/new.ics", &[], event);
    assert_eq!(put.status, 201);
    let changed = s.ann(
        "GET",
        "/dav/calendars/ann/google/",
        &[("If-None-Match", &etag)],
        "",
    );
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    assert_eq!(count(&changed.text(), "BEGIN:VEVENT"), 191);
    // The home is no calendar: it keeps its note.
    let home = s.ann("GET", "/dav/calendars/ann/", &[], "");
    assert_eq!(
        home.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
}

/// Every created object is a recorded write by client `calvault import`: one rollback by
/// client undoes the import and leaves other clients' writes alone.
#[test]
fn one_rollback_by_client_undoes_an_import() {
    let s = Server::start();
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let event = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:mine\r\n\
                 DTSTAMP:20260101T000000Z\r\nDTSTART:20261201T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let put = s.ann(
        "PUT",
        "/dav/calendars/ann/calendar/mine.ics",
        &[("User-Agent", "DAVx5")],
        event,
    );
    assert_eq!(put.status, 201);
    let (ok, _, err) = cli_with(
        &s.data,
        &["calendar", "import", "ann/calendar", "-"],
        google_export().as_bytes(),
    );
    assert!(ok, "{err}");
    assert_eq!(members(&s, "calendar"), 171);
    let (ok, out, err) = cli(
        &s.data,
        &[
            "rollback",
            "ann/calendar",
            "--client",
            "calvault import",
            "--since",
            &before,
        ],
    );
    assert!(ok, "{out}{err}");
    assert_eq!(members(&s, "calendar"), 1, "{out}");
}

/// `--on-conflict`: skip keeps what is there, replace writes what changed, fail writes
/// nothing; an object that fails validation is named with its UID and the rest go in.
#[test]
fn conflicts_follow_the_flag_and_failures_name_their_uid() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_user(&data, "ann", "pw");
    let export = google_export();
    let (ok, out, _) = cli_with(
        &data,
        &["calendar", "import", "ann/g", "-"],
        export.as_bytes(),
    );
    assert!(ok && out.contains("170 created"), "{out}");
    let edited = export.replace("SUMMARY:Meeting 5\r\n", "SUMMARY:Meeting 5 (edited)\r\n");
    let args = |mode| ["calendar", "import", "ann/g", "-", "--on-conflict", mode];
    let (ok, out, _) = cli_with(&data, &args("skip"), edited.as_bytes());
    assert!(
        ok && out.contains("0 created, 0 replaced, 170 skipped"),
        "{out}"
    );
    let (ok, out, _) = cli_with(&data, &args("replace"), edited.as_bytes());
    assert!(
        ok && out.contains("0 created, 1 replaced, 169 skipped"),
        "{out}"
    );
    let (ok, _, err) = cli_with(&data, &args("fail"), edited.as_bytes());
    assert!(
        !ok && err.contains("nothing was imported: 170 of the file's UIDs"),
        "{err}"
    );

    let broken =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:good\r\n\
                  DTSTAMP:20260101T000000Z\r\nDTSTART:20261201T100000Z\r\nEND:VEVENT\r\n\
                  BEGIN:VEVENT\r\nUID:bad\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:2026\r\n\
                  END:VEVENT\r\nEND:VCALENDAR\r\n";
    let (ok, out, err) = cli_with(
        &data,
        &["calendar", "import", "ann/g", "-"],
        broken.as_bytes(),
    );
    assert!(!ok, "a failed object fails the command");
    assert!(
        out.contains("1 created, 0 replaced, 0 skipped (already there), 1 failed"),
        "{out}"
    );
    assert!(err.contains("UID \"bad\" not imported: "), "{err}");
    let (ok, _, err) = cli_with(&data, &["calendar", "import", "ann/g", "-"], b"hello");
    assert!(!ok && err.contains("not an iCalendar (.ics) file"), "{err}");
}

#[test]
fn calendars_are_created_listed_and_deleted_into_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_user(&data, "ann", "pw");
    let create = [
        "calendar",
        "create",
        "ann/tasks",
        "--name",
        "Tasks",
        "--color",
        "#1e90ff",
    ];
    let (ok, _, err) = cli(&data, &[&create[..], &["--components", "VTODO"]].concat());
    assert!(ok, "{err}");
    let (ok, list, _) = cli(&data, &["calendar", "list", "ann"]);
    assert!(ok && list.contains("tasks\tTasks\tVTODO\t0\t0\t"), "{list}");
    let (ok, _, err) = cli(&data, &create);
    assert!(
        !ok && err.contains("ann already has a calendar \"tasks\""),
        "{err}"
    );
    let (ok, _, err) = cli(&data, &["calendar", "create", "ann/x", "--color", "blue"]);
    assert!(!ok && err.contains("#RRGGBB"), "{err}");
    let (ok, _, err) = cli(&data, &["calendar", "create", "ann"]);
    assert!(!ok && err.contains("USER/SLUG"), "{err}");

    let (ok, out, _) = cli(&data, &["calendar", "delete", "ann/tasks"]);
    assert!(ok && out.contains("calvault undelete ann/tasks"), "{out}");
    let (_, list, _) = cli(&data, &["calendar", "list", "ann"]);
    assert!(!list.contains("tasks"), "{list}");
    let (ok, out, err) = cli(&data, &["undelete", "ann/tasks"]);
    assert!(ok, "{out}{err}");
    let (_, list, _) = cli(&data, &["calendar", "list", "ann"]);
    assert!(list.contains("tasks\tTasks\tVTODO"), "{list}");
    let (ok, _, err) = cli(&data, &["calendar", "export", "ann/nothing"]);
    assert!(!ok && err.contains("has no calendar \"nothing\""), "{err}");
}

/// The web interface's import and export: the signed-in user's own calendars, recorded
/// with client `calvault import`.
#[test]
fn the_api_imports_and_exports_for_the_signed_in_user() {
    let s = Server::start();
    let r = s.ann(
        "POST",
        "/api/calendars/web/import?on_conflict=skip",
        &[],
        &google_export(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let answer: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(answer["created"], 170);
    assert_eq!(answer["created_calendar"], true);
    let list = s.ann("GET", "/api/calendars", &[], "");
    let list: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
    let web = list["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "web")
        .unwrap();
    assert_eq!(web["objects"], 170);
    assert_eq!(web["name"], "Ann's Google calendar");
    let history = s.ann("GET", "/api/history?calendar=web&limit=1", &[], "");
    assert!(
        history.text().contains("calvault import"),
        "{}",
        history.text()
    );

    let export = s.ann("GET", "/api/calendars/web/export", &[], "");
    assert_eq!(export.status, 200);
    assert_eq!(
        export.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    assert!(export
        .header("content-disposition")
        .unwrap()
        .contains("web.ics"));
    assert_eq!(count(&export.text(), "BEGIN:VEVENT"), 190);
    let again = s.ann(
        "POST",
        "/api/calendars/web/import?on_conflict=fail",
        &[],
        &export.text(),
    );
    assert_eq!(again.status, 409, "{}", again.text());
    let missing = s.ann("GET", "/api/calendars/nope/export", &[], "");
    assert_eq!(missing.status, 404);
}

/// `/healthz` and `/readyz` need no credentials; `/metrics` counts requests with their
/// latency (served to loopback on the main listener).
#[test]
fn health_checks_and_metrics_answer_without_credentials() {
    let s = Server::start();
    for path in ["/healthz", "/readyz"] {
        let r = s.connect().send("GET", path, &[], b"");
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    assert_eq!(
        s.ann("PROPFIND", "/dav/", &[("Depth", "0")], "").status,
        207
    );
    let r = s.connect().send("GET", "/metrics", &[], b"");
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .contains("openmetrics-text"));
    let text = r.text();
    for metric in [
        "calvault_http_requests_total{method=\"PROPFIND\",status=\"207\"} 1",
        "calvault_http_request_duration_seconds_bucket{le=\"+Inf\",method=\"PROPFIND\"} 1",
        "calvault_http_received_bytes_total",
        "calvault_http_connections",
        "calvault_store_operation_duration_seconds_count{operation=\"read\"}",
        "calvault_store_commit_duration_seconds",
        "calvault_auth_failures_total 0",
        "calvault_users 1",
        "calvault_objects 0",
    ] {
        assert!(text.contains(metric), "{metric} missing:\n{text}");
    }
    let wrong = s
        .connect()
        .send("GET", "/dav/", &[("Authorization", "Basic YW5uOng=")], b"");
    assert_eq!(wrong.status, 401);
    let text = s.connect().send("GET", "/metrics", &[], b"").text();
    assert!(text.contains("calvault_auth_failures_total 1"), "{text}");
}

/// With `metrics_listen`, the metrics have a listener of their own and the main one does
/// not serve them.
#[test]
fn metrics_move_to_their_own_listener() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_user(&data, "ann", "pw");
    let port = support::free_port();
    let config = dir.path().join("calvault.toml");
    std::fs::write(&config, format!("metrics_listen = \"127.0.0.1:{port}\"\n")).unwrap();
    let s = Server::start_on(&data, &["--config", config.to_str().unwrap()]);
    assert_eq!(s.connect().send("GET", "/metrics", &[], b"").status, 404);
    let mut metrics = None;
    for _ in 0..100 {
        if let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            metrics = Some(support::Conn::from_stream(stream));
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut metrics = metrics.expect("the metrics listener");
    let r = metrics.send("GET", "/metrics", &[], b"");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("calvault_http_requests_total"));
    assert_eq!(metrics.send("GET", "/readyz", &[], b"").status, 200);
    assert_eq!(metrics.send("GET", "/dav/", &[], b"").status, 404);
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line_definitions() {
    let run = |args: &[&str]| {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let bash = run(&["completions", "bash"]);
    assert!(
        bash.contains("_calvault()") && bash.contains("complete -F _calvault"),
        "{bash}"
    );
    assert!(bash.contains("--on-conflict"));
    assert!(run(&["completions", "zsh"]).starts_with("#compdef calvault"));
    assert!(run(&["completions", "fish"]).contains("complete -c calvault"));
    let man = run(&["man"]);
    assert!(man.contains(".TH calvault 1"), "{man}");
}
