//! `prune`: removes blobs no snapshot uses. Packs without a used blob are deleted, packs
//! with some unused blobs are rewritten with only the used ones, and the index is replaced
//! by one file. New packs and the new index are written before anything is deleted, so an
//! interruption at any point leaves a repository where every snapshot still restores.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::files;
use crate::id::{BlobId, PackId};
use crate::index::{self, Index, IndexedPack};
use crate::pack::{self, PackEntry};
use crate::repo::Repo;
use crate::writer::PackSet;

/// What [`Repo::prune`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub snapshots_kept: u64,
    /// Packs removed whole: no used blob, or not in any index (left by interrupted runs).
    pub packs_deleted: u64,
    /// Packs rewritten without their unused blobs.
    pub packs_rewritten: u64,
    /// Indexed blobs that no snapshot uses any more.
    pub blobs_removed: u64,
    /// Pack bytes removed minus pack bytes written.
    pub bytes_freed: u64,
    /// Packs the index listed that were not on disk; dropped from the index (verify
    /// reports what they held).
    pub packs_missing: u64,
}

/// What happens to one indexed pack.
enum Fate {
    Keep,
    Delete,
    Repack(Vec<PackEntry>),
}

impl Repo {
    /// Removes what no snapshot uses. The caller must hold this handle's exclusive lock
    /// ([`Repo::lock_exclusive`]); refuses to run while any index file or snapshot tree is
    /// unreadable, because it could not then tell what is still needed.
    pub fn prune(&self) -> Result<PruneReport> {
        if self.exclusive_locks.load(Ordering::SeqCst) == 0 {
            return Err(Error::NotLocked);
        }
        let root = self.path();
        let index_files = index::read_all(root, self.key())?;
        if let Some(bad) = index_files.iter().find(|f| f.packs.is_err()) {
            return Err(Error::corrupt(
                format!("{}/{}", files::INDEX, bad.name),
                "the index file cannot be read, and prune will not delete packs that only \
                 it might list; move it aside once verify shows what is lost",
            ));
        }
        let on_disk: BTreeMap<PackId, u64> = files::list_packs(root)?
            .into_iter()
            .filter_map(|f| f.id.map(|id| (id, f.size)))
            .collect();
        // Read blobs only from packs that exist (a lost pack may have a copy elsewhere),
        // and see what other runs wrote before our lock.
        let mut present = Index::default();
        for file in &index_files {
            for pack in file.packs.iter().flatten() {
                if on_disk.contains_key(&pack.id) {
                    present.add_pack(pack);
                }
            }
        }
        *self.index_write() = present;

        let snapshots = self.snapshots()?;
        let mut used: HashSet<BlobId> = HashSet::new();
        for (_, snapshot) in &snapshots {
            used.insert(snapshot.root);
            let (account, calendars) = self.load_calendars(snapshot)?;
            for (reference, calendar) in account.calendars.iter().zip(&calendars) {
                used.insert(reference.tree);
                used.extend(calendar.groups.iter().map(|g| g.tree));
                used.extend(calendar.chunks.iter().map(|c| c.tree));
                used.extend(calendar.objects.iter().map(|o| o.blob));
            }
        }

        let mut listed: BTreeMap<PackId, BTreeMap<u64, PackEntry>> = BTreeMap::new();
        for file in &index_files {
            for pack in file.packs.iter().flatten() {
                let slot = listed.entry(pack.id).or_default();
                slot.extend(pack.entries.iter().map(|e| (e.offset, *e)));
            }
        }

        let mut report = PruneReport {
            snapshots_kept: snapshots.len() as u64,
            ..PruneReport::default()
        };
        let blobs_before: HashSet<BlobId> = listed
            .values()
            .flat_map(|entries| entries.values().map(|e| e.id))
            .collect();
        report.blobs_removed = blobs_before.difference(&used).count() as u64;

        let mut kept: Vec<IndexedPack> = Vec::new();
        let mut doomed: Vec<PackId> = Vec::new();
        let mut repack: Vec<(PackId, Vec<PackEntry>)> = Vec::new();
        {
            let index = self.index_read();
            for (id, entries) in &listed {
                if !on_disk.contains_key(id) {
                    report.packs_missing += 1;
                    continue;
                }
                let entries: Vec<PackEntry> = entries.values().copied().collect();
                match fate(&index, id, &entries, &used) {
                    Fate::Keep => kept.push(IndexedPack { id: *id, entries }),
                    Fate::Delete => doomed.push(*id),
                    Fate::Repack(keep) => repack.push((*id, keep)),
                }
            }
        }
        let orphans: Vec<PackId> = on_disk
            .keys()
            .filter(|id| !listed.contains_key(id))
            .copied()
            .collect();
        report.packs_deleted = (doomed.len() + orphans.len()) as u64;
        report.packs_rewritten = repack.len() as u64;

        // 1. New packs with the used blobs of partly used packs.
        let new_packs = self.repack(&repack)?;
        let new_ids: HashSet<PackId> = new_packs.iter().map(|p| p.id).collect();
        kept.extend(new_packs.iter().map(IndexedPack::from));

        // 2. One new index, then the old index files.
        let nothing_changed = doomed.is_empty()
            && repack.is_empty()
            && report.packs_missing == 0
            && index_files.len() <= 1;
        if !nothing_changed {
            let new_name = if kept.is_empty() {
                None
            } else {
                Some(index::write(root, self.key(), &kept)?)
            };
            let index_dir = root.join(files::INDEX);
            for file in &index_files {
                if Some(&file.name) != new_name.as_ref() {
                    files::remove_file(&index_dir.join(&file.name))?;
                }
            }
            files::sync_dir(&index_dir)?;
        }
        let mut new_index = Index::default();
        for pack in &kept {
            new_index.add_pack(pack);
        }
        *self.index_write() = new_index;

        // 3. Packs nothing lists any more, and temp files of interrupted runs.
        let mut freed: u64 = 0;
        let old_packs = doomed
            .iter()
            .chain(&orphans)
            .chain(repack.iter().map(|(id, _)| id));
        for id in old_packs.filter(|id| !new_ids.contains(id)) {
            files::remove_file(&files::pack_path(root, id))?;
            freed += on_disk.get(id).copied().unwrap_or(0);
        }
        let written: u64 = new_packs.iter().map(|p| p.size).sum();
        report.bytes_freed = freed.saturating_sub(written);
        remove_empty_pack_dirs(root);
        let tmp = root.join(files::TMP);
        for name in files::list_names(&tmp)? {
            files::remove_file(&tmp.join(name))?;
        }
        Ok(report)
    }

