//! `calvault user ...`: account administration on the store, usable while the server runs.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};
use clap::Subcommand;
use store::{NewUser, StoreError};

use crate::admin::{load_config, StoreArgs};

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user (with one calendar named "Calendar").
    Add {
        name: String,
        /// Read the password as one line from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// The user's e-mail address (their calendar-user-address, for invitations).
        #[arg(long)]
        email: Option<String>,
        /// The user's quota in bytes (default: the server's default_quota).
        #[arg(long, value_name = "BYTES")]
        quota: Option<u64>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Change a user's password.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List users.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove a user with all their calendars, events and history.
    Remove {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn run(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            name,
            password_stdin,
            email,
            quota,
            store,
        } => {
            check_name(&name)?;
            let config = load_config(&store)?;
            let store = server::open_store(&config).await?;
            if store.user_by_name(&name).await?.is_some() {
                bail!("user {name:?} already exists; use `calvault user passwd {name}` to change the password");
            }
            let password = read_password(password_stdin, &format!("Password for {name}: "))?;
            let hash = server::password::hash(&password).map_err(anyhow::Error::msg)?;
            match store
                .create_user(NewUser {
                    name: name.clone(),
                    email,
                    password_hash: hash,
                    quota_bytes: quota,
                    first_calendar: Some("Calendar".into()),
                    admin: false,
                })
                .await
            {
                Ok(_) => {}
                Err(StoreError::AlreadyExists) => bail!("user {name:?} already exists"),
                Err(e) => return Err(e.into()),
            }
            println!("Added user {name:?} with a calendar named \"Calendar\".");
            println!(
                "Point a calendar app at http://{}/ (user {name}).",
                config.listen
            );
            Ok(())
        }
        UserCommand::Passwd {
            name,
            password_stdin,
            store,
        } => {
            let config = load_config(&store)?;
            let store = server::open_store(&config).await?;
            if store.user_by_name(&name).await?.is_none() {
                bail!("there is no user {name:?} (see `calvault user list`)");
            }
            let password = read_password(password_stdin, &format!("New password for {name}: "))?;
            let hash = server::password::hash(&password).map_err(anyhow::Error::msg)?;
            store.set_password(&name, &hash).await?;
            println!("Password of {name:?} changed.");
            Ok(())
        }
        UserCommand::List { store } => {
            let config = load_config(&store)?;
            let store = server::open_store(&config).await?;
            let users = store.list_users().await?;
            if users.is_empty() {
                println!("No users. Add one with `calvault user add NAME`.");
            }
            for u in users {
                let quota = u
                    .quota_bytes
                    .map(|q| format!("quota {q} bytes"))
                    .unwrap_or_default();
                println!(
                    "{}\t{}\t{}",
                    u.name,
                    u.email.as_deref().unwrap_or("-"),
                    quota
                );
            }
            Ok(())
        }
        UserCommand::Remove { name, store } => {
            let config = load_config(&store)?;
            let store = server::open_store(&config).await?;
            match store.remove_user(&name).await {
                Ok(()) => {
                    println!("Removed user {name:?} and all their data.");
                    Ok(())
                }
                Err(StoreError::NotFound) => bail!("there is no user {name:?}"),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// User names become URL segments and log fields: keep them plain.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !ok {
        bail!("user names are 1-64 characters of letters, digits, '.', '_', '-' or '@'; {name:?} is not");
    }
    Ok(())
}

fn read_password(from_stdin: bool, prompt: &str) -> anyhow::Result<String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password(prompt).context("cannot read the password")?;
        let again =
            rpassword::prompt_password("Repeat it: ").context("cannot read the password")?;
        if first != again {
            bail!("the two passwords differ; nothing was changed");
        }
        first
    };
    if password.is_empty() {
        bail!("the password is empty; nothing was changed");
    }
    Ok(password)
}
