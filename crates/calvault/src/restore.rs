//! `calvault undelete | revert | rollback`: put things back from the history. Every restore
//! is planned first (printed; `--dry-run` stops there) and applied as new, recorded writes
//! that clients pick up through normal sync. Works while the server runs.

use anyhow::{anyhow, bail};
use clap::Args;
use dav::history::{self, Action, Done, Plan, Prepared, Refused, RestoreRequest, RevertTo};
use store::{HistoryCollection, Store};

use crate::admin::{self, StoreArgs};
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

pub async fn undelete(args: UndeleteArgs) -> anyhow::Result<()> {
    let (store, target) = open_target(&args.store, &args.target).await?;
    let request = match (&target.object, &args.deleted_since) {
        (Some(name), None) => Ok(RestoreRequest::Undelete {
            object: name.clone(),
        }),
        (None, Some(since)) => {
            parse_time(since).map(|since| RestoreRequest::UndeleteSince { since })
        }
        (Some(_), Some(_)) => Err(anyhow!(
            "give either USER/CALENDAR/OBJECT or --deleted-since, not both"
        )),
        (None, None) => Ok(RestoreRequest::Calendar),
    };
    run(&*store, &target, "undelete", request, args.dry_run).await
}

pub async fn revert(args: RevertArgs) -> anyhow::Result<()> {
    let (store, target) = open_target(&args.store, &args.target).await?;
    target.calendar("revert")?;
    let object = target.object("revert")?.to_owned();
    let to = match args.to.parse::<i64>() {
        Ok(id) => Ok(RevertTo::Version(id)),
        Err(_) => parse_time(&args.to).map(RevertTo::Time),
    };
    let request = to.map(|to| RestoreRequest::Revert { object, to });
    run(&*store, &target, "revert", request, args.dry_run).await
}

pub async fn rollback(args: RollbackArgs) -> anyhow::Result<()> {
    let (store, target) = open_target(&args.store, &args.target).await?;
    target.calendar("rollback")?;
    if target.object.is_some() {
        bail!("rollback works on a whole calendar; for one event use `calvault revert`");
    }
    let request = match (&args.to, &args.client, &args.since) {
        (Some(to), None, _) => parse_time(to).map(|to| RestoreRequest::Rollback { to }),
        (None, Some(client), Some(since)) => {
            parse_time(since).map(|since| RestoreRequest::RollbackClient {
                client: client.clone(),
                since,
            })
        }
        _ => Err(anyhow!(
            "give --to TIME, or --client TEXT with --since TIME"
        )),
    };
    run(&*store, &target, "rollback", request, args.dry_run).await
}

async fn open_target(args: &StoreArgs, text: &str) -> anyhow::Result<(server::Backend, Target)> {
    let store = admin::open_store(args).await?;
    let target = resolve(&*store, text).await?;
    Ok((store, target))
}

/// Prepares the request (printing its plan), then carries it out unless it is a dry run.
async fn run(
    store: &dyn Store,
    target: &Target,
    command: &str,
    request: anyhow::Result<RestoreRequest>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let calendar = target.calendar(command)?;
    let refused = |r| explain(r, command, calendar);
    // The administrator restores regardless of quota.
    let prepared = history::prepare(store, calendar, request, None)
        .await
        .map_err(refused)?;
    let nothing_to_do = match &prepared {
        Prepared::Calendar { objects, .. } => {
            println!(
                "Plan: restore the deleted calendar {}/{} with its {objects} objects and history.",
                calendar.owner_name, calendar.collection.path
            );
            false
        }
        Prepared::Objects(plan) => {
            print_plan(
                &format!("{}/{}", target.user.name, plan.collection.path),
                plan,
            );
            plan.actions.is_empty()
        }
    };
    if dry_run {
        println!("Dry run: nothing changed.");
    }
    if dry_run || nothing_to_do {
        return Ok(());
    }
    let change = admin::change(command);
    match history::carry_out(store, &prepared, &change, None)
        .await
        .map_err(refused)?
    {
        Done::Calendar(c) => {
            println!("Restored {}/{}.", calendar.owner_name, c.path);
            Ok(())
        }
        Done::Objects(applied) => report(target, &prepared, &applied),
    }
}

/// A refusal in the words of the command that met it.
fn explain(
    r: Refused<anyhow::Error>,
    command: &str,
    calendar: &HistoryCollection,
) -> anyhow::Error {
    let at = format!("{}/{}", calendar.owner_name, calendar.collection.path);
    match r {
        Refused::CalendarDeleted if command == "undelete" => {
            anyhow!(
                "the calendar {at} is deleted; bring it back first with `calvault undelete {at}`"
            )
        }
        Refused::CalendarDeleted => {
            anyhow!("the calendar is deleted; bring it back first with `calvault undelete`")
        }
        Refused::CalendarNotDeleted => anyhow!(
            "the calendar {at} is not deleted; name an object (USER/CALENDAR/OBJECT) or use \
             --deleted-since TIME"
        ),
        Refused::PathTaken => {
            anyhow!("another calendar now lives at {at}; move or delete it first")
        }
        Refused::OverQuota { size, quota } => {
            anyhow!("restoring it ({size} bytes) would go past the quota of {quota} bytes")
        }
        Refused::Invalid(e) => e,
        Refused::Plan(e) => anyhow!(e.detail),
        Refused::Store(e) => e.into(),
    }
}

fn report(target: &Target, prepared: &Prepared, applied: &history::Applied) -> anyhow::Result<()> {
    let Prepared::Objects(plan) = prepared else {
        return Ok(());
    };
    let where_ = format!("{}/{}", target.user.name, plan.collection.path);
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
