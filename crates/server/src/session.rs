//! Signed-in browsers: a random session id in an HttpOnly, SameSite=Lax cookie (Secure under
//! TLS), the session's CSRF token, its expiry, and the one-shot message a redirect carries.
//!
//! Sessions live in this process's memory: a restart signs everyone out, which is the safe
//! side for a self-hosted server, and a sign-out ends the session at once. The map is keyed
//! by a hash of the cookie, so it never holds a value that signs anyone in. The session
//! cookie is only ever read by the web pages and by `/api/` together with the
//! `X-CSRF-Token` header: CalDAV stays Basic-only, so another site's page can never make a
//! browser's cookie change a calendar.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// The session cookie's name.
pub const COOKIE: &str = "calvault_session";
/// The cookie that carries the sign-in form's CSRF token before anyone is signed in.
pub const SIGNIN_COOKIE: &str = "calvault_signin";
/// The header `/api/` wants beside the session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A session ends this long after its last use...
const IDLE: Duration = Duration::from_secs(8 * 3600);
/// ...and this long after the sign-in, whatever happens.
const ABSOLUTE: Duration = Duration::from_secs(7 * 24 * 3600);

/// A message for the next page, after a redirect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    pub csrf: String,
    /// The IANA zone the pages show times in.
    pub time_zone: String,
    pub flash: Option<Flash>,
    started: Instant,
    used: Instant,
}

impl Session {
    fn live(&self) -> bool {
        self.used.elapsed() < IDLE && self.started.elapsed() < ABSOLUTE
    }
}

/// Every live session of this process.
#[derive(Default)]
pub struct Sessions {
    by_hash: Mutex<HashMap<[u8; 32], Session>>,
}

/// 32 random bytes as lower-case base32: a session id or a CSRF token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // Without randomness no session can be trusted: an empty token matches nothing.
    if getrandom::getrandom(&mut bytes).is_err() {
        return String::new();
    }
    data_encoding::BASE32_NOPAD
        .encode(&bytes)
        .to_ascii_lowercase()
}

fn key(id: &str) -> [u8; 32] {
    *blake3::hash(id.as_bytes()).as_bytes()
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && blake3::hash(a.as_bytes()) == blake3::hash(b.as_bytes())
}

impl Sessions {
    /// Starts a session for `user`; the id goes into the cookie.
    pub fn start(&self, user: &str, time_zone: &str) -> Option<String> {
        let id = random_token();
        if id.is_empty() {
            return None;
        }
        let now = Instant::now();
        let session = Session {
            user: user.to_owned(),
            csrf: random_token(),
            time_zone: time_zone.to_owned(),
            flash: None,
            started: now,
            used: now,
        };
        let mut all = self.by_hash.lock().ok()?;
        all.retain(|_, s| s.live());
        all.insert(key(&id), session);
        Some(id)
    }

    /// The live session of this cookie value, marked as used; its flash is taken out.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let mut all = self.by_hash.lock().ok()?;
        let k = key(id);
        let live = all.get(&k).is_some_and(Session::live);
        if !live {
            all.remove(&k);
            return None;
        }
        let s = all.get_mut(&k)?;
        s.used = Instant::now();
        let seen = s.clone();
        s.flash = None;
        Some(seen)
    }

    /// The session without marking it used or taking its flash (for `/api/`).
    pub fn peek(&self, id: &str) -> Option<Session> {
        let all = self.by_hash.lock().ok()?;
        all.get(&key(id)).filter(|s| s.live()).cloned()
    }

    pub fn flash(&self, id: &str, ok: bool, text: impl Into<String>) {
        if let Ok(mut all) = self.by_hash.lock() {
            if let Some(s) = all.get_mut(&key(id)) {
                s.flash = Some(Flash {
                    ok,
                    text: text.into(),
                });
            }
        }
    }

    pub fn set_time_zone(&self, id: &str, zone: &str) {
        if let Ok(mut all) = self.by_hash.lock() {
            if let Some(s) = all.get_mut(&key(id)) {
                s.time_zone = zone.to_owned();
            }
        }
    }

    pub fn end(&self, id: &str) {
        if let Ok(mut all) = self.by_hash.lock() {
            all.remove(&key(id));
        }
    }

    /// Ends every session of `user` (after a password change or reset) but `keep`.
    pub fn end_user(&self, user: &str, keep: Option<&str>) {
        let keep = keep.map(key);
        if let Ok(mut all) = self.by_hash.lock() {
            all.retain(|k, s| s.user != user || Some(*k) == keep);
        }
    }
}

/// The user `/api/` acts for by the session cookie: None when no cookie is sent (Basic
/// applies), `Err` when it is sent without its session's CSRF token in [`CSRF_HEADER`].
#[allow(clippy::result_unit_err)]
pub fn api_user(sessions: &Sessions, headers: &HeaderMap) -> Option<Result<String, ()>> {
    let id = cookie(headers, COOKIE)?;
    let token = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Some(match sessions.peek(id) {
        Some(s) if same_secret(&s.csrf, token) => Ok(s.user),
        _ => Err(()),
    })
}

/// The value of cookie `name` in the request's Cookie headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Lax always, Secure when the server speaks
/// TLS; `max_age` None is a cookie that ends with the browser.
pub fn set_cookie(name: &str, value: &str, max_age: Option<Duration>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={}", age.as_secs()));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The session cookie, lasting as long as a session may.
pub fn session_cookie(id: &str, secure: bool) -> String {
    set_cookie(COOKIE, id, Some(ABSOLUTE), secure)
}

/// A cookie that the browser drops at once.
pub fn expired_cookie(name: &str, secure: bool) -> String {
    set_cookie(name, "", Some(Duration::ZERO), secure)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_session_is_found_by_its_cookie_only_and_ends_on_sign_out() {
        let sessions = Sessions::default();
        let id = sessions.start("ann", "UTC").unwrap();
        assert_eq!(sessions.touch(&id).unwrap().user, "ann");
        assert!(sessions.touch("not-a-session").is_none());
        sessions.flash(&id, true, "saved");
        assert_eq!(sessions.touch(&id).unwrap().flash.unwrap().text, "saved");
        assert!(sessions.touch(&id).unwrap().flash.is_none(), "shown once");
        sessions.end(&id);
        assert!(sessions.touch(&id).is_none());
    }

    #[test]
    fn cookies_are_http_only_same_site_and_secure_under_tls() {
        let c = session_cookie("x", true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(!session_cookie("x", false).contains("Secure"));
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=1; calvault_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert!(!same_secret("", ""));
        assert!(same_secret("t", "t") && !same_secret("t", "u"));
    }
}
