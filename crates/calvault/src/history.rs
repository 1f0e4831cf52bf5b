//! `calvault history ...`: who changed what and when, one version, a diff, the chain check,
//! retention and size. Works on the data directory while the server runs.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dav::history::{self, diff_versions, rfc3339};
use store::history::verify_chain;
use store::history::ChainBreak;
use store::{HistoryCollection, Store};

use crate::admin::{self, StoreArgs};
use crate::target::{parse_time, resolve};

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
    match args.command {
        None => {
            let target = args
                .target
                .context("name whose history to show: calvault history USER[/CALENDAR[/OBJECT]]")?;
            list(&args.store, &target, &args.filter).await
        }
        Some(HistoryCommand::Show {
            version,
            json,
            store,
        }) => show(&store, version, json).await,
        Some(HistoryCommand::Diff {
            older,
            newer,
            json,
            store,
        }) => diff(&store, older, newer, json).await,
        Some(HistoryCommand::Verify { store }) => verify(&store).await,
        Some(HistoryCommand::Deleted { user, store }) => deleted(&store, &user).await,
        Some(HistoryCommand::Prune { older_than, store }) => prune(&store, &older_than).await,
        Some(HistoryCommand::Stats { json, store }) => stats(&store, json).await,
    }
}

async fn list(args: &StoreArgs, target: &str, filter: &ListFilter) -> anyhow::Result<()> {
    let store = admin::open_store(args).await?;
    let target = resolve(&*store, target).await?;
    let collections = match &target.calendar {
        Some(c) => vec![c.clone()],
        None => store.history_collections(Some(target.user.id)).await?,
    };
    let wanted = history::Filter {
        object: target.object.clone(),
        since: filter.since.as_deref().map(parse_time).transpose()?,
        client: filter.client.clone(),
        limit: filter.limit,
    };
    let all = history::list(&*store, &collections, &wanted).await?;
    if all.is_empty() && !filter.json {
        println!("No changes match.");
    }
    for e in &all {
        if filter.json {
            println!("{}", e.to_json());
        } else {
            println!("{}", e.line());
        }
    }
    Ok(())
}

async fn version_or_fail(store: &dyn Store, id: i64) -> anyhow::Result<store::Version> {
    store
        .version(id)
        .await?
        .with_context(|| format!("there is no version {id} (see `calvault history USER`)"))
}

async fn show(args: &StoreArgs, id: i64, json: bool) -> anyhow::Result<()> {
    let store = admin::open_store(args).await?;
    let v = version_or_fail(&*store, id).await?;
    let text = v.data.as_deref().map(String::from_utf8_lossy);
    if json {
        println!("{}", history::version_json(&v));
        return Ok(());
    }
    println!("version  {}", v.id);
    println!("time     {}", rfc3339(v.at));
    println!("what     {} {}", v.kind.as_str(), v.name);
    println!("author   {}", v.change.author);
    println!("client   {}", v.change.client.as_deref().unwrap_or("-"));
    println!("address  {}", v.change.address.as_deref().unwrap_or("-"));
    if let Some(etag) = &v.etag {
        println!("etag     \"{etag}\"");
    }
    match text {
        Some(t) => println!("\n{}", t.trim_end()),
        None if v.kind == store::VersionKind::Put => {
            println!("\n(data dropped by history retention)")
        }
        None => {}
    }
    Ok(())
}

async fn diff(args: &StoreArgs, older: i64, newer: i64, json: bool) -> anyhow::Result<()> {
    let store = admin::open_store(args).await?;
    let a = version_or_fail(&*store, older).await?;
    let b = version_or_fail(&*store, newer).await?;
    if a.collection != b.collection || a.name != b.name {
        bail!(
            "versions {older} ({}) and {newer} ({}) are of different objects",
            a.name,
            b.name
        );
    }
    let changes = diff_versions(a.data.as_deref(), b.data.as_deref());
    if json {
        println!("{}", history::diff_json(&changes));
        return Ok(());
    }
    if changes.is_empty() {
        println!("No property differs between versions {older} and {newer}.");
    }
    for c in &changes {
        println!("{} {}:", c.component, c.property);
        for line in &c.before {
            println!("  - {line}");
        }
        for line in &c.after {
            println!("  + {line}");
        }
    }
    Ok(())
}

