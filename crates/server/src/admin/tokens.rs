//! App passwords of an account, as the administrator manages them (`calvault token`).

use std::fmt;

use store::{AppToken, Store, StoreError, TokenScope};

use super::{existing_user, AdminError};
use crate::tokens::{self, Secret};

/// Makes an app password; its secret is shown once, here, and stored nowhere.
pub async fn add_token(
    store: &dyn Store,
    user: &str,
    label: &str,
    scope: TokenScope,
) -> Result<(AppToken, Secret), AdminError> {
    let owner = existing_user(store, user).await?;
    let issued = tokens::issue(owner.id, label, scope).map_err(AdminError::BadTokenLabel)?;
    let label = issued.new.label.clone();
    match store.create_token(issued.new).await {
        Err(StoreError::AlreadyExists) => Err(AdminError::TokenExists(user.into(), label)),
        other => Ok((other?, issued.secret)),
    }
}

pub async fn revoke_token(store: &dyn Store, user: &str, label: &str) -> Result<(), AdminError> {
    let owner = existing_user(store, user).await?;
    match store.revoke_token(owner.id, label).await {
        Err(StoreError::NotFound) => Err(AdminError::NoSuchToken(user.into(), label.into())),
        other => Ok(other?),
    }
}

pub async fn token_list(store: &dyn Store, user: &str) -> Result<TokenList, AdminError> {
    let owner = existing_user(store, user).await?;
    Ok(TokenList(store.tokens(owner.id).await?))
}

/// `LABEL\tSCOPE\tcreated TIME\tlast used TIME`, one app password a line.
pub struct TokenList(pub Vec<AppToken>);

impl fmt::Display for TokenList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str(
                "No app passwords. Add one with `calvault token add USER --label LABEL`.",
            );
        }
        let time = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms).map_or_else(
                || ms.to_string(),
                |t| t.format("%Y-%m-%d %H:%M").to_string(),
            )
        };
        for (i, t) in self.0.iter().enumerate() {
            let used = t.last_used_at.map_or_else(|| "never".into(), time);
            let newline = if i > 0 { "\n" } else { "" };
            write!(
                f,
                "{newline}{}\t{}\tcreated {}\tlast used {used}",
                t.label,
                t.scope.as_str(),
                time(t.created_at)
            )?;
        }
        Ok(())
    }
}
