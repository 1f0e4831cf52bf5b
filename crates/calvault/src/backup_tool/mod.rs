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
    let url = client::Url::parse(&args.url)?;
    let auth = match &args.bearer_token_command {
        Some(command) => {
            let token = SecretSource {
                what: "bearer token",
                env: "CALVAULT_BEARER_TOKEN",
                command: Some(command),
                command_flag: "--bearer-token-command",
            };
            client::Auth::Bearer(token.read()?)
        }
        None => {
            let command = args.password_command.as_deref();
            let secret = ["CALVAULT_PASSWORD", "--password-command"];
            password_auth(&args.user, &url, command, secret)?
        }
    };
    Ok((backup::client_for(auth, args.ca_cert.as_deref())?, url))
}

/// Basic credentials: the user, and the password from its sources (the command, else the
/// variable `env`, else a prompt; `flag` names the command's flag in messages).
fn password_auth(
    user: &str,
    url: &client::Url,
    command: Option<&str>,
    [env, flag]: [&str; 2],
) -> anyhow::Result<client::Auth> {
    let what = format!("password of {user} at {}", url.origin());
    let source = SecretSource {
        what: &what,
        env,
        command,
        command_flag: flag,
    };
    let password = source.read()?;
    Ok(client::Auth::Basic {
        user: user.to_owned(),
        password,
    })
}
