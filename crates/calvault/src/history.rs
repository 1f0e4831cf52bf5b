//! `calvault history ...`: who changed what and when, one version, a diff, the chain check,
//! retention and size. Works on the data directory while the server runs.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dav::history::{self, Changes, StatsText};
use server::admin;

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
    },
    /// What changed between two versions of an object, property by property.
    Diff {
        older: i64,
        newer: i64,
        #[arg(long)]
        json: bool,
    },
    /// Recompute every calendar's hash chain; names the first entry that does not match.
    Verify,
    /// List a user's deleted calendars (bring one back with `calvault undelete USER/CAL`).
    Deleted { user: String },
    /// Drop the data of versions older than TIME that later versions replaced (recorded;
    /// the current state of everything and every sync token stay as they are).
    Prune {
        #[arg(long, value_name = "TIME")]
        older_than: String,
    },
    /// How big the history is, per calendar.
    Stats {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(args: HistoryArgs) -> anyhow::Result<()> {
    use HistoryCommand as C;
    let Some(command) = args.command else {
        let target = args
            .target
            .context("name whose history to show: calvault history USER[/CALENDAR[/OBJECT]]")?;
        let store = open_store(&args.store).await?;
        let f = args.filter;
        let all = admin::changes(&*store, &target, f.since.as_deref(), f.client, f.limit).await?;
        match f.json {
            true => all.iter().for_each(|e| println!("{}", e.to_json())),
            false => println!("{}", Changes(&all)),
        }
        return Ok(());
    };
    let store = &args.store;
    match command {
        C::Show { version, json } => {
            let store = open_store(store).await?;
            let v = admin::version(&*store, version).await?;
            // A merge shows what it joined: base, theirs, ours and the result.
            let shown = history::show(&*store, v).await?;
            match json {
                true => println!("{}", shown.to_json()),
                false => println!("{shown}"),
            }
        }
        C::Diff { older, newer, json } => {
            let diff = admin::diff(&*open_store(store).await?, older, newer).await?;
            match json {
                true => println!("{}", diff.to_json()),
                false => println!("{diff}"),
            }
        }
        C::Verify => {
            let check = history::check_chains(&*open_store(store).await?).await?;
            for broken in &check.broken {
                eprintln!("calvault: {broken}");
            }
            if !check.is_intact() {
                bail!("{check}");
            }
            println!("{check}");
        }
        C::Deleted { user } => {
            println!(
                "{}",
                admin::deleted(&*open_store(store).await?, &user).await?
            );
        }
        C::Prune { older_than } => {
            println!(
                "{}",
                admin::prune(&*open_store(store).await?, &older_than).await?
            );
        }
        C::Stats { json } => {
            let stats = history::stats(&*open_store(store).await?).await?;
            match json {
                true => stats.iter().for_each(|s| println!("{}", s.to_json())),
                false => println!("{}", StatsText(&stats)),
            }
        }
    }
    Ok(())
}
