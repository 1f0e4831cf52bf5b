//! `calvault history ...`: who changed what and when, one version, a diff, the chain check,
//! retention and size. Works on the data directory while the server runs.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dav::history::{self, Changes, DeletedText, DiffText, StatsText, VersionText};
use server::admin::{self, parse_time, resolve};

use crate::admin::{open_store, StoreArgs};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    #[command(subcommand)]
    command: Option<HistoryCommand>,
    /// USER, USER/CALENDAR or USER/CALENDAR/OBJECT: whose changes to list, newest first.
    target: Option<String>,
    #[command(flatten)]
    filter: ListFilter,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Args, Debug, Default)]
struct ListFilter {
    /// Only changes at or after this time (RFC 3339, e.g. 2026-11-21T13:50:00Z).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only changes by clients whose User-Agent contains this text (any case).
    #[arg(long, value_name = "TEXT")]
    client: Option<String>,
    /// At most this many changes.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// JSON lines instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum HistoryCommand {
    /// One version: who, when, what, and its data.
    Show {
        version: i64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// What changed between two versions of an object, property by property.
    Diff {
        older: i64,
        newer: i64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Recompute every calendar's hash chain; names the first entry that does not match.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List a user's deleted calendars (bring one back with `calvault undelete USER/CAL`).
    Deleted {
        user: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Drop the data of versions older than TIME that later versions replaced (recorded;
    /// the current state of everything and every sync token stay as they are).
    Prune {
        #[arg(long, value_name = "TIME")]
        older_than: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// How big the history is, per calendar.
    Stats {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn run(args: HistoryArgs) -> anyhow::Result<()> {
    use HistoryCommand as C;
    let Some(command) = args.command else {
        let target = args
            .target
            .context("name whose history to show: calvault history USER[/CALENDAR[/OBJECT]]")?;
        return list(&args.store, &target, &args.filter).await;
    };
    match command {
        C::Show {
            version,
            json,
            store,
        } => show(&store, version, json).await,
        C::Diff {
            older,
            newer,
            json,
            store,
        } => diff(&store, older, newer, json).await,
        C::Verify { store } => verify(&store).await,
        C::Deleted { user, store } => deleted(&store, &user).await,
        C::Prune { older_than, store } => {
            let pruned = admin::prune(&*open_store(&store).await?, &older_than).await?;
            println!("{pruned}");
            Ok(())
        }
        C::Stats { json, store } => stats(&store, json).await,
    }
}

async fn list(args: &StoreArgs, target: &str, filter: &ListFilter) -> anyhow::Result<()> {
    let store = open_store(args).await?;
    let target = resolve(&*store, target).await?;
    let collections = target.collections(&*store).await?;
    let wanted = history::Filter {
        object: target.object.clone(),
        since: filter.since.as_deref().map(parse_time).transpose()?,
        client: filter.client.clone(),
        limit: filter.limit,
    };
    let all = history::list(&*store, &collections, &wanted).await?;
    match filter.json {
        true => all.iter().for_each(|e| println!("{}", e.to_json())),
        false => println!("{}", Changes(&all)),
    }
    Ok(())
}

async fn show(args: &StoreArgs, id: i64, json: bool) -> anyhow::Result<()> {
    let v = admin::version(&*open_store(args).await?, id).await?;
    match json {
        true => println!("{}", history::version_json(&v)),
        false => println!("{}", VersionText(&v)),
    }
    Ok(())
}

async fn diff(args: &StoreArgs, older: i64, newer: i64, json: bool) -> anyhow::Result<()> {
    let changes = admin::diff(&*open_store(args).await?, older, newer).await?;
    match json {
        true => println!("{}", history::diff_json(&changes)),
        false => println!(
            "{}",
            DiffText {
                older,
                newer,
                changes: &changes
            }
        ),
    }
    Ok(())
}

async fn verify(args: &StoreArgs) -> anyhow::Result<()> {
    let check = history::check_chains(&*open_store(args).await?).await?;
    for broken in &check.broken {
        eprintln!("calvault: {broken}");
    }
    if !check.is_intact() {
        bail!("{check}");
    }
    println!("{check}");
    Ok(())
}

async fn deleted(args: &StoreArgs, user: &str) -> anyhow::Result<()> {
    let store = open_store(args).await?;
    let target = resolve(&*store, user).await?;
    let calendars = history::deleted_calendars(&*store, target.user.id).await?;
    println!(
        "{}",
        DeletedText {
            user,
            calendars: &calendars
        }
    );
    Ok(())
}

async fn stats(args: &StoreArgs, json: bool) -> anyhow::Result<()> {
    let stats = history::stats(&*open_store(args).await?).await?;
    match json {
        true => stats.iter().for_each(|s| println!("{}", s.to_json())),
        false => println!("{}", StatsText(&stats)),
    }
    Ok(())
}
