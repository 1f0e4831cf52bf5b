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
    #[error("storage failure: {0}")]
    Backend(String),
    /// The database cannot be reached right now (a PostgreSQL restart, a network cut):
    /// worth trying again, unlike [`StoreError::Backend`].
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}
