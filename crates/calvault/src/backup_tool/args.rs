//! The backup tool's command lines. Names and flags are the contract of issue 5.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// The repository and how to open it.
#[derive(Args, Debug, Clone)]
pub struct RepoArgs {
    /// The backup repository (a directory).
    #[arg(long, value_name = "PATH", env = "CALVAULT_REPO")]
    pub repo: PathBuf,
    /// A command that prints the repository passphrase (instead of CALVAULT_PASSPHRASE or
    /// a prompt).
    #[arg(long, value_name = "COMMAND")]
    pub passphrase_command: Option<String>,
}

/// A CalDAV account to read from or write to.
#[derive(Args, Debug, Clone)]
pub struct AccountArgs {
    /// The server: a bare URL is enough (https://dav.example.com/); discovery finds the
    /// calendars. A calendar's own URL selects that calendar alone.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The account's user name.
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// A command that prints the account's password (instead of CALVAULT_PASSWORD or a
    /// prompt).
    #[arg(long, value_name = "COMMAND")]
    pub password_command: Option<String>,
    /// A command that prints an OAuth2 bearer token (for providers without passwords).
    #[arg(long, value_name = "COMMAND", conflicts_with = "password_command")]
    pub bearer_token_command: Option<String>,
    /// A PEM file with the CA certificate of a server whose certificate is self-signed.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub account: AccountArgs,
    /// Back up only this calendar (its URL name or display name); repeatable.
    #[arg(long = "calendar", value_name = "NAME")]
    pub calendars: Vec<String>,
    /// Keep only objects with an occurrence at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Keep only objects with an occurrence before this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Keep only objects of this component type; repeatable.
    #[arg(long = "component", value_name = "TYPE", ignore_case = true,
        value_parser = ["VEVENT", "VTODO", "VJOURNAL"])]
    pub components: Vec<String>,
    /// Compare every object's ETag this run instead of trusting sync tokens.
    #[arg(long)]
    pub full: bool,
    /// Also back up calendars other people share with this account (by default they are
    /// left to their owner's backup).
    #[arg(long)]
    pub include_shared: bool,
    /// Compare every object's ETag every N runs, because some servers' sync tokens miss
    /// changes.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub full_every: u32,
}

#[derive(Args, Debug)]
pub struct SnapshotsArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct LsArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// A snapshot id (a unique prefix is enough) or `latest`.
    pub snapshot: String,
    /// List this calendar's objects instead of the calendars.
    pub calendar: Option<String>,
}

#[derive(Args, Debug)]
pub struct CatArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    pub snapshot: String,
    /// CALENDAR/NAME.ics, an object's href, or its UID.
    pub object: String,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    pub snapshot_a: String,
    pub snapshot_b: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    pub snapshot: String,
    /// The directory to write into (created if missing; existing files are not replaced).
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    /// One file per object (DIR/CALENDAR/NAME.ics) instead of one .ics per calendar.
    #[arg(long)]
    pub per_object: bool,
    /// Export only this calendar; repeatable.
    #[arg(long = "calendar", value_name = "NAME")]
    pub calendars: Vec<String>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Also decrypt every blob and check its authentication tag and id.
    #[arg(long)]
    pub read_data: bool,
}

#[derive(Args, Debug)]
pub struct ForgetArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Snapshots to forget (ids, prefixes or `latest`), besides any a policy selects.
    pub snapshots: Vec<String>,
    #[arg(long, value_name = "N")]
    pub keep_last: Option<u32>,
    #[arg(long, value_name = "N")]
    pub keep_daily: Option<u32>,
    #[arg(long, value_name = "N")]
    pub keep_weekly: Option<u32>,
    #[arg(long, value_name = "N")]
    pub keep_monthly: Option<u32>,
    /// Prune right after forgetting.
    #[arg(long)]
    pub prune: bool,
    /// Print what would be forgotten and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Change the repository passphrase (the data is not re-encrypted: the master key is
    /// wrapped anew).
    Passwd {
        #[command(flatten)]
        repo: RepoArgs,
        /// A command that prints the new passphrase (instead of CALVAULT_NEW_PASSPHRASE or a
        /// prompt).
        #[arg(long, value_name = "COMMAND")]
        new_passphrase_command: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnConflict {
    /// Leave the target's object alone and report it.
    Skip,
    /// Replace the target's object (with If-Match on the version seen).
    Overwrite,
    /// Replace it only when the backed-up object is newer (LAST-MODIFIED, then DTSTAMP).
    Newer,
    /// Stop before writing anything when there is any conflict.
    Fail,
}

/// What a restore or a migration writes and how.
#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    /// Restore only calendar A, or A into B on the target; repeatable.
    #[arg(long = "calendar", value_name = "A[:B]")]
    pub calendars: Vec<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// What to do with an object the target holds in another version.
    #[arg(long, value_enum, default_value_t = OnConflict::Skip)]
    pub on_conflict: OnConflict,
    /// Also delete objects the target holds that the source does not (never without this).
    #[arg(long)]
    pub mirror: bool,
    /// Share each calendar again with the people it was shared with (on a target that
    /// supports CalendarServer sharing).
    #[arg(long)]
    pub with_shares: bool,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    pub snapshot: String,
    #[command(flatten)]
    pub account: AccountArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The server to copy from (bare URL or a calendar's URL).
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// The server to copy to.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The user on the source server.
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// The user on the target server [default: --user].
    #[arg(long, value_name = "NAME")]
    pub to_user: Option<String>,
    /// A command printing the source password (else CALVAULT_PASSWORD or a prompt).
    #[arg(long, value_name = "COMMAND")]
    pub password_command: Option<String>,
    /// A command printing the target password (else CALVAULT_TO_PASSWORD, then the source
    /// password).
    #[arg(long, value_name = "COMMAND")]
    pub to_password_command: Option<String>,
    /// A PEM CA certificate trusted for both servers.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    #[command(flatten)]
    pub plan: PlanArgs,
}
