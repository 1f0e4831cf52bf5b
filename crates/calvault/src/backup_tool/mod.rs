//! The backup tool's commands (`init`, `backup`, `snapshots`, `ls`, `cat`, `diff`,
//! `export`, `verify`, `forget`, `prune`, `key passwd`, `restore`, `migrate`): arguments,
//! secrets and printing around the `backup` engine crate. See docs/backup.md.

pub mod args;
mod browse;
pub mod exit;
mod maintain;
mod restore;
mod secrets;
mod take;

pub use browse::{cat, diff, export, ls, snapshots};
pub use maintain::{forget, init, key, prune, verify};
pub use restore::{migrate, restore};
pub use take::backup;

use args::{AccountArgs, RepoArgs};
use secrets::SecretSource;

fn passphrase_source(args: &RepoArgs) -> SecretSource<'_> {
    SecretSource {
        what: "repository passphrase",
        env: "CALVAULT_PASSPHRASE",
        command: args.passphrase_command.as_deref(),
        command_flag: "--passphrase-command",
    }
}

/// Opens the repository with the passphrase from its sources.
fn open_repo(args: &RepoArgs) -> anyhow::Result<vault::Repo> {
    backup::check_repository(&args.repo)?;
    let passphrase = passphrase_source(args).read()?;
    Ok(vault::Repo::open(&args.repo, &passphrase)?)
}

/// A client for an account, and the URL to start from.
fn connect(args: &AccountArgs) -> anyhow::Result<(client::Client, client::Url)> {
    let url = client::Url::parse(&args.url)?;
    let auth = read_auth(args, &url, "CALVAULT_PASSWORD", "--password-command")?;
    Ok((backup::client_for(auth, args.ca_cert.as_deref())?, url))
}

/// The account's credentials, from its token command or its password sources.
fn read_auth(
    args: &AccountArgs,
    url: &client::Url,
    password_env: &str,
    password_flag: &str,
) -> anyhow::Result<client::Auth> {
    if let Some(command) = &args.bearer_token_command {
        let token = SecretSource {
            what: "bearer token",
            env: "CALVAULT_BEARER_TOKEN",
            command: Some(command),
            command_flag: "--bearer-token-command",
        }
        .read()?;
        return Ok(client::Auth::Bearer(token));
    }
    let password = SecretSource {
        what: &format!("password of {} at {}", args.user, url.origin()),
        env: password_env,
        command: args.password_command.as_deref(),
        command_flag: password_flag,
    }
    .read()?;
    Ok(client::Auth::Basic {
        user: args.user.clone(),
        password,
    })
}
