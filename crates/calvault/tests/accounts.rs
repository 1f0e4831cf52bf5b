//! Account administration on the real binary over a real socket, while the server runs:
//! `calvault user disable | enable` hold at the next request for the account's password
//! (even a login the server has cached) and its app passwords, its data and shares stay;
//! `calvault user set --quota` holds the next PUT (507, DAV:quota-not-exceeded).
#![allow(clippy::unwrap_used)]

mod support;

use support::{add_user, basic, cli, Server};

fn propfind(s: &Server, authorization: &str, path: &str) -> u16 {
    s.connect()
        .send(
            "PROPFIND",
            path,
            &[("Authorization", authorization), ("Depth", "0")],
            b"",
        )
        .status
}

fn event(uid: &str, padding: usize) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:20261201T100000Z\r\nSUMMARY:{}\r\nEND:VEVENT\r\n\
         END:VCALENDAR\r\n",
        "x".repeat(padding)
    )
}

#[test]
fn a_disabled_account_is_refused_everywhere_until_enabled_and_keeps_its_data_and_shares() {
    let s = Server::start();
    add_user(&s.data, "bob", "bobpw");
    let (ann, bob) = (basic("ann", "pw"), basic("bob", "bobpw"));
    let put = s.ann(
        "PUT",
        "/dav/calendars/ann/calendar/a.ics",
        &[],
        &event("a", 10),
    );
    assert_eq!(put.status, 201, "{}", put.text());
    let (ok, token, stderr) = cli(&s.data, &["token", "add", "ann", "--label", "phone"]);
    assert!(ok, "{stderr}");
    let phone = basic("ann", token.trim());
    let (ok, _, stderr) = cli(&s.data, &["share", "add", "ann/calendar", "bob", "--read"]);
    assert!(ok, "{stderr}");
    // Signed in once: the server now holds ann's login in its cache.
    assert_eq!(propfind(&s, &ann, "/dav/"), 207);
    assert_eq!(propfind(&s, &phone, "/dav/"), 207);

    let (ok, out, stderr) = cli(&s.data, &["user", "disable", "ann"]);
    assert!(ok && out.contains("\"ann\" is disabled"), "{out}{stderr}");
    assert_eq!(
        propfind(&s, &ann, "/dav/"),
        401,
        "the cached login holds no more"
    );
    assert_eq!(propfind(&s, &phone, "/dav/"), 401, "nor an app password");
    let (_, listed, _) = cli(&s.data, &["user", "list"]);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("ann\t") && l.ends_with("\tdisabled")),
        "{listed}"
    );
    // What ann shares stays readable for bob at ann's URL.
    let get = s.connect().send(
        "GET",
        "/dav/calendars/ann/calendar/a.ics",
        &[("Authorization", &bob)],
        b"",
    );
    assert_eq!(get.status, 200, "{}", get.text());
    assert!(get.text().contains("UID:a"));
    let (ok, _, stderr) = cli(&s.data, &["user", "disable", "nobody"]);
    assert!(
        !ok && stderr.contains("there is no user \"nobody\""),
        "{stderr}"
    );

    let (ok, out, stderr) = cli(&s.data, &["user", "enable", "ann"]);
    assert!(ok && out.contains("enabled again"), "{out}{stderr}");
    assert_eq!(propfind(&s, &ann, "/dav/"), 207);
    assert_eq!(propfind(&s, &phone, "/dav/"), 207);
    let get = s.ann("GET", "/dav/calendars/ann/calendar/a.ics", &[], "");
    assert_eq!(get.status, 200, "the data is intact: {}", get.text());
}

#[test]
fn a_quota_set_on_the_command_line_holds_the_next_put() {
    let s = Server::start();
    let first = event("q1", 10);
    let put = s.ann("PUT", "/dav/calendars/ann/calendar/q1.ics", &[], &first);
    assert_eq!(put.status, 201, "{}", put.text());
    // Room for the first event and a little more, not for a second one.
    let quota = format!("{}B", first.len() + 100);
    let (ok, out, stderr) = cli(&s.data, &["user", "set", "ann", "--quota", &quota]);
    assert!(
        ok && out.contains("The quota of \"ann\" is now"),
        "{out}{stderr}"
    );
    let (_, listed, _) = cli(&s.data, &["user", "list"]);
    let expected = format!("quota {} bytes", first.len() + 100);
    assert!(listed.contains(&expected), "{listed}");
    let put = s.ann(
        "PUT",
        "/dav/calendars/ann/calendar/q2.ics",
        &[],
        &event("q2", 200),
    );
    assert_eq!(put.status, 507, "{}", put.text());
    assert!(put.text().contains("quota-not-exceeded"), "{}", put.text());

    let (ok, _, stderr) = cli(&s.data, &["user", "set", "ann", "--quota", "5 parsecs"]);
    assert!(!ok && stderr.contains("is not a size"), "{stderr}");
    let (ok, _, stderr) = cli(&s.data, &["user", "set", "nobody", "--quota", "1MB"]);
    assert!(
        !ok && stderr.contains("there is no user \"nobody\""),
        "{stderr}"
    );
    let (ok, out, stderr) = cli(&s.data, &["user", "set", "ann", "--quota", "1 MB"]);
    assert!(ok && out.contains("is now 1 MB"), "{out}{stderr}");
    let put = s.ann(
        "PUT",
        "/dav/calendars/ann/calendar/q2.ics",
        &[],
        &event("q2", 200),
    );
    assert_eq!(put.status, 201, "room again: {}", put.text());
}
