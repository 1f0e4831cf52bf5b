//! Snapshots (`snapshots/<sha256>`): one sealed JSON file per backup run, naming the root
//! tree and what the run did. Written last in a run, so a snapshot file only ever exists
//! once everything it references is stored and indexed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::files;
use crate::hex;
use crate::id::{sha256, BlobId, SnapshotId};
use crate::repo::Repo;

/// Associated data of a sealed snapshot file.
pub(crate) const SNAPSHOT_AAD: &[u8] = b"calvault snapshot v1";
/// Snapshot plaintext is small; anything bigger is damage.
const SNAPSHOT_LIMIT: u64 = 16 << 20;

/// Which account on which server a snapshot is of.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub url: String,
    pub user: String,
}

/// What a backup run found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnapshotSummary {
    pub calendars: u64,
    pub objects: u64,
    /// Raw object bytes in the snapshot.
    pub bytes: u64,
    pub new: u64,
    pub changed: u64,
    pub removed: u64,
    /// Bytes the run added to the repository.
    pub bytes_added: u64,
    pub duration_ms: u64,
    pub requests: u64,
}

/// One backup run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(with = "crate::time::rfc3339")]
    pub time: DateTime<Utc>,
    pub source: Source,
    /// The [`crate::AccountTree`] blob: the Merkle root of the snapshot.
    pub root: BlobId,
    pub parent: Option<SnapshotId>,
    /// This run compared every object, not only what sync reported as changed.
    pub full_scan: bool,
    pub runs_since_full: u32,
    pub summary: SnapshotSummary,
    pub tool_version: String,
    /// The object selection the run backed up (components, time range) as the CLI
    /// describes it; empty means everything. Runs compare it to pick a comparable parent.
    #[serde(default)]
    pub selection: String,
}

impl Repo {
    /// Writes a snapshot. Its root tree must already be stored and indexed (the writer
    /// finished), which keeps "a snapshot file exists" meaning "it can be restored".
    pub fn save_snapshot(&self, snapshot: &Snapshot) -> Result<SnapshotId> {
        if !self.has_blob(&snapshot.root) {
            return Err(Error::BlobNotFound(snapshot.root));
        }
        let json = serde_json::to_vec(snapshot).map_err(|e| Error::Encode {
            what: "snapshot",
            detail: e.to_string(),
        })?;
        let sealed = self.key().seal_compressed(&json, SNAPSHOT_AAD)?;
        Ok(SnapshotId(files::write_content(
            self.path(),
            files::SNAPSHOTS,
            &sealed,
        )?))
    }

    /// Names of the snapshot files as ids (files with other names are ignored here and
    /// reported by verify).
    pub(crate) fn snapshot_ids(&self) -> Result<Vec<SnapshotId>> {
        Ok(files::list_names(&self.path().join(files::SNAPSHOTS))?
            .iter()
            .filter_map(|name| {
                hex::decode_32(name)
                    .map(SnapshotId)
                    .filter(|id| id.to_hex() == *name)
            })
            .collect())
    }

    /// Reads and decrypts one snapshot file, checking its hash against its name.
    pub fn read_snapshot(&self, id: &SnapshotId) -> Result<Snapshot> {
        let rel = format!("{}/{}", files::SNAPSHOTS, id);
        let path = self.path().join(&rel);
        if !path.is_file() {
            return Err(Error::NoSnapshot(id.to_hex()));
        }
        let bytes = files::read(&path)?;
        decode_snapshot(self, id, &bytes).map_err(|detail| Error::corrupt(rel, detail))
    }

    /// Every snapshot, oldest first (ties broken by id).
    pub fn snapshots(&self) -> Result<Vec<(SnapshotId, Snapshot)>> {
        let mut out = Vec::new();
        for id in self.snapshot_ids()? {
            out.push((id, self.read_snapshot(&id)?));
        }
        out.sort_by(|a, b| a.1.time.cmp(&b.1.time).then(a.0.cmp(&b.0)));
        Ok(out)
    }

    /// Finds a snapshot by `"latest"` or by a unique hex prefix of at least 4 digits.
    pub fn find_snapshot(&self, spec: &str) -> Result<(SnapshotId, Snapshot)> {
        if spec == "latest" {
            return self
                .snapshots()?
                .pop()
                .ok_or_else(|| Error::NoSnapshot(spec.to_string()));
        }
        if spec.len() < 4 || spec.len() > 64 || !hex::is_hex(spec) {
            return Err(Error::BadSnapshotSpec(spec.to_string()));
        }
        let prefix = spec.to_ascii_lowercase();
        let matches: Vec<SnapshotId> = self
            .snapshot_ids()?
            .into_iter()
            .filter(|id| id.to_hex().starts_with(&prefix))
            .collect();
        match matches.as_slice() {
            [] => Err(Error::NoSnapshot(spec.to_string())),
            [id] => Ok((*id, self.read_snapshot(id)?)),
            _ => Err(Error::AmbiguousSnapshot(spec.to_string())),
        }
    }

    /// Removes snapshot files. Every id is checked first, so an unknown id removes nothing.
    /// The blobs stay until [`Repo::prune`].
    pub fn forget(&self, ids: &[SnapshotId]) -> Result<()> {
        let dir = self.path().join(files::SNAPSHOTS);
        if let Some(missing) = ids.iter().find(|id| !dir.join(id.to_hex()).is_file()) {
            return Err(Error::NoSnapshot(missing.to_hex()));
        }
        for id in ids {
            files::remove_file(&dir.join(id.to_hex()))?;
        }
        files::sync_dir(&dir)
    }
}

/// Hash check, decryption and parsing of a snapshot file's bytes.
pub(crate) fn decode_snapshot(
    repo: &Repo,
    id: &SnapshotId,
    bytes: &[u8],
) -> std::result::Result<Snapshot, String> {
    if sha256(bytes) != id.0 {
        return Err("content does not hash to its name".into());
    }
    let json = repo
        .key()
        .open_compressed(bytes, SNAPSHOT_AAD, SNAPSHOT_LIMIT)?;
    serde_json::from_slice(&json).map_err(|e| format!("not a snapshot: {e}"))
}