    /// Copies the kept blobs of partly used packs into new packs. Sealed blobs do not
    /// depend on their position, so they are copied as they are, after checking that they
    /// still open: prune never spreads damage into new packs.
    fn repack(&self, repack: &[(PackId, Vec<PackEntry>)]) -> Result<Vec<pack::FinishedPack>> {
        let mut set = PackSet::new(self);
        for (id, keep) in repack {
            let rel = files::pack_rel(id);
            let bytes = files::read(&self.path().join(&rel))?;
            for entry in keep {
                let sealed = usize::try_from(entry.offset)
                    .ok()
                    .zip(usize::try_from(entry.end()).ok())
                    .and_then(|(from, to)| bytes.get(from..to))
                    .ok_or_else(|| {
                        Error::corrupt(&rel, format!("blob {} lies outside the file", entry.id))
                    })?;
                pack::open_blob(self.key(), entry, sealed).map_err(|e| {
                    Error::corrupt(
                        &rel,
                        format!("blob {}: {e}; prune will not copy a damaged blob", entry.id),
                    )
                })?;
                set.add_sealed(entry.id, entry.kind, sealed, entry.plain_length)?;
            }
        }
        set.finish()
    }
}

/// Keep a pack whole when every entry is used and is where the index reads it from;
/// delete it when none is; otherwise rewrite it with the ones that are.
fn fate(index: &Index, id: &PackId, entries: &[PackEntry], used: &HashSet<BlobId>) -> Fate {
    let keep: Vec<PackEntry> = entries
        .iter()
        .filter(|e| used.contains(&e.id))
        .filter(|e| {
            index
                .get(&e.id)
                .is_some_and(|l| l.pack == *id && l.entry.offset == e.offset)
        })
        .copied()
        .collect();
    if keep.len() == entries.len() {
        Fate::Keep
    } else if keep.is_empty() {
        Fate::Delete
    } else {
        Fate::Repack(keep)
    }
}

/// Tidies `data/xx/` directories left empty; failures are harmless.
fn remove_empty_pack_dirs(root: &std::path::Path) {
    if let Ok(dirs) = fs::read_dir(root.join(files::DATA)) {
        for dir in dirs.flatten() {
            let _ = fs::remove_dir(dir.path());
        }
    }
}
