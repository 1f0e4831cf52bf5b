//! Looking into a repository: `snapshots`, `ls`, `cat`, `diff` and `export`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use vault::{CalendarTree, ObjectEntry, Repo, Snapshot};

use super::args::{CatArgs, DiffArgs, ExportArgs, LsArgs, SnapshotsArgs};
use super::{open_repo, progress};

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
            progress::bytes(s.summary.bytes),
            s.summary.new,
            s.summary.changed,
            s.summary.removed
        );
    }
    println!("{} snapshot(s)", all.len());
    Ok(())
}

/// Every calendar tree of a snapshot, in the snapshot's order.
fn calendars(repo: &Repo, snapshot: &Snapshot) -> anyhow::Result<Vec<CalendarTree>> {
    Ok(repo.load_calendars(snapshot)?.1)
}

fn find_calendar<'a>(trees: &'a [CalendarTree], name: &str) -> anyhow::Result<&'a CalendarTree> {
    trees
        .iter()
        .find(|t| t.name == name || t.href == name || t.props.displayname.as_deref() == Some(name))
        .with_context(|| {
            format!(
                "the snapshot has no calendar {name:?}; it has: {}",
                trees
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The last path segment of an href.
pub(super) fn object_name(href: &str) -> &str {
    href.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(href)
}

pub fn ls(args: LsArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let (id, snapshot) = repo.find_snapshot(&args.snapshot)?;
    let trees = calendars(&repo, &snapshot)?;
    match &args.calendar {
        None => {
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
                    progress::bytes(tree.objects.iter().map(|o| o.size).sum()),
                    tree.props.displayname.as_deref().unwrap_or("-"),
                    tree.href
                );
            }
        }
        Some(name) => {
            let tree = find_calendar(&trees, name)?;
            for o in &tree.objects {
                println!(
                    "{:<40} {:<9} {:<26} {:>8}  {}",
                    object_name(&o.href),
                    o.component.as_deref().unwrap_or("-"),
                    o.start.as_deref().unwrap_or("-"),
                    o.size,
                    o.summary.as_deref().unwrap_or("")
                );
            }
        }
    }
    Ok(())
}

pub fn cat(args: CatArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let (_, snapshot) = repo.find_snapshot(&args.snapshot)?;
    let trees = calendars(&repo, &snapshot)?;
    let wanted = args.object.as_str();
    let by_path = |t: &CalendarTree, o: &ObjectEntry| {
        o.href == wanted || format!("{}/{}", t.name, object_name(&o.href)) == wanted
    };
    let found: Vec<&ObjectEntry> = trees
        .iter()
        .flat_map(|t| t.objects.iter().filter(move |o| by_path(t, o)))
        .collect();
    let found = if found.is_empty() {
        trees
            .iter()
            .flat_map(|t| &t.objects)
            .filter(|o| o.uid.as_deref() == Some(wanted))
            .collect()
    } else {
        found
    };
    let object = match found.as_slice() {
        [one] => *one,
        [] => bail!(
            "no object {wanted:?} in this snapshot (give CALENDAR/NAME.ics, an href or a UID; \
             `calvault ls SNAPSHOT CALENDAR` lists them)"
        ),
        many => bail!(
            "{wanted:?} matches {} objects ({}); give CALENDAR/NAME.ics",
            many.len(),
            many.iter()
                .map(|o| o.href.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let data = repo.read_blob(&object.blob)?;
    std::io::stdout().write_all(&data)?;
    Ok(())
}

/// An object's key in a diff: its UID, or its href when it has none.
fn diff_key(o: &ObjectEntry) -> String {
    o.uid.clone().unwrap_or_else(|| o.href.clone())
}

pub fn diff(args: DiffArgs) -> anyhow::Result<()> {
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_shared()?;
    let (id_a, a) = repo.find_snapshot(&args.snapshot_a)?;
    let (id_b, b) = repo.find_snapshot(&args.snapshot_b)?;
    let trees_a = calendars(&repo, &a)?;
    let trees_b = calendars(&repo, &b)?;
    let mut hrefs: Vec<&str> = trees_a
        .iter()
        .chain(&trees_b)
        .map(|t| t.href.as_str())
        .collect();
    hrefs.sort();
    hrefs.dedup();
    let mut changes = Vec::new();
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    for href in hrefs {
        let index = |trees: &[CalendarTree]| -> BTreeMap<String, ObjectEntry> {
            trees
                .iter()
                .filter(|t| t.href == href)
                .flat_map(|t| &t.objects)
                .map(|o| (diff_key(o), o.clone()))
                .collect()
        };
        let (before, after) = (index(&trees_a), index(&trees_b));
        let name = trees_b
            .iter()
            .chain(&trees_a)
            .find(|t| t.href == href)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let (kind, entry) = match (before.get(key), after.get(key)) {
                (None, Some(o)) => ("added", o),
                (Some(o), None) => ("removed", o),
                (Some(x), Some(y)) if x.blob != y.blob => ("changed", y),
                _ => continue,
            };
            match kind {
                "added" => added += 1,
                "removed" => removed += 1,
                _ => changed += 1,
            }
            changes.push((kind, name.clone(), key.clone(), entry.clone()));
        }
    }
    if args.json {
        let list: Vec<serde_json::Value> = changes
            .iter()
            .map(|(kind, calendar, uid, o)| {
                serde_json::json!({
                    "change": kind, "calendar": calendar, "uid": uid, "href": o.href,
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
    for (kind, calendar, uid, o) in &changes {
        let mark = match *kind {
            "added" => '+',
            "removed" => '-',
            _ => '~',
        };
        println!(
            "{mark} {calendar}  {uid}  {:?}  {}",
            o.summary.as_deref().unwrap_or(""),
            o.start.as_deref().unwrap_or("-")
        );
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
    let mut trees = calendars(&repo, &snapshot)?;
    if !args.calendars.is_empty() {
        for name in &args.calendars {
            find_calendar(&trees, name)?;
        }
        trees.retain(|t| {
            args.calendars
                .iter()
                .any(|n| t.name == *n || t.href == *n || t.props.displayname.as_deref() == Some(n))
        });
    }
    std::fs::create_dir_all(&args.to)
        .with_context(|| format!("cannot create {}", args.to.display()))?;
    let total: u64 = trees.iter().map(|t| t.objects.len() as u64).sum();
    let bar = progress::counter(total, "exporting");
    let mut files = 0;
    for tree in &trees {
        if args.per_object {
            let dir = args.to.join(safe_file_name(&tree.name));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for o in &tree.objects {
                let data = repo.read_blob(&o.blob)?;
                write_new(&dir.join(safe_file_name(object_name(&o.href))), &data)?;
                files += 1;
                bar.inc(1);
            }
        } else {
            let mut merged = MergedCalendar::default();
            for o in &tree.objects {
                merged.add(&repo.read_blob(&o.blob)?);
                bar.inc(1);
            }
            let name = format!("{}.ics", safe_file_name(&tree.name));
            write_new(&args.to.join(name), merged.finish(tree).as_bytes())?;
            files += 1;
        }
    }
    bar.finish_and_clear();
    println!(
        "exported snapshot {}: {} calendar(s), {total} objects, {files} file(s) in {}",
        id.short(),
        trees.len(),
        args.to.display()
    );
    Ok(())
}

/// A name usable as one path segment: no separators, no leading dot.
fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == '\0' {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "unnamed".into()
    } else {
        cleaned
    }
}

fn write_new(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| {
            format!(
                "cannot create {} (existing files are not replaced)",
                path.display()
            )
        })?;
    file.write_all(data)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Many calendar objects as one VCALENDAR: components in order, each time zone once.
#[derive(Default)]
struct MergedCalendar {
    timezones: BTreeMap<String, String>,
    components: String,
}

impl MergedCalendar {
    /// Copies the object's components line by line (folded lines stay as they were).
    fn add(&mut self, data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let mut depth = 0usize;
        let mut current = String::new();
        let mut tzid: Option<String> = None;
        let mut in_timezone = false;
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("BEGIN:") {
                depth += 1;
                if depth == 2 {
                    current.clear();
                    in_timezone = upper == "BEGIN:VTIMEZONE";
                    tzid = None;
                }
            }
            if depth >= 2 {
                if in_timezone && depth == 2 && upper.starts_with("TZID") {
                    tzid = line.split_once(':').map(|(_, v)| v.to_owned());
                }
                current.push_str(line);
                current.push_str("\r\n");
            }
            if upper.starts_with("END:") {
                if depth == 2 {
                    if in_timezone {
                        let key = tzid.take().unwrap_or_default();
                        self.timezones.entry(key).or_insert_with(|| current.clone());
                    } else {
                        self.components.push_str(&current);
                    }
                }
                depth = depth.saturating_sub(1);
            }
        }
    }

    fn finish(self, tree: &CalendarTree) -> String {
        let mut out = String::from(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault//backup export//EN\r\n",
        );
        if let Some(name) = &tree.props.displayname {
            out.push_str(&format!("X-WR-CALNAME:{}\r\n", escape_text(name)));
        }
        for tz in self.timezones.values() {
            out.push_str(tz);
        }
        out.push_str(&self.components);
        out.push_str("END:VCALENDAR\r\n");
        out
    }
}

/// RFC 5545 §3.3.11 TEXT escaping.
fn escape_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}
