//! `calvault undelete | revert | rollback`: put things back from the history. Every restore
//! is planned first (printed; `--dry-run` stops there) and applied as new, recorded writes
//! that clients pick up through normal sync. Works while the server runs.

use clap::Args;
use server::admin::{resolve, Restore};
use store::Store;

use crate::admin::{open_store, StoreArgs};

#[derive(Args, Debug)]
pub struct UndeleteArgs {
    /// USER/CALENDAR/OBJECT (one event), or USER/CALENDAR: with --deleted-since every event
    /// deleted since then, else the deleted calendar itself.
    target: String,
    /// Every event of the calendar deleted at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    deleted_since: Option<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Args, Debug)]
pub struct RevertArgs {
    /// USER/CALENDAR/OBJECT.
    target: String,
    /// A version number (from `calvault history`) or a time (RFC 3339).
    #[arg(long, value_name = "VERSION|TIME")]
    to: String,
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    /// USER/CALENDAR.
    target: String,
    /// The calendar's whole content as it was at this time (RFC 3339).
    #[arg(
        long,
        value_name = "TIME",
        conflicts_with = "client",
        required_unless_present = "client"
    )]
    to: Option<String>,
    /// Undo only what clients whose User-Agent contains this text did (needs --since).
    #[arg(long, value_name = "TEXT", requires = "since")]
    client: Option<String>,
    /// With --client: the changes at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn undelete(args: UndeleteArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store).await?;
    let target = resolve(&*store, &args.target).await?;
    let restore = Restore::undelete(&target, args.deleted_since.as_deref())?;
    run(&*store, restore, args.dry_run).await
}

pub async fn revert(args: RevertArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store).await?;
    let target = resolve(&*store, &args.target).await?;
    run(&*store, Restore::revert(&target, &args.to)?, args.dry_run).await
}

pub async fn rollback(args: RollbackArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store).await?;
    let target = resolve(&*store, &args.target).await?;
    let (to, client, since) = (&args.to, &args.client, &args.since);
    let restore = Restore::rollback(&target, to.as_deref(), client.as_deref(), since.as_deref())?;
    run(&*store, restore, args.dry_run).await
}

/// Prints the plan, then carries it out unless it is a dry run.
async fn run(store: &dyn Store, restore: Restore<'_>, dry_run: bool) -> anyhow::Result<()> {
    let planned = restore.prepare(store).await?;
    println!("{}", planned.plan());
    if dry_run {
        println!("Dry run: nothing changed.");
    }
    if dry_run || planned.changes_nothing() {
        return Ok(());
    }
    let done = planned.carry_out(store).await?;
    let outcome = planned.outcome(&done);
    crate::report(&outcome.failures(), &outcome, outcome.failure_note())
}
