//! Golden fixtures: each `*.request` file under `tests/golden/` is sent through
//! `Engine::handle` on a fresh store holding the same small scene ([`scene`]), and the
//! answers, normalised ([`normalise`]) and pretty-printed ([`render`]), must equal the
//! `*.response` file beside it. `GOLDEN=accept` writes the answers instead; review them with
//! `git diff`. The file format and the normalisations are described in `README.md` here.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use dav::Limits;
use http::{Request, Response};
use support::{event, harness_with, todo, Harness, WEEKLY_BERLIN};

/// One request of a fixture.
#[derive(Debug)]
struct Step {
    /// Sent as bob instead of ann (`@as bob`).
    as_bob: bool,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Debug)]
struct Fixture {
    limits: Limits,
    steps: Vec<Step>,
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The fixture of a request file; panics with the file's name on a malformed one.
fn parse_fixture(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path).unwrap();
    let mut limits = Limits::default();
    let mut steps = Vec::new();
    for chunk in text.split("\n###\n") {
        let mut lines = chunk.lines().peekable();
        let mut as_bob = false;
        while let Some(line) = lines.peek() {
            let line = line.trim();
            if let Some(directive) = line.strip_prefix('@') {
                apply_directive(directive, &mut limits, &mut as_bob, path);
            } else if !(line.is_empty() || line.starts_with('#')) {
                break;
            }
            lines.next();
        }
        let request_line = lines
            .next()
            .unwrap_or_else(|| panic!("{}: a step without a request line", path.display()));
        let (method, target) = request_line
            .split_once(' ')
            .unwrap_or_else(|| panic!("{}: {request_line:?} is not METHOD PATH", path.display()));
        let mut headers = Vec::new();
        for line in lines.by_ref() {
            if line.trim().is_empty() {
                break;
            }
            let (name, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("{}: header {line:?} has no ':'", path.display()));
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let body_lines: Vec<&str> = lines.collect();
        let body = body_lines.join("\n").trim_end().to_owned();
        let calendar = headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("content-type") && v.starts_with("text/calendar"));
        // iCalendar is written with LF in the fixture and sent with CRLF, as clients do.
        let body = if calendar && !body.is_empty() {
            body.replace('\n', "\r\n") + "\r\n"
        } else {
            body
        };
        steps.push(Step {
            as_bob,
            method: method.to_owned(),
            path: target.trim().to_owned(),
            headers,
            body,
        });
    }
    Fixture { limits, steps }
}

/// `@as bob`, or `@limit NAME VALUE` for one field of [`Limits`].
fn apply_directive(directive: &str, limits: &mut Limits, as_bob: &mut bool, path: &Path) {
    let words: Vec<&str> = directive.split_whitespace().collect();
    match words.as_slice() {
        ["as", "bob"] => *as_bob = true,
        ["limit", name, value] => {
            let n: u64 = value.parse().unwrap();
            match *name {
                "max_resource_size" => limits.max_resource_size = n,
                "max_instances" => limits.max_instances = n as u32,
                "max_multiget_hrefs" => limits.max_multiget_hrefs = n as usize,
                "default_quota" => limits.default_quota = Some(n),
                other => panic!("{}: unknown limit {other}", path.display()),
            }
        }
        _ => panic!("{}: unknown directive @{directive}", path.display()),
    }
}

