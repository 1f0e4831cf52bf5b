//! The repository's directory layout and the only ways files are written: through a temp
//! file that is fsynced and renamed into place, so that a crash never leaves a half-written
//! file under a real name. Content-addressed files are named by the SHA-256 of their bytes.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::crypto;
use crate::error::{io_err, Result};
use crate::hex;
use crate::id::{sha256, PackId};

pub(crate) const CONFIG: &str = "config";
pub(crate) const KEYS: &str = "keys";
pub(crate) const DATA: &str = "data";
pub(crate) const INDEX: &str = "index";
pub(crate) const SNAPSHOTS: &str = "snapshots";
pub(crate) const LOCKS: &str = "locks";
pub(crate) const TMP: &str = "tmp";

/// Every directory `init` creates (`data/xx/` subdirectories appear on demand).
pub(crate) const DIRS: [&str; 6] = [KEYS, DATA, INDEX, SNAPSHOTS, LOCKS, TMP];

/// `data/ab/abcd…`: the repository-relative path of a pack.
pub(crate) fn pack_rel(id: &PackId) -> String {
    let hex = id.to_hex();
    format!("{DATA}/{}/{hex}", &hex[..2])
}

pub(crate) fn pack_path(root: &Path, id: &PackId) -> PathBuf {
    root.join(pack_rel(id))
}

/// A fresh, unused path under `tmp/`.
pub(crate) fn tmp_path(root: &Path) -> Result<PathBuf> {
    let name: [u8; 16] = crypto::random_bytes()?;
    let dir = root.join(TMP);
    create_dir(&dir)?;
    Ok(dir.join(hex::encode(&name)))
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(io_err(path))
}

/// fsync a directory so that a rename or removal in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

pub(crate) fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(io_err(dir))
}

/// Removes a file; one that is already gone is fine (another run may have removed it).
pub(crate) fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(io_err(path)(e)),
        _ => Ok(()),
    }
}

/// Moves a finished temp file to its final name, durably: the file's data is already
/// fsynced by the caller; this fsyncs the directory that now holds the name.
pub(crate) fn rename_into_place(tmp: &Path, dest: &Path) -> Result<()> {
    if let Some(dir) = dest.parent() {
        create_dir(dir)?;
    }
    fs::rename(tmp, dest).map_err(io_err(dest))?;
    if let Some(dir) = dest.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Writes `bytes` to `rel` (relative to the repository) through a temp file.
pub(crate) fn write_atomic(root: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(root)?;
    let result = write_synced(&tmp, bytes).and_then(|()| rename_into_place(&tmp, &root.join(rel)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = File::create(path).map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))
}

/// Writes a content-addressed file into `dir` (keys, index, snapshots) and returns its
/// name, the SHA-256 of `bytes`.
pub(crate) fn write_content(root: &Path, dir: &str, bytes: &[u8]) -> Result<[u8; 32]> {
    let hash = sha256(bytes);
    write_atomic(root, &format!("{dir}/{}", hex::encode(&hash)), bytes)?;
    Ok(hash)
}

/// The names of the regular files in a directory, sorted; a missing directory is empty.
pub(crate) fn list_names(dir: &Path) -> Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err(dir))?;
        let is_file = entry.file_type().map_err(io_err(dir))?.is_file();
        if is_file {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// One file found under `data/`.
pub(crate) struct PackFile {
    /// Repository-relative path, e.g. `data/ab/abcd…`.
    pub(crate) rel: String,
    /// The id its name claims; `None` when the name is not 64 hex digits or is in the
    /// wrong `xx/` directory.
    pub(crate) id: Option<PackId>,
    pub(crate) size: u64,
}

/// Every file under `data/*/`, sorted by path.
pub(crate) fn list_packs(root: &Path) -> Result<Vec<PackFile>> {
    let data = root.join(DATA);
    let mut dirs = match fs::read_dir(&data) {
        Ok(entries) => entries
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(io_err(&data))?,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&data)(e)),
    };
    dirs.sort();
    let mut packs = Vec::new();
    for dir in dirs.into_iter().filter(|d| d.is_dir()) {
        let sub = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for name in list_names(&dir)? {
            let path = dir.join(&name);
            let size = fs::metadata(&path).map_err(io_err(&path))?.len();
            let id = hex::decode_32(&name)
                .map(PackId)
                .filter(|id| id.to_hex() == name && name.starts_with(&sub));
            packs.push(PackFile {
                rel: format!("{DATA}/{sub}/{name}"),
                id,
                size,
            });
        }
    }
    Ok(packs)
}

/// Whether a directory exists and holds anything.
pub(crate) fn is_non_empty_dir(path: &Path) -> Result<bool> {
    match fs::read_dir(path) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err(path)(e)),
    }
}
