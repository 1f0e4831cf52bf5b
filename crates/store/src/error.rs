#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error("the parent collection does not exist")]
    ParentMissing,
    #[error("the resource's current state does not match the request's precondition")]
    PreconditionFailed,
    #[error("UID {uid:?} already exists in this collection as {existing_name:?}")]
    UidConflict { uid: String, existing_name: String },
    #[error("quota of {quota} bytes exceeded ({needed} bytes would be in use)")]
    QuotaExceeded { quota: u64, needed: u64 },
    #[error("{0}")]
    Conflict(String),
    /// RFC 4918 §7: the write touches locked URLs without the tokens of these locks (their
    /// roots, paths below the home).
    #[error("locked: the request did not submit the lock token of {roots:?}")]
    Locked { roots: Vec<String> },
    /// RFC 4918 §9.10.5: a lock conflicts with the live locks rooted at these paths.
    #[error("a lock conflicts with the locks of {roots:?}")]
    LockConflict { roots: Vec<String> },
    /// RFC 4918 §9.11.1: no live lock with this token covers the URL.
    #[error("no live lock with this token covers the URL")]
    NoSuchLock,
    /// RFC 4918 §6.4: the lock belongs to another principal.
    #[error("the lock was taken by another principal")]
    NotLockOwner,
    #[error("storage failure: {0}")]
    Backend(String),
    /// The database cannot be reached right now (a PostgreSQL restart, a network cut):
    /// worth trying again, unlike [`StoreError::Backend`].
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}
