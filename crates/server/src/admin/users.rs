//! User accounts: names, passwords (stored as Argon2id hashes, see `password.rs`), the
//! first calendar a new account gets, and the account listing.

use std::fmt;

use store::{NewUser, Store, StoreError, User};

use super::AdminError;
use crate::password;

/// The calendar every new account starts with.
pub const FIRST_CALENDAR: &str = "Calendar";

/// User names become URL segments and log fields: keep them plain.
pub fn check_user_name(name: &str) -> Result<(), AdminError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    match ok {
        true => Ok(()),
        false => Err(AdminError::BadUserName(name.to_owned())),
    }
}

/// Refuses a name an account has already (before asking for a password).
pub async fn ensure_new_user(store: &dyn Store, name: &str) -> Result<(), AdminError> {
    match store.account_by_name(name).await? {
        Some(_) => Err(AdminError::UserExists(name.to_owned())),
        None => Ok(()),
    }
}

/// The account of that name, which must exist (enabled or disabled).
pub async fn existing_user(store: &dyn Store, name: &str) -> Result<User, AdminError> {
    store
        .account_by_name(name)
        .await?
        .ok_or_else(|| AdminError::NoSuchUser(name.to_owned()))
}

/// A new account, apart from its password.
#[derive(Clone, Debug, Default)]
pub struct Account {
    pub name: String,
    pub email: Option<String>,
    /// The name others see when they share with this user; the user name when None.
    pub display_name: Option<String>,
    /// None: the server's default.
    pub quota: Option<u64>,
    pub admin: bool,
}

impl Account {
    pub fn named(name: &str) -> Account {
        Account {
            name: name.to_owned(),
            ..Account::default()
        }
    }
}

/// Creates the account with its [`FIRST_CALENDAR`].
pub async fn add_user(
    store: &dyn Store,
    account: &Account,
    password: &str,
) -> Result<User, AdminError> {
    let new = NewUser {
        name: account.name.clone(),
        email: account.email.clone(),
        password_hash: password::hash(password).map_err(AdminError::PasswordHash)?,
        quota_bytes: account.quota,
        first_calendar: Some(FIRST_CALENDAR.into()),
        admin: account.admin,
        display_name: account.display_name.clone(),
    };
    match store.create_user(new).await {
        Err(StoreError::AlreadyExists) => {
            Err(AdminError::UserCreatedMeanwhile(account.name.clone()))
        }
        other => Ok(other?),
    }
}

pub async fn set_password(store: &dyn Store, name: &str, password: &str) -> Result<(), AdminError> {
    let hash = password::hash(password).map_err(AdminError::PasswordHash)?;
    Ok(store.set_password(name, &hash).await?)
}

/// Changes how others see an account: a None leaves that detail as it is, an empty text
/// clears it.
pub async fn set_details(
    store: &dyn Store,
    name: &str,
    display_name: Option<&str>,
    email: Option<&str>,
) -> Result<User, AdminError> {
    let user = existing_user(store, name).await?;
    let pick = |new: Option<&str>, old: Option<String>| match new {
        Some("") => None,
        Some(new) => Some(new.to_owned()),
        None => old,
    };
    let display_name = pick(display_name, user.display_name);
    let email = pick(email, user.email);
    let set = store.set_details(name, display_name.as_deref(), email.as_deref());
    set.await?;
    existing_user(store, name).await
}

/// Makes an account an administrator (it may see the server's state), or not.
pub async fn set_admin(store: &dyn Store, name: &str, admin: bool) -> Result<(), AdminError> {
    match store.set_admin(name, admin).await {
        Err(StoreError::NotFound) => Err(AdminError::NoSuchUser(name.to_owned())),
        other => Ok(other?),
    }
}

/// Disables an account (no sign-in by any way, data and shares kept) or enables it again.
pub async fn set_disabled(store: &dyn Store, name: &str, disabled: bool) -> Result<(), AdminError> {
    match store.set_disabled(name, disabled).await {
        Err(StoreError::NotFound) => Err(AdminError::NoSuchUser(name.to_owned())),
        other => Ok(other?),
    }
}

/// Removes the account with all its calendars, events and history.
pub async fn remove_user(store: &dyn Store, name: &str) -> Result<(), AdminError> {
    match store.remove_user(name).await {
        Err(StoreError::NotFound) => Err(AdminError::NoUserToRemove(name.to_owned())),
        other => Ok(other?),
    }
}

/// `NAME\tEMAIL\tquota N bytes`, one account a line (then `administrator`, `disabled`
/// where they apply), or how to add the first.
pub struct UserList<'a>(pub &'a [User]);

impl fmt::Display for UserList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("No users. Add one with `calvault user add NAME`.");
        }
        for (i, u) in self.0.iter().enumerate() {
            let quota = u
                .quota_bytes
                .map(|q| format!("quota {q} bytes"))
                .unwrap_or_default();
            let newline = if i > 0 { "\n" } else { "" };
            let email = u.email.as_deref().unwrap_or("-");
            let admin = if u.admin { "\tadministrator" } else { "" };
            let disabled = if u.disabled { "\tdisabled" } else { "" };
            write!(f, "{newline}{}\t{email}\t{quota}{admin}{disabled}", u.name)?;
        }
        Ok(())
    }
}
