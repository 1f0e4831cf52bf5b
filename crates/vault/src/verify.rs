//! `verify`: checks everything that can be checked and reports every problem with the
//! snapshots, calendars and objects it affects, without stopping at the first. File hashes
//! need no key; index files, trees and blobs are checked with it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;

use serde::de::DeserializeOwned;

use crate::error::{io_err, Result};
use crate::files;
use crate::hex;
use crate::id::{sha256, BlobId, PackId, SnapshotId};
use crate::index::{self, Index, IndexFile};
use crate::pack::{self, PackEntry};
use crate::repo::Repo;
use crate::snapshot::decode_snapshot;
use crate::tree::{AccountTree, CalendarTree, ChunkGroup, ObjectChunk};

/// The result of [`Repo::verify`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Files found under `data/`.
    pub packs: u64,
    /// Distinct blobs in the readable index files.
    pub blobs: u64,
    /// Files found under `snapshots/`.
    pub snapshots: u64,
    /// Packs that no index lists: left by interrupted runs, harmless, removed by prune.
    pub unindexed_packs: u64,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One damaged or missing file and what it breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Repository-relative path, e.g. `data/ab/abcd…`.
    pub file: String,
    pub detail: String,
    /// What can no longer be restored because of it. Empty when nothing is lost (e.g. the
    /// damage is outside every blob) or when it cannot be told (e.g. an unreadable index).
    pub affected: Vec<Affected>,
}

/// Something a snapshot holds that a problem affects. `calendar` is the calendar's name;
/// an empty `object` means the calendar's tree itself (so all of it), an empty `calendar`
/// means the snapshot's root tree.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Affected {
    /// Short snapshot id (8 hex digits).
    pub snapshot: String,
    pub calendar: String,
    /// The object's href.
    pub object: String,
}

impl Repo {
    /// Checks the repository (see docs/backup-format.md, "Verify"). With `read_data`,
    /// every blob of every pack is decrypted and hashed; without it only the blobs of
    /// packs whose file hash is wrong are (to tell which objects are damaged).
    pub fn verify(&self, read_data: bool) -> Result<VerifyReport> {
        let mut v = Verifier {
            repo: self,
            report: VerifyReport::default(),
            users: HashMap::new(),
            snapshot_problems: Vec::new(),
        };
        v.check_keys()?;
        let index_files = index::read_all(self.path(), self.key())?;
        v.check_index_files(&index_files);
        let index = index::build(&index_files);
        v.report.blobs = index.len() as u64;
        v.check_snapshots(&index)?;
        v.check_packs(&index_files, &index, read_data)?;
        let mut report = v.report;
        report.problems.append(&mut v.snapshot_problems);
        Ok(report)
    }
}

struct Verifier<'a> {
    repo: &'a Repo,
    report: VerifyReport,
    /// Which snapshot entries use each blob, for [`Problem::affected`].
    users: HashMap<BlobId, Vec<Affected>>,
    /// Reported after the pack problems, which they are often a consequence of.
    snapshot_problems: Vec<Problem>,
}

fn problem(file: impl Into<String>, detail: impl Into<String>, affected: Vec<Affected>) -> Problem {
    Problem {
        file: file.into(),
        detail: detail.into(),
        affected,
    }
}

fn affected(snapshot: &SnapshotId, calendar: &str, object: &str) -> Affected {
    Affected {
        snapshot: snapshot.short(),
        calendar: calendar.to_string(),
        object: object.to_string(),
    }
}

