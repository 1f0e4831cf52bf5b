//! HTTP Basic authentication: app passwords checked by their hash on every request,
//! passwords by Argon2id off the async threads with a short-lived cache of successful logins
//! (clients send Basic on every request), and a throttle that slows guessing without ever
//! refusing the right credentials (docs/security.md). A cached login still reads its
//! account (one lookup by key, no Argon2): a disabled account, or a password changed on
//! another node or from the command line, holds at the next request.
//!
//! The throttle counts failures per (user, address) and per user. Once either passes its
//! limit within a minute, password attempts for that user are "suspect": they are still
//! verified — the right password must get in — but one at a time per user and per address,
//! and each failure is answered 429. A suspect attempt from an address that has one waiting
//! already, or beyond [`ThrottlePolicy::queued_per_user`] for the user, is answered 429 at
//! once, unverified. So a flood against one account costs at most one verification at a time
//! and never delays another account; an app password (no Argon2) and a device already signed
//! in (the login cache) always pass at once; and the right password passes at its first try
//! once the flood stops, or at its turn during one from elsewhere.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use store::{AppToken, Store, User};
use tokio::sync::Semaphore;

use crate::{password, tokens};

#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No or unusable credentials: answer 401 with a challenge.
    Missing,
    /// Wrong user name or password: 401 after a short delay.
    Rejected,
    /// A wrong password for an account under attack, or too many attempts waiting: 429.
    Throttled,
    /// The store could not be read: 503.
    Unavailable,
}

/// Who signed in, and with which app password (None: the account's password).
#[derive(Clone, Debug)]
pub struct Identity {
    pub user: User,
    pub token: Option<AppToken>,
}

/// The throttle's numbers (docs/security.md explains them).
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Failures of one user from one address within [`FAILURE_WINDOW`] before that user's
    /// password attempts are suspect (`auth_max_failures`).
    pub per_address: u32,
    /// Failures of one user from every address together before the same.
    pub per_user: u32,
    /// Suspect attempts of one user that may wait for their turn; more are refused at once.
    pub queued_per_user: usize,
}

impl ThrottlePolicy {
    pub fn new(per_address: u32) -> Self {
        ThrottlePolicy {
            per_address,
            per_user: per_address.saturating_mul(10),
            queued_per_user: 32,
        }
    }
}

pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Slows down guessing from one connection without hurting a person who mistyped.
const FAILURE_DELAY: Duration = Duration::from_millis(300);
/// How often an app password's last use is written: per request would be a write for every
/// GET.
const TOKEN_USE_RESOLUTION: Duration = Duration::from_secs(60);

pub struct Authenticator {
    store: Arc<dyn Store>,
    cache_ttl: Duration,
    policy: ThrottlePolicy,
    /// Keyed hash of "user\0password" -> the login; the key is random per process so the
    /// cache never holds anything that verifies a password elsewhere.
    cache_key: [u8; 32],
    cache: Mutex<HashMap<[u8; 32], CachedLogin>>,
    failures: Mutex<Failures>,
    /// At most one Argon2 verification per core at a time: each holds ~19 MB and a core for
    /// tens of milliseconds, so more at once only adds memory (eight clients connecting
    /// together would otherwise take 150 MB).
    verifying: Semaphore,
    /// One verification at a time per user whose attempts are suspect.
    suspect_turns: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// The (user, address) pairs with a suspect attempt waiting or being verified.
    suspect_pairs: Arc<Mutex<std::collections::HashSet<(String, IpAddr)>>>,
    tokens_used: Mutex<HashMap<i64, Instant>>,
}

/// A verified login: the account as it was read, when it was cached, and the store's
/// commit mark from before that read ([`store::Accounts::commit_mark`]).
#[derive(Clone)]
struct CachedLogin {
    user: User,
    at: Instant,
    mark: Option<u64>,
}

/// Failure counts within the current window.
#[derive(Default)]
struct Failures {
    by_pair: HashMap<(String, IpAddr), Count>,
    by_user: HashMap<String, Count>,
}

#[derive(Clone, Copy)]
struct Count {
    n: u32,
    since: Instant,
}

impl Count {
    fn current(self) -> u32 {
        if self.since.elapsed() < FAILURE_WINDOW {
            self.n
        } else {
            0
        }
    }
}

impl Failures {
    fn record(&mut self, user: &str, address: IpAddr) {
        self.by_pair.retain(|_, c| c.current() > 0);
        self.by_user.retain(|_, c| c.current() > 0);
        let now = Instant::now();
        let fresh = Count { n: 0, since: now };
        self.by_pair
            .entry((user.to_owned(), address))
            .or_insert(fresh)
            .n += 1;
        self.by_user.entry(user.to_owned()).or_insert(fresh).n += 1;
    }

