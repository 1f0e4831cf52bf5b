//! The backup tool's commands (`init`, `backup`, `snapshots`, `ls`, `cat`, `diff`,
//! `export`, `verify`, `forget`, `prune`, `key passwd`, `restore`, `migrate`): arguments,
//! secrets and printing around the `backup` engine crate. See docs/backup.md.

pub mod args;
mod browse;
pub mod exit;
mod maintain;
mod restore;
mod take;

pub use browse::{cat, diff, export, ls, snapshots};
pub use maintain::{forget, init, key, prune, verify};
pub use restore::{migrate, restore};
pub use take::backup;

use args::{AccountArgs, RepoArgs};
use backup::secrets::SecretSource;

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
    let account = backup::login::Account {
        url: &args.url,
        user: &args.user,
        password_command: args.password_command.as_deref(),
        bearer_token_command: args.bearer_token_command.as_deref(),
        ca_cert: args.ca_cert.as_deref(),
    };
    Ok(backup::login::connect(&account)?)
}
