//! Looking into a repository: `snapshots`, `ls`, `cat`, `diff` and `export`.

use std::io::Write;

use backup::{ExportRequest, Snapshots};

use super::args::{CatArgs, DiffArgs, ExportArgs, LsArgs, SnapshotsArgs};
use super::open_repo;
use crate::progress::Bars;

pub fn snapshots(args: SnapshotsArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let all = repo.snapshots()?;
    match args.json {
        true => println!("{:#}", Snapshots(&all).to_json()),
        false => println!("{}", Snapshots(&all)),
    }
    Ok(())
}

pub fn ls(args: LsArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    print!(
        "{}",
        backup::ls(&repo, &args.snapshot, args.calendar.as_deref())?
    );
    Ok(())
}

pub fn cat(args: CatArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let data = backup::cat(&repo, &args.snapshot, &args.object)?;
    std::io::stdout().write_all(&data)?;
    Ok(())
}

pub fn diff(args: DiffArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let diff = backup::diff_snapshots(&repo, &args.snapshot_a, &args.snapshot_b)?;
    match args.json {
        true => println!("{:#}", diff.to_json()),
        false => println!("{diff}"),
    }
    Ok(())
}

pub fn export(args: ExportArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let request = ExportRequest {
        to: &args.to,
        per_object: args.per_object,
        calendars: &args.calendars,
    };
    let done = backup::export_snapshot(&repo, &args.snapshot, &request, &Bars::default())?;
    println!("{done}");
    Ok(())
}
