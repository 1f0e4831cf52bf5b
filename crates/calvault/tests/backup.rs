//! End-to-end tests of the backup tool: the real `calvault` binary backs up calvault,
//! Radicale and Xandikos (real servers on 127.0.0.1) and restores into calvault and
//! Radicale; incremental runs, interrupted runs, damage and conflicts.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::peers::{CalendarFixture, Kind, Peer};
use support::BIN;

const PASSPHRASE: &str = "correct horse battery staple";

/// Runs `calvault ARGS` with the passphrase and the peer's password in the environment.
fn calvault(args: &[&str], password: &str) -> Output {
    Command::new(BIN)
        .args(args)
        .env("CALVAULT_PASSPHRASE", PASSPHRASE)
        .env("CALVAULT_PASSWORD", password)
        .env("CALVAULT_TEST_KDF", "fast")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(output: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn init_repo(dir: &Path) -> String {
    let repo = dir.join("repo").display().to_string();
    ok(calvault(&["init", "--repo", &repo], ""), "init");
    repo
}

fn backup(repo: &str, peer: &Peer, extra: &[&str]) -> String {
    let url = peer.url();
    let mut args = vec!["backup", "--repo", repo, "--url", &url, "--user", peer.user];
    args.extend_from_slice(extra);
    ok(calvault(&args, peer.password), "backup")
}

/// An event with a time zone, a weekly rule with an exception and an override, an alarm,
/// attendees and non-ASCII text.
fn recurring_event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault tests//EN\r\n\
         BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
         RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
         END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\n\
         RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
         END:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
         BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T080000Z\r\n\
         DTSTART;TZID=Europe/Paris:20261102T090000\r\nDURATION:PT1H\r\n\
         RRULE:FREQ=WEEKLY;COUNT=10\r\nEXDATE;TZID=Europe/Paris:20261109T090000\r\n\
         SUMMARY:{summary}\r\nDESCRIPTION:Ordre du jour : café\\, croissants — 会議\r\n\
         ORGANIZER;CN=Zoë:mailto:zoe@example.com\r\n\
         ATTENDEE;CN=Jürgen;PARTSTAT=ACCEPTED:mailto:jurgen@example.com\r\n\
         BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Rappel\r\nTRIGGER:-PT15M\r\n\
         END:VALARM\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T080000Z\r\n\
         RECURRENCE-ID;TZID=Europe/Paris:20261116T090000\r\n\
         DTSTART;TZID=Europe/Paris:20261116T140000\r\nDURATION:PT1H\r\n\
         SUMMARY:{summary} (déplacé)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn simple_event(uid: &str, summary: &str, day: u32) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault tests//EN\r\nBEGIN:VEVENT\r\n\
         UID:{uid}\r\nDTSTAMP:20261101T080000Z\r\nDTSTART:202612{day:02}T100000Z\r\n\
         DTEND:202612{day:02}T110000Z\r\nSUMMARY:{summary}\r\nLOCATION:Salle Émile\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn todo(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault tests//EN\r\nBEGIN:VTODO\r\n\
         UID:{uid}\r\nDTSTAMP:20261101T080000Z\r\nDUE;VALUE=DATE:20261130\r\n\
         SUMMARY:{summary}\r\nSTATUS:NEEDS-ACTION\r\nPRIORITY:1\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
}

const WORK: CalendarFixture = CalendarFixture {
    displayname: "Travail — équipe",
    description: "Réunions & projets",
    color: "#3A7BD5FF",
    components: &["VEVENT"],
};
const TASKS: CalendarFixture = CalendarFixture {
    displayname: "Tâches",
    description: "À faire",
    color: "#E67E22FF",
    components: &["VTODO"],
};

/// Stores an object as `CALENDAR/NAME` and returns NAME.
fn put_object(peer: &Peer, calendar: &str, name: String, data: &str) -> String {
    let reply = peer.put(&format!("{}{name}", peer.calendar_path(calendar)), data);
    assert!(
        reply.status < 300,
        "{:?} PUT {calendar}/{name}: {} {}",
        peer.kind,
        reply.status,
        reply.text()
    );
    name
}

/// Two calendars with recurring events, plain events, todos and non-ASCII text. Returns
/// (calendar name, fixture, object names).
fn seed(peer: &Peer) -> Vec<(&'static str, &'static CalendarFixture, Vec<String>)> {
    peer.mkcalendar("work", &WORK);
    peer.mkcalendar("tasks", &TASKS);
    let mut work: Vec<String> = (0..4)
        .map(|i| {
            let data = recurring_event(
                &format!("weekly-{i}@calvault.test"),
                &format!("Réunion n°{i} 東京"),
            );
            put_object(peer, "work", format!("weekly-{i}.ics"), &data)
        })
        .collect();
    work.extend((0..6).map(|i| {
        let data = simple_event(
            &format!("event-{i}@calvault.test"),
            &format!("Déjeuner {i}"),
            i + 1,
        );
        put_object(peer, "work", format!("event-{i}.ics"), &data)
    }));
    let mut tasks: Vec<String> = (0..3)
        .map(|i| {
            let data = todo(
                &format!("todo-{i}@calvault.test"),
                &format!("Acheter du pain n°{i}"),
            );
            put_object(peer, "tasks", format!("todo-{i}.ics"), &data)
        })
        .collect();
    work.sort();
    tasks.sort();
    vec![("work", &WORK, work), ("tasks", &TASKS, tasks)]
}

/// Every object of `from` is in `to`, byte for byte, and the calendars kept their
/// properties.
fn assert_same_calendars(
    from: &Peer,
    to: &Peer,
    seeded: &[(&'static str, &'static CalendarFixture, Vec<String>)],
) {
    for (name, fixture, objects) in seeded {
        let source = from.calendar_path(name);
        let target = to.calendar_path(name);
        assert_eq!(
            to.object_names(&target),
            *objects,
            "{:?} -> {:?}: objects of {name}",
            from.kind,
            to.kind
        );
        for object in objects {
            let original = from.get(&format!("{source}{object}"));
            let restored = to.get(&format!("{target}{object}"));
            assert_eq!(restored.status, 200);
            // Radicale stores what its parser writes back (property order changes), so no
            // client can keep bytes there: the same lines are what can be asked of it.
            let same = if to.kind == Kind::Radicale {
                content_lines(&original.body) == content_lines(&restored.body)
            } else {
                original.body == restored.body
            };
            assert!(
                same,
                "{:?} -> {:?}: {name}/{object} differs:\n--- source\n{}\n--- restored\n{}",
                from.kind,
                to.kind,
                original.text(),
                restored.text()
            );
        }
        let props = to.calendar_props_xml(&target);
        for expected in [
            support::peers::xml_escape(fixture.displayname),
            support::peers::xml_escape(fixture.description),
            fixture.color.to_owned(),
        ] {
            assert!(
                props.contains(&expected),
                "{:?} -> {:?}: calendar {name} lost {expected:?}: {props}",
                from.kind,
                to.kind
            );
        }
        for comp in fixture.components {
            assert!(
                props.contains(comp),
                "{name} lost its component set: {props}"
            );
        }
    }
}

/// The unfolded content lines of an object, in sorted order.
fn content_lines(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data)
        .replace("\r\n ", "")
        .replace("\r\n", "\n");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// `calvault restore latest` into `target`, as its user.
fn restore_into(repo: &str, target: &Peer, extra: &[&str]) -> Output {
    let url = target.url();
    let mut args = vec![
        "restore",
        "latest",
        "--repo",
        repo,
        "--url",
        &url,
        "--user",
        target.user,
    ];
    args.extend_from_slice(extra);
    calvault(&args, target.password)
}

/// Backs up `kind`, then restores the snapshot into a fresh calvault and a fresh Radicale.
fn round_trip(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let source = Peer::start(kind);
    let seeded = seed(&source);
    let repo = init_repo(dir.path());
    let out = backup(&repo, &source, &[]);
    assert!(out.contains("13 new"), "{out}");
    for target_kind in [Kind::Calvault, Kind::Radicale] {
        let target = Peer::start(target_kind);
        let out = ok(
            restore_into(&repo, &target, &["--on-conflict", "overwrite"]),
            "restore",
        );
        assert!(out.contains("13 object(s) written"), "{out}");
        assert_same_calendars(&source, &target, &seeded);
        // Running it again finds everything in place and writes nothing.
        let again = ok(restore_into(&repo, &target, &[]), "restore again");
        assert!(
            again.contains("0 object(s) written") && again.contains("13 unchanged"),
            "{again}"
        );
    }
}

#[test]
fn backs_up_calvault_and_restores_into_calvault_and_radicale() {
    round_trip(Kind::Calvault);
}

#[test]
fn backs_up_radicale_and_restores_into_calvault_and_radicale() {
    round_trip(Kind::Radicale);
}

#[test]
fn backs_up_xandikos_and_restores_into_calvault_and_radicale() {
    round_trip(Kind::Xandikos);
}

/// Loads `count` small events into a new calendar `big` over one keep-alive connection.
fn load_big_calendar(peer: &Peer, count: usize) {
    peer.mkcalendar("big", &WORK);
    let path = peer.calendar_path("big");
    let stream = std::net::TcpStream::connect(peer.addr).unwrap();
    let mut conn = support::Conn::from_stream(stream);
    for i in 0..count {
        // Realistic objects (about 1.6 KB: a time zone, a rule, an override, an alarm).
        let body = recurring_event(&format!("big-{i}@calvault.test"), &format!("Événement {i}"));
        let reply = conn.send(
            "PUT",
            &format!("{path}big-{i}.ics"),
            &[
                ("Authorization", "Basic YW5uOnB3"),
                ("Content-Type", "text/calendar"),
            ],
            body.as_bytes(),
        );
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
}

fn dir_size(path: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(path).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            dir_size(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

/// `12 objects fetched in 7 requests` -> (12, 7).
fn fetched_and_requests(out: &str) -> (u64, u64) {
    let words: Vec<&str> = out.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "fetched").unwrap();
    (
        words[at - 2].parse().unwrap(),
        words[at + 2].parse().unwrap(),
    )
}

#[test]
fn incremental_backup_fetches_only_the_changes() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(Kind::Calvault);
    load_big_calendar(&peer, 5000);
    let repo = init_repo(dir.path());
    let first = backup(&repo, &peer, &["--calendar", "big"]);
    let (fetched, requests) = fetched_and_requests(&first);
    assert_eq!(fetched, 5000, "{first}");
    // 5,000 objects in batches of 100, plus discovery.
    assert!(requests <= 60, "{first}");
    let size_after_first = dir_size(Path::new(&repo));

    // 10 changes: 5 edits, 3 new events, 2 deletions.
    let path = peer.calendar_path("big");
    for i in 0..5 {
        let reply = peer.put(
            &format!("{path}big-{i}.ics"),
            &simple_event(&format!("big-{i}@calvault.test"), "Modifié", 3),
        );
        assert_eq!(reply.status, 204, "{}", reply.text());
    }
    for i in 0..3 {
        let reply = peer.put(
            &format!("{path}new-{i}.ics"),
            &simple_event(&format!("new-{i}@calvault.test"), "Nouveau", 4),
        );
        assert_eq!(reply.status, 201);
    }
    for i in 10..12 {
        assert_eq!(
            peer.request("DELETE", &format!("{path}big-{i}.ics"), &[], b"")
                .status,
            204
        );
    }
    let second = backup(&repo, &peer, &["--calendar", "big"]);
    let (fetched, requests) = fetched_and_requests(&second);
    assert_eq!(
        fetched, 8,
        "only the 8 new or edited objects are fetched: {second}"
    );
    assert!(
        requests <= 8,
        "discovery, one sync-collection, one multiget: {second}"
    );
    assert!(second.contains("3 new, 5 changed, 2 removed"), "{second}");
    let added = dir_size(Path::new(&repo)) - size_after_first;
    let per_object = size_after_first / 5000;
    eprintln!("first backup {size_after_first} bytes; the second added {added} bytes ({per_object} per object)");
    assert!(
        added < 40 * per_object,
        "10 changes added {added} bytes, more than 40 objects' worth ({per_object} each)"
    );

    // The snapshots can be looked into.
    let snapshots = ok(
        calvault(&["snapshots", "--repo", &repo, "--json"], ""),
        "snapshots",
    );
    let list: serde_json::Value = serde_json::from_str(&snapshots).unwrap();
    let ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    let diff = ok(
        calvault(&["diff", "--repo", &repo, &ids[0][..8], "latest"], ""),
        "diff",
    );
    assert!(diff.contains("3 added, 2 removed, 5 changed"), "{diff}");
    assert!(
        diff.contains("+ big  new-0@calvault.test  \"Nouveau\""),
        "{diff}"
    );
    let ls = ok(
        calvault(&["ls", "--repo", &repo, "latest", "big"], ""),
        "ls",
    );
    assert_eq!(ls.lines().count(), 5001, "{ls}");
    let cat = calvault(&["cat", "--repo", &repo, "latest", "big/big-0.ics"], "");
    assert!(cat.status.success());
    assert_eq!(cat.stdout, peer.get(&format!("{path}big-0.ics")).body);
    let old = calvault(
        &["cat", "--repo", &repo, &ids[0], "big-11@calvault.test"],
        "",
    );
    assert!(String::from_utf8_lossy(&old.stdout).contains("UID:big-11@calvault.test"));
    let export = dir.path().join("export");
    ok(
        calvault(
            &[
                "export",
                "--repo",
                &repo,
                "latest",
                "--to",
                export.to_str().unwrap(),
            ],
            "",
        ),
        "export",
    );
    let merged = std::fs::read_to_string(export.join("big.ics")).unwrap();
    // 4,993 recurring events (master and override) and 8 single ones.
    assert_eq!(merged.matches("BEGIN:VEVENT").count(), 4993 * 2 + 8);
    assert_eq!(merged.matches("BEGIN:VTIMEZONE").count(), 1);

    // Forget the first snapshot and prune: the latest stays whole.
    let forget = ok(
        calvault(
            &["forget", "--repo", &repo, "--keep-last", "1", "--prune"],
            "",
        ),
        "forget",
    );
    assert!(forget.contains("1 snapshot(s) forgotten"), "{forget}");
    ok(
        calvault(&["verify", "--repo", &repo, "--read-data"], ""),
        "verify after prune",
    );
    let restored = ok(
        calvault(&["cat", "--repo", &repo, "latest", "big/new-2.ics"], ""),
        "cat",
    );
    assert!(restored.contains("UID:new-2@calvault.test"));

    // A new passphrase opens it; the old one no longer does.
    let passwd = Command::new(BIN)
        .args(["key", "passwd", "--repo", &repo])
        .env("CALVAULT_PASSPHRASE", PASSPHRASE)
        .env("CALVAULT_NEW_PASSPHRASE", "another one")
        .env("CALVAULT_TEST_KDF", "fast")
        .output()
        .unwrap();
    assert!(
        passwd.status.success(),
        "{}",
        String::from_utf8_lossy(&passwd.stderr)
    );
    let old_key = calvault(&["snapshots", "--repo", &repo], "");
    assert_eq!(old_key.status.code(), Some(6));
    let new_key = Command::new(BIN)
        .args(["snapshots", "--repo", &repo])
        .env("CALVAULT_PASSPHRASE", "another one")
        .output()
        .unwrap();
    assert!(new_key.status.success());
}

#[test]
fn interrupted_backup_damage_and_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(Kind::Calvault);
    load_big_calendar(&peer, 3000);
    let repo = init_repo(dir.path());

    // Killed midway: once the first pack is on disk.
    let url = peer.url();
    let mut child = Command::new(BIN)
        .args(["backup", "--repo", &repo, "--url", &url, "--user", "ann"])
        .env("CALVAULT_PASSPHRASE", PASSPHRASE)
        .env("CALVAULT_PASSWORD", "pw")
        .env("CALVAULT_TEST_KDF", "fast")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Once a pack is being written: objects fetched, nothing finished.
    let deadline = Instant::now() + Duration::from_secs(60);
    let tmp = Path::new(&repo).join("tmp");
    while (!tmp.exists() || dir_size(&tmp) < 200_000) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let after_kill = ok(
        calvault(&["snapshots", "--repo", &repo, "--json"], ""),
        "snapshots",
    );
    let after_kill: serde_json::Value = serde_json::from_str(&after_kill).unwrap();
    assert_eq!(
        after_kill.as_array().unwrap().len(),
        0,
        "killed before its snapshot"
    );
    let out = backup(&repo, &peer, &[]);
    assert!(out.contains("3000 new"), "{out}");
    ok(
        calvault(&["verify", "--repo", &repo, "--read-data"], ""),
        "verify after an interrupted backup",
    );

    // One flipped byte in a pack: verify names the pack and the objects in it.
    let mut packs = Vec::new();
    for sub in std::fs::read_dir(Path::new(&repo).join("data")).unwrap() {
        for pack in std::fs::read_dir(sub.unwrap().path()).unwrap() {
            packs.push(pack.unwrap().path());
        }
    }
    // The largest pack holds the objects (their blobs come first, the header last).
    packs.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
    let pack = packs.last().unwrap();
    let mut bytes = std::fs::read(pack).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(pack, &bytes).unwrap();
    let verify = calvault(&["verify", "--repo", &repo, "--read-data"], "");
    assert_eq!(
        verify.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let report = String::from_utf8_lossy(&verify.stdout);
    let pack_name = pack.file_name().unwrap().to_str().unwrap();
    assert!(report.contains(pack_name), "{report}");
    assert!(
        report.contains("/dav/calendars/ann/big/big-"),
        "the affected objects are named: {report}"
    );

    // The wrong passphrase is a clear error with its own exit code.
    let wrong = Command::new(BIN)
        .args(["snapshots", "--repo", &repo])
        .env("CALVAULT_PASSPHRASE", "not it")
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("passphrase"));
}

#[test]
fn restore_skips_conflicts_and_never_deletes_without_mirror() {
    let dir = tempfile::tempdir().unwrap();
    let peer = Peer::start(Kind::Calvault);
    let seeded = seed(&peer);
    let repo = init_repo(dir.path());
    backup(&repo, &peer, &[]);
    let work = peer.calendar_path("work");

    // On the server since the backup: one event edited, one deleted, one added, and the
    // same UID as a backed-up event stored under another name.
    let edited = simple_event("event-0@calvault.test", "Edited after the backup", 9);
    assert_eq!(peer.put(&format!("{work}event-0.ics"), &edited).status, 204);
    assert_eq!(
        peer.request("DELETE", &format!("{work}event-1.ics"), &[], b"")
            .status,
        204
    );
    let extra = simple_event("extra@calvault.test", "Added after the backup", 10);
    assert_eq!(peer.put(&format!("{work}extra.ics"), &extra).status, 201);
    assert_eq!(
        peer.request("DELETE", &format!("{work}event-2.ics"), &[], b"")
            .status,
        204
    );
    let moved = simple_event("event-2@calvault.test", "Same UID, other name", 11);
    assert_eq!(peer.put(&format!("{work}moved.ics"), &moved).status, 201);

    let url = peer.url();
    let restore = |extra: &[&str]| {
        let mut args = vec![
            "restore", "latest", "--repo", &repo, "--url", &url, "--user", "ann",
        ];
        args.extend_from_slice(extra);
        calvault(&args, "pw")
    };
    // --on-conflict fail: nothing written.
    let failed = restore(&["--on-conflict", "fail"]);
    assert_eq!(failed.status.code(), Some(4));
    assert_eq!(peer.get(&format!("{work}event-1.ics")).status, 404);

    let dry = ok(restore(&["--dry-run"]), "dry run");
    assert!(dry.contains("create work/event-1.ics"), "{dry}");
    assert_eq!(peer.get(&format!("{work}event-1.ics")).status, 404);

    let out = ok(restore(&[]), "restore");
    assert!(out.contains("1 object(s) written"), "{out}");
    assert!(out.contains("skip (conflict): work/event-0.ics"), "{out}");
    assert!(out.contains("skip (conflict): work/moved.ics"), "{out}");
    assert_eq!(
        peer.get(&format!("{work}event-0.ics")).body,
        edited.as_bytes()
    );
    assert_eq!(peer.get(&format!("{work}moved.ics")).body, moved.as_bytes());
    assert_eq!(peer.get(&format!("{work}extra.ics")).body, extra.as_bytes());
    let original = recurring_event("weekly-0@calvault.test", "Réunion n°0 東京");
    assert_eq!(
        peer.get(&format!("{work}weekly-0.ics")).body,
        original.as_bytes()
    );
    assert_eq!(peer.get(&format!("{work}event-1.ics")).status, 200);

    // --mirror with overwrite makes the calendar what the snapshot holds.
    let out = ok(
        restore(&[
            "--mirror",
            "--on-conflict",
            "overwrite",
            "--calendar",
            "work",
        ]),
        "mirror",
    );
    assert!(out.contains("1 deleted"), "{out}");
    assert_eq!(peer.get(&format!("{work}extra.ics")).status, 404);
    assert_ne!(
        peer.get(&format!("{work}event-0.ics")).body,
        edited.as_bytes()
    );
    let names = peer.object_names(&work);
    let expected: Vec<String> = seeded[0]
        .2
        .iter()
        .map(|n| {
            if n == "event-2.ics" {
                "moved.ics".to_owned()
            } else {
                n.clone()
            }
        })
        .collect();
    let mut expected = expected;
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn migrate_copies_between_servers() {
    let source = Peer::start(Kind::Radicale);
    let seeded = seed(&source);
    let target = Peer::start(Kind::Calvault);
    let from = source.url();
    let to = target.url();
    let out = Command::new(BIN)
        .args(["migrate", "--from", &from, "--to", &to, "--user", "ann"])
        .env("CALVAULT_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_calendars(&source, &target, &seeded);
}

#[test]
fn backs_up_over_https_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        made.success(),
        "openssl is needed (apt-get install openssl)"
    );
    let data = dir.path().join("data");
    support::add_user(&data, "ann", "pw");
    let server = support::Server::start_on(
        &data,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let repo = init_repo(dir.path());
    let url = format!("https://{}/", server.addr);
    let base = ["backup", "--repo", &repo, "--url", &url, "--user", "ann"];

    // Not trusted by default: a clear error, nothing saved.
    let refused = calvault(&base, "pw");
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("TLS handshake failed") && message.contains("certificate"),
        "{message}"
    );

    let mut trusted = base.to_vec();
    let cert = cert.to_str().unwrap();
    trusted.extend_from_slice(&["--ca-cert", cert]);
    let out = ok(calvault(&trusted, "pw"), "backup over https");
    assert!(out.contains("snapshot"), "{out}");
}
