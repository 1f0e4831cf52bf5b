//! Looking into a repository: `snapshots`, `ls`, `cat`, `diff` and `export`.

use std::io::Write;

use backup::{human_bytes, object_name, ChangeKind, ExportRequest};

use super::args::{CatArgs, DiffArgs, ExportArgs, LsArgs, SnapshotsArgs};
use super::open_repo;
use crate::progress::Bars;

pub fn snapshots(args: SnapshotsArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let all = repo.snapshots()?;
    if args.json {
        let list: Vec<serde_json::Value> = all
            .iter()
            .map(|(id, s)| {
                serde_json::json!({
                    "id": id.to_string(),
                    "short_id": id.short(),
                    "time": s.time.to_rfc3339(),
                    "source": { "url": s.source.url, "user": s.source.user },
                    "parent": s.parent.map(|p| p.to_string()),
                    "full_scan": s.full_scan,
                    "selection": s.selection,
                    "summary": serde_json::to_value(&s.summary).unwrap_or_default(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if all.is_empty() {
        println!("no snapshots yet (make one with `calvault backup`)");
        return Ok(());
    }
    println!(
        "{:<8}  {:<20}  {:<40}  {:>9}  {:>7}  {:>10}  {:>5}  {:>7}  {:>7}",
        "ID", "TIME (UTC)", "SOURCE", "CALENDARS", "OBJECTS", "SIZE", "NEW", "CHANGED", "REMOVED"
    );
    for (id, s) in &all {
        println!(
            "{:<8}  {:<20}  {:<40}  {:>9}  {:>7}  {:>10}  {:>5}  {:>7}  {:>7}",
            id.short(),
            s.time.format("%Y-%m-%d %H:%M:%S"),
            format!("{} @ {}", s.source.user, s.source.url),
            s.summary.calendars,
            s.summary.objects,
            human_bytes(s.summary.bytes),
            s.summary.new,
            s.summary.changed,
            s.summary.removed
        );
    }
    println!("{} snapshot(s)", all.len());
    Ok(())
}

pub fn ls(args: LsArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let (id, snapshot) = repo.find_snapshot(&args.snapshot)?;
    let trees = repo.load_calendars(&snapshot)?.1;
    let Some(name) = &args.calendar else {
        println!(
            "snapshot {} of {} @ {} at {}",
            id.short(),
            snapshot.source.user,
            snapshot.source.url,
            snapshot.time.to_rfc3339()
        );
        for tree in &trees {
            println!(
                "{:<24} {:>7} objects {:>10}  {}  {}",
                tree.name,
                tree.objects.len(),
                human_bytes(tree.objects.iter().map(|o| o.size).sum()),
                tree.props.displayname.as_deref().unwrap_or("-"),
                tree.href
            );
        }
        return Ok(());
    };
    for o in &backup::find_calendar(&trees, name)?.objects {
        println!(
            "{:<40} {:<9} {:<26} {:>8}  {}",
            object_name(&o.href),
            o.component.as_deref().unwrap_or("-"),
            o.start.as_deref().unwrap_or("-"),
            o.size,
            o.summary.as_deref().unwrap_or("")
        );
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
    let (id_a, a) = repo.find_snapshot(&args.snapshot_a)?;
    let (id_b, b) = repo.find_snapshot(&args.snapshot_b)?;
    let changes = backup::diff(&repo.load_calendars(&a)?.1, &repo.load_calendars(&b)?.1);
    let count = |kind| backup::count(&changes, kind);
    let (added, removed, changed) = (
        count(ChangeKind::Added),
        count(ChangeKind::Removed),
        count(ChangeKind::Changed),
    );
    if args.json {
        let list: Vec<serde_json::Value> = changes
            .iter()
            .map(|c| {
                let o = &c.entry;
                serde_json::json!({
                    "change": c.kind.word(), "calendar": c.calendar, "uid": c.key, "href": o.href,
                    "summary": o.summary, "start": o.start, "component": o.component,
                })
            })
            .collect();
        let out = serde_json::json!({
            "from": id_a.to_string(), "to": id_b.to_string(),
            "added": added, "removed": removed, "changed": changed, "changes": list,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    for change in &changes {
        println!("{change}");
    }
    println!(
        "{} -> {}: {added} added, {removed} removed, {changed} changed",
        id_a.short(),
        id_b.short()
    );
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
