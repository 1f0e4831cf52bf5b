//! The crate's one error type. Every message names the file or value involved and, where
//! there is one, what the user can do about it, because the CLI prints these as they are.

use std::path::{Path, PathBuf};

use crate::id::{BlobId, InvalidId};

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the passphrase does not open this repository (tried {tried} {})", keys_word(.tried))]
    WrongPassphrase { tried: usize },

    #[error(
        "{} is not a calvault backup repository (no readable calvault `config` file in it)",
        .0.display()
    )]
    NotARepository(PathBuf),

    #[error("{} already exists and is not empty; give a new or empty directory", .0.display())]
    AlreadyExists(PathBuf),

    #[error(
        "the repository uses backup format version {0}; this calvault reads version 1 only, \
         use the calvault release that wrote it"
    )]
    UnsupportedVersion(u32),

    #[error(
        "the repository is locked by {holder}; wait for that run to finish, or remove the \
         lock if that process is gone"
    )]
    Locked { holder: String },

    #[error("{file} is damaged: {detail} (run verify for a full report)")]
    Corrupt { file: String, detail: String },

    #[error("no snapshot matches {0:?}")]
    NoSnapshot(String),

    #[error("{0:?} matches more than one snapshot; give more hex digits of the id")]
    AmbiguousSnapshot(String),

    #[error("{0:?} is not a snapshot id: give \"latest\" or at least 4 hex digits of an id")]
    BadSnapshotSpec(String),

    #[error(transparent)]
    BadId(#[from] InvalidId),

    #[error(
        "blob {0} is not in the repository's index (was the writer finished before the \
         snapshot was saved?)"
    )]
    BlobNotFound(BlobId),

    #[error("prune needs this repository's exclusive lock; take it with lock_exclusive first")]
    NotLocked,

    #[error("{what} is too large for backup format version 1 ({size} bytes)")]
    TooLarge { what: &'static str, size: u64 },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("key derivation (Argon2id) failed: {0}")]
    Kdf(String),

    #[error("the operating system's random number generator failed: {0}")]
    Random(String),

    #[error("encryption failed: {0}")]
    Crypto(String),

    #[error("could not encode {what}: {detail}")]
    Encode { what: &'static str, detail: String },
}

fn keys_word(n: &usize) -> &'static str {
    if *n == 1 {
        "key"
    } else {
        "keys"
    }
}

impl Error {
    pub(crate) fn corrupt(file: impl Into<String>, detail: impl Into<String>) -> Error {
        Error::Corrupt {
            file: file.into(),
            detail: detail.into(),
        }
    }
}

/// Wraps an I/O error with the path it happened on: a bare "No such file or directory" is
/// useless in a repository of thousands of files.
pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}
