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

use store::db::OwnerLockStatements;
use store::{CollectionId, PrincipalId, Result};

use crate::PgConn;

impl OwnerLockStatements for PgConn {
    async fn lock_principals(&self, ids: &[PrincipalId]) -> Result<()> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        // Rows are locked as the sorted result is produced, so in id order.
        self.query_raw(
            "SELECT id FROM principal WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&ids],
        )
        .await
        .map(drop)
    }

    /// A collection that does not exist locks nothing: the write then fails its own checks.
    async fn lock_owners_of(&self, collections: &[CollectionId]) -> Result<()> {
        // One round trip: a collection never changes owner, so finding the owners inside
        // the locking statement is as safe as finding them before it.
        self.query_raw(
            "SELECT id FROM principal WHERE id IN \
             (SELECT owner_id FROM collection WHERE id = ANY($1)) ORDER BY id FOR UPDATE",
            &[&collections],
        )
        .await
        .map(drop)
    }

    async fn lock_all_principals(&self) -> Result<()> {
        self.query_raw("SELECT id FROM principal ORDER BY id FOR UPDATE", &[])
            .await
            .map(drop)
    }
}
