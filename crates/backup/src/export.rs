//! `export`: a snapshot's calendars as .ics files, one per calendar (components merged,
//! each time zone once) or one per object. Existing files are never replaced.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use vault::{CalendarTree, Repo, SnapshotId};

use crate::browse::{find_calendar, names_calendar};
use crate::discover::object_name;
use crate::error::{Error, Result};
use crate::observe::{Event, Observer};

/// Where and how to export.
pub struct ExportRequest<'a> {
    /// The directory to write into (created if missing).
    pub to: &'a Path,
    /// One file per object (DIR/CALENDAR/NAME.ics) instead of one .ics per calendar.
    pub per_object: bool,
    /// Only these calendars; empty: all.
    pub calendars: &'a [String],
}

/// What an export wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exported {
    pub calendars: usize,
    pub objects: u64,
    pub files: u64,
}

/// What exporting a snapshot wrote, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotExport {
    pub id: SnapshotId,
    pub exported: Exported,
    pub to: PathBuf,
}

/// Writes out the snapshot `spec` names (an id, a unique prefix or `latest`). The caller
/// holds a lock on the repository.
pub fn export_snapshot(
    repo: &Repo,
    spec: &str,
    request: &ExportRequest<'_>,
    observer: &dyn Observer,
) -> Result<SnapshotExport> {
    let (id, snapshot) = repo.find_snapshot(spec)?;
    let trees = repo.load_calendars(&snapshot)?.1;
    Ok(SnapshotExport {
        id,
        exported: export(repo, trees, request, observer)?,
        to: request.to.to_owned(),
    })
}

impl fmt::Display for SnapshotExport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let done = &self.exported;
        write!(
            f,
            "exported snapshot {}: {} calendar(s), {} objects, {} file(s) in {}",
            self.id.short(),
            done.calendars,
            done.objects,
            done.files,
            self.to.display()
        )
    }
}

/// Writes the calendars of a snapshot out. The caller holds a lock on the repository.
pub fn export(
    repo: &Repo,
    mut trees: Vec<CalendarTree>,
    request: &ExportRequest<'_>,
    observer: &dyn Observer,
) -> Result<Exported> {
    if !request.calendars.is_empty() {
        for name in request.calendars {
            find_calendar(&trees, name)?;
        }
        trees.retain(|t| request.calendars.iter().any(|n| names_calendar(t, n)));
    }
    create_dir(request.to)?;
    let objects: u64 = trees.iter().map(|t| t.objects.len() as u64).sum();
    observer.event(Event::Exporting { objects });
    let mut files = 0;
    for tree in &trees {
        files += match request.per_object {
            true => export_objects(repo, tree, request.to, observer)?,
            false => export_merged(repo, tree, request.to, observer)?,
        };
    }
    observer.event(Event::ExportDone);
    Ok(Exported {
        calendars: trees.len(),
        objects,
        files,
    })
}

/// DIR/CALENDAR/NAME.ics for each object; returns the files written.
fn export_objects(
    repo: &Repo,
    tree: &CalendarTree,
    to: &Path,
    observer: &dyn Observer,
) -> Result<u64> {
    let dir = to.join(safe_file_name(&tree.name));
    create_dir(&dir)?;
    for o in &tree.objects {
        let data = repo.read_blob(&o.blob)?;
        write_new(&dir.join(safe_file_name(object_name(&o.href))), &data)?;
        observer.event(Event::Exported);
    }
    Ok(tree.objects.len() as u64)
}

/// DIR/CALENDAR.ics with every object's components.
fn export_merged(
    repo: &Repo,
    tree: &CalendarTree,
    to: &Path,
    observer: &dyn Observer,
) -> Result<u64> {
    let mut merged = MergedCalendar::default();
    for o in &tree.objects {
        merged.add(&repo.read_blob(&o.blob)?);
        observer.event(Event::Exported);
    }
    let name = format!("{}.ics", safe_file_name(&tree.name));
    write_new(&to.join(name), merged.finish(tree).as_bytes())?;
    Ok(1)
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|source| Error::Export {
        action: "create",
        path: path.to_path_buf(),
        source,
    })
}

/// A name usable as one path segment: no separators, no leading dot.
fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '\0') {
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

fn write_new(path: &Path, data: &[u8]) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| Error::ExportFileExists {
            path: path.to_path_buf(),
            source,
        })?;
    file.write_all(data).map_err(|source| Error::Export {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
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
                    self.end_component(&current, in_timezone, tzid.take());
                }
                depth = depth.saturating_sub(1);
            }
        }
    }

    /// A time zone is kept once per TZID; everything else in order.
    fn end_component(&mut self, text: &str, timezone: bool, tzid: Option<String>) {
        if timezone {
            let key = tzid.unwrap_or_default();
            self.timezones.entry(key).or_insert_with(|| text.to_owned());
        } else {
            self.components.push_str(text);
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
