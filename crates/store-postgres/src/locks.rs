//! Row locks that serialise writes per user across every node sharing the database.
//!
//! SQLite has one writer, so a write's checks (If-Match, UID uniqueness, quota) and its
//! effects (the next sync sequence, the history row chained to the previous one) can never
//! interleave with another write. Here several transactions run at once, on several nodes, at
//! READ COMMITTED. Each write therefore first locks the principal row of every owner whose
//! collections it changes, and only then reads what it checks: a second writer for the same
//! user waits until the first commits and then sees its effects. So conditional writes have
//! one winner, sequences never repeat and a collection's hash chain never forks, while writes
//! of different users still run in parallel.
//!
//! Locks are always taken in principal id order, so that two writes touching the same two
//! owners cannot deadlock.

use deadpool_postgres::Transaction;
use store::{CollectionId, PrincipalId, Result};

/// Locks the given principals' rows (those that exist) until the transaction ends.
pub async fn principals(tx: &Transaction<'_>, ids: &[PrincipalId]) -> Result<()> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // Rows are locked as the sorted result is produced, so in id order.
    crate::query(
        tx,
        "SELECT id FROM principal WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &[&ids],
    )
    .await?;
    Ok(())
}

/// Locks the owners of the given collections (deleted ones included). A collection that
/// does not exist locks nothing: the write then fails its own checks as in SQLite.
pub async fn owners_of(tx: &Transaction<'_>, collections: &[CollectionId]) -> Result<()> {
    // One round trip: a collection never changes owner, so finding the owners inside the
    // locking statement is as safe as finding them before it.
    crate::query(
        tx,
        "SELECT id FROM principal WHERE id IN \
         (SELECT owner_id FROM collection WHERE id = ANY($1)) ORDER BY id FOR UPDATE",
        &[&collections],
    )
    .await?;
    Ok(())
}

/// Locks every principal, for the writes that touch every user's history.
pub async fn all_principals(tx: &Transaction<'_>) -> Result<()> {
    crate::query(tx, "SELECT id FROM principal ORDER BY id FOR UPDATE", &[]).await?;
    Ok(())
}
