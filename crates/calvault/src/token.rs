//! `calvault token ...`: app passwords, one per device (docs/security.md).

use clap::{Subcommand, ValueEnum};
use server::admin;
use store::TokenScope;

use crate::admin::{open_store, StoreArgs};

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Make an app password for a device; it is printed once, on its own line.
    Add {
        user: String,
        /// Names the device, e.g. "Ann's phone".
        #[arg(long)]
        label: String,
        #[arg(long, value_enum, default_value_t = Scope::All)]
        scope: Scope,
    },
    /// List a user's app passwords (never their secrets).
    List { user: String },
    /// Revoke an app password at once, on every node.
    Revoke { user: String, label: String },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Scope {
    All,
    ReadOnly,
}

pub async fn run(cmd: TokenCommand, store: &StoreArgs) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Add { user, label, scope } => {
            let scope = match scope {
                Scope::All => TokenScope::All,
                Scope::ReadOnly => TokenScope::ReadOnly,
            };
            let (_, secret) =
                admin::add_token(&*open_store(store).await?, &user, &label, scope).await?;
            eprintln!(
                "App password {label:?} for {user} (shown only now; use it as the password):"
            );
            println!("{secret}");
        }
        TokenCommand::List { user } => {
            println!(
                "{}",
                admin::token_list(&*open_store(store).await?, &user).await?
            );
        }
        TokenCommand::Revoke { user, label } => {
            admin::revoke_token(&*open_store(store).await?, &user, &label).await?;
            println!("Revoked {user}'s app password {label:?}.");
        }
    }
    Ok(())
}
