//! The web interface in-process (tower `oneshot` on the real router over a temporary
//! SQLite store): the browser/DAV split at `/`, signing in, the CSRF rule on forms, the
//! headers of every page, and the session cookie's limits (never DAV; `/api/` only with
//! the CSRF header). The browser suite in tests/web drives every flow in Chromium.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use base64::Engine as _;
use tower::ServiceExt;

use crate::app::router;
use crate::state::AppState;
use crate::{auth, Backend, Location};

async fn app(dir: &tempfile::TempDir) -> (axum::Router, Arc<AppState>) {
    let backend = Backend::open(&Location::Sqlite(dir.path().join("db")))
        .await
        .unwrap();
    let store = backend.store();
    crate::admin::add_user(
        store.as_ref(),
        &crate::admin::Account::named("ann"),
        "secret pw",
    )
    .await
    .unwrap();
    let state = Arc::new(AppState {
        engine: dav::Engine::new(store.clone(), dav::Limits::default()),
        auth: auth::Authenticator::new(
            store,
            Duration::from_secs(60),
            auth::ThrottlePolicy::new(5),
        ),
        max_request_body: 1 << 20,
        last_check: Default::default(),
        web: crate::state::WebState::new(false, "test".into(), None),
        request_log: Default::default(),
        metrics_here: true,
    });
    (router(state.clone(), Duration::from_secs(30)), state)
}

async fn send(app: &axum::Router, req: Request<Body>) -> (Response<Body>, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 22).await.unwrap();
    (
        Response::from_parts(parts, Body::empty()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::HOST, "cal.test")
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap()
}

fn post(path: &str, cookie: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header(header::HOST, "cal.test")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap()
}

/// The `name=value` of a Set-Cookie called `name`.
fn set_cookie(res: &Response<Body>, name: &str) -> String {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .unwrap_or_default()
}

fn value_after<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html.find(marker).unwrap() + marker.len();
    let rest = &html[at..];
    &rest[..rest.find('"').unwrap()]
}

