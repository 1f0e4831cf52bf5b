//! Exit codes a script can rely on (the table is in docs/backup.md): what each of the
//! engine's and the repository's errors means to a caller that only sees a number.

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

impl crate::Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            crate::Error::Partial(_) => PARTIAL,
            crate::Error::Conflicts { .. } => CONFLICTS,
            crate::Error::Damaged(_) => DAMAGED,
            crate::Error::Vault(e) => of_vault(e),
            _ => ERROR,
        }
    }
}

/// The exit code of a repository error.
pub fn of_vault(error: &vault::Error) -> u8 {
    match error {
        vault::Error::WrongPassphrase { .. } => WRONG_PASSPHRASE,
        vault::Error::Locked { .. } => LOCKED,
        _ => ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn each_outcome_a_script_tells_apart_has_its_code() {
        assert_eq!(
            Error::Partial("2 calendars failed".into()).exit_code(),
            PARTIAL
        );
        assert_eq!(Error::Conflicts { count: 1 }.exit_code(), CONFLICTS);
        assert_eq!(Error::Damaged("1 problem".into()).exit_code(), DAMAGED);
        assert_eq!(Error::NoCalendars.exit_code(), ERROR);
        let locked = vault::Error::Locked {
            holder: "host 1".into(),
        };
        assert_eq!(Error::Vault(locked).exit_code(), LOCKED);
        assert_eq!(
            of_vault(&vault::Error::WrongPassphrase { tried: 1 }),
            WRONG_PASSPHRASE
        );
    }
}
