//! Looking after a repository: `init`, `verify`, `forget`, `prune`, `key passwd`.

use anyhow::bail;
use backup::human_bytes;
use vault::{KeepPolicy, Repo};

use super::args::{ForgetArgs, InitArgs, KeyCommand, PruneArgs, VerifyArgs};
use super::exit::{failure, DAMAGED};
use super::secrets::SecretSource;
use super::{open_repo, passphrase_source};

pub fn init(args: InitArgs) -> anyhow::Result<()> {
    let passphrase = passphrase_source(&args.repo).read_new()?;
    Repo::init(&args.repo.repo, &passphrase)?;
    println!(
        "created a calvault repository at {}\n\
         Keep the passphrase safe: without it the backups cannot be read, by anyone.",
        args.repo.repo.display()
    );
    Ok(())
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let report = repo.verify(args.read_data)?;
    println!(
        "checked {} pack(s), {} blob(s), {} snapshot(s){}",
        report.packs,
        report.blobs,
        report.snapshots,
        if args.read_data {
            " (every blob decrypted)"
        } else {
            ""
        }
    );
    if report.problems.is_empty() {
        println!("no problems found");
        return Ok(());
    }
    for problem in &report.problems {
        println!("DAMAGED {}: {}", problem.file, problem.detail);
        for a in &problem.affected {
            println!(
                "  affects snapshot {} calendar {} object {}",
                a.snapshot, a.calendar, a.object
            );
        }
    }
    Err(failure(
        DAMAGED,
        format!(
            "the repository has {} problem(s), listed above; the affected objects can be \
             backed up again with `calvault backup --full`",
            report.problems.len()
        ),
    ))
}

pub fn forget(args: ForgetArgs) -> anyhow::Result<()> {
    let policy = KeepPolicy {
        last: args.keep_last,
        daily: args.keep_daily,
        weekly: args.keep_weekly,
        monthly: args.keep_monthly,
    };
    let has_policy = policy.last.is_some()
        || policy.daily.is_some()
        || policy.weekly.is_some()
        || policy.monthly.is_some();
    if !has_policy && args.snapshots.is_empty() {
        bail!("say what to forget: snapshot ids, or a policy such as --keep-daily 7");
    }
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_exclusive()?;
    let plan = backup::plan_forget(&repo, &args.snapshots, has_policy.then_some(&policy))?;
    for (id, reasons) in &plan.kept {
        println!("keep   {} ({})", id.short(), reasons.join(", "));
    }
    for (id, time) in &plan.forget {
        println!("forget {} ({})", id.short(), time.to_rfc3339());
    }
    let doomed: Vec<_> = plan.forget.iter().map(|(id, _)| *id).collect();
    if args.dry_run {
        println!("dry run: {} snapshot(s) would be forgotten", doomed.len());
        return Ok(());
    }
    repo.forget(&doomed)?;
    println!("{} snapshot(s) forgotten", doomed.len());
    if args.prune {
        print_prune(&repo)?;
    } else if !doomed.is_empty() {
        println!("run `calvault prune` to free the space they alone used");
    }
    Ok(())
}

pub fn prune(args: PruneArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_exclusive()?;
    print_prune(&repo)
}

fn print_prune(repo: &Repo) -> anyhow::Result<()> {
    let report = repo.prune()?;
    println!(
        "pruned: {} blob(s) removed, {} pack(s) deleted, {} rewritten, {} freed; {} snapshot(s) \
         remain",
        report.blobs_removed,
        report.packs_deleted,
        report.packs_rewritten,
        human_bytes(report.bytes_freed),
        report.snapshots_kept
    );
    Ok(())
}

pub fn key(command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Passwd {
            repo,
            new_passphrase_command,
        } => {
            let mut opened = open_repo(&repo)?;
            let _lock = opened.lock_exclusive()?;
            let new = SecretSource {
                what: "new repository passphrase",
                env: "CALVAULT_NEW_PASSPHRASE",
                command: new_passphrase_command.as_deref(),
                command_flag: "--new-passphrase-command",
            }
            .read_new()?;
            opened.change_passphrase(&new)?;
            println!("the passphrase of {} was changed", repo.repo.display());
            Ok(())
        }
    }
}
