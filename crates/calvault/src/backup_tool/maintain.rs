//! Looking after a repository: `init`, `verify`, `forget`, `prune`, `key passwd`.

use vault::{KeepPolicy, Repo};

use super::args::{ForgetArgs, InitArgs, KeyCommand, PruneArgs, VerifyArgs};
use super::{open_repo, passphrase_source};
use backup::secrets::SecretSource;

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
    let checked = backup::verify(&repo, args.read_data)?;
    println!("{checked}");
    match checked.damage_note() {
        Some(note) => Err(backup::Error::Damaged(note).into()),
        None => Ok(()),
    }
}

pub fn forget(args: ForgetArgs) -> anyhow::Result<()> {
    let policy = KeepPolicy {
        last: args.keep_last,
        daily: args.keep_daily,
        weekly: args.keep_weekly,
        monthly: args.keep_monthly,
    };
    let policy = backup::forget_policy(&args.snapshots, policy)?;
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_exclusive()?;
    let plan = backup::plan_forget(&repo, &args.snapshots, policy.as_ref())?;
    print!("{plan}");
    let doomed = plan.doomed();
    if args.dry_run {
        println!("dry run: {} snapshot(s) would be forgotten", doomed.len());
        return Ok(());
    }
    repo.forget(&doomed)?;
    println!("{} snapshot(s) forgotten", doomed.len());
    if args.prune {
        println!("{}", backup::prune(&repo)?);
    } else if !doomed.is_empty() {
        println!("run `calvault prune` to free the space they alone used");
    }
    Ok(())
}

pub fn prune(args: PruneArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_exclusive()?;
    println!("{}", backup::prune(&repo)?);
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
