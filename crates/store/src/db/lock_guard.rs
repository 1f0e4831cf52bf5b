//! The WebDAV lock check every write makes inside its own transaction, before it changes
//! anything (RFC 4918 §7: a write to what a lock covers needs its token), and the end of
//! the locks rooted at what a write removes. The decisions are [`crate::rules::locks`]; the
//! write sequences are [`super::write`], and taking, refreshing and releasing locks is
//! [`super::locking`].
//!
//! A home's expired lock rows are removed by the first transaction that reads them, so a
//! lapsed lock costs one read once and nothing after.

use super::now_ms;
use super::statements::*;
use crate::rules::locks::{self, member_path, Touch, TouchKind};
use crate::{Change, CollectionId, DavLock, PrincipalId, Result, StoreError};

/// The live locks of a home, removing its expired rows on the way (the transaction holds
/// the home's lock).
pub(super) async fn live_locks<C: Statements>(
    c: &C,
    home: PrincipalId,
    now: i64,
) -> Result<Vec<DavLock>> {
    let mut all = c.home_locks(home).await?;
    let expired = locks::expired(&all, now);
    if !expired.is_empty() {
        c.delete_locks(home, &expired).await?;
        all.retain(|l| locks::is_live(l, now));
    }
    Ok(all)
}

/// The lock check of a write: refuses it unless `change` holds every live lock of `home` on
/// what it touches; returns the live locks, for [`end_locks`].
pub(super) async fn guard<C: Statements>(
    c: &C,
    home: PrincipalId,
    touched: &[Touch<'_>],
    change: &Change,
) -> Result<Vec<DavLock>> {
    let now = now_ms();
    let live = live_locks(c, home, now).await?;
    locks::check_write(&live, touched, change.locks.as_ref(), now)?;
    Ok(live)
}

/// [`guard`] for a write to the member `name` of a collection (or, with `name` "", to the
/// collection itself), reading the locks only when the collection's head says its home has
/// any. Returns the member's path and the live locks.
pub(super) async fn guard_member<C: Statements>(
    c: &C,
    collection: CollectionId,
    head: &CollectionHead,
    name: &str,
    kind: TouchKind,
    change: &Change,
) -> Result<(String, Vec<DavLock>)> {
    if !head.locked {
        return Ok((String::new(), Vec::new()));
    }
    let record = c
        .collection_record(collection)
        .await?
        .ok_or(StoreError::NotFound)?;
    let path = member_path(&record.collection.path, name);
    let live = guard(c, head.owner, &[kind.at(&path)], change).await?;
    Ok((path, live))
}

/// Removes the locks rooted at or below a URL the write removed.
pub(super) async fn end_locks<C: Statements>(c: &C, live: &[DavLock], path: &str) -> Result<()> {
    let ended = locks::ended_by_removal(live, path);
    match live.first() {
        Some(lock) if !ended.is_empty() => c.delete_locks(lock.home, &ended).await,
        _ => Ok(()),
    }
}
