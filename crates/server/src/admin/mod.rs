//! The administrator's operations, which `calvault user | token | calendar | store copy |
//! history | undelete | revert | rollback` only parse arguments for and print: user
//! accounts, calendars (list, create, delete, import, export), copying a whole
//! installation to another store, looking into the history, and restores from it. The
//! administrator works on the store directly (while the server runs, too), restores
//! regardless of quota, and is recorded in the history as `admin:$USER`.

mod calendars;
mod copy;
mod error;
mod history;
mod quota;
mod restore;
pub mod sharing;
mod target;
mod tokens;
mod users;

pub use calendars::{
    calendar_list, create_calendar, delete_calendar, export, import, ImportSource, Imported,
};
pub use copy::{check_copy, copy, verify, Copied, Verified};
pub use error::AdminError;
pub use history::{changes, deleted, diff, prune, version, Pruned};
pub use quota::{parse_quota, set_quota, QuotaArg, QuotaText, DEFAULT_QUOTA};
pub use restore::{Planned, Restore};
pub use target::{parse_time, resolve, Target};
pub use tokens::{add_token, revoke_token, token_list, TokenList};
pub use users::{
    add_user, check_user_name, ensure_new_user, existing_user, remove_user, set_admin, set_details,
    set_disabled, set_password, Account, UserList, FIRST_CALENDAR,
};

use store::Change;

/// A write by the administrator through `calvault COMMAND`, recorded as made by the
/// account that runs it.
pub fn change(command: &str) -> Change {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    Change {
        author: format!("admin:{who}"),
        client: Some(format!("calvault {command}")),
        address: None,
        locks: None,
    }
}

#[cfg(test)]
mod tests;
