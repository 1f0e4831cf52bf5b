//! The harness the engine tests share: real requests through `Engine::handle` on a real
//! SQLite file (or a fresh PostgreSQL database with `CALVAULT_TEST_STORE=postgres`, see
//! [`fresh_store`]), two users (ann and bob, each with a calendar named "Calendar"), and the
//! calendar data and request bodies several test files use.
#![allow(clippy::unwrap_used, dead_code)]

use std::sync::Arc;

use bytes::Bytes;
use dav::{Caller, Engine, Limits};
use http::{Request, Response};
use store::{Change, NewUser, Store, User};

pub struct Harness {
    pub engine: Engine,
    pub ann: Caller,
    pub bob: Caller,
    pub _dir: tempfile::TempDir,
    /// The PostgreSQL database, dropped with the harness (None on SQLite).
    pub _database: Option<store_postgres::ScratchDatabase>,
}

pub async fn harness_with(limits: Limits) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let (store, database) = fresh_store(dir.path()).await;
    let mut callers = Vec::new();
    for name in ["ann", "bob"] {
        let user = store
            .create_user(NewUser {
                name: name.into(),
                email: Some(format!("{name}@example.org")),
                password_hash: "x".into(),
                quota_bytes: None,
                first_calendar: Some("Calendar".into()),
                admin: false,
                display_name: None,
            })
            .await
            .unwrap();
        callers.push(caller(user));
    }
    let bob = callers.pop().unwrap();
    let ann = callers.pop().unwrap();
    Harness {
        engine: Engine::new(store, limits),
        ann,
        bob,
        _dir: dir,
        _database: database,
    }
}

/// SQLite in `dir`, or with `CALVAULT_TEST_STORE=postgres` a new database on the server
/// `CALVAULT_TEST_POSTGRES` names (tests/run-all.sh runs this suite both ways), with the
/// guard that drops it.
pub async fn fresh_store(
    dir: &std::path::Path,
) -> (Arc<dyn Store>, Option<store_postgres::ScratchDatabase>) {
    if std::env::var("CALVAULT_TEST_STORE").as_deref() != Ok("postgres") {
        return (Arc::new(store_sqlite::open(&dir.join("db")).unwrap()), None);
    }
    let base = std::env::var("CALVAULT_TEST_POSTGRES")
        .expect("CALVAULT_TEST_STORE=postgres needs CALVAULT_TEST_POSTGRES=postgres://...");
    let name = format!(
        "calvault_engine_{}",
        &blake3::hash(dir.as_os_str().as_encoded_bytes()).to_hex()[..16]
    );
    let database = store_postgres::ScratchDatabase::create(&base, &name, "")
        .await
        .unwrap();
    let store = store_postgres::connect(database.url()).await.unwrap();
    (Arc::new(store), Some(database))
}

/// A third (fourth, ...) user with an e-mail address, a display name and a calendar.
pub async fn add_user(h: &Harness, name: &str) -> Caller {
    let user = h
        .engine
        .store()
        .create_user(NewUser {
            name: name.into(),
            email: Some(format!("{name}@example.org")),
            password_hash: "x".into(),
            quota_bytes: None,
            first_calendar: Some("Calendar".into()),
            admin: false,
            display_name: Some(format!("{} Example", name.to_uppercase())),
        })
        .await
        .unwrap();
    caller(user)
}

pub async fn harness() -> Harness {
    harness_with(Limits::default()).await
}

pub fn caller(user: User) -> Caller {
    let change = Change {
        author: user.name.clone(),
        client: Some("engine-test".into()),
        address: Some("127.0.0.1".into()),
        locks: None,
    };
    Caller::new(user, change, false)
}

impl Harness {
    pub async fn send(
        &self,
        who: &Caller,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response<Bytes> {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Bytes::copy_from_slice(body.as_bytes())).unwrap();
        self.engine.handle(req, who).await
    }

    pub async fn ann(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response<Bytes> {
        self.send(&self.ann, method, path, headers, body).await
    }
}

pub fn text(r: &Response<Bytes>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}

pub fn etag(r: &Response<Bytes>) -> String {
    r.headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

pub const CAL: &str = "/dav/calendars/ann/calendar/";

pub fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\n\
         SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

pub fn todo(uid: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nSUMMARY:task\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
}

/// Sets `<x:tag xmlns:x="urn:x">value</x:tag>` on a resource.
pub async fn set_tag(h: &Harness, path: &str, value: &str) {
    let body = format!(
        "<D:propertyupdate xmlns:D='DAV:' xmlns:x='urn:x'><D:set><D:prop><x:tag>{value}</x:tag>\
         </D:prop></D:set></D:propertyupdate>"
    );
    let r = h.ann("PROPPATCH", path, &[], &body).await;
    assert!(text(&r).contains("HTTP/1.1 200"), "{}", text(&r));
}

/// The `D:response` elements of a multistatus, in order, as text.
pub fn responses(body: &str) -> Vec<&str> {
    body.split("<D:response>").skip(1).collect()
}

pub fn sync_body(token: &str) -> String {
    format!(
        "<sync-collection xmlns='DAV:'><sync-token>{token}</sync-token><sync-level>1</sync-level>\
         <prop><getetag/></prop></sync-collection>"
    )
}

pub fn token_of(body: &str) -> String {
    let start = body.find("<D:sync-token>").unwrap() + "<D:sync-token>".len();
    let end = body[start..].find('<').unwrap() + start;
    body[start..end].to_owned()
}

/// A weekly series in Europe/Berlin across the March DST change, with an EXDATE and a
/// moved instance.
pub const WEEKLY_BERLIN: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:weekly\r\n\
DTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260305T090000\r\nDURATION:PT1H\r\n\
RRULE:FREQ=WEEKLY;COUNT=10\r\nEXDATE;TZID=Europe/Berlin:20260319T090000\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260326T090000\r\n\
DTSTART;TZID=Europe/Berlin:20260327T140000\r\nDURATION:PT1H\r\nSUMMARY:Standup moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
