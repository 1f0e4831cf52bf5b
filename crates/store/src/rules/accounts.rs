//! Accounts: who may sign in. A disabled account is refused by every way in — its
//! password, its app passwords, a browser session it already has — and keeps everything
//! else: its calendars, their history, and the shares it gave (its sharees go on reading
//! and writing what it shares; docs/sharing.md). Enabling it again restores the access.

use crate::User;

/// Whether the account may sign in (CalDAV Basic with its password or an app password,
/// the web interface, a session it already has).
pub fn may_sign_in(user: &User) -> bool {
    !user.disabled
}

/// The account behind a sign-in lookup, when it may sign in.
pub fn signing_in<T>(found: Option<(User, T)>) -> Option<(User, T)> {
    found.filter(|(user, _)| may_sign_in(user))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn user(disabled: bool) -> User {
        User {
            id: 1,
            name: "ann".into(),
            display_name: None,
            email: None,
            password_hash: String::new(),
            quota_bytes: None,
            created_at: 0,
            admin: false,
            disabled,
        }
    }

    #[test]
    fn a_disabled_account_cannot_sign_in_and_an_enabled_one_can() {
        assert!(may_sign_in(&user(false)));
        assert!(!may_sign_in(&user(true)));
        assert!(signing_in(Some((user(false), 7))).is_some());
        assert!(signing_in(Some((user(true), 7))).is_none());
        assert!(signing_in::<()>(None).is_none());
    }
}
