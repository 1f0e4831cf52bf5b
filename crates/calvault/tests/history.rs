//! History end to end (issue: calendars that cannot be lost): the real binary serving real
//! clients over a socket, and the CLI working on the same data directory meanwhile.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Command;

use support::{add_user, store_args, Server, BIN};

const CAL: &str = "/dav/calendars/ann/calendar/";

fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:20261124T090000Z\r\nDURATION:PT1H\r\n\
         SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// Runs the CLI on `data`; (success, stdout + stderr).
fn cli(data: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .args(store_args(data))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn put(s: &Server, name: &str, body: &str, agent: &str) {
    let r = s.ann(
        "PUT",
        &format!("{CAL}{name}"),
        &[("User-Agent", agent), ("Content-Type", "text/calendar")],
        body,
    );
    assert!(matches!(r.status, 201 | 204), "PUT {name}: {}", r.status);
}

fn delete(s: &Server, name: &str, agent: &str) {
    let r = s.ann(
        "DELETE",
        &format!("{CAL}{name}"),
        &[("User-Agent", agent)],
        "",
    );
    assert_eq!(r.status, 204, "DELETE {name}");
}

fn get(s: &Server, name: &str) -> Option<String> {
    let r = s.ann("GET", &format!("{CAL}{name}"), &[], "");
    (r.status == 200).then(|| r.text())
}

fn now_rfc3339() -> String {
    // Times in the history are milliseconds; step past the current one.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let t = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    std::thread::sleep(std::time::Duration::from_millis(5));
    t
}

/// (new token, hrefs reported) of a sync-collection REPORT from `token`.
fn sync(s: &Server, token: &str) -> (String, Vec<String>) {
    let tok = if token.is_empty() {
        "<D:sync-token/>".to_owned()
    } else {
        format!("<D:sync-token>{token}</D:sync-token>")
    };
    let body = format!(
        "<?xml version=\"1.0\"?><D:sync-collection xmlns:D=\"DAV:\">{tok}\
         <D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"
    );
    let r = s.ann("REPORT", CAL, &[("Content-Type", "application/xml")], &body);
    assert_eq!(r.status, 207, "{}", r.text());
    let text = r.text();
    let between = |open: &str, from: usize| {
        let start = text[from..].find(open).map(|i| from + i + open.len())?;
        let end = text[start..].find('<').map(|i| start + i)?;
        Some((text[start..end].to_owned(), end))
    };
    let token = text
        .find("sync-token>")
        .and_then(|i| between(">", i + "sync-token".len()))
        .map(|(t, _)| t)
        .unwrap();
    let mut hrefs = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("href>") {
        let (h, end) = between(">", at + i + 4).unwrap();
        hrefs.push(h);
        at = end;
    }
    (token, hrefs)
}

/// Version numbers of one object's history, oldest first.
fn versions_of(data: &Path, object: &str) -> Vec<i64> {
    let (ok, out) = cli(
        data,
        &["history", &format!("ann/calendar/{object}"), "--json"],
    );
    assert!(ok, "{out}");
    let mut ids: Vec<i64> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["version"]
                .as_i64()
                .unwrap()
        })
        .collect();
    ids.reverse();
    ids
}

#[test]
fn rollback_brings_back_every_event_a_client_deleted_and_sync_reports_them() {
    let s = Server::start();
    let names: Vec<String> = (0..20).map(|i| format!("e{i}.ics")).collect();
    for (i, n) in names.iter().enumerate() {
        put(
            &s,
            n,
            &event(&format!("uid-{i}"), &format!("Meeting {i} \u{e9}")),
            "Thunderbird/128",
        );
    }
    let originals: Vec<String> = names.iter().map(|n| get(&s, n).unwrap()).collect();
    let before = now_rfc3339();
    for n in &names {
        delete(&s, n, "BadSync/0.1");
    }
    let (token, _) = sync(&s, "");
    assert!(names.iter().all(|n| get(&s, n).is_none()));

    // A dry run prints the plan and changes nothing.
    let (ok, out) = cli(
        &s.data,
        &["rollback", "ann/calendar", "--to", &before, "--dry-run"],
    );
    assert!(
        ok && out.contains("recreate e0.ics") && out.contains("Dry run"),
        "{out}"
    );
    assert!(get(&s, "e0.ics").is_none());

    let (ok, out) = cli(&s.data, &["rollback", "ann/calendar", "--to", &before]);
    assert!(ok && out.contains("20 written"), "{out}");
    for (n, original) in names.iter().zip(&originals) {
        assert_eq!(get(&s, n).as_ref(), Some(original), "{n} is byte-identical");
    }
    // The client that synced the deletions learns about the restored events.
    let (_, hrefs) = sync(&s, &token);
    for n in &names {
        assert!(
            hrefs.iter().any(|h| h.ends_with(n.as_str())),
            "{n} not in {hrefs:?}"
        );
    }
    // The history says who did what, and the restore is recorded, not rewritten.
    let (ok, out) = cli(&s.data, &["history", "ann/calendar", "--client", "badsync"]);
    assert!(
        ok && out.lines().count() == 20 && out.contains("deleted"),
        "{out}"
    );
    let (ok, out) = cli(&s.data, &["history", "ann/calendar", "--limit", "1"]);
    assert!(
        ok && out.contains("calvault rollback") && out.contains("created"),
        "{out}"
    );
    let (ok, out) = cli(&s.data, &["history", "verify"]);
    assert!(ok, "{out}");
}

