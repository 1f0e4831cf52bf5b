//! Adding blobs: deduplication, sealing, and grouping blobs into packs of about 8 MiB.
//! A session's packs become visible (in an index file and in the open repository's index)
//! only in [`PackWriter::finish`], so an interrupted session leaves only unindexed packs,
//! which nothing references and prune removes.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Serialize;

use crate::crypto::MasterKey;
use crate::error::{Error, Result};
use crate::id::BlobId;
use crate::index::{self, IndexedPack};
use crate::pack::{BlobKind, FinishedPack, PackBuilder};
use crate::repo::Repo;

/// A pack is closed once it reaches this size: big enough to keep file counts low, small
/// enough that a damaged pack affects few objects and repacking one is cheap.
pub const PACK_TARGET_SIZE: u64 = 8 * 1024 * 1024;

/// What a writer session stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub blobs_added: u64,
    /// Plaintext bytes of the new blobs.
    pub plain_bytes_added: u64,
    /// Bytes of the pack files written (sealed blobs plus pack headers).
    pub stored_bytes_added: u64,
    pub packs_written: u64,
}

/// Sealed blobs going into a sequence of packs; shared by backup sessions and prune.
pub(crate) struct PackSet {
    root: PathBuf,
    key: MasterKey,
    target: u64,
    current: Option<PackBuilder>,
    finished: Vec<FinishedPack>,
    finished_bytes: u64,
}

impl PackSet {
    pub(crate) fn new(repo: &Repo) -> PackSet {
        PackSet {
            root: repo.path().to_path_buf(),
            key: repo.key().clone(),
            target: PACK_TARGET_SIZE,
            current: None,
            finished: Vec::new(),
            finished_bytes: 0,
        }
    }

    pub(crate) fn add_sealed(
        &mut self,
        id: BlobId,
        kind: BlobKind,
        sealed: &[u8],
        plain_length: u32,
    ) -> Result<()> {
        let builder = match &mut self.current {
            Some(builder) => builder,
            None => self.current.insert(PackBuilder::create(&self.root)?),
        };
        builder.append(id, kind, sealed, plain_length)?;
        if builder.len() >= self.target {
            self.close_current()?;
        }
        Ok(())
    }

    fn close_current(&mut self) -> Result<()> {
        if let Some(builder) = self.current.take() {
            let pack = builder.finish(&self.key, &self.root)?;
            self.finished_bytes += pack.size;
            self.finished.push(pack);
        }
        Ok(())
    }

    pub(crate) fn bytes_written(&self) -> u64 {
        self.finished_bytes + self.current.as_ref().map_or(0, PackBuilder::len)
    }

    /// Closes the last pack and returns every pack written, all renamed into place.
    pub(crate) fn finish(mut self) -> Result<Vec<FinishedPack>> {
        self.close_current()?;
        Ok(std::mem::take(&mut self.finished))
    }
}

impl Repo {
    /// Starts a writer session (see [`PackWriter`]).
    pub fn writer(&self) -> PackWriter<'_> {
        PackWriter::new(self)
    }
}

/// One backup session's writer. Borrows the repository immutably, so the repository can
/// still be read (and `has_blob` asked) while the backup runs.
pub struct PackWriter<'a> {
    repo: &'a Repo,
    packs: PackSet,
    session: HashSet<BlobId>,
    stats: WriteStats,
}

impl<'a> PackWriter<'a> {
    fn new(repo: &'a Repo) -> PackWriter<'a> {
        PackWriter {
            repo,
            packs: PackSet::new(repo),
            session: HashSet::new(),
            stats: WriteStats::default(),
        }
    }

    /// Changes the size at which packs are closed (tests use small packs to get many).
    pub fn set_pack_target_size(&mut self, bytes: u64) {
        self.packs.target = bytes.max(1);
    }

    /// Stores a blob unless the repository or this session already has it. Returns its id
    /// and whether it was newly stored.
    pub fn add(&mut self, kind: BlobKind, plaintext: &[u8]) -> Result<(BlobId, bool)> {
        let id = self.repo.blob_id(plaintext);
        if self.session.contains(&id) || self.repo.has_blob(&id) {
            return Ok((id, false));
        }
        let plain_length = u32::try_from(plaintext.len()).map_err(|_| Error::TooLarge {
            what: "calendar object",
            size: plaintext.len() as u64,
        })?;
        let sealed = self.repo.key().seal_compressed(plaintext, &id.0)?;
        self.packs.add_sealed(id, kind, &sealed, plain_length)?;
        self.session.insert(id);
        self.stats.blobs_added += 1;
        self.stats.plain_bytes_added += plaintext.len() as u64;
        Ok((id, true))
    }

    /// Stores a tree (serialized as JSON) as a [`BlobKind::Tree`] blob.
    pub fn add_tree<T: Serialize>(&mut self, tree: &T) -> Result<BlobId> {
        let json = serde_json::to_vec(tree).map_err(|e| Error::Encode {
            what: "tree",
            detail: e.to_string(),
        })?;
        Ok(self.add(BlobKind::Tree, &json)?.0)
    }

    /// Bytes written to pack files so far (sealed blobs plus headers of closed packs).
    pub fn bytes_written(&self) -> u64 {
        self.packs.bytes_written()
    }

    /// Closes the last pack, writes one index file for this session's packs (after they
    /// are all in place), and makes the new blobs visible to this repository.
    pub fn finish(self) -> Result<WriteStats> {
        let mut stats = self.stats;
        let packs = self.packs.finish()?;
        if packs.is_empty() {
            return Ok(stats);
        }
        let indexed: Vec<IndexedPack> = packs.iter().map(IndexedPack::from).collect();
        index::write(self.repo.path(), self.repo.key(), &indexed)?;
        self.repo.add_to_index(&indexed);
        stats.packs_written = packs.len() as u64;
        stats.stored_bytes_added = packs.iter().map(|p| p.size).sum();
        Ok(stats)
    }
}
