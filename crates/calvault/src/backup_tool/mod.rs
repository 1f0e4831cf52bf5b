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

use anyhow::{bail, Context};

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
    if !args.repo.join("config").exists() {
        bail!(
            "there is no calvault repository at {} (create one with `calvault init --repo {}`)",
            args.repo.display(),
            args.repo.display()
        );
    }
    let passphrase = passphrase_source(args).read()?;
    Ok(vault::Repo::open(&args.repo, &passphrase)?)
}

/// A client for an account, and the URL to start from.
fn connect(args: &AccountArgs) -> anyhow::Result<(client::Client, client::Url)> {
    let url = client::Url::parse(&args.url)?;
    let auth = read_auth(args, &url, "CALVAULT_PASSWORD", "--password-command")?;
    Ok((make_client(auth, args.ca_cert.as_deref())?, url))
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

fn make_client(
    auth: client::Auth,
    ca_cert: Option<&std::path::Path>,
) -> anyhow::Result<client::Client> {
    let extra_ca_pem = match ca_cert {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read the CA certificate {}", path.display()))?,
        ),
        None => None,
    };
    Ok(client::Client::new(
        auth,
        client::ClientOptions {
            extra_ca_pem,
            user_agent: Some(format!("calvault-backup/{}", env!("CARGO_PKG_VERSION"))),
        },
    )?)
}
