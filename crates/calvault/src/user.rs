//! `calvault user ...`: account administration on the store, usable while the server runs.

use backup::secrets::new_password;
use clap::Subcommand;
use server::admin::{self, QuotaArg, QuotaText, UserList, FIRST_CALENDAR};

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
        /// The name others see when this user shares with them (default: the user name).
        #[arg(long)]
        display_name: Option<String>,
        /// The user's quota: bytes, or with a unit (500MB, 2GiB) [default: default_quota].
        #[arg(long, value_name = "SIZE")]
        quota: Option<QuotaArg>,
        /// Make the user an administrator (sees the server's state).
        #[arg(long)]
        admin: bool,
    },
    /// Change a user's display name or e-mail address ("" clears one).
    Set {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// New quota: bytes, with a unit (500MB, 2GiB), or "default" (default_quota).
        #[arg(long, value_name = "SIZE")]
        quota: Option<QuotaArg>,
    },
    /// Disable an account: no sign-in by any way; its data and shares stay.
    Disable { name: String },
    /// Enable a disabled account again.
    Enable { name: String },
    /// Make a user an administrator, or not.
    Admin {
        name: String,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Change a user's password.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Remove a user with all their calendars, events and history.
    Remove { name: String },
}

pub async fn run(cmd: UserCommand, store: &StoreArgs) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            name,
            password_stdin,
            email,
            display_name,
            quota,
            admin: make_admin,
        } => {
            admin::check_user_name(&name)?;
            let config = load_config(store)?;
            let store = server::open_store(&config).await?;
            admin::ensure_new_user(&*store, &name).await?;
            let password = new_password(password_stdin, &format!("password for {name}"))?;
            let account = admin::Account {
                name: name.clone(),
                email,
                display_name,
                quota: quota.and_then(|q| q.0),
                admin: make_admin,
            };
            admin::add_user(&*store, &account, &password).await?;
            println!("Added user {name:?} with a calendar named {FIRST_CALENDAR:?}.");
            println!(
                "Point a calendar app at http://{}/ (user {name}).",
                config.listen
            );
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let store = open_store(store).await?;
            admin::existing_user(&*store, &name).await?;
            let password = new_password(password_stdin, &format!("new password for {name}"))?;
            admin::set_password(&*store, &name, &password).await?;
            println!("Password of {name:?} changed.");
        }
        UserCommand::Set {
            name,
            display_name,
            email,
            quota,
        } => {
            let store = open_store(store).await?;
            if let Some(QuotaArg(quota)) = quota {
                admin::set_quota(&*store, &name, quota).await?;
                let text =
                    quota.map_or("the server's default".into(), |q| QuotaText(q).to_string());
                println!("The quota of {name:?} is now {text}.");
                if display_name.is_none() && email.is_none() {
                    return Ok(());
                }
            }
            let set = admin::set_details(&*store, &name, display_name.as_deref(), email.as_deref());
            let user = set.await?;
            let shown = user.display_name.as_deref().unwrap_or(&user.name);
            let email = user.email.as_deref().unwrap_or("no e-mail address");
            println!("{name:?} is now shown as {shown:?}, {email}.");
        }
        UserCommand::Disable { name } => {
            admin::set_disabled(&*open_store(store).await?, &name, true).await?;
            println!("{name:?} is disabled: it cannot sign in; its data and shares stay.");
        }
        UserCommand::Enable { name } => {
            admin::set_disabled(&*open_store(store).await?, &name, false).await?;
            println!("{name:?} is enabled again.");
        }
        UserCommand::Admin { name, state } => {
            admin::set_admin(&*open_store(store).await?, &name, state == "on").await?;
            println!(
                "{name:?} is {}an administrator.",
                if state == "on" { "" } else { "not " }
            );
        }
        UserCommand::List => {
            let users = open_store(store).await?.list_users().await?;
            println!("{}", UserList(&users));
        }
        UserCommand::Remove { name } => {
            admin::remove_user(&*open_store(store).await?, &name).await?;
            println!("Removed user {name:?} and all their data.");
        }
    }
    Ok(())
}
