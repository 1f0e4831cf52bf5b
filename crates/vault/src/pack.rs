//! Pack files: sealed blobs one after another, then a sealed header listing them, then the
//! header's length. The header makes a pack self-describing (an index can be rebuilt from
//! packs alone); the binary entry format here is shared with index files.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::crypto::MasterKey;
use crate::error::{io_err, Error, Result};
use crate::files;
use crate::id::{BlobId, PackId};

/// Associated data of a pack's sealed header.
pub(crate) const HEADER_AAD: &[u8] = b"calvault pack header v1";
/// Version byte at the start of the header plaintext.
const HEADER_VERSION: u8 = 1;
/// Bytes of one encoded entry: id 32, kind 1, offset 8, length 4, plain length 4.
pub(crate) const ENTRY_LEN: usize = 49;

/// What a blob holds. Trees are the snapshot's JSON structure, data is calendar objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobKind {
    Data,
    Tree,
}

impl BlobKind {
    fn code(self) -> u8 {
        match self {
            BlobKind::Data => 0,
            BlobKind::Tree => 1,
        }
    }

    fn from_code(code: u8) -> Option<BlobKind> {
        match code {
            0 => Some(BlobKind::Data),
            1 => Some(BlobKind::Tree),
            _ => None,
        }
    }
}

/// Where one blob sits in its pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PackEntry {
    pub(crate) id: BlobId,
    pub(crate) kind: BlobKind,
    /// Byte offset of the sealed blob in the pack file.
    pub(crate) offset: u64,
    /// Length of the sealed blob (nonce + ciphertext + tag).
    pub(crate) length: u32,
    /// Length of the blob's plaintext (before compression).
    pub(crate) plain_length: u32,
}

impl PackEntry {
    pub(crate) fn end(&self) -> u64 {
        self.offset + u64::from(self.length)
    }
}

pub(crate) fn encode_entry(out: &mut Vec<u8>, e: &PackEntry) {
    out.extend_from_slice(&e.id.0);
    out.push(e.kind.code());
    out.extend_from_slice(&e.offset.to_le_bytes());
    out.extend_from_slice(&e.length.to_le_bytes());
    out.extend_from_slice(&e.plain_length.to_le_bytes());
}