#[test]
fn rollback_by_client_undoes_only_that_client() {
    let s = Server::start();
    let good = "DAVx5/4.4 (good phone)";
    let evil = "Evil-Sync/2.0";
    put(&s, "a.ics", &event("a", "A original"), good);
    put(&s, "b.ics", &event("b", "B original"), good);
    put(&s, "e.ics", &event("e", "E original"), good);
    put(&s, "f.ics", &event("f", "F original"), good);
    let original_a = get(&s, "a.ics").unwrap();
    let original_b = get(&s, "b.ics").unwrap();
    let since = now_rfc3339();
    put(&s, "a.ics", &event("a", "A mangled"), evil);
    delete(&s, "b.ics", evil);
    put(&s, "c.ics", &event("c", "C spam"), evil);
    put(&s, "e.ics", &event("e", "E mangled"), evil);
    put(&s, "d.ics", &event("d", "D new"), good);
    put(&s, "e.ics", &event("e", "E fixed by hand"), good);
    // The bad client again after someone else: the other edit must not be lost.
    put(&s, "f.ics", &event("f", "F mangled"), evil);
    put(&s, "f.ics", &event("f", "F fixed by hand"), good);
    put(&s, "f.ics", &event("f", "F mangled again"), evil);

    let (ok, out) = cli(
        &s.data,
        &[
            "rollback",
            "ann/calendar",
            "--client",
            "evil-sync",
            "--since",
            &since,
        ],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("skip e.ics: changed afterwards by ann"),
        "{out}"
    );
    assert!(
        out.contains("skip f.ics: changed afterwards by ann"),
        "{out}"
    );
    assert!(get(&s, "f.ics").unwrap().contains("F mangled again"));
    assert_eq!(get(&s, "a.ics"), Some(original_a));
    assert_eq!(get(&s, "b.ics"), Some(original_b));
    assert_eq!(get(&s, "c.ics"), None, "what the client created is removed");
    assert!(
        get(&s, "d.ics").unwrap().contains("D new"),
        "the other client's work stays"
    );
    assert!(get(&s, "e.ics").unwrap().contains("E fixed by hand"));
}

