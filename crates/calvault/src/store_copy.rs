//! `calvault store copy`: moves a whole installation to another store (SQLite to
//! PostgreSQL, or back), history included, then proves the copy by reading both back.

use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use server::{Backend, Location};
use store::dump::{copy, verify_copy};

use crate::progress;

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
    if from == to {
        bail!("--from and --to name the same store");
    }
    if let Location::Sqlite(path) = &from {
        if !path.exists() {
            bail!("there is no SQLite database at {} (--from)", path.display());
        }
    }
    let source = Backend::open(&from).await?;
    let target = Backend::open(&to).await?;
    let started = Instant::now();
    let bar = progress::counter(0, "copying");
    let report = copy(source.dump(), target.dump(), &|done, total, _| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await
    .map_err(|e| {
        anyhow::anyhow!(
            "{e}\nThe copy into {} stopped part way: empty that store (for PostgreSQL, drop \
             and create the database again) before trying again.",
            to.describe()
        )
    })?;
    bar.finish_and_clear();
    println!(
        "Copied {} users, {} collections, {} objects ({}), {} properties and {} history rows \
         from {} to {} in {:.1} s.",
        report.principals,
        report.collections,
        report.objects,
        backup::human_bytes(report.object_bytes),
        report.properties,
        report.versions,
        from.describe(),
        to.describe(),
        started.elapsed().as_secs_f64()
    );
    if args.no_verify {
        return Ok(());
    }
    let started = Instant::now();
    let bar = progress::counter(0, "verifying");
    verify_copy(source.dump(), target.dump(), &|done, total, _| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await
    .context("verification failed (was the source changed during the copy?)")?;
    bar.finish_and_clear();
    let chains = verify_chains(&target).await?;
    println!(
        "Verified: both stores hold the same rows, and the {chains} history chains of the copy \
         verify ({:.1} s).",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Checks the hash chain of every collection in the copy; returns how many there are.
async fn verify_chains(store: &Backend) -> anyhow::Result<usize> {
    let (calendars, _, broken) = crate::history::check_chains(&**store).await?;
    if let Some((c, e)) = broken.first() {
        bail!(
            "the history chain of {}/{} does not verify in the copy: version {} (seq {}): {}",
            c.owner_name,
            c.collection.path,
            e.id,
            e.seq,
            e.reason
        );
    }
    Ok(calendars)
}
