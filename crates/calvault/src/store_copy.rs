//! `calvault store copy`: moves a whole installation to another store (SQLite to
//! PostgreSQL, or back), history included, then proves the copy by reading both back.

use anyhow::Context;
use clap::{Args, Subcommand};
use server::{admin, Backend, Location};

use crate::progress::{self, show};

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Copy every user, calendar, event and history row into a new, empty store, then
    /// verify the copy row by row. Stop the server first: the source must not change.
    Copy(CopyArgs),
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// The store to read: sqlite:PATH (a data directory or its calvault.db) or a
    /// postgres:// URL.
    #[arg(long, value_name = "STORE")]
    pub from: String,
    /// The new, empty store to fill (created when it is an SQLite path).
    #[arg(long, value_name = "STORE")]
    pub to: String,
    /// Skip reading both stores back afterwards.
    #[arg(long)]
    pub no_verify: bool,
}

pub async fn run(cmd: StoreCommand) -> anyhow::Result<()> {
    match cmd {
        StoreCommand::Copy(args) => copy_store(args).await,
    }
}

async fn copy_store(args: CopyArgs) -> anyhow::Result<()> {
    let from = Location::parse(&args.from).context("--from")?;
    let to = Location::parse(&args.to).context("--to")?;
    admin::check_copy(&from, &to)?;
    let source = Backend::open(&from).await?;
    let target = Backend::open(&to).await?;
    let bar = progress::counter(0, "copying");
    let copied = admin::copy(&source, &target, &|done, total, _| show(&bar, done, total)).await?;
    bar.finish_and_clear();
    let r = &copied.report;
    println!(
        "Copied {} users, {} collections, {} objects ({}), {} properties and {} history rows \
         from {} to {} in {:.1} s.",
        r.principals,
        r.collections,
        r.objects,
        backup::human_bytes(r.object_bytes),
        r.properties,
        r.versions,
        copied.from,
        copied.to,
        copied.seconds
    );
    if args.no_verify {
        return Ok(());
    }
    let bar = progress::counter(0, "verifying");
    let verified =
        admin::verify(&source, &target, &|done, total, _| show(&bar, done, total)).await?;
    bar.finish_and_clear();
    println!("{verified}");
    Ok(())
}
