//! The repository handle: creating and opening (config, key files, the in-memory index),
//! passphrase changes, and reading blobs. Writing, snapshots, trees, locks, verify and
//! prune add their methods to [`Repo`] in their own modules.

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::config::Config;
use crate::crypto::MasterKey;
use crate::error::{io_err, Error, Result};
use crate::files;
use crate::hex;
use crate::id::BlobId;
use crate::index::{self, Index, IndexedPack, Location};
use crate::keyfile::{self, KdfParams};
use crate::pack;

/// An open (unlocked) backup repository.
#[derive(Debug)]
pub struct Repo {
    path: PathBuf,
    config: Config,
    key: MasterKey,
    /// Name of the key file that opened the repository (replaced by change_passphrase).
    key_file: String,
    /// Parameters for key files written from now on.
    kdf: KdfParams,
    index: RwLock<Index>,
    /// Index files that could not be read when the index was last loaded.
    unreadable_index: RwLock<Vec<String>>,
    /// How many exclusive locks this handle holds; prune refuses to run without one.
    pub(crate) exclusive_locks: Arc<AtomicUsize>,
}

impl Repo {
    /// Creates a repository at `path` (a new or empty directory). Key derivation uses the
    /// default Argon2id cost, or the cheap test cost when `CALVAULT_TEST_KDF=fast`.
    pub fn init(path: &Path, passphrase: &str) -> Result<Repo> {
        Repo::init_with_kdf(path, passphrase, KdfParams::from_env())
    }

    /// [`Repo::init`] with explicit key-derivation parameters (tests use
    /// [`KdfParams::FAST`]).
    pub fn init_with_kdf(path: &Path, passphrase: &str, kdf: KdfParams) -> Result<Repo> {
        if path.is_file() || files::is_non_empty_dir(path)? {
            return Err(Error::AlreadyExists(path.to_path_buf()));
        }
        for dir in files::DIRS {
            files::create_dir(&path.join(dir))?;
        }
        let key = MasterKey::generate()?;
        let key_bytes = keyfile::create(kdf, passphrase, &key)?;
        let key_file = hex::encode(&files::write_content(path, files::KEYS, &key_bytes)?);
        // The config goes last: it is what makes the directory a repository, so an
        // interrupted init never leaves something that looks like one without a key.
        let config = Config::new()?;
        files::write_atomic(path, files::CONFIG, &config.to_bytes()?)?;
        files::sync_dir(path)?;
        Ok(Repo::assemble(
            path,
            config,
            key,
            key_file,
            kdf,
            Index::default(),
            Vec::new(),
        ))
    }

    /// Opens a repository: checks the config, tries the passphrase on every key file, and
    /// loads all index files into memory.
    pub fn open(path: &Path, passphrase: &str) -> Result<Repo> {
        let config = Config::load(path)?;
        let keys_dir = path.join(files::KEYS);
        let names = files::list_names(&keys_dir)?;
        if names.is_empty() {
            return Err(Error::corrupt(
                files::KEYS,
                "there are no key files, so nothing can be decrypted",
            ));
        }
        let mut tried = 0;
        let mut found = None;
        for name in names {
            let bytes = files::read(&keys_dir.join(&name))?;
            tried += 1;
            // A damaged key file is skipped: another key may still open the repository,
            // and verify reports the damage.
            if let Ok(Some(key)) = keyfile::unlock(&bytes, passphrase) {
                found = Some((key, name));
                break;
            }
        }
        let (key, key_file) = found.ok_or(Error::WrongPassphrase { tried })?;
        let index_files = index::read_all(path, &key)?;
        let unreadable = unreadable_names(&index_files);
        let index = index::build(&index_files);
        Ok(Repo::assemble(
            path,
            config,
            key,
            key_file,
            KdfParams::from_env(),
            index,
            unreadable,
        ))
    }

