//! WebDAV lock decisions (RFC 4918 §6-§9.11), given the locks of a home as a transaction
//! read them: which locks are live, which a write touches and whether the request holds
//! them, which conflict with a new lock, which a refresh or an UNLOCK names, how long a
//! timeout may be, and which locks go with a deleted URL.
//!
//! Paths are below the home, without slashes at either end ("" is the home). Locks are on
//! URLs: what a URL maps to is not looked at here.

use crate::{DavLock, LockClaim, LockScope, Result, StoreError};

/// Whether `lock` still holds at `now` (ms). An expired lock is as if it did not exist
/// (RFC 4918 §6.6), until a write removes its row.
pub fn is_live(lock: &DavLock, now: i64) -> bool {
    lock.expires_at > now
}

/// The locks whose time has passed, which the transaction that read them removes.
pub fn expired(locks: &[DavLock], now: i64) -> Vec<String> {
    locks
        .iter()
        .filter(|l| !is_live(l, now))
        .map(|l| l.token.clone())
        .collect()
}

/// When a lock granted `timeout_secs` at `now` lapses.
pub fn expires_at(now: i64, timeout_secs: u64) -> i64 {
    let ms = i64::try_from(timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    now.saturating_add(ms)
}

/// RFC 4918 §10.7: the server picks the timeout, taking the client's wish into account.
/// `requested` None (no Timeout header, or `Infinite`) and anything longer get the server's
/// `max`; a lock lasts at least a second.
pub fn grant_timeout(requested: Option<u64>, max: u64) -> u64 {
    requested.map_or(max, |r| r.min(max)).max(1)
}

/// Whether `path` is `root` or below it.
pub fn within(path: &str, root: &str) -> bool {
    root.is_empty()
        || path == root
        || (path.len() > root.len()
            && path.starts_with(root)
            && path[root.len()..].starts_with('/'))
}

/// The collection a path is a member of ("" for a member of the home; None for the home).
pub fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    Some(path.rsplit_once('/').map_or("", |(parent, _)| parent))
}

/// Whether `lock` covers the resource at `path`: it is the lock root, or a member below a
/// depth-infinity root (RFC 4918 §6.1, §7.4).
pub fn covers(lock: &DavLock, path: &str) -> bool {
    lock.path == path || (lock.deep && within(path, &lock.path))
}

/// What a write does to one URL, and so which locks it needs the tokens of (RFC 4918 §7.4,
/// §9.6.1, §9.8.5, §9.9.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touch<'a> {
    /// Changes the resource's content or properties: the locks covering it.
    Modify(&'a str),
    /// Maps a new member at the URL: also its parent's depth-0 locks, which lock the
    /// parent's membership.
    Create(&'a str),
    /// Removes the resource and everything below it (DELETE, the source of a MOVE, an
    /// overwritten destination): also the locks rooted below it.
    Remove(&'a str),
}

/// A [`Touch`] without its URL, for a write that learns the URL later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TouchKind {
    Modify,
    Create,
    Remove,
}

impl TouchKind {
    pub fn at(self, path: &str) -> Touch<'_> {
        match self {
            TouchKind::Modify => Touch::Modify(path),
            TouchKind::Create => Touch::Create(path),
            TouchKind::Remove => Touch::Remove(path),
        }
    }
}

impl Touch<'_> {
    fn protected_by(&self, lock: &DavLock) -> bool {
        match *self {
            Touch::Modify(path) => covers(lock, path),
            Touch::Create(path) => covers(lock, path) || membership_of_parent(lock, path),
            Touch::Remove(path) => {
                covers(lock, path) || membership_of_parent(lock, path) || within(&lock.path, path)
            }
        }
    }
}

fn membership_of_parent(lock: &DavLock, path: &str) -> bool {
    parent(path) == Some(lock.path.as_str())
}