#[test]
fn undelete_revert_show_and_diff_work_on_single_events() {
    let s = Server::start();
    put(&s, "x.ics", &event("x", "Lunch"), "Apple/1");
    let v1 = get(&s, "x.ics").unwrap();
    put(
        &s,
        "x.ics",
        &event("x", "Lunch with Bea").replace("PT1H", "PT2H"),
        "Apple/1",
    );
    let v2 = get(&s, "x.ics").unwrap();
    delete(&s, "x.ics", "Apple/1");

    let ids = versions_of(&s.data, "x.ics");
    assert_eq!(ids.len(), 3, "created, changed, deleted");
    let (ok, out) = cli(
        &s.data,
        &["history", "diff", &ids[0].to_string(), &ids[1].to_string()],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("VEVENT SUMMARY:") && out.contains("- SUMMARY:Lunch"),
        "{out}"
    );
    assert!(
        out.contains("+ DURATION:PT2H") && !out.contains("UID"),
        "{out}"
    );
    let (ok, out) = cli(&s.data, &["history", "show", &ids[1].to_string()]);
    assert!(
        ok && out.contains("SUMMARY:Lunch with Bea") && out.contains("Apple/1"),
        "{out}"
    );

    let (ok, out) = cli(&s.data, &["undelete", "ann/calendar/x.ics"]);
    assert!(ok, "{out}");
    assert_eq!(
        get(&s, "x.ics"),
        Some(v2.clone()),
        "the last version before the deletion"
    );
    let (ok, out) = cli(&s.data, &["undelete", "ann/calendar/x.ics"]);
    assert!(!ok && out.contains("is not deleted"), "{out}");
    let (ok, out) = cli(
        &s.data,
        &["revert", "ann/calendar/x.ics", "--to", &ids[0].to_string()],
    );
    assert!(ok, "{out}");
    assert_eq!(get(&s, "x.ics"), Some(v1));
    let (ok, out) = cli(
        &s.data,
        &["revert", "ann/calendar/x.ics", "--to", "yesterday"],
    );
    assert!(!ok && out.contains("RFC 3339"), "{out}");

    // --deleted-since brings back everything deleted since a time, nothing older.
    put(&s, "old.ics", &event("old", "Old"), "Apple/1");
    delete(&s, "old.ics", "Apple/1");
    let since = now_rfc3339();
    put(&s, "y.ics", &event("y", "Y"), "Apple/1");
    delete(&s, "y.ics", "Apple/1");
    let (ok, out) = cli(
        &s.data,
        &["undelete", "ann/calendar", "--deleted-since", &since],
    );
    assert!(ok, "{out}");
    assert!(get(&s, "y.ics").is_some() && get(&s, "old.ics").is_none());
}

#[test]
fn deleted_calendars_are_listed_and_restored_with_their_events() {
    let s = Server::start();
    let mk = s.ann("MKCALENDAR", "/dav/calendars/ann/work/", &[], "");
    assert_eq!(mk.status, 201);
    let r = s.ann(
        "PUT",
        "/dav/calendars/ann/work/w.ics",
        &[("Content-Type", "text/calendar")],
        &event("w", "Standup"),
    );
    assert_eq!(r.status, 201);
    assert_eq!(
        s.ann("DELETE", "/dav/calendars/ann/work/", &[], "").status,
        204
    );
    let (ok, out) = cli(&s.data, &["history", "deleted", "ann"]);
    assert!(
        ok && out.contains("ann/work") && out.contains("1 objects"),
        "{out}"
    );
    let (ok, out) = cli(&s.data, &["undelete", "ann/work"]);
    assert!(ok, "{out}");
    let r = s.ann("GET", "/dav/calendars/ann/work/w.ics", &[], "");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Standup"));
    let (ok, out) = cli(&s.data, &["history", "ann/work", "--limit", "1"]);
    assert!(ok && out.contains("collection-restore"), "{out}");
}

#[test]
fn an_entry_altered_in_the_database_is_detected_and_named() {
    let s = Server::start();
    for i in 0..5 {
        put(
            &s,
            &format!("t{i}.ics"),
            &event(&format!("t{i}"), "Tamper me"),
            "Apple/1",
        );
    }
    let data = s.data.clone();
    let ids2 = versions_of(&data, "t2.ics");
    let (ok, out) = cli(&data, &["history", "verify"]);
    assert!(ok && out.contains("every hash chain intact"), "{out}");

    // Someone with access to the database rewrites who made a change.
    let id = ids2[0];
    let alter = |sqlite: &str, postgres: &str| {
        let sql = if std::env::var("CALVAULT_TEST_STORE").as_deref() == Ok("postgres") {
            postgres
        } else {
            sqlite
        };
        support::run_sql(&data, &sql.replace("ID", &id.to_string()));
    };
    alter(
        "UPDATE object_version SET author = 'nobody' WHERE id = ID",
        "UPDATE object_version SET author = 'nobody' WHERE id = ID",
    );
    let (ok, out) = cli(&data, &["history", "verify"]);
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("at version {id}")), "{out}");
    // Restore it, and rewrite the event data instead.
    alter(
        "UPDATE object_version SET author = 'ann' WHERE id = ID",
        "UPDATE object_version SET author = 'ann' WHERE id = ID",
    );
    let (ok, _) = cli(&data, &["history", "verify"]);
    assert!(ok);
    alter(
        "UPDATE object_version SET data = replace(data, 'Tamper me', 'Tampered') WHERE id = ID",
        "UPDATE object_version SET data = convert_to(replace(convert_from(data, 'UTF8'), \
         'Tamper me', 'Tampered'), 'UTF8') WHERE id = ID",
    );
    let (ok, out) = cli(&data, &["history", "verify"]);
    assert!(!ok && out.contains(&format!("at version {id}")), "{out}");
    assert!(out.contains("data does not match"), "{out}");
    alter(
        "UPDATE object_version SET data = replace(data, 'Tampered', 'Tamper me') WHERE id = ID",
        "UPDATE object_version SET data = convert_to(replace(convert_from(data, 'UTF8'), \
         'Tampered', 'Tamper me'), 'UTF8') WHERE id = ID",
    );
    let (ok, out) = cli(&data, &["history", "verify"]);
    assert!(ok, "{out}");
    // Erasing a version's data is no way around it: only retention may drop data.
    let t3 = versions_of(&data, "t3.ics");
    support::run_sql(
        &data,
        &format!("UPDATE object_version SET data = NULL WHERE id = {}", t3[0]),
    );
    let (ok, out) = cli(&data, &["history", "verify"]);
    assert!(!ok && out.contains("no retention run explains it"), "{out}");
}