    fn assemble(
        path: &Path,
        config: Config,
        key: MasterKey,
        key_file: String,
        kdf: KdfParams,
        index: Index,
        unreadable: Vec<String>,
    ) -> Repo {
        Repo {
            path: path.to_path_buf(),
            config,
            key,
            key_file,
            kdf,
            index: RwLock::new(index),
            unreadable_index: RwLock::new(unreadable),
            exclusive_locks: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The repository's random id from its config (not secret).
    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// Sets the Argon2id parameters used for key files written from now on.
    pub fn set_kdf(&mut self, kdf: KdfParams) {
        self.kdf = kdf;
    }

    /// Writes a key file for `new` (same master key, fresh salt) and then removes the key
    /// file that opened the repository, in that order, so that a crash in between leaves
    /// both passphrases working rather than none.
    pub fn change_passphrase(&mut self, new: &str) -> Result<()> {
        let bytes = keyfile::create(self.kdf, new, &self.key)?;
        let name = hex::encode(&files::write_content(&self.path, files::KEYS, &bytes)?);
        if name != self.key_file {
            let keys = self.path.join(files::KEYS);
            files::remove_file(&keys.join(&self.key_file))?;
            files::sync_dir(&keys)?;
        }
        self.key_file = name;
        Ok(())
    }

    /// The id a blob with this plaintext has in this repository.
    pub fn blob_id(&self, plaintext: &[u8]) -> BlobId {
        self.key.blob_id(plaintext)
    }

    /// Whether a blob is stored and indexed.
    pub fn has_blob(&self, id: &BlobId) -> bool {
        self.index_read().contains(id)
    }

    /// Reads a blob: decrypts it, decompresses it and checks that it hashes to `id`.
    pub fn read_blob(&self, id: &BlobId) -> Result<Vec<u8>> {
        let location = self.index_read().get(id).ok_or(Error::BlobNotFound(*id))?;
        self.read_at(&location)
    }

    /// Reads the blob at a known location (verify and prune bring their own index).
    pub(crate) fn read_at(&self, location: &Location) -> Result<Vec<u8>> {
        let rel = files::pack_rel(&location.pack);
        let sealed = read_range(&self.path.join(&rel), &rel, location)?;
        pack::open_blob(&self.key, &location.entry, &sealed)
            .map_err(|e| Error::corrupt(rel, format!("blob {}: {e}", location.entry.id)))
    }

    /// Reloads every index file from disk, e.g. after taking a lock, so that changes made
    /// by other runs since `open` are seen.
    pub fn reload_index(&self) -> Result<()> {
        let files = index::read_all(&self.path, &self.key)?;
        let unreadable = unreadable_names(&files);
        *self.index_write() = index::build(&files);
        *self
            .unreadable_index
            .write()
            .unwrap_or_else(|e| e.into_inner()) = unreadable;
        Ok(())
    }

    /// Index files that could not be read when the index was loaded (names under
    /// `index/`); their blobs count as missing until the damage is repaired.
    pub fn unreadable_index_files(&self) -> Vec<String> {
        self.unreadable_index
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many blobs the index knows.
    pub fn blob_count(&self) -> usize {
        self.index_read().len()
    }

    pub(crate) fn key(&self) -> &MasterKey {
        &self.key
    }

    pub(crate) fn index_read(&self) -> RwLockReadGuard<'_, Index> {
        // A poisoned lock only means another thread panicked while holding it; the index
        // is only ever changed by whole insertions, so its content is still consistent.
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn index_write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add_to_index(&self, packs: &[IndexedPack]) {
        let mut index = self.index_write();
        for pack in packs {
            index.add_pack(pack);
        }
    }
}

fn unreadable_names(files: &[index::IndexFile]) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.packs.is_err())
        .map(|f| format!("{}/{}", files::INDEX, f.name))
        .collect()
}

/// Reads one sealed blob's bytes from a pack file.
fn read_range(path: &Path, rel: &str, location: &Location) -> Result<Vec<u8>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(Error::corrupt(rel, "the pack file is missing"));
        }
        Err(e) => return Err(io_err(path)(e)),
    };
    file.seek(SeekFrom::Start(location.entry.offset))
        .map_err(io_err(path))?;
    let mut sealed = vec![0u8; location.entry.length as usize];
    match file.read_exact(&mut sealed) {
        Ok(()) => Ok(sealed),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => Err(Error::corrupt(
            rel,
            format!("blob {} lies past the end of the file", location.entry.id),
        )),
        Err(e) => Err(io_err(path)(e)),
    }
}
