//! `calvault user ...`: account administration on the store, usable while the server runs.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};
use clap::Subcommand;
use server::admin::{self, UserList, FIRST_CALENDAR};

use crate::admin::{load_config, open_store, StoreArgs};

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
            admin::check_user_name(&name)?;
            let config = load_config(&store)?;
            let store = server::open_store(&config).await?;
            admin::ensure_new_user(&*store, &name).await?;
            let password = read_password(password_stdin, &format!("Password for {name}: "))?;
            admin::add_user(&*store, &name, email, quota, &password).await?;
            println!("Added user {name:?} with a calendar named {FIRST_CALENDAR:?}.");
            println!(
                "Point a calendar app at http://{}/ (user {name}).",
                config.listen
            );
        }
        UserCommand::Passwd {
            name,
            password_stdin,
            store,
        } => {
            let store = open_store(&store).await?;
            admin::existing_user(&*store, &name).await?;
            let password = read_password(password_stdin, &format!("New password for {name}: "))?;
            admin::set_password(&*store, &name, &password).await?;
            println!("Password of {name:?} changed.");
        }
        UserCommand::List { store } => {
            let users = open_store(&store).await?.list_users().await?;
            println!("{}", UserList(&users));
        }
        UserCommand::Remove { name, store } => {
            admin::remove_user(&*open_store(&store).await?, &name).await?;
            println!("Removed user {name:?} and all their data.");
        }
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