impl Verifier<'_> {
    fn push(&mut self, p: Problem) {
        self.report.problems.push(p);
    }

    fn check_keys(&mut self) -> Result<()> {
        let dir = self.repo.path().join(files::KEYS);
        for name in files::list_names(&dir)? {
            let bytes = files::read(&dir.join(&name))?;
            if hex::encode(&sha256(&bytes)) != name {
                self.push(problem(
                    format!("{}/{name}", files::KEYS),
                    "content does not hash to its name (bit rot or an edited key file)",
                    Vec::new(),
                ));
            }
        }
        Ok(())
    }

    fn check_index_files(&mut self, index_files: &[IndexFile]) {
        for file in index_files {
            let mut details = Vec::new();
            if !file.hash_ok {
                details.push("content does not hash to its name".to_string());
            }
            if let Err(e) = &file.packs {
                details.push(format!(
                    "cannot be read ({e}); the blobs only it lists count as missing"
                ));
            }
            if !details.is_empty() {
                self.push(problem(
                    format!("{}/{}", files::INDEX, file.name),
                    details.join("; "),
                    Vec::new(),
                ));
            }
        }
    }

    fn use_blob(&mut self, id: BlobId, who: Affected) {
        self.users.entry(id).or_default().push(who);
    }

    fn read_tree<T: DeserializeOwned>(
        &self,
        index: &Index,
        id: &BlobId,
    ) -> std::result::Result<T, String> {
        let location = index.get(id).ok_or("it is not in any index")?;
        let bytes = self.repo.read_at(&location).map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| format!("not the expected tree JSON: {e}"))
    }

    /// Decrypts every snapshot and walks its trees, recording who uses each blob.
    fn check_snapshots(&mut self, index: &Index) -> Result<()> {
        let dir = self.repo.path().join(files::SNAPSHOTS);
        for name in files::list_names(&dir)? {
            self.report.snapshots += 1;
            let rel = format!("{}/{name}", files::SNAPSHOTS);
            let Some(id) = hex::decode_32(&name)
                .map(SnapshotId)
                .filter(|id| id.to_hex() == name)
            else {
                self.snapshot_problems
                    .push(problem(rel, "not a snapshot file name", Vec::new()));
                continue;
            };
            let bytes = match fs::read(dir.join(&name)) {
                Ok(bytes) => bytes,
                // Forgotten by another run since the listing.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&dir.join(&name))(e)),
            };
            let snapshot = match decode_snapshot(self.repo, &id, &bytes) {
                Ok(snapshot) => snapshot,
                Err(detail) => {
                    self.snapshot_problems
                        .push(problem(rel, detail, Vec::new()));
                    continue;
                }
            };
            self.walk_snapshot(index, &id, &rel, snapshot.root);
        }
        Ok(())
    }

    fn walk_snapshot(&mut self, index: &Index, id: &SnapshotId, rel: &str, root_id: BlobId) {
        let mut missing = Vec::new();
        let root_user = affected(id, "", "");
        self.use_blob(root_id, root_user.clone());
        let root: AccountTree = match self.read_tree(index, &root_id) {
            Ok(root) => root,
            Err(e) => {
                let detail = format!("its root tree {root_id} cannot be read: {e}");
                self.snapshot_problems
                    .push(problem(rel, detail, vec![root_user]));
                return;
            }
        };
        for calendar in &root.calendars {
            let tree_user = affected(id, &calendar.name, "");
            self.use_blob(calendar.tree, tree_user.clone());
            let mut tree: CalendarTree = match self.read_tree(index, &calendar.tree) {
                Ok(tree) => tree,
                Err(e) => {
                    let detail =
                        format!("the tree of calendar {} cannot be read: {e}", calendar.href);
                    self.snapshot_problems
                        .push(problem(rel, detail, vec![tree_user]));
                    continue;
                }
            };
            for group in std::mem::take(&mut tree.groups) {
                self.use_blob(group.tree, tree_user.clone());
                match self.read_tree::<ChunkGroup>(index, &group.tree) {
                    Ok(part) => tree.chunks.extend(part.chunks),
                    Err(e) => {
                        let detail = format!(
                            "a chunk group ({}) of calendar {} cannot be read: {e}",
                            group.tree, calendar.href
                        );
                        self.snapshot_problems
                            .push(problem(rel, detail, vec![tree_user.clone()]));
                    }
                }
            }
            for chunk in std::mem::take(&mut tree.chunks) {
                self.use_blob(chunk.tree, tree_user.clone());
                match self.read_tree::<ObjectChunk>(index, &chunk.tree) {
                    Ok(part) if part.objects.len() as u64 == chunk.objects => {
                        tree.objects.extend(part.objects)
                    }
                    Ok(_) => {
                        let detail = format!(
                            "a chunk of calendar {} does not hold the objects it should",
                            calendar.href
                        );
                        self.snapshot_problems
                            .push(problem(rel, detail, vec![tree_user.clone()]));
                    }
                    Err(e) => {
                        let detail = format!(
                            "a chunk ({}) of calendar {} cannot be read: {e}",
                            chunk.tree, calendar.href
                        );
                        self.snapshot_problems
                            .push(problem(rel, detail, vec![tree_user.clone()]));
                    }
                }
            }
            if tree.href != calendar.href || tree.objects.len() as u64 != calendar.objects {
                let detail = format!(
                    "the tree of calendar {} does not match the root's entry for it",
                    calendar.href
                );
                self.snapshot_problems
                    .push(problem(rel, detail, vec![tree_user]));
            }
            for object in &tree.objects {
                let user = affected(id, &calendar.name, &object.href);
                if !index.contains(&object.blob) {
                    missing.push(user.clone());
                }
                self.use_blob(object.blob, user);
            }
        }
        if !missing.is_empty() {
            let detail = format!(
                "{} objects of this snapshot are not in any index (their pack or index is lost)",
                missing.len()
            );
            self.snapshot_problems.push(problem(rel, detail, missing));
        }
    }

    /// Who is affected by damage to these blobs of this pack (only where the index reads
    /// the blob from this pack: a copy elsewhere is unaffected).
    fn affected_by(&self, index: &Index, pack: &PackId, blobs: &[BlobId]) -> Vec<Affected> {
        let mut out: Vec<Affected> = blobs
            .iter()
            .filter(|b| index.get(b).is_some_and(|l| l.pack == *pack))
            .flat_map(|b| self.users.get(b).into_iter().flatten().cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn check_packs(
        &mut self,
        index_files: &[IndexFile],
        index: &Index,
        read_data: bool,
    ) -> Result<()> {
        // Pack -> its entries (merged by offset) and the index files that list it.
        let mut listed: BTreeMap<PackId, (BTreeMap<u64, PackEntry>, Vec<String>)> = BTreeMap::new();
        for file in index_files {
            for pack in file.packs.iter().flatten() {
                let slot = listed.entry(pack.id).or_default();
                slot.0.extend(pack.entries.iter().map(|e| (e.offset, *e)));
                slot.1.push(format!("{}/{}", files::INDEX, file.name));
            }
        }
        let mut seen = HashSet::new();
        for found in files::list_packs(self.repo.path())? {
            self.report.packs += 1;
            let Some(id) = found.id else {
                self.push(problem(
                    found.rel,
                    "a file under data/ whose name is not a pack id",
                    Vec::new(),
                ));
                continue;
            };
            seen.insert(id);
            let entries: Vec<PackEntry> = match listed.get(&id) {
                Some((entries, _)) => entries.values().copied().collect(),
                None => {
                    self.report.unindexed_packs += 1;
                    Vec::new()
                }
            };
            self.check_pack(
                index,
                &id,
                &found.rel,
                &entries,
                listed.contains_key(&id),
                read_data,
            )?;
        }
        for (id, (entries, index_names)) in &listed {
            if !seen.contains(id) {
                let blobs: Vec<BlobId> = entries.values().map(|e| e.id).collect();
                let detail = format!(
                    "the pack is missing, but {} lists it",
                    index_names.join(" and ")
                );
                let who = self.affected_by(index, id, &blobs);
                self.push(problem(files::pack_rel(id), detail, who));
            }
        }
        Ok(())
    }

    fn check_pack(
        &mut self,
        index: &Index,
        id: &PackId,
        rel: &str,
        entries: &[PackEntry],
        indexed: bool,
        read_data: bool,
    ) -> Result<()> {
        let path = self.repo.path().join(rel);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                let blobs: Vec<BlobId> = entries.iter().map(|e| e.id).collect();
                let who = self.affected_by(index, id, &blobs);
                self.push(problem(rel, format!("cannot be read: {e}"), who));
                return Ok(());
            }
        };
        let hash_ok = sha256(&bytes) == id.0;
        let mut details = Vec::new();
        if !hash_ok {
            details
                .push("content does not hash to its name (bit rot or a partial write)".to_string());
        }
        let mut damaged = Vec::new();
        let blob_area = bytes.len().saturating_sub(4) as u64;
        if !hash_ok || read_data {
            let mut first_error = None;
            for entry in entries {
                let result = if entry.end() > blob_area {
                    Err("lies outside the file".to_string())
                } else {
                    let sealed = &bytes[entry.offset as usize..entry.end() as usize];
                    pack::open_blob(self.repo.key(), entry, sealed).map(|_| ())
                };
                if let Err(e) = result {
                    damaged.push(entry.id);
                    first_error.get_or_insert(format!("blob {}: {e}", entry.id.short()));
                }
            }
            if let Some(first) = first_error {
                details.push(format!(
                    "{} of its {} blobs are damaged (first: {first})",
                    damaged.len(),
                    entries.len()
                ));
            } else if !hash_ok && indexed {
                details.push(format!(
                    "all {} of its blobs still decrypt and match their ids (the damage is \
                     in the pack header or between blobs)",
                    entries.len()
                ));
            }
            match pack::read_header(self.repo.key(), &bytes) {
                Err(e) => details.push(format!("its header cannot be read: {e}")),
                Ok(mut header) if indexed => {
                    header.sort_by_key(|e| e.offset);
                    if header != entries {
                        details.push("its header does not match the index".into());
                    }
                }
                Ok(_) => {}
            }
        } else if let Some(entry) = entries.iter().find(|e| e.end() > blob_area) {
            damaged.push(entry.id);
            details.push(format!(
                "the index places blob {} outside the file",
                entry.id.short()
            ));
        }
        if !details.is_empty() {
            let who = self.affected_by(index, id, &damaged);
            self.push(problem(rel, details.join("; "), who));
        }
        Ok(())
    }
}
