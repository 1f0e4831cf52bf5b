//! `calvault undelete | revert | rollback`: put things back from the history. Every restore
//! is planned first (printed; `--dry-run` stops there) and applied as new, recorded writes
//! that clients pick up through normal sync. Works while the server runs.

use anyhow::bail;
use clap::Args;
use dav::history::{self, Action, Plan, RevertTo};
use store::{Change, Store};

use crate::cli::{load_config, StoreArgs};
use crate::target::{parse_time, resolve, Target};

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

/// Who runs the command, as the history records it.
pub fn operator() -> String {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("admin:{who}")
}

fn change(command: &str) -> Change {
    Change {
        author: operator(),
        client: Some(format!("calvault {command}")),
        address: None,
    }
}

async fn open_target(args: &StoreArgs, text: &str) -> anyhow::Result<(server::Backend, Target)> {
    let store = server::open_store(&load_config(args)?).await?;
    let target = resolve(&*store, text).await?;
    Ok((store, target))
}

pub async fn undelete(args: UndeleteArgs) -> anyhow::Result<()> {
    let (store, target) = open_target(&args.store, &args.target).await?;
    let calendar = target.calendar("undelete")?;
    if calendar.deleted_at.is_some() {
        if target.object.is_some() || args.deleted_since.is_some() {
            bail!(
                "the calendar {}/{} is deleted; bring it back first with `calvault undelete {}/{}`",
                calendar.owner_name,
                calendar.collection.path,
                calendar.owner_name,
                calendar.collection.path
            );
        }
        let objects = store.objects(calendar.collection.id).await?.len();
        println!(
            "Plan: restore the deleted calendar {}/{} with its {objects} objects and history.",
            calendar.owner_name, calendar.collection.path
        );
        if args.dry_run {
            println!("Dry run: nothing changed.");
            return Ok(());
        }
        return match store
            .restore_collection(calendar.collection.id, &change("undelete"))
            .await
        {
            Ok(c) => {
                println!("Restored {}/{}.", calendar.owner_name, c.path);
                Ok(())
            }
            Err(store::StoreError::AlreadyExists) => bail!(
                "another calendar now lives at {}/{}; move or delete it first",
                calendar.owner_name,
                calendar.collection.path
            ),
            Err(e) => Err(e.into()),
        };
    }
    let versions = store.versions(calendar.collection.id).await?;
    let plan = match (&target.object, &args.deleted_since) {
        (Some(name), None) => history::plan_undelete(&calendar.collection, &versions, name)
            .map_err(|e| anyhow::anyhow!(e.detail))?,
        (None, Some(since)) => {
            history::plan_undelete_since(&calendar.collection, &versions, parse_time(since)?)
        }
        (Some(_), Some(_)) => {
            bail!("give either USER/CALENDAR/OBJECT or --deleted-since, not both")
        }
        (None, None) => bail!(
            "the calendar {}/{} is not deleted; name an object (USER/CALENDAR/OBJECT) or use \
             --deleted-since TIME",
            calendar.owner_name,
            calendar.collection.path
        ),
    };
    run_plan(&*store, &target, plan, args.dry_run, "undelete").await
}

pub async fn revert(args: RevertArgs) -> anyhow::Result<()> {
    let (store, target) = open_target(&args.store, &args.target).await?;
    let calendar = target.calendar("revert")?;
    let name = target.object("revert")?;
    let to = match args.to.parse::<i64>() {
        Ok(id) => RevertTo::Version(id),
        Err(_) => RevertTo::Time(parse_time(&args.to)?),
    };
    let versions = store.versions(calendar.collection.id).await?;
    let plan = history::plan_revert(&calendar.collection, &versions, name, to)
        .map_err(|e| anyhow::anyhow!(e.detail))?;
    run_plan(&*store, &target, plan, args.dry_run, "revert").await
}

pub async fn rollback(args: RollbackArgs) -> anyhow::Result<()> {
    let (store, target) = open_target(&args.store, &args.target).await?;
    let calendar = target.calendar("rollback")?;
    if target.object.is_some() {
        bail!("rollback works on a whole calendar; for one event use `calvault revert`");
    }
    if calendar.deleted_at.is_some() {
        bail!("the calendar is deleted; bring it back first with `calvault undelete`");
    }
    let versions = store.versions(calendar.collection.id).await?;
    let plan = match (&args.to, &args.client, &args.since) {
        (Some(to), None, _) => {
            history::plan_rollback(&calendar.collection, &versions, parse_time(to)?)
        }
        (None, Some(client), Some(since)) => history::plan_rollback_client(
            &calendar.collection,
            &versions,
            client,
            parse_time(since)?,
        ),
        _ => bail!("give --to TIME, or --client TEXT with --since TIME"),
    };
    run_plan(&*store, &target, plan, args.dry_run, "rollback").await
}

async fn run_plan(
    store: &dyn Store,
    target: &Target,
    plan: Plan,
    dry_run: bool,
    command: &str,
) -> anyhow::Result<()> {
    let where_ = format!("{}/{}", target.user.name, plan.collection.path);
    print_plan(&where_, &plan);
    if dry_run || plan.actions.is_empty() {
        if dry_run {
            println!("Dry run: nothing changed.");
        }
        return Ok(());
    }
    // The administrator restores regardless of quota.
    let applied = history::apply(store, &plan, &change(command), None).await;
    for (name, reason) in &applied.failed {
        eprintln!("calvault: {where_}/{name} was not restored: {reason}");
    }
    println!(
        "Done: {} written, {} failed, {} skipped. Clients get the changes at their next sync.",
        applied.done.len(),
        applied.failed.len(),
        plan.skipped.len()
    );
    if !applied.failed.is_empty() {
        bail!(
            "{} of {} writes failed (see above)",
            applied.failed.len(),
            plan.actions.len()
        );
    }
    Ok(())
}

fn print_plan(where_: &str, plan: &Plan) {
    if plan.actions.is_empty() {
        println!("Nothing to do: {where_} already matches.");
    } else {
        println!("Plan for {where_}:");
    }
    for a in &plan.actions {
        match a {
            Action::Put {
                name,
                from_version,
                data,
                current_etag,
            } => {
                let d = history::describe(data);
                let what = if current_etag.is_some() {
                    "restore"
                } else {
                    "recreate"
                };
                println!(
                    "  {what} {name} from version {from_version}{}{}",
                    d.summary.map(|s| format!("  {s:?}")).unwrap_or_default(),
                    d.start.map(|s| format!(" {s}")).unwrap_or_default()
                );
            }
            Action::Delete { name, .. } => println!("  delete {name}"),
        }
    }
    for s in &plan.skipped {
        println!("  skip {}: {}", s.name, s.reason);
    }
}
