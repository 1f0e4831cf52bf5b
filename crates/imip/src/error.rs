//! The one error type of iMIP.

/// What went wrong sending or receiving a scheduling message by e-mail.
#[derive(Debug, thiserror::Error)]
pub enum ImipError {
    /// The `[smtp]` section cannot be used as it is.
    #[error("[smtp] {0}")]
    Config(String),
    /// A message to send could not be worded (an address that is no e-mail address).
    #[error("cannot write the message: {0}")]
    Message(String),
    /// What `imip receive` read is not what it takes.
    #[error("{0}")]
    Unreadable(String),
    /// The REPLY was refused: forged, or about no meeting here (the reason says which).
    #[error("refused: {0}")]
    Refused(String),
    /// The store or the engine failed applying it.
    #[error("{0}")]
    Failed(String),
}

impl ImipError {
    /// The sysexits(3) code an MTA pipe understands: 65 (EX_DATAERR) bounces a message
    /// that will never be taken, 75 (EX_TEMPFAIL) has the MTA try again later, 78
    /// (EX_CONFIG) is a configuration to fix.
    pub fn exit_code(&self) -> u8 {
        match self {
            ImipError::Config(_) => 78,
            ImipError::Message(_) | ImipError::Unreadable(_) | ImipError::Refused(_) => 65,
            ImipError::Failed(_) => 75,
        }
    }
}

impl From<dav::DavError> for ImipError {
    fn from(e: dav::DavError) -> Self {
        match e.status {
            http::StatusCode::FORBIDDEN => ImipError::Refused(e.detail),
            _ => ImipError::Failed(e.detail),
        }
    }
}

impl From<store::StoreError> for ImipError {
    fn from(e: store::StoreError) -> Self {
        ImipError::Failed(e.to_string())
    }
}
