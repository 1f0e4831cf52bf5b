//! Sharing from the command line and over `/api/`, seen by the users it concerns over a
//! real socket: `calvault share | group | delegate` on the store of a running server take
//! effect on the next request.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use support::{add_user, basic, cli, Reply, Server, BIN};

fn as_user(s: &Server, user: &str, method: &str, path: &str, body: &str) -> Reply {
    let auth = basic(user, "pw");
    let content_type = if path.starts_with("/api/") {
        "application/json"
    } else {
        "text/calendar"
    };
    let headers = [
        ("Authorization", auth.as_str()),
        ("Depth", "1"),
        ("Content-Type", content_type),
    ];
    s.connect().send(method, path, &headers, body.as_bytes())
}

fn ok(s: &Server, args: &[&str]) -> String {
    let (success, stdout, stderr) = cli(&s.data, args);
    assert!(success, "calvault {args:?}: {stderr}");
    stdout
}

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:e1\r\n\
DTSTAMP:20260101T000000Z\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\nSUMMARY:Team lunch\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

#[test]
fn the_command_line_shares_groups_and_delegates_on_a_running_server() {
    let s = Server::start();
    for user in ["bob", "carl", "dora"] {
        add_user(&s.data, user, "pw");
    }
    assert_eq!(
        s.ann("PUT", "/dav/calendars/ann/calendar/e1.ics", &[], EVENT)
            .status,
        201
    );
    let bob_copy = "/dav/calendars/bob/ann-calendar/e1.ics";
    assert_eq!(as_user(&s, "bob", "GET", bob_copy, "").status, 404);

    let out = ok(&s, &["share", "add", "ann/calendar", "bob", "--read"]);
    assert_eq!(out.trim(), "Shared ann/calendar with bob: read.");
    let got = as_user(&s, "bob", "GET", bob_copy, "");
    assert_eq!(got.status, 200);
    assert!(got.text().contains("Team lunch"));
    assert_eq!(as_user(&s, "bob", "PUT", bob_copy, EVENT).status, 403);

    // A group: members get what is shared with @team, and lose it when they leave.
    ok(&s, &["group", "add", "team", "--display-name", "The Team"]);
    ok(&s, &["group", "member", "add", "team", "carl"]);
    ok(
        &s,
        &["share", "add", "ann/calendar", "@team", "--read-write"],
    );
    let carl_copy = "/dav/calendars/carl/ann-calendar/e2.ics";
    assert_eq!(
        as_user(&s, "carl", "PUT", carl_copy, &EVENT.replace("e1", "e2")).status,
        201
    );
    let listed = ok(&s, &["share", "list", "ann/calendar"]);
    assert!(
        listed.contains("ann/calendar\tbob\tread\tby admin:"),
        "{listed}"
    );
    assert!(
        listed.contains("ann/calendar\t@team\tread-write"),
        "{listed}"
    );
    assert!(ok(&s, &["group", "list"]).contains("team\tThe Team\tmembers: carl"));
    ok(&s, &["group", "member", "remove", "team", "carl"]);
    assert_eq!(as_user(&s, "carl", "GET", carl_copy, "").status, 404);

    // A delegate reaches every calendar at its owner's URL.
    ok(&s, &["delegate", "add", "ann", "dora", "--write"]);
    assert_eq!(ok(&s, &["delegate", "list", "ann"]).trim(), "dora\twrite");
    let direct = "/dav/calendars/ann/calendar/e3.ics";
    assert_eq!(
        as_user(&s, "dora", "PUT", direct, &EVENT.replace("e1", "e3")).status,
        201
    );
    ok(&s, &["delegate", "remove", "ann", "dora"]);
    assert_eq!(as_user(&s, "dora", "GET", direct, "").status, 404);

    // Free-busy on every calendar at once.
    ok(&s, &["share", "add", "ann/*", "carl", "--free-busy"]);
    let query = "<C:free-busy-query xmlns:C='urn:ietf:params:xml:ns:caldav'>\
                 <C:time-range start='20261201T000000Z' end='20261202T000000Z'/></C:free-busy-query>";
    let fb = as_user(&s, "carl", "REPORT", "/dav/calendars/ann/calendar/", query);
    assert_eq!(fb.status, 200, "{}", fb.text());
    assert!(fb.text().contains("FREEBUSY") && !fb.text().contains("Team lunch"));

    ok(&s, &["share", "remove", "ann/calendar", "bob"]);
    assert_eq!(as_user(&s, "bob", "GET", bob_copy, "").status, 404);

    // Mistakes are named.
    let (success, _, err) = cli(&s.data, &["share", "remove", "ann/calendar", "bob"]);
    assert!(
        !success && err.contains("ann/calendar is not shared with bob"),
        "{err}"
    );
    let (success, _, err) = cli(&s.data, &["share", "add", "ann/nope", "bob", "--read"]);
    assert!(!success && err.contains("no calendar \"nope\""), "{err}");
    let (success, _, err) = cli(
        &s.data,
        &["share", "add", "ann/calendar", "@nobody", "--read"],
    );
    assert!(!success && err.contains("no group \"nobody\""), "{err}");
    let (success, _, err) = cli(&s.data, &["share", "add", "ann/calendar", "bob"]);
    assert!(!success && err.contains("--read"), "{err}");
}