/// Every calendar's hash chain: how many calendars and versions were checked, and the
/// chains that do not verify. Also proves a `store copy`.
pub async fn check_chains(
    store: &dyn Store,
) -> anyhow::Result<(usize, usize, Vec<(HistoryCollection, ChainBreak)>)> {
    let mut rows = 0usize;
    let mut broken = Vec::new();
    let collections = store.history_collections(None).await?;
    for c in &collections {
        let versions = store.versions(c.collection.id).await?;
        match verify_chain(&versions) {
            Ok(n) => rows += n,
            Err(b) => broken.push((c.clone(), b)),
        }
    }
    Ok((collections.len(), rows, broken))
}

async fn verify(args: &StoreArgs) -> anyhow::Result<()> {
    let store = admin::open_store(args).await?;
    let (calendars, rows, broken) = check_chains(&*store).await?;
    for (c, b) in &broken {
        eprintln!(
            "calvault: history of {}/{} does not verify at version {} (sequence {}): {}",
            c.owner_name, c.collection.path, b.id, b.seq, b.reason
        );
    }
    if !broken.is_empty() {
        bail!(
            "{} of {calendars} calendars' history chains are broken: the database was changed \
             outside calvault (see the versions named above)",
            broken.len(),
        );
    }
    println!("History verified: {calendars} calendars, {rows} versions, every hash chain intact.");
    Ok(())
}

async fn deleted(args: &StoreArgs, user: &str) -> anyhow::Result<()> {
    let store = admin::open_store(args).await?;
    let target = resolve(&*store, user).await?;
    let gone: Vec<_> = store
        .history_collections(Some(target.user.id))
        .await?
        .into_iter()
        .filter(|c| c.deleted_at.is_some())
        .collect();
    if gone.is_empty() {
        println!("{user} has no deleted calendars.");
    }
    for c in gone {
        let objects = store.objects(c.collection.id).await?.len();
        println!(
            "{}/{}  deleted {}  {objects} objects  (calvault undelete {}/{})",
            c.owner_name,
            c.collection.path,
            rfc3339(c.deleted_at.unwrap_or_default()),
            c.owner_name,
            c.collection.path
        );
    }
    Ok(())
}

async fn prune(args: &StoreArgs, older_than: &str) -> anyhow::Result<()> {
    let store = admin::open_store(args).await?;
    let before = parse_time(older_than)?;
    let n = store
        .prune_history(before, &admin::change("history prune"))
        .await?;
    println!(
        "Dropped the data of {n} superseded versions older than {}; the chains still verify.",
        rfc3339(before)
    );
    Ok(())
}

async fn stats(args: &StoreArgs, json: bool) -> anyhow::Result<()> {
    let store = admin::open_store(args).await?;
    let names: std::collections::HashMap<i64, String> = store
        .history_collections(None)
        .await?
        .into_iter()
        .map(|c| {
            let deleted = if c.deleted_at.is_some() {
                " (deleted)"
            } else {
                ""
            };
            (
                c.collection.id,
                format!("{}/{}{deleted}", c.owner_name, c.collection.path),
            )
        })
        .collect();
    let stats = store.history_stats().await?;
    let (mut versions, mut bytes) = (0u64, 0u64);
    for s in &stats {
        let name = names.get(&s.collection).map_or("?", String::as_str);
        versions += s.versions;
        bytes += s.data_bytes;
        if json {
            println!(
                "{}",
                serde_json::json!({"calendar": name, "versions": s.versions,
                    "pruned": s.pruned, "data_bytes": s.data_bytes})
            );
        } else {
            println!(
                "{name}\t{} versions\t{} pruned\t{} bytes of data",
                s.versions, s.pruned, s.data_bytes
            );
        }
    }
    if !json {
        println!("total\t{versions} versions\t{bytes} bytes of data");
    }
    Ok(())
}
