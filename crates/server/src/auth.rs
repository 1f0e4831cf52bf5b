//! HTTP Basic authentication: Argon2id verification off the async threads, a short-lived
//! cache of successful logins (clients send Basic on every request), and per-address
//! throttling of failures with one greppable log line each.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use store::{Store, User};

use crate::password;

#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No or unusable credentials: answer 401 with a challenge.
    Missing,
    /// Wrong user name or password: 401 after a short delay.
    Rejected,
    /// Too many failures from this address: 429.
    Throttled,
    /// The store could not be read: 500.
    Unavailable,
}

const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Slows down guessing from one connection without hurting a person who mistyped.
const FAILURE_DELAY: Duration = Duration::from_millis(300);

pub struct Authenticator {
    store: Arc<dyn Store>,
    cache_ttl: Duration,
    max_failures: u32,
    /// Keyed hash of "user\0password" -> (user, when cached); the key is random per process
    /// so the cache never holds anything that verifies a password elsewhere.
    cache_key: [u8; 32],
    cache: Mutex<HashMap<[u8; 32], (User, Instant)>>,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    /// At most one Argon2 verification per core at a time: each holds ~19 MB and a core for
    /// tens of milliseconds, so more at once only adds memory (eight clients connecting
    /// together would otherwise take 150 MB).
    verifying: tokio::sync::Semaphore,
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>, cache_ttl: Duration, max_failures: u32) -> Self {
        let mut cache_key = [0u8; 32];
        use argon2::password_hash::rand_core::RngCore;
        argon2::password_hash::rand_core::OsRng.fill_bytes(&mut cache_key);
        Authenticator {
            store,
            cache_ttl,
            max_failures,
            cache_key,
            cache: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            verifying: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            ),
        }
    }

    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        address: IpAddr,
    ) -> Result<User, AuthError> {
        let (name, password) = authorization
            .and_then(parse_basic)
            .ok_or(AuthError::Missing)?;
        if self.is_throttled(address) {
            tracing::warn!(target: "calvault::auth", "authentication throttled: address={address} user={name:?}");
            return Err(AuthError::Throttled);
        }
        let key = *blake3::keyed_hash(&self.cache_key, format!("{name}\0{password}").as_bytes())
            .as_bytes();
        if let Some(user) = self.cached(&key) {
            return Ok(user);
        }
        let permit = self
            .verifying
            .acquire()
            .await
            .map_err(|_| AuthError::Unavailable)?;
        // A client's parallel connections log in together: the first one verified while the
        // others waited.
        if let Some(user) = self.cached(&key) {
            return Ok(user);
        }
        let user = self
            .store
            .user_by_name(&name)
            .await
            .map_err(|_| AuthError::Unavailable)?;
        // Verify even for unknown users so that timing does not reveal which names exist.
        let stored = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        let pw = password.clone();
        let ok = tokio::task::spawn_blocking(move || password::verify(&pw, &stored))
            .await
            .unwrap_or(false);
        drop(permit);
        match (user, ok) {
            (Some(user), true) => {
                if let Ok(mut cache) = self.cache.lock() {
                    cache.retain(|_, (_, at)| at.elapsed() < self.cache_ttl);
                    cache.insert(key, (user.clone(), Instant::now()));
                }
                Ok(user)
            }
            _ => {
                self.record_failure(address);
                tracing::warn!(target: "calvault::auth", "authentication failed: address={address} user={name:?}");
                tokio::time::sleep(FAILURE_DELAY).await;
                Err(AuthError::Rejected)
            }
        }
    }

    /// Drops every cached login, e.g. after a password change.
    pub fn forget_logins(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    fn cached(&self, key: &[u8; 32]) -> Option<User> {
        let cache = self.cache.lock().ok()?;
        let (user, at) = cache.get(key)?;
        (at.elapsed() < self.cache_ttl).then(|| user.clone())
    }

    fn is_throttled(&self, address: IpAddr) -> bool {
        let Ok(failures) = self.failures.lock() else {
            return false;
        };
        matches!(failures.get(&address),
            Some((count, since)) if since.elapsed() < FAILURE_WINDOW && *count >= self.max_failures)
    }

    fn record_failure(&self, address: IpAddr) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
            let entry = failures.entry(address).or_insert((0, Instant::now()));
            entry.0 += 1;
        }
    }
}

/// A valid Argon2id hash of a random string, verified against when the user is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZmJmYmZmYmZiZmJmYmZmYmZiZmJmYmZmYmZiZmI";

fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_parse() {
        assert_eq!(
            parse_basic("Basic YW5uOnA6dw=="),
            Some(("ann".into(), "p:w".into()))
        );
        assert_eq!(parse_basic("Bearer x"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }
}
