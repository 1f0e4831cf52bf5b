//! WebDAV locks over a backend's statements: taking, refreshing and releasing one, each a
//! transaction holding the home's row lock, so that a lock and a write to what it covers
//! are ordered on every node. The decisions are [`crate::rules::locks`]; the check each
//! write makes is [`super::lock_guard`].

use bytes::Bytes;

use super::lock_guard::live_locks;
use super::now_ms;
use super::statements::*;
use super::write::put_in;
use crate::rules::chain::Log;
use crate::rules::locks::{self, Touch};
use crate::{
    Change, DavLock, Expect, LockClaim, NewLock, ObjectIndex, PrincipalId, PutObject, Result,
};

/// What the empty resource a LOCK of an unmapped URL creates is served as (RFC 4918 §7.3).
const EMPTY_RESOURCE_TYPE: &str = "application/octet-stream";

/// Takes a lock unless a live one conflicts (RFC 4918 §9.10.5); a lock of an unmapped URL
/// may create the empty resource there in the same transaction (§7.3).
pub async fn create_lock<C: Statements>(c: &C, new: &NewLock, change: &Change) -> Result<DavLock> {
    c.lock_principals(&[new.home]).await?;
    let now = now_ms();
    let live = live_locks(c, new.home, now).await?;
    let conflicting = locks::conflicts(&live, &new.path, new.scope, new.deep, now);
    if !conflicting.is_empty() {
        return Err(locks::conflict(&conflicting));
    }
    if let Some((collection, name)) = &new.empty_resource {
        // The new member changes its parent's membership, which the parent's locks guard;
        // the locks that cover the URL itself were decided above.
        let membership: Vec<DavLock> = live
            .iter()
            .filter(|l| !locks::covers(l, &new.path))
            .cloned()
            .collect();
        locks::check_write(
            &membership,
            &[Touch::Create(&new.path)],
            change.locks.as_ref(),
            now,
        )?;
        let empty = PutObject {
            collection: *collection,
            name: name.clone(),
            data: Bytes::new(),
            content_type: EMPTY_RESOURCE_TYPE.into(),
            index: ObjectIndex::default(),
            instances: None,
            expect: Expect::Absent,
            quota: None,
            merge: None,
            mail: Vec::new(),
        };
        put_in(c, &mut Log::new(now), &empty, change).await?;
    }
    let lock = DavLock {
        token: new.token.clone(),
        home: new.home,
        path: new.path.clone(),
        principal: new.principal,
        scope: new.scope,
        deep: new.deep,
        owner: new.owner.clone(),
        timeout_secs: new.timeout_secs,
        created_at: now,
        expires_at: locks::expires_at(now, new.timeout_secs),
    };
    c.insert_lock(&lock).await?;
    Ok(lock)
}

/// Renews the locks covering `path` whose tokens `claim` holds (RFC 4918 §9.10.2).
pub async fn refresh_locks<C: Statements>(
    c: &C,
    home: PrincipalId,
    path: &str,
    claim: &LockClaim,
    timeout_secs: u64,
) -> Result<Vec<DavLock>> {
    c.lock_principals(&[home]).await?;
    let now = now_ms();
    let live = live_locks(c, home, now).await?;
    let expires_at = locks::expires_at(now, timeout_secs);
    let mut renewed = Vec::new();
    for lock in locks::refreshed(&live, path, claim, now)? {
        c.set_lock_expiry(&lock.token, timeout_secs, expires_at)
            .await?;
        renewed.push(DavLock {
            timeout_secs,
            expires_at,
            ..lock.clone()
        });
    }
    Ok(renewed)
}

/// Releases the lock `token` covering `path`, taken by `principal` (RFC 4918 §9.11).
pub async fn remove_lock<C: Statements>(
    c: &C,
    home: PrincipalId,
    path: &str,
    token: &str,
    principal: PrincipalId,
) -> Result<()> {
    c.lock_principals(&[home]).await?;
    let now = now_ms();
    let live = live_locks(c, home, now).await?;
    let lock = locks::unlocked(&live, path, token, principal, now)?;
    c.delete_locks(home, std::slice::from_ref(&lock.token))
        .await
}