/// Signs ann in; the session cookie and the page's CSRF token.
async fn sign_in(app: &axum::Router) -> (String, String) {
    let (res, html) = send(app, get("/web/signin", "")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let signin = set_cookie(&res, crate::session::SIGNIN_COOKIE);
    let token = value_after(&html, r#"name="csrf" value=""#).to_owned();
    let form = format!("csrf={token}&user=ann&password=secret+pw&time_zone=Europe%2FBerlin");
    let (res, _) = send(app, post("/web/signin", &signin, &form)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&res, crate::session::COOKIE);
    let c = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .find(|v| v.to_str().unwrap().starts_with("calvault_session="))
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
    let (res, html) = send(app, get("/web/calendars", &session)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csrf = value_after(&html, r#"<meta name="csrf-token" content=""#).to_owned();
    (session, csrf)
}

#[tokio::test]
async fn a_browser_at_the_root_goes_to_the_app_and_a_client_gets_dav() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = app(&dir).await;
    let (res, _) = send(&app, get("/", "")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/web/");
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ann:secret pw")
    );
    let req = Request::get("/")
        .header(header::HOST, "cal.test")
        .header(header::ACCEPT, "text/html")
        .header(header::AUTHORIZATION, basic)
        .body(Body::empty())
        .unwrap();
    let (res, body) = send(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body.contains("CalDAV server"), "{body}");
    let (res, _) = send(&app, get("/web/calendars", "")).await;
    assert_eq!(
        res.headers()[header::LOCATION],
        "/web/signin",
        "not signed in"
    );
}

#[tokio::test]
async fn forms_need_the_session_csrf_token_and_pages_carry_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = app(&dir).await;
    let (session, csrf) = sign_in(&app).await;
    let (res, _) = send(&app, get("/web/calendars", &session)).await;
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(res.headers()[header::X_FRAME_OPTIONS], "DENY");
    for form in ["name=Evil&events=on", "name=Evil&events=on&csrf=forged"] {
        let (res, _) = send(&app, post("/web/calendars", &session, form)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{form}");
    }
    let store = state.engine.store();
    let ann = store.user_by_name("ann").await.unwrap().unwrap();
    assert!(store.collection(ann.id, "evil").await.unwrap().is_none());
    let form = format!("name=Work&colour=%23ff0000&events=on&csrf={csrf}");
    let (res, _) = send(&app, post("/web/calendars", &session, &form)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let work = store.collection(ann.id, "work").await.unwrap().unwrap();
    assert_eq!(work.components, vec!["VEVENT"]);
    let versions = store.versions(work.id).await.unwrap();
    assert_eq!(
        versions[0].change.client.as_deref(),
        Some("web"),
        "recorded as the web's"
    );
    // The sign-in page's token is not a session's: a cross-site sign-in post fails too.
    let (res, _) = send(&app, post("/web/signin", "", "user=ann&password=secret+pw")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_session_cookie_is_not_dav_and_opens_the_api_only_with_the_csrf_header() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = app(&dir).await;
    let (session, csrf) = sign_in(&app).await;
    let req = Request::builder()
        .method("PROPFIND")
        .uri("/dav/calendars/ann/")
        .header(header::HOST, "cal.test")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .unwrap();
    let (res, _) = send(&app, req).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let api = |token: Option<&str>| {
        let mut b = Request::get("/api/tokens")
            .header(header::HOST, "cal.test")
            .header(header::COOKIE, &session);
        if let Some(t) = token {
            b = b.header("X-CSRF-Token", t);
        }
        b.body(Body::empty()).unwrap()
    };
    let (res, _) = send(&app, api(None)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, _) = send(&app, api(Some("forged"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, body) = send(&app, api(Some(&csrf))).await;
    assert_eq!(res.status(), StatusCode::OK, "{body}");
    assert!(body.contains("tokens"));
    // Signing out ends the session at once.
    let (res, _) = send(
        &app,
        post("/web/signout", &session, &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (res, _) = send(&app, get("/web/calendars", &session)).await;
    assert_eq!(res.headers()[header::LOCATION], "/web/signin");
}

#[tokio::test]
async fn failed_sign_ins_count_in_the_same_throttle_as_caldav() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = app(&dir).await;
    let attempt = |password: &'static str| {
        let app = app.clone();
        async move {
            let (res, html) = send(&app, get("/web/signin", "")).await;
            let signin = set_cookie(&res, crate::session::SIGNIN_COOKIE);
            let token = value_after(&html, r#"name="csrf" value=""#).to_owned();
            let form = format!("csrf={token}&user=ann&password={password}");
            send(&app, post("/web/signin", &signin, &form)).await
        }
    };
    // ThrottlePolicy::new(5): five failures, then the account's password attempts are suspect.
    for _ in 0..5 {
        let (res, html) = attempt("wrong").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(html.contains("Wrong user name or password"));
    }
    let (res, html) = attempt("wrong").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Too many failed sign-ins"));
    // CalDAV from the same address is in the same state...
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ann:wrong")
    );
    let req = Request::builder()
        .method("PROPFIND")
        .uri("/dav/")
        .header(header::HOST, "cal.test")
        .header(header::AUTHORIZATION, basic)
        .body(Body::empty())
        .unwrap();
    let (res, _) = send(&app, req).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...and the right password still gets in.
    let (res, _) = attempt("secret+pw").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// Every POST route of the interface (read from the route table itself, so that a new form
/// is covered the day it is added) refuses a request without the session's CSRF token.
#[tokio::test]
async fn every_form_route_refuses_a_post_without_the_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = app(&dir).await;
    let (session, _) = sign_in(&app).await;
    let table = include_str!("mod.rs");
    let mut posts = Vec::new();
    for route in table.split(".route(").skip(1) {
        let path = route.split('"').nth(1).unwrap();
        if route.contains("post(") && path != "/web/signin" {
            posts.push(path.to_owned());
        }
    }
    assert!(posts.len() >= 15, "{posts:?}");
    for path in &posts {
        let req = match path.as_str() {
            "/web/import" => Request::post(path)
                .header(header::HOST, "cal.test")
                .header(header::COOKIE, &session)
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
                .body(Body::from("--x\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\ncalendar\r\n--x--\r\n"))
                .unwrap(),
            _ => post(path, &session, "c=calendar&name=x&label=x&user=ann&password=longenough"),
        };
        let (res, body) = send(&app, req).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}: {body}");
    }
}

/// The Sharing page's forms, through `admin::sharing` and the store's rules: a share binds
/// the calendar into the sharee's home, a refusal comes back as the page's message (and
/// changes nothing), a delegate is a grant on the home, Remove takes each back.
#[tokio::test]
async fn the_sharing_forms_share_refuse_in_words_and_take_back() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = app(&dir).await;
    let store = state.engine.store();
    crate::admin::add_user(
        store.as_ref(),
        &crate::admin::Account::named("bob"),
        "bobs password",
    )
    .await
    .unwrap();
    let (session, csrf) = sign_in(&app).await;
    let form = format!("name=Work&colour=%23ff0000&events=on&csrf={csrf}");
    send(&app, post("/web/calendars", &session, &form)).await;
    let ann = store.user_by_name("ann").await.unwrap().unwrap();
    let bob = store.user_by_name("bob").await.unwrap().unwrap();
    let work = store.collection(ann.id, "work").await.unwrap().unwrap();
    let shared = |who: &str, access: &str| format!("csrf={csrf}&c=work&who={who}&access={access}");
    let after = |form: String, to: &'static str| {
        let (app, session) = (app.clone(), session.clone());
        async move {
            let (res, _) = send(&app, post(to, &session, &form)).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{form}");
            assert_eq!(res.headers()[header::LOCATION], "/web/sharing");
            send(&app, get("/web/sharing", &session)).await.1
        }
    };

    let page = after(shared("bob", "read"), "/web/sharing").await;
    assert!(
        page.contains("Shared \u{201c}Work\u{201d} with bob: Read."),
        "{page}"
    );
    let grants = store.grants(work.id).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].privilege, store::Privilege::Read);
    assert!(
        store
            .collection(bob.id, "ann-work")
            .await
            .unwrap()
            .is_some(),
        "bound in bob's home at once (sharing_accept = \"auto\")"
    );

    for (form, said) in [
        (
            shared("zed", "read"),
            "There is no user \u{201c}zed\u{201d}",
        ),
        (
            shared("%40team", "read"),
            "There is no group \u{201c}team\u{201d}",
        ),
        (shared("ann", "read"), "You cannot share with yourself"),
        (
            shared("bob", "owner"),
            "Choose an access level from the list.",
        ),
        (
            shared("+", "read"),
            "Enter a user name, or a group as @name.",
        ),
        (
            format!("csrf={csrf}&c=nope&who=bob&access=read"),
            "You have no calendar \u{201c}nope\u{201d}",
        ),
        (
            format!("csrf={csrf}&c=*&who=bob&access=read"),
            "Choose an access level from the list.",
        ),
    ] {
        let page = after(form.clone(), "/web/sharing").await;
        assert!(
            page.contains("flash error") && page.contains(said),
            "{form}: {page}"
        );
    }
    assert_eq!(
        store.grants(work.id).await.unwrap().len(),
        1,
        "refusals change nothing"
    );

    let home = store.collection(ann.id, "").await.unwrap().unwrap();
    let delegate = format!("csrf={csrf}&user=bob&access=read-write");
    let page = after(delegate, "/web/sharing/delegates").await;
    assert!(page.contains("bob is your delegate now"), "{page}");
    let on_home = store.grants(home.id).await.unwrap();
    assert_eq!(on_home[0].privilege, store::Privilege::ReadWrite);

    let remove = |c: &str, who: &str| format!("csrf={csrf}&c={c}&who={who}");
    let page = after(remove("*", "bob"), "/web/sharing/remove").await;
    assert!(page.contains("bob no longer has access to all your calendars."));
    let page = after(remove("work", "bob"), "/web/sharing/remove").await;
    assert!(page.contains("bob no longer has access to \u{201c}Work\u{201d}."));
    assert!(store.grants_by_owner(ann.id).await.unwrap().is_empty());
    assert!(store
        .collection(bob.id, "ann-work")
        .await
        .unwrap()
        .is_none());
    let page = after(remove("work", "bob"), "/web/sharing/remove").await;
    assert!(
        page.contains("bob has no access to it (any more)"),
        "{page}"
    );
}

fn propfind_as(user_agent: &str, credentials: &str) -> Request<Body> {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    );
    Request::builder()
        .method("PROPFIND")
        .uri("/dav/calendars/ann/")
        .header(header::HOST, "cal.test")
        .header(header::AUTHORIZATION, basic)
        .header(header::USER_AGENT, user_agent)
        .header("Depth", "0")
        .body(Body::empty())
        .unwrap()
}

/// Administration's "Last backup": the backup tool's authenticated requests (its
/// `calvault-backup/` User-Agent) are what the page reports, not another client's and not
/// a refused one.
#[tokio::test]
async fn the_administration_page_shows_the_backup_tools_last_request() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = app(&dir).await;
    crate::admin::set_admin(state.engine.store().as_ref(), "ann", true)
        .await
        .unwrap();
    let (session, _) = sign_in(&app).await;
    let (res, html) = send(&app, get("/web/admin", &session)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(html.contains("None since the server started."), "{html}");

    let (res, _) = send(&app, propfind_as("DAVx5/4.4.3", "ann:secret pw")).await;
    assert_eq!(res.status(), StatusCode::MULTI_STATUS);
    let (res, _) = send(&app, propfind_as("calvault-backup/9.9.9", "ann:wrong")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (_, html) = send(&app, get("/web/admin", &session)).await;
    assert!(html.contains("None since the server started."), "{html}");

    let (res, _) = send(&app, propfind_as("calvault-backup/9.9.9", "ann:secret pw")).await;
    assert_eq!(res.status(), StatusCode::MULTI_STATUS);
    let (_, html) = send(&app, get("/web/admin", &session)).await;
    assert!(!html.contains("None since the server started."), "{html}");
    assert!(
        html.contains("Last backup seen by this server: ")
            && html.contains(", by <strong>ann</strong> with <code>calvault-backup/9.9.9</code> (since the server started)."),
        "{html}"
    );
}
