//! Looking into a repository: `snapshots`, `ls`, `cat`, `diff` and `export`.

use std::io::Write;

use backup::{Calendars, ExportRequest, Objects, SnapshotDiff, Snapshots};

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
    let (id, snapshot) = repo.find_snapshot(&args.snapshot)?;
    let trees = repo.load_calendars(&snapshot)?.1;
    match &args.calendar {
        Some(name) => print!("{}", Objects(backup::find_calendar(&trees, name)?)),
        None => println!(
            "{}",
            Calendars {
                id: &id,
                snapshot: &snapshot,
                trees: &trees
            }
        ),
    }
    Ok(())
}

pub fn cat(args: CatArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let (_, snapshot) = repo.find_snapshot(&args.snapshot)?;
    let trees = repo.load_calendars(&snapshot)?.1;
    let object = backup::find_object(&trees, &args.object)?;
    let data = repo.read_blob(&object.blob)?;
    std::io::stdout().write_all(&data)?;
    Ok(())
}

pub fn diff(args: DiffArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let (from, a) = repo.find_snapshot(&args.snapshot_a)?;
    let (to, b) = repo.find_snapshot(&args.snapshot_b)?;
    let changes = backup::diff(&repo.load_calendars(&a)?.1, &repo.load_calendars(&b)?.1);
    let diff = SnapshotDiff { from, to, changes };
    match args.json {
        true => println!("{:#}", diff.to_json()),
        false => println!("{diff}"),
    }
    Ok(())
}

pub fn export(args: ExportArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let (id, snapshot) = repo.find_snapshot(&args.snapshot)?;
    let request = ExportRequest {
        to: &args.to,
        per_object: args.per_object,
        calendars: &args.calendars,
    };
    let trees = repo.load_calendars(&snapshot)?.1;
    let done = backup::export(&repo, trees, &request, &Bars::default())?;
    println!(
        "exported snapshot {}: {} calendar(s), {} objects, {} file(s) in {}",
        id.short(),
        done.calendars,
        done.objects,
        done.files,
        args.to.display()
    );
    Ok(())
}