/// Issue 21: the served copy, not a history row, changed in the database: every chain still
/// verifies, but clients would sync the altered event under its old ETag.
#[test]
fn a_served_object_altered_in_the_database_is_named() {
    let s = Server::start();
    put(&s, "kept.ics", &event("kept", "Untouched"), "Apple/1");
    put(&s, "forged.ics", &event("forged", "Original"), "Apple/1");
    let (ok, out) = cli(&s.data, &["history", "verify"]);
    assert!(ok && out.contains("2 objects"), "{out}");
    let postgres = std::env::var("CALVAULT_TEST_STORE").as_deref() == Ok("postgres");
    let new_bytes = match postgres {
        true => "convert_to('BEGIN:VCALENDAR forged', 'UTF8')",
        false => "CAST('BEGIN:VCALENDAR forged' AS BLOB)",
    };
    support::run_sql(
        &s.data,
        &format!(
            "UPDATE calendar_object_data SET data = {new_bytes} WHERE object_id = \
             (SELECT id FROM calendar_object WHERE name = 'forged.ics')"
        ),
    );
    let (ok, out) = cli(&s.data, &["history", "verify"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("history of ann/calendar: object forged.ics: its bytes do not match its ETag"),
        "{out}"
    );
    assert!(!out.contains("kept.ics"), "{out}");
}

#[test]
fn parallel_writers_leave_every_chain_verifiable_and_nothing_missing() {
    let s = Server::start();
    let writers: usize = 6;
    let each: usize = 15;
    std::thread::scope(|scope| {
        for w in 0..writers {
            let s = &s;
            scope.spawn(move || {
                for i in 0..each {
                    let name = format!("w{w}-{i}.ics");
                    put(
                        s,
                        &name,
                        &event(&format!("w{w}-{i}"), "Parallel"),
                        "Bench/1",
                    );
                    if i % 5 == 0 {
                        delete(s, &name, "Bench/1");
                    }
                }
            });
        }
    });
    let (ok, out) = cli(&s.data, &["history", "verify"]);
    assert!(ok, "{out}");
    let (ok, out) = cli(
        &s.data,
        &["history", "ann/calendar", "--json", "--client", "bench"],
    );
    assert!(ok);
    let deletes = writers * each.div_ceil(5);
    assert_eq!(
        out.lines().count(),
        writers * each + deletes,
        "every write recorded once"
    );
}

#[test]
fn prune_drops_old_data_but_the_chain_and_current_state_stay() {
    let s = Server::start();
    for rev in 0..4 {
        put(&s, "p.ics", &event("p", &format!("Rev {rev}")), "Apple/1");
    }
    let current = get(&s, "p.ics").unwrap();
    let later = now_rfc3339();
    let (ok, out) = cli(&s.data, &["history", "prune", "--older-than", &later]);
    assert!(
        ok && out.contains("Dropped the data of 3 superseded versions"),
        "{out}"
    );
    let (ok, out) = cli(&s.data, &["history", "verify"]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&s.data, &["history", "stats"]);
    assert!(
        ok && out.contains("ann/calendar\t") && out.contains("3 pruned"),
        "{out}"
    );
    assert_eq!(get(&s, "p.ics"), Some(current));
    let ids = versions_of(&s.data, "p.ics");
    let (ok, out) = cli(
        &s.data,
        &["revert", "ann/calendar/p.ics", "--to", &ids[0].to_string()],
    );
    assert!(ok && out.contains("no data left"), "{out}");

    // A version replaced only after the limit stays restorable.
    put(&s, "q.ics", &event("q", "Q before"), "Apple/1");
    let q_before = get(&s, "q.ics").unwrap();
    let limit = now_rfc3339();
    put(&s, "q.ics", &event("q", "Q after"), "Apple/1");
    let (ok, out) = cli(&s.data, &["history", "prune", "--older-than", &limit]);
    assert!(ok && out.contains("Dropped the data of 0"), "{out}");
    let q = versions_of(&s.data, "q.ics");
    let (ok, out) = cli(
        &s.data,
        &["revert", "ann/calendar/q.ics", "--to", &q[0].to_string()],
    );
    assert!(ok, "{out}");
    assert_eq!(get(&s, "q.ics"), Some(q_before));
    let (ok, out) = cli(&s.data, &["history", "verify"]);
    assert!(ok, "{out}");
}

#[test]
fn the_api_shows_and_restores_only_the_callers_own_history() {
    let s = Server::start();
    add_user(&s.data, "bob", "pw");
    put(&s, "api.ics", &event("api", "Via API"), "Apple/1");
    let original = get(&s, "api.ics").unwrap();
    delete(&s, "api.ics", "Apple/1");

    let r = s.ann(
        "GET",
        "/api/history?calendar=calendar&object=api.ics",
        &[],
        "",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let list: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(list[0]["action"], "deleted");
    assert_eq!(list[1]["action"], "created");
    assert_eq!(list[0]["summary"], "Via API");
    let version = list[1]["version"].as_i64().unwrap();

    // Bob cannot read Ann's versions.
    let bob = s.connect().send(
        "GET",
        &format!("/api/history/{version}"),
        &[("Authorization", "Basic Ym9iOnB3")],
        b"",
    );
    assert_eq!(bob.status, 404);

    let r = s.ann(
        "POST",
        "/api/undelete",
        &[("Content-Type", "application/json")],
        r#"{"calendar": "calendar", "object": "api.ics"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let out: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(out["applied"]["done"][0], "api.ics");
    assert_eq!(get(&s, "api.ics"), Some(original));
    let r = s.ann("POST", "/api/rollback", &[], "{not json");
    assert_eq!(r.status, 400);
}

#[test]
fn restores_through_the_api_count_against_the_users_quota() {
    let s = Server::start();
    // cara: 3,000 bytes of quota.
    let mut add = Command::new(BIN)
        .args(["user", "add", "cara", "--password-stdin", "--quota", "3000"])
        .args(store_args(&s.data))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(add.stdin.take().unwrap(), "pw").unwrap();
    assert!(add.wait().unwrap().success());
    let cara = |method: &str, path: &str, body: &str| {
        s.connect().send(
            method,
            path,
            &[
                ("Authorization", "Basic Y2FyYTpwdw=="),
                ("Content-Type", "text/calendar"),
            ],
            body.as_bytes(),
        )
    };
    let padded = |uid: &str| event(uid, &"x".repeat(1100));
    assert_eq!(
        cara("MKCALENDAR", "/dav/calendars/cara/old/", "").status,
        201
    );
    assert_eq!(
        cara("PUT", "/dav/calendars/cara/old/a.ics", &padded("a")).status,
        201
    );
    assert_eq!(cara("DELETE", "/dav/calendars/cara/old/", "").status, 204);
    // The space the deleted calendar held is used again.
    assert_eq!(
        cara("PUT", "/dav/calendars/cara/calendar/b.ics", &padded("b")).status,
        201
    );
    assert_eq!(
        cara("PUT", "/dav/calendars/cara/calendar/c.ics", &padded("c")).status,
        201
    );
    let r = s.connect().send(
        "POST",
        "/api/undelete",
        &[("Authorization", "Basic Y2FyYTpwdw==")],
        br#"{"calendar": "old"}"#,
    );
    assert_eq!(r.status, 507, "{}", r.text());
    assert!(r.text().contains("quota"), "{}", r.text());
    assert_eq!(cara("GET", "/dav/calendars/cara/old/a.ics", "").status, 404);
    // The administrator is not bound by it.
    let (ok, out) = cli(&s.data, &["undelete", "cara/old"]);
    assert!(ok, "{out}");
    assert_eq!(cara("GET", "/dav/calendars/cara/old/a.ics", "").status, 200);
}
