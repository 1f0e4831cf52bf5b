//! Index files (`index/<sha256>`) and the in-memory index built from them: which pack holds
//! each blob. Every backup session writes one index file after its packs are in place;
//! prune replaces them all with one. The repository opens by loading every index file.

use std::collections::HashMap;
use std::path::Path;

use crate::crypto::MasterKey;
use crate::error::Result;
use crate::files;
use crate::hex;
use crate::id::{sha256, PackId};
use crate::pack::{encode_entry, FinishedPack, PackEntry, Reader, ENTRY_LEN};
use crate::BlobId;

/// Associated data of a sealed index file.
pub(crate) const INDEX_AAD: &[u8] = b"calvault index v1";
const INDEX_VERSION: u8 = 1;

/// One pack as an index file describes it.
#[derive(Clone, Debug)]
pub(crate) struct IndexedPack {
    pub(crate) id: PackId,
    pub(crate) entries: Vec<PackEntry>,
}

impl From<&FinishedPack> for IndexedPack {
    fn from(p: &FinishedPack) -> IndexedPack {
        IndexedPack {
            id: p.id,
            entries: p.entries.clone(),
        }
    }
}

/// Where a blob can be read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Location {
    pub(crate) pack: PackId,
    pub(crate) entry: PackEntry,
}

/// Blob id -> location, for every blob of every readable index file.
#[derive(Default, Debug)]
pub(crate) struct Index {
    blobs: HashMap<BlobId, Location>,
}

impl Index {
    /// Adds a pack's blobs. A blob already known keeps its first location: after an
    /// interrupted prune two index files may both list a blob, and both places are valid.
    pub(crate) fn add_pack(&mut self, pack: &IndexedPack) {
        for entry in &pack.entries {
            self.blobs.entry(entry.id).or_insert(Location {
                pack: pack.id,
                entry: *entry,
            });
        }
    }

    pub(crate) fn get(&self, id: &BlobId) -> Option<Location> {
        self.blobs.get(id).copied()
    }

    pub(crate) fn contains(&self, id: &BlobId) -> bool {
        self.blobs.contains_key(id)
    }

    pub(crate) fn len(&self) -> usize {
        self.blobs.len()
    }
}

fn encode(packs: &[IndexedPack]) -> Vec<u8> {
    let entries: usize = packs.iter().map(|p| p.entries.len()).sum();
    let mut out = Vec::with_capacity(5 + packs.len() * 36 + entries * ENTRY_LEN);
    out.push(INDEX_VERSION);
    // Counts fit in u32: a session or prune never writes 4 billion packs or blobs.
    out.extend_from_slice(&(packs.len() as u32).to_le_bytes());
    for pack in packs {
        out.extend_from_slice(&pack.id.0);
        out.extend_from_slice(&(pack.entries.len() as u32).to_le_bytes());
        for e in &pack.entries {
            encode_entry(&mut out, e);
        }
    }
    out
}

fn decode(plain: &[u8]) -> std::result::Result<Vec<IndexedPack>, String> {
    let mut reader = Reader::new(plain);
    if reader.u8()? != INDEX_VERSION {
        return Err("unknown index version".into());
    }
    let count = reader.u32()? as usize;
    let mut packs = Vec::with_capacity(count.min(plain.len() / 36));
    for _ in 0..count {
        let id = PackId(reader.array32()?);
        packs.push(IndexedPack {
            id,
            entries: reader.entries()?,
        });
    }
    if !reader.is_empty() {
        return Err("has trailing bytes".into());
    }
    Ok(packs)
}

/// Seals and writes one index file; returns its name.
pub(crate) fn write(root: &Path, key: &MasterKey, packs: &[IndexedPack]) -> Result<String> {
    let sealed = key.seal_compressed(&encode(packs), INDEX_AAD)?;
    let name = files::write_content(root, files::INDEX, &sealed)?;
    Ok(hex::encode(&name))
}

/// One index file as read from disk.
pub(crate) struct IndexFile {
    pub(crate) name: String,
    /// sha256(bytes) == name.
    pub(crate) hash_ok: bool,
    /// The packs it lists, or why it cannot be read.
    pub(crate) packs: std::result::Result<Vec<IndexedPack>, String>,
}

/// Reads every index file. Unreadable ones are returned as such (not as an error) so that
/// a repository with one damaged index still opens and verify can report it.
pub(crate) fn read_all(root: &Path, key: &MasterKey) -> Result<Vec<IndexFile>> {
    let dir = root.join(files::INDEX);
    let mut out = Vec::new();
    for name in files::list_names(&dir)? {
        let bytes = files::read(&dir.join(&name))?;
        let hash_ok = hex::encode(&sha256(&bytes)) == name;
        let packs = key
            .open_compressed(&bytes, INDEX_AAD, 1 << 32)
            .and_then(|plain| decode(&plain));
        out.push(IndexFile {
            name,
            hash_ok,
            packs,
        });
    }
    Ok(out)
}

/// Builds the in-memory index from what [`read_all`] returned, in file-name order.
pub(crate) fn build(files: &[IndexFile]) -> Index {
    let mut index = Index::default();
    for file in files {
        if let Ok(packs) = &file.packs {
            for pack in packs {
                index.add_pack(pack);
            }
        }
    }
    index
}