    fn suspect(&self, user: &str, address: IpAddr, policy: &ThrottlePolicy) -> bool {
        let pair = self
            .by_pair
            .get(&(user.to_owned(), address))
            .map_or(0, |c| c.current());
        let all = self.by_user.get(user).map_or(0, |c| c.current());
        pair >= policy.per_address || all >= policy.per_user
    }
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>, cache_ttl: Duration, policy: ThrottlePolicy) -> Self {
        let mut cache_key = [0u8; 32];
        // Without randomness the cache simply never matches across restarts; zeros are safe
        // because the key only has to differ from nothing an attacker can see.
        let _ = getrandom::getrandom(&mut cache_key);
        Authenticator {
            store,
            cache_ttl,
            policy,
            cache_key,
            cache: Mutex::new(HashMap::new()),
            failures: Mutex::new(Failures::default()),
            verifying: Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get())),
            suspect_turns: Mutex::new(HashMap::new()),
            suspect_pairs: Arc::default(),
            tokens_used: Mutex::new(HashMap::new()),
        }
    }

    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        address: IpAddr,
    ) -> Result<Identity, AuthError> {
        let (name, secret) = authorization
            .and_then(parse_basic)
            .ok_or(AuthError::Missing)?;
        self.check(&name, &secret, address).await
    }

    /// A user name and a password or app password, as Basic carries them or the web
    /// interface's sign-in form sends them: one throttle for both.
    pub async fn check(
        &self,
        name: &str,
        secret: &str,
        address: IpAddr,
    ) -> Result<Identity, AuthError> {
        let (name, secret) = (name.to_owned(), secret.to_owned());
        if let Some(hash) = tokens::hash_of(&secret) {
            return self.with_token(&name, &hash, address).await;
        }
        let key =
            *blake3::keyed_hash(&self.cache_key, format!("{name}\0{secret}").as_bytes()).as_bytes();
        if let Some(user) = self.cached_current(&key).await? {
            return Ok(Identity { user, token: None });
        }
        let suspect = self
            .failures
            .lock()
            .is_ok_and(|f| f.suspect(&name, address, &self.policy));
        let (turn, _pair) = match suspect {
            true => {
                let pair = self.suspect_pair(&name, address)?;
                (Some(self.suspect_turn(&name, address)?), Some(pair))
            }
            false => (None, None),
        };
        let my_turn = match &turn {
            Some(lane) => Some(lane.acquire().await.map_err(|_| AuthError::Unavailable)?),
            None => None,
        };
        let verified = self.verify_password(&name, &secret, &key).await?;
        // The next attempt may go while this one's failure is answered.
        drop(my_turn);
        drop(turn);
        drop(_pair);
        match verified {
            Some(user) => Ok(Identity { user, token: None }),
            None => {
                self.failed(&name, address).await;
                Err(if suspect {
                    AuthError::Throttled
                } else {
                    AuthError::Rejected
                })
            }
        }
    }

    /// An app password: one lookup, never cached, so a revocation holds at once everywhere.
    async fn with_token(
        &self,
        name: &str,
        hash: &str,
        address: IpAddr,
    ) -> Result<Identity, AuthError> {
        let found = self
            .store
            .user_by_token(name, hash)
            .await
            .map_err(|_| AuthError::Unavailable)?;
        let Some((user, token)) = found else {
            self.failed(name, address).await;
            return Err(AuthError::Rejected);
        };
        self.note_token_use(&token);
        Ok(Identity {
            user,
            token: Some(token),
        })
    }

    fn note_token_use(&self, token: &AppToken) {
        let due = self.tokens_used.lock().is_ok_and(|mut used| {
            let last = used.get(&token.id).copied();
            let due = last.is_none_or(|at| at.elapsed() >= TOKEN_USE_RESOLUTION);
            if due {
                used.insert(token.id, Instant::now());
            }
            due
        });
        if due {
            let (store, id) = (Arc::clone(&self.store), token.id);
            tokio::spawn(async move {
                if let Err(e) = store.token_used(id, store::db::now_ms()).await {
                    tracing::warn!("cannot record an app password's use: {e}");
                }
            });
        }
    }

    /// Claims the (user, address) pair for one suspect attempt, or Throttled when one from
    /// there is under way already.
    fn suspect_pair(&self, name: &str, address: IpAddr) -> Result<PairClaim, AuthError> {
        let key = (name.to_owned(), address);
        let fresh = self
            .suspect_pairs
            .lock()
            .map_err(|_| AuthError::Unavailable)?
            .insert(key.clone());
        if !fresh {
            tracing::warn!(target: "calvault::auth", "authentication throttled: address={address} user={name:?}");
            return Err(AuthError::Throttled);
        }
        Ok(PairClaim {
            pairs: Arc::clone(&self.suspect_pairs),
            key,
        })
    }

    /// The user's turn for a suspect attempt, or Throttled when too many wait already.
    fn suspect_turn(&self, name: &str, address: IpAddr) -> Result<Arc<Semaphore>, AuthError> {
        let mut turns = self
            .suspect_turns
            .lock()
            .map_err(|_| AuthError::Unavailable)?;
        // Lanes nobody waits on are dropped, so the map stays as small as the attacks.
        turns.retain(|_, lane| Arc::strong_count(lane) > 1);
        let lane = turns
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(1)));
        if Arc::strong_count(lane) > self.policy.queued_per_user {
            tracing::warn!(target: "calvault::auth", "authentication throttled: address={address} user={name:?}");
            return Err(AuthError::Throttled);
        }
        Ok(Arc::clone(lane))
    }

    /// Verifies the password (on a blocking thread, one per core at a time); the user when
    /// it is right.
    async fn verify_password(
        &self,
        name: &str,
        secret: &str,
        key: &[u8; 32],
    ) -> Result<Option<User>, AuthError> {
        let _permit = self
            .verifying
            .acquire()
            .await
            .map_err(|_| AuthError::Unavailable)?;
        // A client's parallel connections log in together: the first one verified while the
        // others waited.
        if let Some(user) = self.cached_current(key).await? {
            return Ok(Some(user));
        }
        let mark = self.store.commit_mark();
        let user = self
            .store
            .user_by_name(name)
            .await
            .map_err(|_| AuthError::Unavailable)?;
        // Verify even for unknown users so that timing does not reveal which names exist.
        let stored = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        let pw = secret.to_owned();
        let ok = tokio::task::spawn_blocking(move || password::verify(&pw, &stored))
            .await
            .unwrap_or(false);
        let user = user.filter(|_| ok);
        if let (Some(user), Ok(mut cache)) = (&user, self.cache.lock()) {
            cache.retain(|_, login| login.at.elapsed() < self.cache_ttl);
            let at = Instant::now();
            let login = CachedLogin {
                user: user.clone(),
                at,
                mark,
            };
            cache.insert(*key, login);
        }
        Ok(user)
    }

    async fn failed(&self, name: &str, address: IpAddr) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.record(name, address);
        }
        tracing::warn!(target: "calvault::auth", "authentication failed: address={address} user={name:?}");
        tokio::time::sleep(FAILURE_DELAY).await;
    }

    /// Drops every cached login, e.g. after a password change.
    pub fn forget_logins(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    /// The cached login's account as it is now, when it still may sign in with the same
    /// password hash; otherwise the entry goes and the password is verified again. The
    /// account is read again unless nothing was committed since it was (the same commit
    /// mark): a disabled account or a changed password, from any process or node, holds at
    /// the next request, and a GET where nothing changed costs no extra lookup.
    async fn cached_current(&self, key: &[u8; 32]) -> Result<Option<User>, AuthError> {
        let Some(cached) = self.cached(key) else {
            return Ok(None);
        };
        let mark = self.store.commit_mark();
        if mark.is_some() && mark == cached.mark {
            return Ok(Some(cached.user));
        }
        let now = self
            .store
            .user_by_name(&cached.user.name)
            .await
            .map_err(|_| AuthError::Unavailable)?;
        let Ok(mut cache) = self.cache.lock() else {
            return Ok(None);
        };
        match now.filter(|u| u.password_hash == cached.user.password_hash) {
            Some(user) => {
                if let Some(login) = cache.get_mut(key) {
                    login.user = user.clone();
                    login.mark = mark;
                }
                Ok(Some(user))
            }
            None => {
                cache.remove(key);
                Ok(None)
            }
        }
    }

    fn cached(&self, key: &[u8; 32]) -> Option<CachedLogin> {
        let cache = self.cache.lock().ok()?;
        let login = cache.get(key)?;
        (login.at.elapsed() < self.cache_ttl).then(|| login.clone())
    }
}

/// A suspect attempt's claim on its (user, address) pair, given back when it is done.
struct PairClaim {
    pairs: Arc<Mutex<std::collections::HashSet<(String, IpAddr)>>>,
    key: (String, IpAddr),
}

impl Drop for PairClaim {
    fn drop(&mut self) {
        if let Ok(mut pairs) = self.pairs.lock() {
            pairs.remove(&self.key);
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

    #[test]
    fn failures_make_a_user_suspect_per_address_and_across_addresses() {
        let policy = ThrottlePolicy::new(3);
        let (here, there) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let mut f = Failures::default();
        for _ in 0..3 {
            f.record("ann", here);
        }
        assert!(f.suspect("ann", here, &policy));
        assert!(
            !f.suspect("ann", there, &policy),
            "only that address so far"
        );
        assert!(
            !f.suspect("bob", here, &policy),
            "another user is not affected"
        );
        for i in 0..30u8 {
            f.record("ann", IpAddr::from([10, 1, 0, i]));
        }
        assert!(
            f.suspect("ann", there, &policy),
            "spread over many addresses"
        );
        assert!(!f.suspect("bob", there, &policy));
    }
}