/// RFC 4918 §7: a write goes through only if, for every live lock on what it touches, the
/// request submitted that lock's token as the principal that took it. Of several shared
/// locks with one root, one held is enough (§6.2: each shared holder may write). A write
/// that is not a WebDAV request (`claim` None) is not held up.
pub fn check_write(
    locks: &[DavLock],
    touched: &[Touch<'_>],
    claim: Option<&LockClaim>,
    now: i64,
) -> Result<()> {
    let Some(claim) = claim else {
        return Ok(());
    };
    let protecting: Vec<&DavLock> = locks
        .iter()
        .filter(|l| is_live(l, now) && touched.iter().any(|t| t.protected_by(l)))
        .collect();
    let held = |lock: &DavLock| {
        claim.holds(lock)
            || (lock.scope == LockScope::Shared
                && protecting.iter().any(|other| {
                    other.scope == LockScope::Shared
                        && other.path == lock.path
                        && claim.holds(other)
                }))
    };
    let mut roots: Vec<String> = protecting
        .iter()
        .filter(|l| !held(l))
        .map(|l| l.path.clone())
        .collect();
    roots.sort();
    roots.dedup();
    if roots.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Locked { roots })
    }
}

/// RFC 4918 §6.1, §9.10.5: the live locks a new lock at `path` may not coexist with. Two
/// locks overlap when one covers the other's root; they conflict unless both are shared.
pub fn conflicts<'a>(
    locks: &'a [DavLock],
    path: &str,
    scope: LockScope,
    deep: bool,
    now: i64,
) -> Vec<&'a DavLock> {
    locks
        .iter()
        .filter(|l| is_live(l, now))
        .filter(|l| covers(l, path) || (deep && within(&l.path, path)))
        .filter(|l| l.scope == LockScope::Exclusive || scope == LockScope::Exclusive)
        .collect()
}

/// The roots of `conflicting` locks, as [`StoreError::LockConflict`] names them.
pub fn conflict(conflicting: &[&DavLock]) -> StoreError {
    let mut roots: Vec<String> = conflicting.iter().map(|l| l.path.clone()).collect();
    roots.sort();
    roots.dedup();
    StoreError::LockConflict { roots }
}

/// RFC 4918 §9.10.2: the locks a refresh at `path` renews: live ones covering it whose
/// tokens the claim holds. None of them is a failed precondition (the If header named no
/// lock of this resource).
pub fn refreshed<'a>(
    locks: &'a [DavLock],
    path: &str,
    claim: &LockClaim,
    now: i64,
) -> Result<Vec<&'a DavLock>> {
    let found: Vec<&DavLock> = locks
        .iter()
        .filter(|l| is_live(l, now) && covers(l, path) && claim.holds(l))
        .collect();
    if found.is_empty() {
        Err(StoreError::PreconditionFailed)
    } else {
        Ok(found)
    }
}

/// RFC 4918 §9.11: the lock an UNLOCK of `path` releases. The token must name a live lock
/// that covers the URL (§9.11.1 `lock-token-matches-request-uri`), taken by the principal
/// asking (§6.4).
pub fn unlocked<'a>(
    locks: &'a [DavLock],
    path: &str,
    token: &str,
    principal: crate::PrincipalId,
    now: i64,
) -> Result<&'a DavLock> {
    let lock = locks
        .iter()
        .find(|l| l.token == token && is_live(l, now) && covers(l, path))
        .ok_or(StoreError::NoSuchLock)?;
    if lock.principal != principal {
        return Err(StoreError::NotLockOwner);
    }
    Ok(lock)
}

/// The locks that end with a removed URL: those rooted at it or below it (a lock on an
/// ancestor stays; RFC 4918 §7.5: locks do not move with a resource).
pub fn ended_by_removal(locks: &[DavLock], path: &str) -> Vec<String> {
    locks
        .iter()
        .filter(|l| within(&l.path, path))
        .map(|l| l.token.clone())
        .collect()
}

