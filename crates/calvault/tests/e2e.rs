//! The real binary on 127.0.0.1: HTTP behaviour, authentication, durability and shutdown.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Read;
use std::process::Command;
use std::time::Duration;

use support::{add_user, store_args, Server, BIN};

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:e2e-1\r\n\
DTSTAMP:20260101T000000Z\r\nDTSTART:20261201T100000Z\r\nSUMMARY:Durable \u{1f389}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[test]
fn unauthenticated_requests_get_a_basic_challenge_and_well_known_redirects() {
    let s = Server::start();
    let r = s.connect().send("PROPFIND", "/", &[("Depth", "0")], b"");
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .starts_with("Basic realm="));
    let r = s
        .connect()
        .send("PROPFIND", "/.well-known/caldav", &[], b"");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/dav/"));
    let r = s
        .connect()
        .send("OPTIONS", "/dav/principals/ann/", &[], b"");
    assert_eq!(r.status, 200);
    let dav = r.header("dav").unwrap();
    // Class 2 since issue 26 (WebDAV locks): advertised once LOCK and UNLOCK work.
    let classes: Vec<&str> = dav.split(',').map(str::trim).collect();
    assert!(
        classes.contains(&"calendar-access") && classes.contains(&"2"),
        "{dav}"
    );
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection_and_head_has_no_body() {
    let s = Server::start();
    let auth = [("Authorization", "Basic YW5uOnB3")];
    let mut conn = s.connect();
    let put = conn.send(
        "PUT",
        "/dav/calendars/ann/calendar/k.ics",
        &auth,
        EVENT.as_bytes(),
    );
    assert_eq!(put.status, 201);
    // A HEAD with an Accept that would invite a body, then a GET on the same connection:
    // if HEAD leaked a body, the GET's reply would be garbled.
    let mut h = auth.to_vec();
    h.push(("Accept", "text/html"));
    let head = conn.send("HEAD", "/dav/calendars/ann/calendar/k.ics", &h, b"");
    assert_eq!(head.status, 200);
    for _ in 0..5 {
        let get = conn.send("GET", "/dav/calendars/ann/calendar/k.ics", &auth, b"");
        assert_eq!(get.status, 200);
        assert_eq!(get.body, EVENT.as_bytes());
        assert_eq!(get.header("etag"), put.header("etag"));
    }
}

