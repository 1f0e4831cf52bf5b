//! `calvault share | group | delegate`: who else may see or change a calendar
//! (docs/sharing.md). The operations are `server::admin::sharing`.

use clap::{Args, Subcommand};
use server::admin::{self, sharing};
use store::Privilege;

use crate::admin::{load_config, open_store, StoreArgs};

#[derive(Subcommand, Debug)]
pub enum ShareCommand {
    /// Share OWNER/CALENDAR (or OWNER/* for every calendar) with USER or @GROUP.
    Add {
        calendar: String,
        with: String,
        #[command(flatten)]
        access: Access,
    },
    /// List the shares of OWNER/CALENDAR, or of every calendar of OWNER.
    List { calendar: String },
    /// Stop sharing OWNER/CALENDAR (or OWNER/*) with USER or @GROUP.
    Remove { calendar: String, with: String },
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct Access {
    /// Only when the owner is busy (free-busy queries).
    #[arg(long)]
    free_busy: bool,
    #[arg(long)]
    read: bool,
    #[arg(long)]
    read_write: bool,
    /// Read, write and share further.
    #[arg(long)]
    admin: bool,
}

impl Access {
    fn privilege(&self) -> Privilege {
        match (self.free_busy, self.read, self.read_write) {
            (true, _, _) => Privilege::FreeBusy,
            (_, true, _) => Privilege::Read,
            (_, _, true) => Privilege::ReadWrite,
            _ => Privilege::Admin,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum GroupCommand {
    /// Add a group; members then get whatever is shared with @NAME.
    Add {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Remove a group with its shares.
    Remove { name: String },
    /// List groups and their members.
    List,
    /// Add or remove members.
    #[command(subcommand)]
    Member(MemberCommand),
}

#[derive(Subcommand, Debug)]
pub enum MemberCommand {
    Add { group: String, user: String },
    Remove { group: String, user: String },
}

#[derive(Subcommand, Debug)]
pub enum DelegateCommand {
    /// Let USER read (--read) or read and write (--write) every calendar of OWNER.
    Add {
        owner: String,
        user: String,
        #[arg(long, conflicts_with = "write", required_unless_present = "write")]
        read: bool,
        #[arg(long)]
        write: bool,
    },
    /// List OWNER's delegates.
    List { owner: String },
    /// Take USER's delegation for OWNER back.
    Remove { owner: String, user: String },
}

/// Shares appear in the sharee's home at once unless the server waits for invitations.
fn binds(store: &StoreArgs) -> anyhow::Result<bool> {
    Ok(load_config(store)?.sharing_accept == server::config::SharingAccept::Auto)
}

pub async fn share(cmd: ShareCommand, store: &StoreArgs) -> anyhow::Result<()> {
    let change = admin::change("share");
    match cmd {
        ShareCommand::Add {
            calendar,
            with,
            access,
        } => {
            let bind = binds(store)?;
            let store = open_store(store).await?;
            let on = sharing::shared(&*store, &calendar).await?;
            let p = access.privilege();
            sharing::add_share(&*store, &on, &with, p, bind, &change).await?;
            println!("Shared {} with {with}: {}.", on.describe(), p.as_str());
        }
        ShareCommand::List { calendar } => {
            let store = open_store(store).await?;
            println!("{}", sharing::share_list(&*store, &calendar).await?);
        }
        ShareCommand::Remove { calendar, with } => {
            let store = open_store(store).await?;
            let on = sharing::shared(&*store, &calendar).await?;
            sharing::remove_share(&*store, &on, &with, &change).await?;
            println!("{} is no longer shared with {with}.", on.describe());
        }
    }
    Ok(())
}

pub async fn group(cmd: GroupCommand, store: &StoreArgs) -> anyhow::Result<()> {
    let change = admin::change("group");
    match cmd {
        GroupCommand::Add { name, display_name } => {
            let store = open_store(store).await?;
            sharing::add_group(&*store, &name, display_name.as_deref()).await?;
            println!("Added group {name:?}; share with it as @{name}.");
        }
        GroupCommand::Remove { name } => {
            sharing::remove_group(&*open_store(store).await?, &name, &change).await?;
            println!("Removed group {name:?} and what was shared with it.");
        }
        GroupCommand::List => {
            println!("{}", sharing::group_list(&*open_store(store).await?).await?);
        }
        GroupCommand::Member(MemberCommand::Add { group, user }) => {
            let bind = binds(store)?;
            let store = open_store(store).await?;
            sharing::add_member(&*store, &group, &user, bind, &change).await?;
            println!("{user} is a member of {group}.");
        }
        GroupCommand::Member(MemberCommand::Remove { group, user }) => {
            sharing::remove_member(&*open_store(store).await?, &group, &user, &change).await?;
            println!("{user} is no longer a member of {group}.");
        }
    }
    Ok(())
}

pub async fn delegate(cmd: DelegateCommand, store: &StoreArgs) -> anyhow::Result<()> {
    let change = admin::change("delegate");
    match cmd {
        DelegateCommand::Add {
            owner, user, write, ..
        } => {
            let store = open_store(store).await?;
            let home = sharing::shared(&*store, &format!("{owner}/*")).await?;
            sharing::add_delegate(&*store, &home, &user, write, &change).await?;
            let what = if write { "read and write" } else { "read" };
            println!("{user} may now {what} every calendar of {owner}.");
        }
        DelegateCommand::List { owner } => {
            println!(
                "{}",
                sharing::delegate_list(&*open_store(store).await?, &owner).await?
            );
        }
        DelegateCommand::Remove { owner, user } => {
            let store = open_store(store).await?;
            let home = sharing::shared(&*store, &format!("{owner}/*")).await?;
            sharing::remove_share(&*store, &home, &user, &change).await?;
            println!("{user} is no longer a delegate of {owner}.");
        }
    }
    Ok(())
}
