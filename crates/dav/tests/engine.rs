//! Engine tests: real requests through `Engine::handle` on a real SQLite file (or a fresh
//! PostgreSQL database with `CALVAULT_TEST_STORE=postgres`, see [`fresh_store`]), checking
//! what a client sees (status, headers, body) and what is stored afterwards.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use dav::{Caller, Engine, Limits};
use http::{Request, Response, StatusCode};
use store::{Change, NewUser, Store, User};

struct Harness {
    engine: Engine,
    ann: Caller,
    bob: Caller,
    _dir: tempfile::TempDir,
}

async fn harness_with(limits: Limits) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(dir.path()).await;
    let mut callers = Vec::new();
    for name in ["ann", "bob"] {
        let user = store
            .create_user(NewUser {
                name: name.into(),
                email: Some(format!("{name}@example.org")),
                password_hash: "x".into(),
                quota_bytes: None,
                first_calendar: Some("Calendar".into()),
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
    }
}

/// SQLite in `dir`, or with `CALVAULT_TEST_STORE=postgres` a new database on the server
/// `CALVAULT_TEST_POSTGRES` names (tests/run-all.sh runs this suite both ways).
async fn fresh_store(dir: &std::path::Path) -> Arc<dyn Store> {
    if std::env::var("CALVAULT_TEST_STORE").as_deref() != Ok("postgres") {
        return Arc::new(store_sqlite::open(&dir.join("db")).unwrap());
    }
    let base = std::env::var("CALVAULT_TEST_POSTGRES")
        .expect("CALVAULT_TEST_STORE=postgres needs CALVAULT_TEST_POSTGRES=postgres://...");
    let name = format!(
        "calvault_engine_{}",
        &blake3::hash(dir.as_os_str().as_encoded_bytes()).to_hex()[..16]
    );
    let url = store_postgres::ensure_database(&base, &name, "")
        .await
        .unwrap();
    Arc::new(store_postgres::connect(&url).await.unwrap())
}

async fn harness() -> Harness {
    harness_with(Limits::default()).await
}

fn caller(user: User) -> Caller {
    Caller {
        change: Change {
            author: user.name.clone(),
            client: Some("engine-test".into()),
            address: Some("127.0.0.1".into()),
        },
        user,
    }
}

impl Harness {
    async fn send(
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

    async fn ann(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response<Bytes> {
        self.send(&self.ann, method, path, headers, body).await
    }
}

fn text(r: &Response<Bytes>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}

fn etag(r: &Response<Bytes>) -> String {
    r.headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

const CAL: &str = "/dav/calendars/ann/calendar/";

fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\n\
         SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn todo(uid: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nSUMMARY:task\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
}

#[tokio::test]
async fn put_then_get_returns_the_exact_bytes_and_the_same_strong_etag() {
    let h = harness().await;
    // Odd but valid bytes: LF line ends and a folded line must survive untouched.
    let body = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:a1\nDTSTAMP:20260101T000000Z\n\
                DTSTART:20261201T100000Z\nSUMMARY:Caf\u{e9} \u{2013} long line that goes on and \n on\nEND:VEVENT\nEND:VCALENDAR\n";
    let put = h
        .ann(
            "PUT",
            &format!("{CAL}a1.ics"),
            &[("content-type", "text/calendar")],
            body,
        )
        .await;
    assert_eq!(put.status(), StatusCode::CREATED);
    let tag = etag(&put);
    assert!(tag.starts_with('"') && tag.ends_with('"'));
    let get = h.ann("GET", &format!("{CAL}a1.ics"), &[], "").await;
    assert_eq!(get.status(), StatusCode::OK);
    assert_eq!(get.body().as_ref(), body.as_bytes());
    assert_eq!(etag(&get), tag);
    assert!(get.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let head = h.ann("HEAD", &format!("{CAL}a1.ics"), &[], "").await;
    assert!(head.body().is_empty(), "HEAD never carries a body");
    assert_eq!(
        head.headers()["content-length"],
        body.len().to_string().as_str()
    );
    let pf = h
        .ann(
            "PROPFIND",
            &format!("{CAL}a1.ics"),
            &[("depth", "0")],
            "<propfind xmlns='DAV:'><prop><getetag/></prop></propfind>",
        )
        .await;
    assert!(text(&pf).contains(&format!(
        "<D:getetag>{}</D:getetag>",
        tag.replace('"', "&quot;")
    )));
}

#[tokio::test]
async fn invalid_calendar_data_is_refused_with_its_precondition_and_nothing_is_stored() {
    let h = harness().await;
    let cases = [
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", "valid-calendar-data"),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "valid-calendar-object-resource",
        ),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:y\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "valid-calendar-object-resource",
        ),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:30000101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "max-date-time",
        ),
    ];
    for (body, condition) in cases {
        let r = h.ann("PUT", &format!("{CAL}bad.ics"), &[], body).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{condition}");
        assert!(
            text(&r).contains(&format!("<C:{condition}/>")),
            "{}",
            text(&r)
        );
        assert_eq!(
            h.ann("GET", &format!("{CAL}bad.ics"), &[], "")
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    }
    let vcard = h
        .ann(
            "PUT",
            &format!("{CAL}c.vcf"),
            &[("content-type", "text/vcard")],
            "BEGIN:VCARD\r\nEND:VCARD\r\n",
        )
        .await;
    assert!(text(&vcard).contains("supported-calendar-data"));
}

#[tokio::test]
async fn outlook_and_undefined_tzids_are_accepted() {
    let h = harness().await;
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:tz1\r\nDTSTAMP:20260101T000000Z\r\n\
                DTSTART;TZID=W. Europe Standard Time:20260301T090000\r\nDTEND;TZID=Europe/Berlin:20260301T100000\r\n\
                END:VEVENT\r\nEND:VCALENDAR\r\n";
    let r = h.ann("PUT", &format!("{CAL}tz1.ics"), &[], body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
}

#[tokio::test]
async fn a_uid_already_in_the_calendar_is_refused_naming_its_href() {
    let h = harness().await;
    assert_eq!(
        h.ann("PUT", &format!("{CAL}one.ics"), &[], &event("same", "a"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = h
        .ann("PUT", &format!("{CAL}two.ics"), &[], &event("same", "b"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = text(&r);
    assert!(
        body.contains("<C:no-uid-conflict><D:href>/dav/calendars/ann/calendar/one.ics</D:href>"),
        "{body}"
    );
    assert_eq!(
        h.ann("GET", &format!("{CAL}two.ics"), &[], "")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn conditional_writes_give_412_on_mismatch() {
    let h = harness().await;
    let url = format!("{CAL}c.ics");
    let first = h
        .ann("PUT", &url, &[("if-none-match", "*")], &event("c", "v1"))
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = h
        .ann("PUT", &url, &[("if-none-match", "*")], &event("c", "v2"))
        .await;
    assert_eq!(again.status(), StatusCode::PRECONDITION_FAILED);
    let stale = h
        .ann("PUT", &url, &[("if-match", "\"nope\"")], &event("c", "v2"))
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let ok = h
        .ann(
            "PUT",
            &url,
            &[("if-match", &etag(&first))],
            &event("c", "v2"),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_ne!(etag(&ok), etag(&first));
    let del = h
        .ann("DELETE", &url, &[("if-match", &etag(&first))], "")
        .await;
    assert_eq!(del.status(), StatusCode::PRECONDITION_FAILED);
    let get = h
        .ann("GET", &url, &[("if-none-match", &etag(&ok))], "")
        .await;
    assert_eq!(get.status(), StatusCode::NOT_MODIFIED);
    let if_header = format!("(<urn:uuid:none> [{}])", etag(&first));
    let r = h.ann("DELETE", &url, &[("if", &if_header)], "").await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let del = h.ann("DELETE", &url, &[("if-match", &etag(&ok))], "").await;
    assert_eq!(del.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn another_users_space_is_forbidden_for_every_method_and_unchanged() {
    let h = harness().await;
    h.ann(
        "PUT",
        &format!("{CAL}secret.ics"),
        &[],
        &event("s", "Secret meeting"),
    )
    .await;
    let targets = [
        "/dav/calendars/ann/calendar/secret.ics",
        "/dav/calendars/ann/calendar/",
        "/dav/calendars/ann/",
        "/dav/principals/ann/",
        "/dav/calendars/ann/nothing-here/",
    ];
    for path in targets {
        for method in [
            "GET",
            "PROPFIND",
            "PUT",
            "DELETE",
            "PROPPATCH",
            "MKCOL",
            "MOVE",
            "REPORT",
        ] {
            let r = h
                .send(
                    &h.bob,
                    method,
                    path,
                    &[("destination", "/dav/calendars/bob/calendar/x.ics")],
                    &event("b", "x"),
                )
                .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
            assert!(
                !text(&r).contains("Secret"),
                "{method} {path} leaked content"
            );
        }
    }
    let still = h.ann("GET", &format!("{CAL}secret.ics"), &[], "").await;
    assert!(text(&still).contains("Secret meeting"));
    // A multiget from bob naming ann's object gets a per-href 403 and no data.
    let body = "<C:calendar-multiget xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'>\
                <D:prop><C:calendar-data/></D:prop><D:href>/dav/calendars/ann/calendar/secret.ics</D:href>\
                </C:calendar-multiget>";
    let r = h
        .send(&h.bob, "REPORT", "/dav/calendars/bob/calendar/", &[], body)
        .await;
    assert_eq!(r.status(), StatusCode::MULTI_STATUS);
    assert!(text(&r).contains("403") && !text(&r).contains("Secret"));
}

#[tokio::test]
async fn discovery_properties_on_root_and_principal() {
    let h = harness().await;
    let body = "<propfind xmlns='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><prop><current-user-principal/>\
                <C:calendar-home-set/><C:calendar-user-address-set/><principal-URL/><displayname/><resourcetype/>\
                <owner/><supported-report-set/><current-user-privilege-set/></prop></propfind>";
    let root = h.ann("PROPFIND", "/", &[("depth", "0")], body).await;
    assert_eq!(root.status(), StatusCode::MULTI_STATUS);
    assert!(text(&root).contains("<D:current-user-principal><D:href>/dav/principals/ann/</D:href>"));
    let p = h
        .ann("PROPFIND", "/dav/principals/ann/", &[("depth", "0")], body)
        .await;
    let t = text(&p);
    assert!(
        t.contains("<C:calendar-home-set><D:href>/dav/calendars/ann/</D:href>"),
        "{t}"
    );
    assert!(t.contains("<D:href>mailto:ann@example.org</D:href>"), "{t}");
    assert!(t.contains("<D:principal/>"), "{t}");
    let cal = h
        .ann("PROPFIND", CAL, &[("depth", "0")],
            "<propfind xmlns='DAV:'><prop><current-user-privilege-set/><supported-report-set/></prop></propfind>")
        .await;
    let t = text(&cal);
    for needle in [
        "<D:write-content/>",
        "<D:bind/>",
        "<C:calendar-multiget/>",
        "<D:sync-collection/>",
    ] {
        assert!(t.contains(needle), "{needle} missing in {t}");
    }
    let inf = h.ann("PROPFIND", CAL, &[("depth", "infinity")], "").await;
    assert_eq!(inf.status(), StatusCode::FORBIDDEN);
    assert!(text(&inf).contains("propfind-finite-depth"));
    let bad = h
        .ann(
            "PROPFIND",
            CAL,
            &[("depth", "0")],
            "<propfind xmlns='DAV:'><prop>",
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn proppatch_is_all_or_nothing() {
    let h = harness().await;
    let body = "<D:propertyupdate xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>\
                <D:displayname>Renamed</D:displayname><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>";
    let r = h.ann("PROPPATCH", CAL, &[], body).await;
    let t = text(&r);
    assert!(
        t.contains("HTTP/1.1 403") && t.contains("HTTP/1.1 424"),
        "{t}"
    );
    assert!(t.contains("cannot-modify-protected-property"));
    let pf = h
        .ann(
            "PROPFIND",
            CAL,
            &[("depth", "0")],
            "<propfind xmlns='DAV:'><prop><displayname/></prop></propfind>",
        )
        .await;
    assert!(text(&pf).contains(">Calendar<"), "nothing may change");
    let ok = "<D:propertyupdate xmlns:D='DAV:' xmlns:A='http://apple.com/ns/ical/'><D:set><D:prop>\
              <D:displayname>Work</D:displayname><A:calendar-color>#FF0000FF</A:calendar-color></D:prop></D:set>\
              </D:propertyupdate>";
    assert_eq!(
        h.ann("PROPPATCH", CAL, &[], ok).await.status(),
        StatusCode::MULTI_STATUS
    );
    let pf = h.ann("PROPFIND", CAL, &[("depth", "0")], "").await;
    assert!(text(&pf).contains(">Work<") && text(&pf).contains("#FF0000FF"));
    let bad_tz = "<D:propertyupdate xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>\
                  <C:calendar-timezone>not a timezone</C:calendar-timezone></D:prop></D:set></D:propertyupdate>";
    assert!(text(&h.ann("PROPPATCH", CAL, &[], bad_tz).await).contains("valid-calendar-data"));
}

#[tokio::test]
async fn mkcalendar_with_apple_properties_and_component_set() {
    let h = harness().await;
    let body = "<C:mkcalendar xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav' xmlns:A='http://apple.com/ns/ical/'>\
                <D:set><D:prop><D:displayname>Tasks</D:displayname>\
                <A:calendar-color symbolic-color='red'>#FF2968</A:calendar-color><A:calendar-order>3</A:calendar-order>\
                <C:supported-calendar-component-set><C:comp name='VTODO'/></C:supported-calendar-component-set>\
                <D:resourcetype><D:collection/><C:calendar/></D:resourcetype><orphan xmlns=''>x</orphan>\
                </D:prop></D:set></C:mkcalendar>";
    let r = h
        .ann("MKCALENDAR", "/dav/calendars/ann/tasks/", &[], body)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    assert_eq!(
        h.ann("MKCALENDAR", "/dav/calendars/ann/tasks/", &[], "")
            .await
            .status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    let pf = h.ann("PROPFIND", "/dav/calendars/ann/tasks/", &[("depth", "0")],
        "<propfind xmlns='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><prop><C:supported-calendar-component-set/><displayname/></prop></propfind>").await;
    let t = text(&pf);
    assert!(
        t.contains("<C:comp name=\"VTODO\"/>") && !t.contains("VEVENT"),
        "{t}"
    );
    let ev = h
        .ann(
            "PUT",
            "/dav/calendars/ann/tasks/e.ics",
            &[],
            &event("e", "x"),
        )
        .await;
    assert_eq!(ev.status(), StatusCode::FORBIDDEN);
    assert!(text(&ev).contains("supported-calendar-component"));
    assert_eq!(
        h.ann("PUT", "/dav/calendars/ann/tasks/t.ics", &[], &todo("t"))
            .await
            .status(),
        StatusCode::CREATED
    );
    // Extended MKCOL (RFC 5689) creates a calendar too.
    let ext = "<D:mkcol xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>\
               <D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>Ext</D:displayname>\
               </D:prop></D:set></D:mkcol>";
    assert_eq!(
        h.ann("MKCOL", "/dav/calendars/ann/ext/", &[], ext)
            .await
            .status(),
        StatusCode::CREATED
    );
    let pf = h
        .ann(
            "PROPFIND",
            "/dav/calendars/ann/ext/",
            &[("depth", "0")],
            "<propfind xmlns='DAV:'><prop><resourcetype/></prop></propfind>",
        )
        .await;
    assert!(text(&pf).contains("<C:calendar/>"));
    let nested = h
        .ann("MKCALENDAR", "/dav/calendars/ann/tasks/inner/", &[], "")
        .await;
    assert!(text(&nested).contains("calendar-collection-location-ok"));
    assert_eq!(
        h.ann("MKCOL", "/dav/calendars/ann/no/such/", &[], "")
            .await
            .status(),
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn multiget_returns_requested_objects_with_partial_data_and_404s() {
    let h = harness().await;
    h.ann("PUT", &format!("{CAL}m1.ics"), &[], &event("m1", "First"))
        .await;
    h.ann("PUT", &format!("{CAL}m2.ics"), &[], &event("m2", "Second"))
        .await;
    let body = "<C:calendar-multiget xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop><D:getetag/>\
                <C:calendar-data><C:comp name='VCALENDAR'><C:prop name='VERSION'/><C:comp name='VEVENT'>\
                <C:prop name='SUMMARY'/><C:prop name='UID'/></C:comp></C:comp></C:calendar-data></D:prop>\
                <D:href>/dav/calendars/ann/calendar/m1.ics</D:href><D:href>/dav/calendars/ann/calendar/missing.ics</D:href>\
                <D:href>http://example.org/dav/calendars/ann/calendar/m2.ics</D:href></C:calendar-multiget>";
    let r = h.ann("REPORT", CAL, &[], body).await;
    assert_eq!(r.status(), StatusCode::MULTI_STATUS);
    let t = text(&r);
    assert!(
        t.contains("SUMMARY:First") && t.contains("SUMMARY:Second"),
        "{t}"
    );
    assert!(
        !t.contains("DTSTART"),
        "partial calendar-data leaves DTSTART out: {t}"
    );
    assert!(
        t.contains("missing.ics</D:href><D:status>HTTP/1.1 404"),
        "{t}"
    );
}

/// Sets `<x:tag xmlns:x="urn:x">value</x:tag>` on a resource.
async fn set_tag(h: &Harness, path: &str, value: &str) {
    let body = format!(
        "<D:propertyupdate xmlns:D='DAV:' xmlns:x='urn:x'><D:set><D:prop><x:tag>{value}</x:tag>\
         </D:prop></D:set></D:propertyupdate>"
    );
    let r = h.ann("PROPPATCH", path, &[], &body).await;
    assert!(text(&r).contains("HTTP/1.1 200"), "{}", text(&r));
}

/// The `D:response` elements of a multistatus, in order, as text.
fn responses(body: &str) -> Vec<&str> {
    body.split("<D:response>").skip(1).collect()
}

#[tokio::test]
async fn multiget_answers_each_href_in_request_order_even_when_repeated() {
    let h = harness().await;
    for name in ["m1", "m2"] {
        h.ann("PUT", &format!("{CAL}{name}.ics"), &[], &event(name, name))
            .await;
    }
    set_tag(&h, &format!("{CAL}m1.ics"), "tagged").await;
    let hrefs = [
        "/dav/calendars/ann/calendar/m2.ics",
        "/dav/calendars/ann/calendar/m1.ics",
        "/dav/calendars/bob/calendar/m1.ics",
        "/dav/calendars/ann/no-such-calendar/m1.ics",
        "/dav/calendars/ann/calendar/m1.ics",
    ];
    let body = format!(
        "<C:calendar-multiget xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav' xmlns:x='urn:x'>\
         <D:prop><D:getetag/><x:tag/></D:prop>{}</C:calendar-multiget>",
        hrefs
            .iter()
            .map(|h| format!("<D:href>{h}</D:href>"))
            .collect::<String>()
    );
    let r = h.ann("REPORT", CAL, &[], &body).await;
    let t = text(&r);
    let answers = responses(&t);
    assert_eq!(answers.len(), hrefs.len(), "{t}");
    for (answer, href) in answers.iter().zip(hrefs) {
        assert!(
            answer.starts_with(&format!("<D:href>{href}</D:href>")),
            "{t}"
        );
    }
    assert!(answers[0].contains("<D:getetag>") && answers[0].contains("HTTP/1.1 404"));
    for repeated in [answers[1], answers[4]] {
        assert!(repeated.contains(">tagged</x"), "{t}");
    }
    assert!(answers[2].contains("HTTP/1.1 403"), "{t}");
    assert!(answers[3].contains("HTTP/1.1 404"), "{t}");
}

#[tokio::test]
async fn listings_longer_than_a_page_answer_every_member_once_with_its_properties() {
    let h = harness().await;
    // More than one page of both listings (1,000 for PROPFIND, 500 for sync).
    let names: Vec<String> = (0..1_205).map(|i| format!("o{i:04}.ics")).collect();
    for name in &names {
        let r = h
            .ann("PUT", &format!("{CAL}{name}"), &[], &event(name, "x"))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    set_tag(&h, &format!("{CAL}o1100.ics"), "late").await;
    let propfind =
        "<propfind xmlns='DAV:' xmlns:x='urn:x'><prop><getetag/><x:tag/></prop></propfind>";
    let pf = text(&h.ann("PROPFIND", CAL, &[("depth", "1")], propfind).await);
    let sync = text(&h.ann("REPORT", CAL, &[], &sync_body("")).await);
    for (what, body, members) in [("PROPFIND", &pf, 1..), ("sync", &sync, 0..)] {
        let listed: Vec<&str> = responses(body)[members]
            .iter()
            .map(|r| {
                let href = &r[r.find(CAL).unwrap() + CAL.len()..];
                &href[..href.find('<').unwrap()]
            })
            .collect();
        assert_eq!(
            listed, names,
            "{what} lists every member once, in name order"
        );
    }
    let tagged: Vec<&str> = responses(&pf)
        .into_iter()
        .filter(|r| r.contains(">late</x"))
        .collect();
    assert_eq!(tagged.len(), 1);
    assert!(tagged[0].contains("o1100.ics"));
    assert!(token_of(&sync).contains("/sync/"));
}

fn sync_body(token: &str) -> String {
    format!(
        "<sync-collection xmlns='DAV:'><sync-token>{token}</sync-token><sync-level>1</sync-level>\
         <prop><getetag/></prop></sync-collection>"
    )
}

fn token_of(body: &str) -> String {
    let start = body.find("<D:sync-token>").unwrap() + "<D:sync-token>".len();
    let end = body[start..].find('<').unwrap() + start;
    body[start..end].to_owned()
}

#[tokio::test]
async fn sync_collection_reports_changes_and_deletions_since_any_token() {
    let h = harness().await;
    h.ann("PUT", &format!("{CAL}s1.ics"), &[], &event("s1", "a"))
        .await;
    let initial = text(
        &h.ann("REPORT", CAL, &[("depth", "1")], &sync_body(""))
            .await,
    );
    assert!(initial.contains("s1.ics"));
    let t1 = token_of(&initial);
    assert!(t1.contains(':') && t1.contains('/'), "tokens are URIs");
    h.ann("PUT", &format!("{CAL}s2.ics"), &[], &event("s2", "b"))
        .await;
    h.ann("DELETE", &format!("{CAL}s1.ics"), &[], "").await;
    let delta = text(
        &h.ann("REPORT", CAL, &[("depth", "0")], &sync_body(&t1))
            .await,
    );
    assert!(delta.contains("s2.ics</D:href><D:propstat>"), "{delta}");
    assert!(
        delta.contains("s1.ics</D:href><D:status>HTTP/1.1 404"),
        "{delta}"
    );
    let t2 = token_of(&delta);
    assert_ne!(t1, t2);
    let none = text(&h.ann("REPORT", CAL, &[], &sync_body(&t2)).await);
    assert!(!none.contains("<D:response>"), "{none}");
    // The old token still works and still reports the same changes.
    let again = text(&h.ann("REPORT", CAL, &[], &sync_body(&t1)).await);
    assert!(again.contains("s2.ics") && again.contains("s1.ics"));
    let bad = h
        .ann(
            "REPORT",
            CAL,
            &[],
            &sync_body("http://calvault.org/ns/sync/999-1"),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);
    assert!(text(&bad).contains("valid-sync-token"));
}

#[tokio::test]
async fn ctag_changes_on_writes_and_only_then() {
    let h = harness().await;
    let ask = "<propfind xmlns='DAV:' xmlns:CS='http://calendarserver.org/ns/'><prop><CS:getctag/><sync-token/></prop></propfind>";
    let ctag = |r: Response<Bytes>| {
        let t = text(&r);
        let s = t.find("<CS:getctag>").unwrap();
        t[s..t[s..].find("</CS:getctag>").unwrap() + s].to_owned()
    };
    let a = ctag(h.ann("PROPFIND", CAL, &[("depth", "0")], ask).await);
    let b = ctag(h.ann("PROPFIND", CAL, &[("depth", "0")], ask).await);
    assert_eq!(a, b);
    h.ann("PUT", &format!("{CAL}x.ics"), &[], &event("x", "x"))
        .await;
    let c = ctag(h.ann("PROPFIND", CAL, &[("depth", "0")], ask).await);
    assert_ne!(b, c);
    // A refused write changes nothing.
    h.ann("PUT", &format!("{CAL}y.ics"), &[], &event("x", "dup"))
        .await;
    assert_eq!(
        c,
        ctag(h.ann("PROPFIND", CAL, &[("depth", "0")], ask).await)
    );
}

#[tokio::test]
async fn quota_exceeded_is_507_and_stores_nothing() {
    let quota = event("q1", "x").len() as u64 + 10;
    let h = harness_with(Limits {
        default_quota: Some(quota),
        ..Limits::default()
    })
    .await;
    assert_eq!(
        h.ann("PUT", &format!("{CAL}q1.ics"), &[], &event("q1", "x"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = h
        .ann("PUT", &format!("{CAL}q2.ics"), &[], &event("q2", "y"))
        .await;
    assert_eq!(r.status(), StatusCode::INSUFFICIENT_STORAGE);
    assert!(text(&r).contains("quota-not-exceeded"));
    let pf = h.ann("PROPFIND", CAL, &[("depth", "0")],
        "<propfind xmlns='DAV:'><prop><quota-used-bytes/><quota-available-bytes/></prop></propfind>").await;
    let used = event("q1", "x").len();
    assert!(
        text(&pf).contains(&format!("<D:quota-used-bytes>{used}</D:quota-used-bytes>")),
        "{}",
        text(&pf)
    );
    assert!(text(&pf).contains(&format!(
        "<D:quota-available-bytes>{}</D:quota-available-bytes>",
        quota as usize - used
    )));
}

#[tokio::test]
async fn copy_and_move_between_calendars_honour_overwrite_and_component_sets() {
    let h = harness().await;
    h.ann("MKCALENDAR", "/dav/calendars/ann/other/", &[], "")
        .await;
    h.ann("PUT", &format!("{CAL}e.ics"), &[], &event("e", "x"))
        .await;
    let dest = [("destination", "/dav/calendars/ann/other/e.ics")];
    assert_eq!(
        h.ann("COPY", &format!("{CAL}e.ics"), &dest, "")
            .await
            .status(),
        StatusCode::CREATED
    );
    let no_overwrite = [
        ("destination", "/dav/calendars/ann/other/e.ics"),
        ("overwrite", "F"),
    ];
    assert_eq!(
        h.ann("COPY", &format!("{CAL}e.ics"), &no_overwrite, "")
            .await
            .status(),
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        h.ann("MOVE", &format!("{CAL}e.ics"), &dest, "")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.ann("GET", &format!("{CAL}e.ics"), &[], "").await.status(),
        StatusCode::NOT_FOUND
    );
    let body = h
        .ann("GET", "/dav/calendars/ann/other/e.ics", &[], "")
        .await;
    assert_eq!(body.body().as_ref(), event("e", "x").as_bytes());
    let todo_only = "<C:mkcalendar xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>\
        <C:supported-calendar-component-set><C:comp name='VTODO'/></C:supported-calendar-component-set>\
        </D:prop></D:set></C:mkcalendar>";
    h.ann("MKCALENDAR", "/dav/calendars/ann/todo/", &[], todo_only)
        .await;
    let r = h
        .ann(
            "MOVE",
            "/dav/calendars/ann/other/e.ics",
            &[("destination", "/dav/calendars/ann/todo/e.ics")],
            "",
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        h.ann("GET", "/dav/calendars/ann/other/e.ics", &[], "")
            .await
            .status(),
        StatusCode::OK
    );
    // Whole collections move with their content.
    let r = h
        .ann(
            "MOVE",
            "/dav/calendars/ann/other/",
            &[("destination", "/dav/calendars/ann/renamed/")],
            "",
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        h.ann("GET", "/dav/calendars/ann/renamed/e.ics", &[], "")
            .await
            .status(),
        StatusCode::OK
    );
    let cross = h
        .ann(
            "COPY",
            "/dav/calendars/ann/renamed/e.ics",
            &[("destination", "/dav/calendars/bob/calendar/e.ics")],
            "",
        )
        .await;
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn plain_collections_hold_any_content() {
    let h = harness().await;
    assert_eq!(
        h.ann("MKCOL", "/dav/calendars/ann/files/", &[], "")
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = h
        .ann(
            "PUT",
            "/dav/calendars/ann/files/notes.txt",
            &[("content-type", "text/plain")],
            "hello",
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let g = h
        .ann("GET", "/dav/calendars/ann/files/notes.txt", &[], "")
        .await;
    assert_eq!(g.body().as_ref(), b"hello");
    assert_eq!(g.headers()["content-type"], "text/plain");
    let body415 = h
        .ann(
            "MKCOL",
            "/dav/calendars/ann/files/sub/",
            &[("content-type", "text/plain")],
            "junk",
        )
        .await;
    assert_eq!(body415.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        h.ann("DELETE", "/dav/calendars/ann/files/", &[], "")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.ann("GET", "/dav/calendars/ann/files/notes.txt", &[], "")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

fn query(filter: &str) -> String {
    format!(
        "<C:calendar-query xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'>\
         <D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name='VCALENDAR'>{filter}\
         </C:comp-filter></C:filter></C:calendar-query>"
    )
}

const WEEKLY_BERLIN: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:weekly\r\n\
DTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260305T090000\r\nDURATION:PT1H\r\n\
RRULE:FREQ=WEEKLY;COUNT=10\r\nEXDATE;TZID=Europe/Berlin:20260319T090000\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260326T090000\r\n\
DTSTART;TZID=Europe/Berlin:20260327T140000\r\nDURATION:PT1H\r\nSUMMARY:Standup moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[tokio::test]
async fn calendar_query_expands_recurrences_and_ands_filters() {
    let h = harness().await;
    h.ann("PUT", &format!("{CAL}weekly.ics"), &[], WEEKLY_BERLIN)
        .await;
    h.ann(
        "PUT",
        &format!("{CAL}single.ics"),
        &[],
        &event("single", "Lunch with Zoë"),
    )
    .await;
    h.ann("PUT", &format!("{CAL}task.ics"), &[], &todo("task"))
        .await;
    let h = &h;
    let hits = |body: String| async move {
        let r = h.ann("REPORT", CAL, &[("depth", "1")], &body).await;
        assert_eq!(r.status(), StatusCode::MULTI_STATUS, "{}", text(&r));
        let t = text(&r);
        ["weekly.ics", "single.ics", "task.ics"]
            .into_iter()
            .filter(|n| t.contains(n))
            .collect::<Vec<_>>()
    };
    let range = |s: &str, e: &str| {
        format!(
            "<C:comp-filter name='VEVENT'><C:time-range start='{s}' end='{e}'/></C:comp-filter>"
        )
    };
    // The fourth instance (2026-03-26, after the DST change: 08:00Z) was moved to the 27th.
    assert_eq!(
        hits(query(&range("20260326T000000Z", "20260327T000000Z"))).await,
        Vec::<&str>::new()
    );
    assert_eq!(
        hits(query(&range("20260327T120000Z", "20260327T140000Z"))).await,
        ["weekly.ics"]
    );
    // The excluded instance (2026-03-19) matches nothing; the one after it does.
    assert!(hits(query(&range("20260319T000000Z", "20260320T000000Z")))
        .await
        .is_empty());
    assert_eq!(
        hits(query(&range("20260402T070000Z", "20260402T071500Z"))).await,
        ["weekly.ics"]
    );
    // After COUNT runs out, nothing.
    assert!(hits(query(&range("20260601T000000Z", "20260701T000000Z")))
        .await
        .is_empty());
    // Components are told apart, and nested conditions are ANDed.
    assert_eq!(
        hits(query("<C:comp-filter name='VTODO'/>")).await,
        ["task.ics"]
    );
    let and = "<C:comp-filter name='VEVENT'><C:time-range start='20261201T000000Z' end='20261202T000000Z'/>\
               <C:prop-filter name='SUMMARY'><C:text-match>ZOË</C:text-match></C:prop-filter></C:comp-filter>";
    assert!(
        hits(query(and)).await.is_empty(),
        "ascii-casemap does not fold ë"
    );
    let and = and.replace(
        "<C:text-match>",
        "<C:text-match collation='i;unicode-casemap'>",
    );
    assert_eq!(hits(query(&and)).await, ["single.ics"]);
    let negated = "<C:comp-filter name='VEVENT'><C:prop-filter name='SUMMARY'>\
                   <C:text-match negate-condition='yes'>standup</C:text-match></C:prop-filter></C:comp-filter>";
    assert_eq!(hits(query(negated)).await, ["single.ics"]);
    let uid = "<C:comp-filter name='VTODO'><C:prop-filter name='UID'><C:text-match collation='i;octet'>task</C:text-match>\
               </C:prop-filter><C:prop-filter name='COMPLETED'><C:is-not-defined/></C:prop-filter></C:comp-filter>";
    assert_eq!(hits(query(uid)).await, ["task.ics"]);
}

#[tokio::test]
async fn calendar_query_refuses_what_it_cannot_evaluate() {
    let h = harness().await;
    let bad_collation = query(
        "<C:comp-filter name='VEVENT'><C:prop-filter name='SUMMARY'>\
        <C:text-match collation='i;klingon'>x</C:text-match></C:prop-filter></C:comp-filter>",
    );
    let r = h.ann("REPORT", CAL, &[], &bad_collation).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(text(&r).contains("supported-collation"));
    let unknown = query("<C:comp-filter name='VEVENT'><C:frobnicate/></C:comp-filter>");
    assert!(text(&h.ann("REPORT", CAL, &[], &unknown).await).contains("supported-filter"));
    let bad_range =
        query("<C:comp-filter name='VEVENT'><C:time-range start='yesterday'/></C:comp-filter>");
    assert!(text(&h.ann("REPORT", CAL, &[], &bad_range).await).contains("valid-filter"));
    let unknown_report = h.ann("REPORT", CAL, &[], "<x:foo xmlns:x='urn:x'/>").await;
    assert_eq!(unknown_report.status(), StatusCode::FORBIDDEN);
    assert!(text(&unknown_report).contains("supported-report"));
}

#[tokio::test]
async fn calendar_data_expand_returns_instances_in_utc() {
    let h = harness().await;
    h.ann("PUT", &format!("{CAL}weekly.ics"), &[], WEEKLY_BERLIN)
        .await;
    let body = "<C:calendar-query xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop>\
                <C:calendar-data><C:expand start='20260301T000000Z' end='20260401T000000Z'/></C:calendar-data>\
                </D:prop><C:filter><C:comp-filter name='VCALENDAR'><C:comp-filter name='VEVENT'>\
                <C:time-range start='20260301T000000Z' end='20260401T000000Z'/></C:comp-filter></C:comp-filter>\
                </C:filter></C:calendar-query>";
    let t = text(&h.ann("REPORT", CAL, &[("depth", "1")], body).await);
    // 5, 12, (19 excluded), 26 moved to 27 14:00 Berlin; 8:00Z before DST, 13:00Z after.
    assert!(t.contains("DTSTART:20260305T080000Z"), "{t}");
    assert!(t.contains("DTSTART:20260312T080000Z"), "{t}");
    assert!(!t.contains("20260319T"), "{t}");
    assert!(t.contains("DTSTART:20260327T130000Z"), "{t}");
    assert!(!t.contains("RRULE"), "{t}");
}

#[tokio::test]
async fn free_busy_query_merges_busy_time_and_skips_transparent_and_cancelled() {
    let h = harness().await;
    let ev = |uid: &str, start: &str, end: &str, extra: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:{start}\r\nDTEND:{end}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    let puts = [
        ev("a", "20261201T090000Z", "20261201T100000Z", ""),
        ev("b", "20261201T093000Z", "20261201T110000Z", ""),
        ev(
            "c",
            "20261201T120000Z",
            "20261201T130000Z",
            "TRANSP:TRANSPARENT\r\n",
        ),
        ev(
            "d",
            "20261201T140000Z",
            "20261201T150000Z",
            "STATUS:CANCELLED\r\n",
        ),
        ev(
            "e",
            "20261201T160000Z",
            "20261201T170000Z",
            "STATUS:TENTATIVE\r\n",
        ),
        ev(
            "f",
            "20261130T080000Z",
            "20261130T083000Z",
            "RRULE:FREQ=DAILY;COUNT=3\r\n",
        ),
    ];
    for (i, body) in puts.iter().enumerate() {
        let r = h.ann("PUT", &format!("{CAL}fb{i}.ics"), &[], body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    }
    let body = "<C:free-busy-query xmlns:C='urn:ietf:params:xml:ns:caldav'>\
                <C:time-range start='20261201T000000Z' end='20261202T000000Z'/></C:free-busy-query>";
    let r = h.ann("REPORT", CAL, &[("depth", "1")], body).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let t = text(&r).replace("\r\n ", "");
    assert!(
        t.contains("FREEBUSY;FBTYPE=BUSY:20261201T080000Z/20261201T083000Z,20261201T090000Z/20261201T110000Z\r\n"),
        "{t}"
    );
    assert!(
        t.contains("FREEBUSY;FBTYPE=BUSY-TENTATIVE:20261201T160000Z/20261201T170000Z"),
        "{t}"
    );
    assert!(
        !t.contains("20261201T120000Z") && !t.contains("20261201T140000Z"),
        "{t}"
    );
    let open = "<C:free-busy-query xmlns:C='urn:ietf:params:xml:ns:caldav'>\
                <C:time-range start='20261201T000000Z'/></C:free-busy-query>";
    assert_eq!(
        h.ann("REPORT", CAL, &[], open).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn expand_property_replaces_hrefs_with_the_named_resources_properties() {
    let h = harness().await;
    let body = "<D:expand-property xmlns:D='DAV:'>\
                <D:property name='current-user-principal'><D:property name='displayname'/>\
                <D:property name='calendar-home-set' namespace='urn:ietf:params:xml:ns:caldav'/></D:property>\
                <D:property name='calendar-proxy-read-for' namespace='http://calendarserver.org/ns/'/>\
                </D:expand-property>";
    let r = h
        .ann("REPORT", "/dav/principals/ann/", &[("depth", "0")], body)
        .await;
    assert_eq!(r.status(), StatusCode::MULTI_STATUS);
    let t = text(&r);
    assert!(
        t.contains("<D:current-user-principal><D:response><D:href>/dav/principals/ann/</D:href>"),
        "{t}"
    );
    assert!(t.contains("<D:displayname>ann</D:displayname>"), "{t}");
    assert!(
        t.contains("<C:calendar-home-set><D:href>/dav/calendars/ann/</D:href>"),
        "{t}"
    );
    assert!(
        t.contains("calendar-proxy-read-for/></D:prop><D:status>HTTP/1.1 404"),
        "{t}"
    );
}

#[tokio::test]
async fn principal_search_finds_only_the_callers_own_principal() {
    let h = harness().await;
    let search = |needle: &str| {
        format!(
            "<D:principal-property-search xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav' test='anyof'>\
             <D:property-search><D:prop><D:displayname/></D:prop><D:match>{needle}</D:match></D:property-search>\
             <D:property-search><D:prop><C:calendar-user-address-set/></D:prop><D:match>{needle}</D:match></D:property-search>\
             <D:prop><D:displayname/><C:calendar-user-address-set/></D:prop></D:principal-property-search>"
        )
    };
    let mine = text(
        &h.ann(
            "REPORT",
            "/dav/principals/",
            &[("depth", "0")],
            &search("ANN@EXAMPLE"),
        )
        .await,
    );
    assert!(
        mine.contains("<D:href>/dav/principals/ann/</D:href>"),
        "{mine}"
    );
    assert!(mine.contains("mailto:ann@example.org"), "{mine}");
    let other = text(
        &h.ann(
            "REPORT",
            "/dav/principals/",
            &[("depth", "0")],
            &search("bob"),
        )
        .await,
    );
    assert!(
        !other.contains("<D:response>"),
        "other users are never revealed: {other}"
    );
    let set = h
        .ann(
            "REPORT",
            "/dav/principals/",
            &[],
            "<D:principal-search-property-set xmlns:D='DAV:'/>",
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    assert!(text(&set).contains("<C:calendar-user-address-set/>"));
    let me = h
        .ann("REPORT", "/dav/principals/", &[("depth", "0")],
            "<D:principal-match xmlns:D='DAV:'><D:self/><D:prop><D:displayname/></D:prop></D:principal-match>")
        .await;
    assert!(text(&me).contains("<D:href>/dav/principals/ann/</D:href>"));
}
