//! The calvault backup repository: calendar objects stored as encrypted, compressed,
//! deduplicated blobs in pack files, and snapshots that name them through Merkle trees.
//!
//! Everything is plain synchronous `std::fs` work on a directory whose format is
//! documented byte by byte in `docs/backup-format.md`. Every file is named by the SHA-256
//! of its bytes (so bit rot is found without a key) and written through a temp file and a
//! rename (so an interrupted run never leaves a half-written file under a real name).
//! Packs are written before the index that lists them, and the index before the snapshot
//! that uses it, so an interruption at any point leaves a valid repository.
//!
//! A backup run: [`Repo::open`], [`Repo::lock_shared`], [`Repo::writer`], add objects and
//! trees, [`PackWriter::finish`], [`Repo::save_snapshot`].

mod config;
mod crypto;
mod error;
mod files;
mod hex;
mod id;
mod index;
mod keyfile;
mod lock;
mod pack;
mod policy;
mod prune;
mod repo;
mod snapshot;
mod stats;
mod time;
mod tree;
mod verify;
mod writer;

#[cfg(test)]
mod tests;

pub use config::FORMAT_VERSION;
pub use error::{Error, Result};
pub use id::{BlobId, InvalidId, SnapshotId};
pub use keyfile::{KdfParams, TEST_KDF_ENV};
pub use lock::{Lock, LockInfo};
pub use pack::BlobKind;
pub use policy::{apply_policy, KeepPolicy};
pub use prune::PruneReport;
pub use repo::Repo;
pub use snapshot::{Snapshot, SnapshotSummary, Source};
pub use stats::RepoStats;
pub use tree::{
    AccountTree, CalendarProps, CalendarRef, CalendarTree, ChunkGroup, ChunkRef, ObjectChunk,
    ObjectEntry, Sharee,
};
pub use verify::{Affected, Problem, VerifyReport};
pub use writer::{PackWriter, WriteStats, PACK_TARGET_SIZE};