/// What every fixture starts from, written through the engine as a client would:
///
/// ```text
/// /dav/calendars/ann/calendar/   "Calendar", calendar-color #FF2968
///     event.ics                  one event (2026-12-01 10:00Z), dead property x:tag
///     weekly.ics                 a weekly series in Europe/Berlin with an EXDATE and an override
///     task.ics                   a VTODO
/// /dav/calendars/ann/tasks/      a calendar for VTODO only, "Tasks"
/// /dav/calendars/ann/files/      a plain collection holding notes.txt
/// /dav/calendars/bob/calendar/   bob's, holding secret.ics
/// ```
async fn scene(h: &Harness) {
    let cal = "/dav/calendars/ann/calendar/";
    let steps: [(&str, String, String); 8] = [
        (
            "PUT",
            format!("{cal}event.ics"),
            event("event", "Lunch with Zoë"),
        ),
        ("PUT", format!("{cal}weekly.ics"), WEEKLY_BERLIN.to_owned()),
        ("PUT", format!("{cal}task.ics"), todo("task")),
        (
            "PROPPATCH",
            cal.to_owned(),
            "<D:propertyupdate xmlns:D='DAV:' xmlns:A='http://apple.com/ns/ical/'><D:set><D:prop>\
             <A:calendar-color>#FF2968</A:calendar-color></D:prop></D:set></D:propertyupdate>"
                .to_owned(),
        ),
        (
            "PROPPATCH",
            format!("{cal}event.ics"),
            "<D:propertyupdate xmlns:D='DAV:' xmlns:x='urn:x'><D:set><D:prop>\
             <x:tag>tagged</x:tag></D:prop></D:set></D:propertyupdate>"
                .to_owned(),
        ),
        (
            "MKCALENDAR",
            "/dav/calendars/ann/tasks/".to_owned(),
            "<C:mkcalendar xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>\
             <D:displayname>Tasks</D:displayname><C:supported-calendar-component-set>\
             <C:comp name='VTODO'/></C:supported-calendar-component-set></D:prop></D:set>\
             </C:mkcalendar>"
                .to_owned(),
        ),
        (
            "MKCOL",
            "/dav/calendars/ann/files/".to_owned(),
            String::new(),
        ),
        (
            "PUT",
            "/dav/calendars/ann/files/notes.txt".to_owned(),
            "hello\n".to_owned(),
        ),
    ];
    for (method, path, body) in steps {
        let headers: &[(&str, &str)] = if path.ends_with(".txt") {
            &[("content-type", "text/plain")]
        } else {
            &[]
        };
        let r = h.ann(method, &path, headers, &body).await;
        assert!(r.status().is_success(), "scene: {method} {path}: {r:?}");
    }
    let r = h
        .send(
            &h.bob,
            "PUT",
            "/dav/calendars/bob/calendar/secret.ics",
            &[],
            &event("secret", "Secret meeting"),
        )
        .await;
    assert!(r.status().is_success(), "scene: bob's secret.ics");
}

/// Runs one fixture on a fresh store and returns its rendered, normalised answers.
async fn run(fixture: Fixture) -> String {
    let h = harness_with(fixture.limits).await;
    scene(&h).await;
    let mut last_token = String::new();
    let mut last_etag = String::new();
    let mut last_lock = String::new();
    let mut out = String::new();
    for step in fixture.steps {
        let substitute = |s: &str| {
            s.replace("{sync-token}", &last_token)
                .replace("{etag}", &last_etag)
                .replace("{lock-token}", &last_lock)
        };
        let mut req = Request::builder()
            .method(step.method.as_str())
            .uri(substitute(&step.path));
        for (name, value) in &step.headers {
            req = req.header(name.as_str(), substitute(value));
        }
        let req = req.body(Bytes::from(substitute(&step.body))).unwrap();
        let who = if step.as_bob { &h.bob } else { &h.ann };
        let response = h.engine.handle(req, who).await;
        let body = String::from_utf8_lossy(response.body());
        if let Some(token) = between(&body, "<D:sync-token>", "</D:sync-token>") {
            last_token = token.to_owned();
        }
        if let Some(tag) = response.headers().get("etag") {
            last_etag = tag.to_str().unwrap().to_owned();
        }
        if let Some(token) = response.headers().get("lock-token") {
            let token = token.to_str().unwrap();
            last_lock = token.trim_matches(|c| c == '<' || c == '>').to_owned();
        }
        let who = if step.as_bob { " (as bob)" } else { "" };
        writeln!(out, "### {} {}{who}", step.method, step.path).unwrap();
        out.push_str(&normalise(&render(&response)));
    }
    out
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(&s[start..end])
}