/// A little cursor over plaintext that never panics on short input.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err("ends early".into());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> std::result::Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> std::result::Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn array32(&mut self) -> std::result::Result<[u8; 32], String> {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.take(32)?);
        Ok(out)
    }

    pub(crate) fn entry(&mut self) -> std::result::Result<PackEntry, String> {
        let id = BlobId(self.array32()?);
        let kind = BlobKind::from_code(self.u8()?).ok_or("unknown blob kind")?;
        let mut offset = [0u8; 8];
        offset.copy_from_slice(self.take(8)?);
        Ok(PackEntry {
            id,
            kind,
            offset: u64::from_le_bytes(offset),
            length: self.u32()?,
            plain_length: self.u32()?,
        })
    }

    /// Entries counted by a preceding u32; the count is checked against the bytes left
    /// before anything is allocated.
    pub(crate) fn entries(&mut self) -> std::result::Result<Vec<PackEntry>, String> {
        let count = self.u32()? as usize;
        if self.bytes.len() / ENTRY_LEN < count {
            return Err(format!("claims {count} entries but is shorter"));
        }
        (0..count).map(|_| self.entry()).collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

fn encode_header(entries: &[PackEntry]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(5 + entries.len() * ENTRY_LEN);
    out.push(HEADER_VERSION);
    let count = u32::try_from(entries.len()).map_err(|_| Error::TooLarge {
        what: "pack header",
        size: entries.len() as u64,
    })?;
    out.extend_from_slice(&count.to_le_bytes());
    for e in entries {
        encode_entry(&mut out, e);
    }
    Ok(out)
}

/// Reads the header at the end of a whole pack file and checks that every entry lies
/// inside the blob area.
pub(crate) fn read_header(
    key: &MasterKey,
    pack: &[u8],
) -> std::result::Result<Vec<PackEntry>, String> {
    let len_at = pack
        .len()
        .checked_sub(4)
        .ok_or("too short for a pack header")?;
    let mut len = [0u8; 4];
    len.copy_from_slice(&pack[len_at..]);
    let header_len = u32::from_le_bytes(len) as usize;
    let header_at = len_at
        .checked_sub(header_len)
        .ok_or("header length points before the start of the file")?;
    let plain = key
        .open_compressed(&pack[header_at..len_at], HEADER_AAD, 1 << 30)
        .map_err(|e| format!("pack header: {e}"))?;
    let mut reader = Reader::new(&plain);
    if reader.u8()? != HEADER_VERSION {
        return Err("unknown pack header version".into());
    }
    let entries = reader.entries()?;
    if let Some(e) = entries.iter().find(|e| e.end() > header_at as u64) {
        return Err(format!(
            "header entry for blob {} reaches past the blobs",
            e.id
        ));
    }
    Ok(entries)
}

/// Opens one sealed blob: tag, decompression to exactly `plain_length` bytes, and the keyed
/// hash of the result against the id. The last check is what makes trees a Merkle tree.
pub(crate) fn open_blob(
    key: &MasterKey,
    entry: &PackEntry,
    sealed: &[u8],
) -> std::result::Result<Vec<u8>, String> {
    let plain = key.open_compressed(sealed, &entry.id.0, u64::from(entry.plain_length))?;
    if plain.len() != entry.plain_length as usize {
        return Err(format!(
            "decompresses to {} bytes, the index says {}",
            plain.len(),
            entry.plain_length
        ));
    }
    if key.blob_id(&plain) != entry.id {
        return Err("content does not hash to its id".into());
    }
    Ok(plain)
}

/// A pack being written: a temp file under `tmp/`, hashed as it grows. Dropping it
/// unfinished removes the temp file.
pub(crate) struct PackBuilder {
    tmp: Option<PathBuf>,
    file: BufWriter<File>,
    hasher: Sha256,
    len: u64,
    entries: Vec<PackEntry>,
}

/// A pack that has been renamed into place.
#[derive(Clone, Debug)]
pub(crate) struct FinishedPack {
    pub(crate) id: PackId,
    pub(crate) entries: Vec<PackEntry>,
    pub(crate) size: u64,
}

impl PackBuilder {
    pub(crate) fn create(root: &Path) -> Result<PackBuilder> {
        let tmp = files::tmp_path(root)?;
        let file = File::create(&tmp).map_err(io_err(&tmp))?;
        Ok(PackBuilder {
            tmp: Some(tmp),
            file: BufWriter::new(file),
            hasher: Sha256::new(),
            len: 0,
            entries: Vec::new(),
        })
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let path = self.tmp.clone().unwrap_or_default();
        self.file.write_all(bytes).map_err(io_err(&path))?;
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Appends one sealed blob.
    pub(crate) fn append(
        &mut self,
        id: BlobId,
        kind: BlobKind,
        sealed: &[u8],
        plain_length: u32,
    ) -> Result<()> {
        let length = u32::try_from(sealed.len()).map_err(|_| Error::TooLarge {
            what: "blob",
            size: sealed.len() as u64,
        })?;
        let offset = self.len;
        self.write(sealed)?;
        self.entries.push(PackEntry {
            id,
            kind,
            offset,
            length,
            plain_length,
        });
        Ok(())
    }

    /// Appends the sealed header and its length, fsyncs, and renames the file to
    /// `data/xx/<sha256>`.
    pub(crate) fn finish(mut self, key: &MasterKey, root: &Path) -> Result<FinishedPack> {
        let header = key.seal_compressed(&encode_header(&self.entries)?, HEADER_AAD)?;
        let header_len = u32::try_from(header.len()).map_err(|_| Error::TooLarge {
            what: "pack header",
            size: header.len() as u64,
        })?;
        self.write(&header)?;
        self.write(&header_len.to_le_bytes())?;
        let tmp = self.tmp.clone().unwrap_or_default();
        self.file.flush().map_err(io_err(&tmp))?;
        self.file.get_ref().sync_all().map_err(io_err(&tmp))?;
        let id = PackId(std::mem::take(&mut self.hasher).finalize().into());
        files::rename_into_place(&tmp, &files::pack_path(root, &id))?;
        self.tmp = None;
        Ok(FinishedPack {
            id,
            entries: std::mem::take(&mut self.entries),
            size: self.len,
        })
    }
}

impl Drop for PackBuilder {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
