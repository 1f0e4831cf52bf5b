//! Signing in to a CalDAV account for `backup`, `restore` and `migrate`: Basic credentials
//! (the password from a command, a variable or a prompt, `secrets`) or an OAuth2 bearer
//! token from a command, and a client for the account's URL. (Moved here from the binary,
//! which only hands over its flags.)

use std::path::Path;

use client::{Auth, Client, Url};

use crate::secrets::{SecretError, SecretSource};

/// Why signing in could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Client(#[from] client::Error),
    #[error(transparent)]
    Engine(#[from] crate::Error),
}

impl LoginError {
    /// The engine's exit code for its own errors (`crate::exit`), else [`crate::exit::ERROR`].
    pub fn exit_code(&self) -> u8 {
        match self {
            LoginError::Engine(e) => e.exit_code(),
            _ => crate::exit::ERROR,
        }
    }
}

/// An account as the command line names it.
pub struct Account<'a> {
    pub url: &'a str,
    pub user: &'a str,
    /// Prints the password (else CALVAULT_PASSWORD, else a prompt).
    pub password_command: Option<&'a str>,
    /// Prints a bearer token instead (CALVAULT_BEARER_TOKEN when set).
    pub bearer_token_command: Option<&'a str>,
    /// A PEM CA certificate for a server with a self-signed certificate.
    pub ca_cert: Option<&'a Path>,
}

/// A client for the account, and the URL to start from.
pub fn connect(account: &Account<'_>) -> Result<(Client, Url), LoginError> {
    let url = Url::parse(account.url)?;
    let auth = match account.bearer_token_command {
        Some(command) => {
            let token = SecretSource {
                what: "bearer token",
                env: "CALVAULT_BEARER_TOKEN",
                command: Some(command),
                command_flag: "--bearer-token-command",
            };
            Auth::Bearer(token.read()?)
        }
        None => {
            let secret = ["CALVAULT_PASSWORD", "--password-command"];
            password_auth(account.user, &url, account.password_command, secret)?
        }
    };
    Ok((crate::client_for(auth, account.ca_cert)?, url))
}

/// Basic credentials: the user, and the password from its sources (the command, else the
/// variable `env`, else a prompt; `flag` names the command's flag in messages).
pub fn password_auth(
    user: &str,
    url: &Url,
    command: Option<&str>,
    [env, flag]: [&str; 2],
) -> Result<Auth, LoginError> {
    let what = format!("password of {user} at {}", url.origin());
    let source = SecretSource {
        what: &what,
        env,
        command,
        command_flag: flag,
    };
    let password = source.read()?;
    Ok(Auth::Basic {
        user: user.to_owned(),
        password,
    })
}

/// The target's credentials in a migration: its own sources (`--to-password-command`,
/// CALVAULT_TO_PASSWORD), else the source's password (the same person moving between
/// providers often keeps one password).
pub fn migration_target_auth(
    source: &Auth,
    user: &str,
    url: &Url,
    command: Option<&str>,
) -> Result<Auth, LoginError> {
    let own_password = command.is_some() || std::env::var("CALVAULT_TO_PASSWORD").is_ok();
    match source {
        Auth::Basic { password, .. } if !own_password => Ok(Auth::Basic {
            user: user.to_owned(),
            password: password.clone(),
        }),
        _ => {
            let secret = ["CALVAULT_TO_PASSWORD", "--to-password-command"];
            password_auth(user, url, command, secret)
        }
    }
}