/// Status line, headers in name order, a blank line, the body: XML one element per line,
/// any other text as sent with each CR shown as `\r`.
fn render(r: &Response<Bytes>) -> String {
    let status = r.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let mut headers: Vec<(String, String)> = r
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    headers.sort();
    for (name, value) in headers {
        writeln!(out, "{name}: {value}").unwrap();
    }
    out.push('\n');
    let body = String::from_utf8_lossy(r.body());
    let is_xml = r
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/xml"));
    if is_xml {
        out.push_str(&pretty_xml(&body));
    } else {
        out.push_str(&body.replace('\r', "\\r"));
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// One element per line, indented by depth; an element holding only text stays on one line.
/// The engine writes no whitespace between tags, so this adds nothing that was not there.
fn pretty_xml(xml: &str) -> String {
    let tokens = xml_tokens(xml);
    let mut out = String::new();
    let mut depth = 0usize;
    let mut i = 0;
    let line = |out: &mut String, depth: usize, text: &str| {
        out.push_str(&"  ".repeat(depth));
        out.push_str(text);
        out.push('\n');
    };
    while i < tokens.len() {
        let t = tokens[i];
        let is_open = |t: &str| t.starts_with('<') && !t.starts_with("</") && !t.ends_with("/>");
        let is_close = |t: &str| t.starts_with("</");
        if t.starts_with("<?") || t.ends_with("/>") {
            line(&mut out, depth, t);
        } else if is_close(t) {
            depth = depth.saturating_sub(1);
            line(&mut out, depth, t);
        } else if is_open(t) {
            match (tokens.get(i + 1), tokens.get(i + 2)) {
                (Some(text), Some(close)) if !text.starts_with('<') && is_close(close) => {
                    line(&mut out, depth, &format!("{t}{text}{close}"));
                    i += 2;
                }
                (Some(close), _) if is_close(close) => {
                    line(&mut out, depth, &format!("{t}{close}"));
                    i += 1;
                }
                _ => {
                    line(&mut out, depth, t);
                    depth += 1;
                }
            }
        } else {
            line(&mut out, depth, t);
        }
        i += 1;
    }
    out
}

/// Tags and the text between them. A '>' inside a tag is always escaped by the writer.
fn xml_tokens(xml: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut rest = xml.trim_end();
    while !rest.is_empty() {
        let end = if rest.starts_with('<') {
            rest.find('>').map_or(rest.len(), |e| e + 1)
        } else {
            rest.find('<').unwrap_or(rest.len())
        };
        let (token, tail) = rest.split_at(end);
        if !token.trim().is_empty() {
            tokens.push(token.trim_start_matches('\n'));
        }
        rest = tail;
    }
    tokens
}

/// Replaces what differs from run to run or between backends: ETags (content hashes, but
/// not this test's concern), sync tokens and ctags (collection ids and sequence numbers),
/// and dates written at request time.
fn normalise(rendered: &str) -> String {
    let mut out = String::new();
    let mut in_freebusy = false;
    for line in rendered.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let normal = if let Some(tag) = trimmed.strip_prefix("etag: ") {
            format!("etag: {}", quoted_placeholder(tag, "{etag}"))
        } else if trimmed.starts_with("last-modified: ") {
            "last-modified: {http-date}".to_owned()
        } else if trimmed.starts_with("<D:getlastmodified>") {
            "<D:getlastmodified>{http-date}</D:getlastmodified>".to_owned()
        } else if trimmed.starts_with("<D:creationdate>") {
            "<D:creationdate>{date-time}</D:creationdate>".to_owned()
        } else if trimmed.starts_with("<D:getetag>") {
            "<D:getetag>&quot;{etag}&quot;</D:getetag>".to_owned()
        } else if trimmed.starts_with("<CS:getctag>") {
            "<CS:getctag>&quot;{ctag}&quot;</CS:getctag>".to_owned()
        } else if trimmed.starts_with("lock-token: ") {
            "lock-token: <{lock-token}>".to_owned()
        } else if trimmed.starts_with("<D:href>urn:uuid:") {
            "<D:href>{lock-token}</D:href>".to_owned()
        } else if in_freebusy && trimmed.starts_with("DTSTAMP:") {
            "DTSTAMP:{now}\\r".to_owned()
        } else {
            sync_tokens(trimmed)
        };
        if trimmed.starts_with("BEGIN:VFREEBUSY") {
            in_freebusy = true;
        } else if trimmed.starts_with("END:VFREEBUSY") {
            in_freebusy = false;
        }
        out.push_str(indent);
        out.push_str(&normal);
        out.push('\n');
    }
    out
}

fn quoted_placeholder(value: &str, placeholder: &str) -> String {
    if value.starts_with('"') {
        format!("\"{placeholder}\"")
    } else {
        placeholder.to_owned()
    }
}

/// `http://calvault.org/ns/sync/12-34` -> `http://calvault.org/ns/sync/{token}`.
fn sync_tokens(line: &str) -> String {
    const PREFIX: &str = "http://calvault.org/ns/sync/";
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(PREFIX) {
        let after = &rest[at + PREFIX.len()..];
        let token_len = after
            .find(|c: char| !(c.is_ascii_digit() || c == '-'))
            .unwrap_or(after.len());
        out.push_str(&rest[..at]);
        out.push_str(PREFIX);
        out.push_str(if token_len > 0 { "{token}" } else { "" });
        rest = &after[token_len..];
    }
    out.push_str(rest);
    out
}

/// Every request file in `folder` (below `tests/golden/`), in name order.
fn fixtures(folder: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(golden_dir().join(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "request"))
        .collect();
    found.sort();
    found
}

/// Runs every fixture of `folder`; with `GOLDEN=accept` writes the answers, otherwise
/// fails naming each fixture whose answers differ, with the first difference.
async fn check(folder: &str) {
    let accept = std::env::var("GOLDEN").as_deref() == Ok("accept");
    let mut failures = Vec::new();
    let requests = fixtures(folder);
    assert!(!requests.is_empty(), "no fixtures in {folder}");
    for request in &requests {
        let actual = run(parse_fixture(request)).await;
        let expected_path = request.with_extension("response");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual == expected {
            continue;
        }
        if accept {
            std::fs::write(&expected_path, &actual).unwrap();
        } else {
            failures.push(first_difference(&expected_path, &expected, &actual));
        }
    }
    for response in std::fs::read_dir(golden_dir().join(folder)).unwrap() {
        let response = response.unwrap().path();
        if response.extension().is_some_and(|e| e == "response")
            && !response.with_extension("request").exists()
        {
            failures.push(format!("{}: no request file", response.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden fixture(s) differ; review with `GOLDEN=accept cargo nextest run -p dav \
         --test golden` then `git diff crates/dav/tests/golden`:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn first_difference(path: &Path, expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let at = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let from = at.saturating_sub(3);
    let show = |lines: &[&str], sign: char| {
        lines
            .iter()
            .skip(from)
            .take(at - from + 4)
            .map(|l| format!("{sign} {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if expected.is_empty() {
        return format!("{}: missing (run with GOLDEN=accept)", path.display());
    }
    format!(
        "{} differs from line {}:\n--- expected\n{}\n--- actual\n{}",
        path.display(),
        at + 1,
        show(&e, '-'),
        show(&a, '+')
    )
}

macro_rules! golden {
    ($($folder:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $folder() {
            check(stringify!($folder)).await;
        }
    )*};
}

golden!(
    options, get, put, delete, propfind, proppatch, mkcol, copy_move, multiget, query, sync,
    freebusy, principal, lock,
);
