//! The exit code of a failed command: the engine's and the repository's errors carry
//! theirs (`backup::exit`, documented in docs/backup.md; iMIP's, docs/scheduling.md);
//! everything else exits 1.

pub fn code_of(error: &anyhow::Error) -> u8 {
    if let Some(e) = error.downcast_ref::<backup::Error>() {
        return e.exit_code();
    }
    if let Some(e) = error.downcast_ref::<imip::ImipError>() {
        return e.exit_code();
    }
    if let Some(e) = error.downcast_ref::<backup::login::LoginError>() {
        return e.exit_code();
    }
    error
        .downcast_ref::<vault::Error>()
        .map_or(backup::exit::ERROR, backup::exit::of_vault)
}