#[test]
fn responses_are_compressed_when_the_client_accepts_it() {
    let s = Server::start();
    let body = "<propfind xmlns='DAV:'><allprop/></propfind>";
    let r = s.ann(
        "PROPFIND",
        "/dav/calendars/ann/",
        &[("Depth", "1"), ("Accept-Encoding", "gzip")],
        body,
    );
    assert_eq!(r.status, 207);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let plain = s.ann("PROPFIND", "/dav/calendars/ann/", &[("Depth", "1")], body);
    assert!(plain.header("content-encoding").is_none());
    assert!(plain.text().contains("multistatus"));
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_user(&data, "ann", "pw");
    let cfg = dir.path().join("calvault.toml");
    std::fs::write(&cfg, "max_request_body = 1000\n").unwrap();
    let s = Server::start_on(&data, &["--config", cfg.to_str().unwrap()]);
    let big = "x".repeat(5000);
    let r = s.ann("PUT", "/dav/calendars/ann/calendar/big.ics", &[], &big);
    assert_eq!(r.status, 413);
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_user(&data, "ann", "pw");
    let etag;
    {
        let s = Server::start_on(&data, &[]);
        let put = s.ann("PUT", "/dav/calendars/ann/calendar/d.ics", &[], EVENT);
        assert_eq!(put.status, 201);
        etag = put.header("etag").unwrap().to_owned();
        s.signal("-KILL");
    }
    let s = Server::start_on(&data, &[]);
    let get = s.ann("GET", "/dav/calendars/ann/calendar/d.ics", &[], "");
    assert_eq!(get.status, 200);
    assert_eq!(get.body, EVENT.as_bytes());
    assert_eq!(get.header("etag"), Some(etag.as_str()));
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let mut s = Server::start();
    assert_eq!(
        s.ann("PUT", "/dav/calendars/ann/calendar/g.ics", &[], EVENT)
            .status,
        201
    );
    s.signal("-TERM");
    let mut status = None;
    for _ in 0..100 {
        if let Some(st) = s.child.try_wait().unwrap() {
            status = Some(st);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = status.expect("server exits after SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    assert!(s.log_text().contains("shutting down"));
}

#[test]
fn failed_logins_are_logged_once_each_and_throttled_per_user_and_address() {
    let s = Server::start();
    // "ann:wrong"
    let bad = [("Authorization", "Basic YW5uOndyb25n")];
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(s.connect().send("PROPFIND", "/dav/", &bad, b"").status);
    }
    // Ten failures of ann from this address, then the next wrong ones are answered 429
    // (they are still checked: the right password would get in, see tests/security.rs).
    assert!(statuses[..10].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(&statuses[10..], [429, 429], "{statuses:?}");
    let log = s.log_text();
    assert_eq!(
        log.matches("authentication failed: address=127.0.0.1 user=\"ann\"")
            .count(),
        12
    );
    assert!(!log.contains("wrong"), "passwords never reach the log");
}

#[test]
fn every_request_is_logged_in_one_line() {
    let s = Server::start();
    s.ann("PROPFIND", "/dav/calendars/ann/", &[("Depth", "0")], "");
    std::thread::sleep(Duration::from_millis(100));
    let log = s.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("PROPFIND /dav/calendars/ann/"))
        .expect("request line");
    assert!(
        line.contains("127.0.0.1 ann PROPFIND /dav/calendars/ann/ 207"),
        "{line}"
    );
    assert!(line.contains("ms"));
}

#[test]
fn first_start_without_users_says_how_to_add_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("empty");
    let s = Server::start_on(&data, &[]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        s.log_text().contains("calvault user add NAME --data"),
        "{}",
        s.log_text()
    );
}

#[test]
fn user_commands_add_list_change_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_user(&data, "zoe", "first");
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(BIN)
            .args(args)
            .args(store_args(&data))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(&["user", "add", "zoe", "--password-stdin"], "again\n");
    assert!(!ok && out.contains("already exists"), "{out}");
    let (ok, out) = run(&["user", "add", "bad/name", "--password-stdin"], "x\n");
    assert!(!ok && out.contains("user names"), "{out}");
    let (ok, out) = run(&["user", "list"], "");
    assert!(ok && out.contains("zoe"), "{out}");
    let (ok, _) = run(&["user", "passwd", "zoe", "--password-stdin"], "second\n");
    assert!(ok);
    let s = Server::start_on(&data, &[]);
    // "zoe:second" works, "zoe:first" no longer does.
    let new = s.connect().send(
        "PROPFIND",
        "/dav/",
        &[("Authorization", "Basic em9lOnNlY29uZA==")],
        b"",
    );
    assert_eq!(new.status, 207);
    let old = s.connect().send(
        "PROPFIND",
        "/dav/",
        &[("Authorization", "Basic em9lOmZpcnN0")],
        b"",
    );
    assert_eq!(old.status, 401);
    drop(s);
    let (ok, out) = run(&["user", "remove", "zoe"], "");
    assert!(ok, "{out}");
    let (_, out) = run(&["user", "list"], "");
    assert!(!out.contains("zoe\t"), "{out}");
}

#[test]
fn tls_listener_speaks_http2_and_http1() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status();
    if !made.map(|s| s.success()).unwrap_or(false) {
        panic!("openssl is needed for the TLS test (apt-get install openssl)");
    }
    let data = dir.path().join("data");
    add_user(&data, "ann", "pw");
    let s = Server::start_on(
        &data,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let url = format!("https://{}/dav/calendars/ann/", s.addr);
    for flag in ["--http2", "--http1.1"] {
        let mut out = String::new();
        let mut child = Command::new("curl")
            .args([
                "-sk",
                flag,
                "-u",
                "ann:pw",
                "-X",
                "PROPFIND",
                "-H",
                "Depth: 0",
                "-o",
                "/dev/null",
                "-w",
                "%{http_version} %{http_code}",
                &url,
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("curl is needed for the TLS test");
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert!(child.wait().unwrap().success());
        let expected = if flag == "--http2" {
            "2 207"
        } else {
            "1.1 207"
        };
        assert_eq!(out, expected);
    }
}

#[test]
fn idle_keep_alive_connections_are_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_user(&data, "ann", "pw");
    let cfg = dir.path().join("calvault.toml");
    std::fs::write(&cfg, "header_timeout_secs = 1\n").unwrap();
    let s = Server::start_on(&data, &["--config", cfg.to_str().unwrap()]);
    let mut conn = s.connect();
    let r = conn.send(
        "PROPFIND",
        "/dav/",
        &[("Authorization", "Basic YW5uOnB3")],
        b"",
    );
    assert_eq!(r.status, 207);
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        conn.is_closed_by_peer(),
        "an idle connection must not be held open forever"
    );
}
