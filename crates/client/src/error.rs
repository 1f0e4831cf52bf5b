//! What can go wrong talking to a server, worded so a user knows what to do next.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot connect to {origin}: {reason}")]
    Connect { origin: String, reason: String },
    #[error("{method} {url} failed: {reason}")]
    Transport {
        method: String,
        url: String,
        reason: String,
    },
    #[error(
        "{method} {url}: the server answered 401 Unauthorized; check the user name and the \
         password (CALVAULT_PASSWORD, --password-command) or the token (--bearer-token-command)"
    )]
    Unauthorized { method: String, url: String },
    #[error("{method} {url}: the server answered {status}{detail}")]
    Status {
        method: String,
        url: String,
        status: u16,
        /// The DAV:error precondition or the start of the body, prefixed with ": ".
        detail: String,
    },
    #[error("{method} {url}: the answer is not a DAV multistatus the client can read: {reason}")]
    BadResponse {
        method: String,
        url: String,
        reason: String,
    },
    #[error("{url}: too many redirects (last to {to})")]
    TooManyRedirects { url: String, to: String },
    #[error("no CalDAV service found at {url}: {reason}")]
    NoService { url: String, reason: String },
    #[error("the server refused the sync token for {url}; a full listing is needed")]
    SyncTokenRejected { url: String },
    #[error("the server truncated the changes of {url} without a token to continue from")]
    SyncIncomplete { url: String },
}

impl Error {
    /// Whether asking for fewer objects at once could succeed where this failed: a body
    /// too large for the server, or an answer it could not produce or we could not read.
    pub fn is_batch_size_problem(&self) -> bool {
        match self {
            Error::Status { status, .. } => matches!(status, 400 | 413 | 414 | 500 | 502 | 507),
            Error::BadResponse { .. } => true,
            _ => false,
        }
    }

    /// The HTTP status the server answered, when the error is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            Error::Unauthorized { .. } => Some(401),
            _ => None,
        }
    }
}