#[test]
fn a_signed_in_user_shares_their_own_calendars_over_the_api() {
    let s = Server::start();
    add_user(&s.data, "bob", "pw");
    ok(
        &s,
        &[
            "user",
            "set",
            "bob",
            "--display-name",
            "Bob B.",
            "--email",
            "bob@example.org",
        ],
    );
    let share = r#"{"calendar": "calendar", "with": "bob", "access": "read-write"}"#;
    let r = as_user(&s, "ann", "POST", "/api/shares", share);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        as_user(
            &s,
            "bob",
            "PUT",
            "/dav/calendars/bob/ann-calendar/x.ics",
            EVENT
        )
        .status,
        201
    );
    let listed = as_user(&s, "ann", "GET", "/api/shares", "").text();
    assert!(
        listed.contains(r#""with":"bob""#) && listed.contains("read-write"),
        "{listed}"
    );
    let theirs = as_user(&s, "bob", "GET", "/api/shares", "").text();
    assert!(theirs.contains(r#""owner":"ann""#), "{theirs}");
    // Only one's own calendars: bob cannot share ann's through the API.
    let r = as_user(
        &s,
        "bob",
        "POST",
        "/api/shares",
        r#"{"calendar": "ann-calendar", "with": "ann", "access": "read"}"#,
    );
    assert_eq!(
        r.status,
        409,
        "a binding is shared by its owner: {}",
        r.text()
    );
    let r = as_user(
        &s,
        "ann",
        "POST",
        "/api/shares",
        r#"{"calendar": "calendar", "with": "nobody", "access": "read"}"#,
    );
    assert_eq!(r.status, 404, "{}", r.text());
    let r = as_user(
        &s,
        "ann",
        "POST",
        "/api/shares",
        r#"{"calendar": "calendar", "with": "bob", "access": "all"}"#,
    );
    assert_eq!(r.status, 400, "{}", r.text());

    let r = as_user(&s, "ann", "DELETE", "/api/shares/calendar/bob", "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        as_user(
            &s,
            "bob",
            "GET",
            "/dav/calendars/bob/ann-calendar/x.ics",
            ""
        )
        .status,
        404
    );

    let r = as_user(&s, "ann", "POST", "/api/delegates", r#"{"user": "bob"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(as_user(&s, "ann", "GET", "/api/delegates", "")
        .text()
        .contains(r#""write":false"#));
    assert_eq!(
        as_user(&s, "bob", "GET", "/dav/calendars/ann/calendar/x.ics", "").status,
        200
    );
    assert_eq!(
        as_user(
            &s,
            "bob",
            "PUT",
            "/dav/calendars/ann/calendar/y.ics",
            &EVENT.replace("e1", "y")
        )
        .status,
        403
    );
    assert_eq!(
        as_user(&s, "ann", "DELETE", "/api/delegates/bob", "").status,
        200
    );
    assert_eq!(
        as_user(&s, "bob", "GET", "/dav/calendars/ann/calendar/x.ics", "").status,
        404
    );

    // The display name set on the command line is what others see.
    ok(&s, &["share", "add", "bob/calendar", "ann", "--read"]);
    let props = "<D:propfind xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop>\
                 <D:displayname/><C:calendar-user-address-set/></D:prop></D:propfind>";
    let principal = as_user(&s, "ann", "PROPFIND", "/dav/principals/bob/", props);
    assert!(
        principal
            .text()
            .contains("<D:displayname>Bob B.</D:displayname>"),
        "{}",
        principal.text()
    );
    assert!(principal.text().contains("mailto:bob@example.org"));
}

/// Runs the backup tool (`calvault backup`, `restore`...) as `user` of a test server.
fn backup_tool(args: &[&str], user: &str) -> String {
    let out = Command::new(BIN)
        .args(args)
        .args(["--user", user])
        .env("CALVAULT_PASSPHRASE", "correct horse battery staple")
        .env("CALVAULT_PASSWORD", "pw")
        .env("CALVAULT_TEST_KDF", "fast")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "calvault {args:?} as {user}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A sharee's backup leaves the owner's calendar out unless `--include-shared`; the
/// owner's backup records who it was shared with, and `restore --with-shares` into another
/// server shares it there again, so the sharee finds it on the new server.
#[test]
fn backups_leave_shared_calendars_to_their_owner_and_restores_share_them_again() {
    let source = Server::start();
    add_user(&source.data, "bob", "pw");
    assert_eq!(
        source
            .ann("PUT", "/dav/calendars/ann/calendar/e1.ics", &[], EVENT)
            .status,
        201
    );
    ok(
        &source,
        &["share", "add", "ann/calendar", "bob", "--read-write"],
    );
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo").display().to_string();
    let init = Command::new(BIN)
        .args(["init", "--repo", &repo])
        .env("CALVAULT_PASSPHRASE", "correct horse battery staple")
        .env("CALVAULT_TEST_KDF", "fast")
        .output()
        .unwrap();
    assert!(init.status.success());
    let url = format!("http://{}/", source.addr);

    let bobs = backup_tool(&["backup", "--repo", &repo, "--url", &url], "bob");
    assert!(bobs.contains("saved: 1 calendar(s), 0 objects"), "{bobs}");
    assert!(
        bobs.contains("left out 1 calendar(s) other people share with this account (ann-calendar)"),
        "{bobs}"
    );
    let included = backup_tool(
        &["backup", "--repo", &repo, "--url", &url, "--include-shared"],
        "bob",
    );
    assert!(
        included.contains("saved: 2 calendar(s), 1 objects"),
        "{included}"
    );

    let anns = backup_tool(&["backup", "--repo", &repo, "--url", &url], "ann");
    let snapshot = anns
        .strip_prefix("snapshot ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap();
    let target = Server::start();
    add_user(&target.data, "bob", "pw");
    let target_url = format!("http://{}/", target.addr);
    let restored = backup_tool(
        &[
            "restore",
            snapshot,
            "--repo",
            &repo,
            "--url",
            &target_url,
            "--with-shares",
        ],
        "ann",
    );
    assert!(
        restored.contains(
            "shares restored:\n  calendar: shared with /dav/principals/bob/ (read-write)"
        ),
        "{restored}"
    );
    let copy = "/dav/calendars/bob/ann-calendar/e1.ics";
    let got = as_user(&target, "bob", "GET", copy, "");
    assert_eq!(got.status, 200, "{}", got.text());
    assert!(got.text().contains("Team lunch"));
    // Read-write, as on the source.
    let edited = EVENT.replace("Team lunch", "Team lunch (moved)");
    assert_eq!(as_user(&target, "bob", "PUT", copy, &edited).status, 204);
}
