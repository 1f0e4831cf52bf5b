//! Command-line interface: the commands, `serve`'s flags, and which module runs each.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::admin::{load_config, OnStore, StoreArgs};
use crate::backup_tool as tool;
use crate::backup_tool::args as backup;

#[derive(Parser, Debug)]
#[command(
    name = "calvault",
    version,
    about = "A CalDAV server whose calendars cannot be lost"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the CalDAV server (default: http://127.0.0.1:5232/, data in ./calvault-data).
    Serve(ServeArgs),
    /// Manage user accounts.
    User(OnStore<crate::user::UserCommand>),
    /// List, create, delete, import (.ics) and export a user's calendars.
    Calendar(OnStore<crate::calendar::CalendarCommand>),
    /// Manage app passwords (one per device, revocable).
    Token(OnStore<crate::token::TokenCommand>),
    /// Share calendars with users and groups.
    Share(OnStore<crate::share::ShareCommand>),
    /// Manage groups of users, to share with all of them at once.
    Group(OnStore<crate::share::GroupCommand>),
    /// Let someone read or manage all of a user's calendars (an assistant, a family).
    Delegate(OnStore<crate::share::DelegateCommand>),
    /// Scheduling by e-mail: apply a meeting reply that came back as a message.
    Imip(OnStore<crate::mail::ImipCommand>),
    /// Move an installation between stores (SQLite, PostgreSQL), history included.
    #[command(subcommand)]
    Store(crate::store_copy::StoreCommand),
    /// Show, verify and prune the history of every change.
    History(crate::history::HistoryArgs),
    /// Bring back deleted events (or a deleted calendar) as new, recorded writes.
    Undelete(crate::restore::UndeleteArgs),
    /// Put one event back to an earlier version or point in time.
    Revert(crate::restore::RevertArgs),
    /// Put a whole calendar back as it was at a time, or undo what one client did.
    Rollback(crate::restore::RollbackArgs),
    /// Create a backup repository (encrypted; the passphrase comes from CALVAULT_PASSPHRASE,
    /// --passphrase-command or a prompt).
    Init(backup::InitArgs),
    /// Back up every calendar of a CalDAV account (any server) into a repository.
    Backup(backup::BackupArgs),
    /// List the snapshots in a repository.
    Snapshots(backup::SnapshotsArgs),
    /// List a snapshot's calendars, or one calendar's objects.
    Ls(backup::LsArgs),
    /// Print one object of a snapshot, byte for byte.
    Cat(backup::CatArgs),
    /// Show the events added, removed and changed between two snapshots.
    Diff(backup::DiffArgs),
    /// Write a snapshot out as .ics files.
    Export(backup::ExportArgs),
    /// Check a repository's files, blobs and snapshot trees.
    Verify(backup::VerifyArgs),
    /// Forget snapshots, by id or by a keep policy.
    Forget(backup::ForgetArgs),
    /// Delete the data no snapshot uses any more.
    Prune(backup::PruneArgs),
    /// Manage the repository's keys.
    #[command(subcommand)]
    Key(backup::KeyCommand),
    /// Write a snapshot back to a CalDAV server (the same or another one).
    Restore(backup::RestoreArgs),
    /// Copy calendars straight from one CalDAV server to another.
    Migrate(backup::MigrateArgs),
    /// Print a shell completion script (e.g. `calvault completions bash > /etc/bash_completion.d/calvault`).
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), e.g. `calvault man | man -l -`.
    Man,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on [default: 127.0.0.1:5232].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// PEM certificate chain for HTTPS (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (needs --tls-cert).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Log level: error, warn, info, debug or trace.
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<String>,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let mut config = load_config(&args.store)?;
            let tls = args.tls_cert.zip(args.tls_key);
            config.apply_flags(args.listen, tls, args.log_level);
            server::init_logging(&config)?;
            server::run(config).await
        }
        Command::User(on) => crate::user::run(on.command, &on.store).await,
        Command::Calendar(on) => crate::calendar::run(on.command, &on.store).await,
        Command::Token(on) => crate::token::run(on.command, &on.store).await,
        Command::Share(on) => crate::share::share(on.command, &on.store).await,
        Command::Group(on) => crate::share::group(on.command, &on.store).await,
        Command::Delegate(on) => crate::share::delegate(on.command, &on.store).await,
        Command::Imip(on) => crate::mail::run(on.command, &on.store).await,
        Command::Store(cmd) => crate::store_copy::run(cmd).await,
        Command::History(args) => crate::history::run(args).await,
        Command::Undelete(args) => crate::restore::undelete(args).await,
        Command::Revert(args) => crate::restore::revert(args).await,
        Command::Rollback(args) => crate::restore::rollback(args).await,
        Command::Init(args) => tool::init(args),
        Command::Backup(args) => tool::backup(args).await,
        Command::Snapshots(args) => tool::snapshots(args),
        Command::Ls(args) => tool::ls(args),
        Command::Cat(args) => tool::cat(args),
        Command::Diff(args) => tool::diff(args),
        Command::Export(args) => tool::export(args),
        Command::Verify(args) => tool::verify(args),
        Command::Forget(args) => tool::forget(args),
        Command::Prune(args) => tool::prune(args),
        Command::Key(command) => tool::key(command),
        Command::Restore(args) => tool::restore(args).await,
        Command::Migrate(args) => tool::migrate(args).await,
        Command::Completions { shell } => {
            let out = &mut std::io::stdout();
            clap_complete::generate(shell, &mut Cli::command(), "calvault", out);
            Ok(())
        }
        Command::Man => Ok(clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Where the data lives may be said before or after the subcommand, as scripts do.
    #[test]
    fn store_flags_stand_before_or_after_the_subcommand() {
        for line in [
            "calvault user list --data /d",
            "calvault user --data /d list",
            "calvault share --data /d list ann/calendar",
        ] {
            let cli = Cli::try_parse_from(line.split(' ')).unwrap();
            let store = match cli.command {
                Command::User(on) => on.store,
                Command::Share(on) => on.store,
                other => panic!("{line}: {other:?}"),
            };
            assert_eq!(store.data, Some(PathBuf::from("/d")), "{line}");
        }
        let backup = Cli::try_parse_from(["calvault", "snapshots", "--repo", "r", "--data", "/d"]);
        assert!(backup.is_err(), "the backup tool takes no store flags");
    }
}