/// The path below the home of a collection's member (`name` "" is the collection).
pub fn member_path(collection: &str, name: &str) -> String {
    match (collection.is_empty(), name.is_empty()) {
        (_, true) => collection.to_owned(),
        (true, false) => name.to_owned(),
        (false, false) => format!("{collection}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const NOW: i64 = 1_000_000;

    fn lock(token: &str, path: &str, scope: LockScope, deep: bool, principal: i64) -> DavLock {
        DavLock {
            token: token.into(),
            home: 1,
            path: path.into(),
            principal,
            scope,
            deep,
            owner: None,
            timeout_secs: 60,
            created_at: 0,
            expires_at: NOW + 60_000,
        }
    }

    fn claim(principal: i64, tokens: &[&str]) -> LockClaim {
        LockClaim {
            principal,
            tokens: tokens.iter().map(|t| t.to_string()).collect(),
        }
    }

    const EXCL: LockScope = LockScope::Exclusive;
    const SHARED: LockScope = LockScope::Shared;

    #[test]
    fn paths_are_within_their_roots_by_whole_segments() {
        assert!(within("a/b", "a"));
        assert!(within("a", "a"));
        assert!(within("a", ""));
        assert!(!within("ab", "a"));
        assert!(!within("a", "a/b"));
        assert_eq!(parent("a/b/c"), Some("a/b"));
        assert_eq!(parent("a"), Some(""));
        assert_eq!(parent(""), None);
    }

    #[test]
    fn a_write_needs_the_token_of_every_lock_it_touches_from_its_owner() {
        let locks = [lock("t1", "cal/a.ics", EXCL, false, 7)];
        let touch = [Touch::Modify("cal/a.ics")];
        assert_eq!(
            check_write(&locks, &touch, Some(&claim(7, &[])), NOW),
            Err(StoreError::Locked {
                roots: vec!["cal/a.ics".into()]
            })
        );
        assert_eq!(
            check_write(&locks, &touch, Some(&claim(7, &["t1"])), NOW),
            Ok(())
        );
        // Another principal cannot use the token (RFC 4918 §6.4).
        assert!(check_write(&locks, &touch, Some(&claim(8, &["t1"])), NOW).is_err());
        // Not a WebDAV write: locks do not apply.
        assert_eq!(check_write(&locks, &touch, None, NOW), Ok(()));
        // Other URLs are free, and so is everything once the lock expired.
        let other = [Touch::Modify("cal/b.ics")];
        assert_eq!(
            check_write(&locks, &other, Some(&claim(8, &[])), NOW),
            Ok(())
        );
        assert_eq!(
            check_write(&locks, &touch, Some(&claim(8, &[])), NOW + 60_000),
            Ok(())
        );
    }

    #[test]
    fn collection_locks_cover_members_by_depth_and_membership_changes() {
        let deep = [lock("d", "coll", EXCL, true, 7)];
        let shallow = [lock("s", "coll", EXCL, false, 7)];
        let nobody = Some(claim(7, &[]));
        let nobody = nobody.as_ref();
        // Depth infinity covers what is below.
        assert!(check_write(&deep, &[Touch::Modify("coll/x")], nobody, NOW).is_err());
        assert!(check_write(&deep, &[Touch::Modify("coll/x/y")], nobody, NOW).is_err());
        // Depth 0 locks the membership: creating or removing a member, not editing one.
        assert!(check_write(&shallow, &[Touch::Modify("coll/x")], nobody, NOW).is_ok());
        assert!(check_write(&shallow, &[Touch::Create("coll/x")], nobody, NOW).is_err());
        assert!(check_write(&shallow, &[Touch::Remove("coll/x")], nobody, NOW).is_err());
        assert!(check_write(&shallow, &[Touch::Create("coll/x/y")], nobody, NOW).is_ok());
        // Removing an ancestor of a lock root needs that lock's token.
        let member = [lock("m", "coll/x", EXCL, false, 7)];
        assert_eq!(
            check_write(&member, &[Touch::Remove("coll")], nobody, NOW),
            Err(StoreError::Locked {
                roots: vec!["coll/x".into()]
            })
        );
        assert!(check_write(&member, &[Touch::Modify("coll")], nobody, NOW).is_ok());
    }

    #[test]
    fn one_held_shared_lock_of_a_root_is_enough() {
        let locks = [
            lock("a", "f", SHARED, false, 7),
            lock("b", "f", SHARED, false, 8),
        ];
        let touch = [Touch::Modify("f")];
        assert!(check_write(&locks, &touch, Some(&claim(7, &["a"])), NOW).is_ok());
        assert!(check_write(&locks, &touch, Some(&claim(8, &["b"])), NOW).is_ok());
        assert!(check_write(&locks, &touch, Some(&claim(9, &[])), NOW).is_err());
    }

    #[test]
    fn exclusive_locks_conflict_with_every_overlapping_lock_shared_ones_only_with_exclusive() {
        let excl = [lock("e", "f", EXCL, false, 7)];
        assert_eq!(conflicts(&excl, "f", SHARED, false, NOW).len(), 1);
        assert_eq!(conflicts(&excl, "f", EXCL, false, NOW).len(), 1);
        assert!(conflicts(&excl, "g", EXCL, false, NOW).is_empty());
        assert!(conflicts(&excl, "f", EXCL, false, NOW + 60_000).is_empty());
        let shared = [lock("s", "f", SHARED, false, 7)];
        assert!(conflicts(&shared, "f", SHARED, false, NOW).is_empty());
        assert_eq!(conflicts(&shared, "f", EXCL, false, NOW).len(), 1);
        // A deep lock meets locks below its root, and a deep root the locks above.
        let member = [lock("m", "c/x", EXCL, false, 7)];
        assert_eq!(conflicts(&member, "c", SHARED, true, NOW).len(), 1);
        assert!(conflicts(&member, "c", SHARED, false, NOW).is_empty());
        let deep = [lock("d", "c", SHARED, true, 7)];
        assert_eq!(conflicts(&deep, "c/x", EXCL, false, NOW).len(), 1);
        assert_eq!(
            conflict(&conflicts(&deep, "c/x", EXCL, false, NOW)),
            StoreError::LockConflict {
                roots: vec!["c".into()]
            }
        );
    }

    #[test]
    fn refresh_and_unlock_name_a_live_lock_covering_the_url() {
        let locks = [lock("d", "c", EXCL, true, 7)];
        // Indirect refresh: through a member of a depth-infinity lock.
        assert_eq!(
            refreshed(&locks, "c/x", &claim(7, &["d"]), NOW)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            refreshed(&locks, "c/x", &claim(7, &["zz"]), NOW),
            Err(StoreError::PreconditionFailed)
        );
        assert_eq!(unlocked(&locks, "c/x", "d", 7, NOW).unwrap().token, "d");
        assert_eq!(
            unlocked(&locks, "other", "d", 7, NOW),
            Err(StoreError::NoSuchLock)
        );
        assert_eq!(
            unlocked(&locks, "c", "bogus", 7, NOW),
            Err(StoreError::NoSuchLock)
        );
        assert_eq!(
            unlocked(&locks, "c", "d", 8, NOW),
            Err(StoreError::NotLockOwner)
        );
        assert_eq!(
            unlocked(&locks, "c", "d", 7, NOW + 60_000),
            Err(StoreError::NoSuchLock)
        );
    }

    #[test]
    fn timeouts_are_capped_and_expired_locks_listed() {
        assert_eq!(grant_timeout(Some(30), 600), 30);
        assert_eq!(grant_timeout(Some(6_000), 600), 600);
        assert_eq!(grant_timeout(None, 600), 600);
        assert_eq!(grant_timeout(Some(0), 600), 1);
        assert_eq!(expires_at(1_000, 2), 3_000);
        let locks = [lock("a", "f", EXCL, false, 7)];
        assert!(expired(&locks, NOW).is_empty());
        assert_eq!(expired(&locks, NOW + 60_000), ["a"]);
    }

    #[test]
    fn removing_a_url_ends_the_locks_rooted_at_or_below_it() {
        let locks = [
            lock("a", "c", EXCL, true, 7),
            lock("b", "c/x", EXCL, false, 7),
            lock("c", "cx", EXCL, false, 7),
        ];
        assert_eq!(ended_by_removal(&locks, "c/x"), ["b"]);
        assert_eq!(ended_by_removal(&locks, "c"), ["a", "b"]);
    }
}
