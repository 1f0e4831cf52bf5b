//! Signing in under attack, and app passwords: on the real binary over a real socket.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use support::{add_user, basic, Server};

/// A server whose login cache is off, so that every password is checked for real.
fn server_without_login_cache(users: &[(&str, &str)]) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (name, password) in users {
        add_user(&data, name, password);
    }
    let config = dir.path().join("calvault.toml");
    std::fs::write(&config, "auth_cache_secs = 0\n").unwrap();
    let server = Server::start_on(&data, &["--config", config.to_str().unwrap()]);
    (server, dir)
}

fn propfind(s: &Server, authorization: &str) -> (u16, Duration) {
    let started = Instant::now();
    let status = s
        .connect()
        .send(
            "PROPFIND",
            "/dav/",
            &[("Authorization", authorization), ("Depth", "0")],
            b"",
        )
        .status;
    (status, started.elapsed())
}

fn new_token(s: &Server, authorization: &str, body: &str) -> String {
    let reply = s.connect().send(
        "POST",
        "/api/tokens",
        &[
            ("Authorization", authorization),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    answer["token"].as_str().unwrap().to_owned()
}

/// Issue 21: 300 wrong passwords for one user from one address (16 in flight) lock out
/// neither that user's right credentials nor anyone else.
#[test]
fn a_password_flood_never_locks_out_the_right_credentials() {
    let (s, _dir) = server_without_login_cache(&[("ann", "right"), ("bob", "bobs")]);
    let ann = basic("ann", "right");
    let token = new_token(&s, &ann, r#"{"label": "phone"}"#);

    let wrong = basic("ann", "guess");
    let flood: Vec<_> = (0..16)
        .map(|i| {
            let (addr, wrong) = (s.addr, wrong.clone());
            std::thread::spawn(move || {
                let mut statuses = Vec::new();
                for _ in 0..(300 / 16 + usize::from(i < 300 % 16)) {
                    let mut conn =
                        support::Conn::from_stream(std::net::TcpStream::connect(addr).unwrap());
                    let headers = [("Authorization", wrong.as_str()), ("Depth", "0")];
                    statuses.push(conn.send("PROPFIND", "/dav/", &headers, b"").status);
                }
                statuses
            })
        })
        .collect();
    let statuses: Vec<u16> = flood.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert_eq!(statuses.len(), 300);
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "the flood was throttled");

    let (status, took) = propfind(&s, &basic("ann", &token));
    assert_eq!(status, 207, "ann's app password");
    assert!(took < Duration::from_secs(1), "at once: {took:?}");
    let (status, took) = propfind(&s, &ann);
    assert_eq!(status, 207, "ann's right password");
    assert!(
        took < Duration::from_secs(5),
        "within a few seconds: {took:?}"
    );
    let (status, took) = propfind(&s, &basic("bob", "bobs"));
    assert_eq!(status, 207, "another user");
    assert!(took < Duration::from_secs(2), "at once: {took:?}");
    let (status, _) = propfind(&s, &wrong);
    assert!(status == 401 || status == 429, "{status}");
}

#[test]
fn an_app_password_signs_in_until_revoked_and_is_recorded_as_the_device() {
    let (s, _dir) = server_without_login_cache(&[("ann", "right")]);
    let ann = basic("ann", "right");
    let token = new_token(&s, &ann, r#"{"label": "Ann's phone"}"#);
    // Typed with spaces and capitals, as on a phone keyboard.
    let typed = token.replace('-', " ").to_uppercase();
    let phone = basic("ann", &typed);
    let event = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n\
                 UID:from-phone\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261210T100000Z\r\n\
                 SUMMARY:made on the phone\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let put = s.connect().send(
        "PUT",
        "/dav/calendars/ann/calendar/phone.ics",
        &[
            ("Authorization", phone.as_str()),
            ("Content-Type", "text/calendar"),
        ],
        event.as_bytes(),
    );
    assert_eq!(put.status, 201, "{}", put.text());

    let history = s.connect().send(
        "GET",
        "/api/history",
        &[("Authorization", ann.as_str())],
        b"",
    );
    assert!(
        history.text().contains("ann [Ann's phone]"),
        "the history names the device: {}",
        history.text()
    );
    let listed = s.connect().send(
        "GET",
        "/api/tokens",
        &[("Authorization", ann.as_str())],
        b"",
    );
    let listed: serde_json::Value = serde_json::from_slice(&listed.body).unwrap();
    assert_eq!(listed["tokens"][0]["label"], "Ann's phone");
    assert!(!listed.to_string().contains(&token), "never the secret");

    let revoked = s.connect().send(
        "DELETE",
        "/api/tokens/Ann's%20phone",
        &[("Authorization", ann.as_str())],
        b"",
    );
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    assert_eq!(propfind(&s, &phone).0, 401, "revoked at once");
    assert_eq!(propfind(&s, &ann).0, 207, "the password still works");
}

#[test]
fn a_read_only_app_password_reads_but_changes_nothing() {
    let (s, _dir) = server_without_login_cache(&[("ann", "right")]);
    let token = new_token(
        &s,
        &basic("ann", "right"),
        r#"{"label": "viewer", "scope": "read-only"}"#,
    );
    let viewer = basic("ann", &token);
    assert_eq!(propfind(&s, &viewer).0, 207);
    for (method, path) in [
        ("PUT", "/dav/calendars/ann/calendar/x.ics"),
        ("DELETE", "/dav/calendars/ann/calendar/"),
        ("MKCALENDAR", "/dav/calendars/ann/new/"),
        ("PROPPATCH", "/dav/calendars/ann/calendar/"),
        ("LOCK", "/dav/calendars/ann/calendar/"),
        ("POST", "/api/tokens"),
    ] {
        let reply = s.connect().send(
            method,
            path,
            &[("Authorization", viewer.as_str())],
            b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        );
        assert_eq!(reply.status, 403, "{method} {path}: {}", reply.text());
    }
    let still = s.connect().send(
        "PROPFIND",
        "/dav/calendars/ann/calendar/",
        &[("Authorization", viewer.as_str()), ("Depth", "0")],
        b"",
    );
    assert_eq!(still.status, 207, "the calendar is still there");
}

/// RFC 9112 §3.2, §5.2, §6.1: requests a proxy and the server could read differently.
#[test]
fn badly_framed_requests_are_refused_with_400() {
    use std::io::{Read, Write};
    let s = Server::start();
    let auth = "Authorization: Basic YW5uOnB3\r\n";
    let cases = [
        (
            "no Host",
            format!("PROPFIND /dav/ HTTP/1.1\r\n{auth}Content-Length: 0\r\n\r\n"),
        ),
        (
            "two Hosts",
            format!(
                "PROPFIND /dav/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n{auth}Content-Length: 0\r\n\r\n"
            ),
        ),
        (
            "Transfer-Encoding and Content-Length",
            format!(
                "PUT /dav/calendars/ann/calendar/x.ics HTTP/1.1\r\nHost: a\r\n{auth}\
                 Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
            ),
        ),
        (
            "obsolete line folding",
            format!("PROPFIND /dav/ HTTP/1.1\r\nHost: a\r\n{auth}X-Folded: a\r\n b\r\n\r\n"),
        ),
    ];
    for (what, raw) in cases {
        let mut stream = std::net::TcpStream::connect(s.addr).unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut answer = Vec::new();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 400"), "{what}: {answer}");
    }
    let fine = format!("PROPFIND /dav/ HTTP/1.0\r\n{auth}Depth: 0\r\nContent-Length: 0\r\n\r\n");
    let mut stream = std::net::TcpStream::connect(s.addr).unwrap();
    stream.write_all(fine.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.0 207"),
        "HTTP/1.0 has no Host to send"
    );
}

/// `calvault token add | list | revoke`, while the server runs.
#[test]
fn app_passwords_from_the_command_line() {
    let s = Server::start();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(support::BIN)
            .args(args)
            .args(support::store_args(&s.data))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (
            out.status.success(),
            text,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = run(&["token", "add", "ann", "--label", "laptop"]);
    assert!(ok, "{stderr}");
    let token = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "the token alone on standard output: {stdout}"
    );
    assert!(token.starts_with("cv1-"), "{stdout}");
    assert_eq!(propfind(&s, &basic("ann", token)).0, 207);
    let (ok, listed, _) = run(&["token", "list", "ann"]);
    assert!(
        ok && listed.starts_with("laptop\tall\tcreated "),
        "{listed}"
    );
    assert!(!listed.contains(token));
    let (ok, _, stderr) = run(&["token", "add", "ann", "--label", "laptop"]);
    assert!(
        !ok && stderr.contains("already has an app password labelled \"laptop\""),
        "{stderr}"
    );
    let (ok, _, stderr) = run(&["token", "revoke", "ann", "laptop"]);
    assert!(ok, "{stderr}");
    assert_eq!(propfind(&s, &basic("ann", token)).0, 401, "revoked at once");
    let (ok, _, stderr) = run(&["token", "revoke", "ann", "laptop"]);
    assert!(
        !ok && stderr.contains("no app password labelled"),
        "{stderr}"
    );
}

/// The background check's last result is for administrators only.
#[test]
fn the_verification_result_is_shown_to_administrators_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_user(&data, "ann", "pw");
    let admin = std::process::Command::new(support::BIN)
        .args(["user", "admin", "ann", "on"])
        .args(support::store_args(&data))
        .output()
        .unwrap();
    assert!(
        admin.status.success(),
        "{}",
        String::from_utf8_lossy(&admin.stderr)
    );
    add_user(&data, "bob", "pw");
    let config = dir.path().join("calvault.toml");
    std::fs::write(&config, "verify_interval_hours = 1\n").unwrap();
    let s = Server::start_on(&data, &["--config", config.to_str().unwrap()]);
    let get = |who: &str| {
        s.connect().send(
            "GET",
            "/api/admin/verification",
            &[("Authorization", basic(who, "pw").as_str())],
            b"",
        )
    };
    assert_eq!(get("bob").status, 403);
    let reply = get("ann");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert!(answer.get("intact").is_some(), "{answer}");
}
