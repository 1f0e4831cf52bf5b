//! Exit codes a script can rely on (documented in docs/backup.md). Errors that carry one
//! are [`Failure`]s or typed errors of the engine and the repository; everything else
//! exits 1.

/// Something went wrong and nothing (more) was done.
pub const ERROR: u8 = 1;
/// The work finished, but some calendars or objects failed; each is named in the output.
pub const PARTIAL: u8 = 3;
/// `restore --on-conflict fail` found conflicts; nothing was written.
pub const CONFLICTS: u8 = 4;
/// `verify` found damage in the repository.
pub const DAMAGED: u8 = 5;
/// The passphrase does not open the repository.
pub const WRONG_PASSPHRASE: u8 = 6;
/// Another calvault process holds the repository's lock.
pub const LOCKED: u8 = 7;

/// An error with a specific exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

pub fn failure(code: u8, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        code,
        message: message.into(),
    })
}

/// The exit code for an error from any command.
pub fn code_of(error: &anyhow::Error) -> u8 {
    if let Some(f) = error.downcast_ref::<Failure>() {
        return f.code;
    }
    let from_vault = match error.downcast_ref::<backup::Error>() {
        Some(backup::Error::Conflicts { .. }) => return CONFLICTS,
        Some(backup::Error::Vault(e)) => Some(e),
        _ => error.downcast_ref::<vault::Error>(),
    };
    match from_vault {
        Some(vault::Error::WrongPassphrase { .. }) => WRONG_PASSPHRASE,
        Some(vault::Error::Locked { .. }) => LOCKED,
        _ => ERROR,
    }
}
