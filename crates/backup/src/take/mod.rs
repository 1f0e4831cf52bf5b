//! `backup`: one snapshot of every selected calendar of an account.
//!
//! Incremental by default: each calendar asks for the changes since the previous
//! snapshot's sync token and reuses the unchanged objects' blobs, so only changed objects
//! cross the network. A refused token falls back to an ETag listing, and every
//! `full_every` runs the listing is done anyway, since some servers' tokens miss changes.
//! A calendar that cannot be read keeps its previous copy; the snapshot is saved anyway
//! and the failure reported.

mod calendar;
mod listing;
mod previous;
mod report;

use std::time::Instant;

use client::Url;
use vault::{AccountTree, CalendarRef, CalendarTree, PackWriter, Repo, Snapshot, SnapshotId};

use crate::caldav::CalDav;
use crate::discover::{pick_calendars, source_calendars};
use crate::error::{with_causes, Result};
use crate::observe::{Event, Observer};
use crate::selection::Selection;
use calendar::{CalendarRun, Counts};
use previous::Previous;

/// What to back up and how.
pub struct BackupRequest<'a> {
    /// Where discovery starts.
    pub start: &'a Url,
    /// The account as the snapshot records it; the next run finds its parent by it.
    pub source: vault::Source,
    /// Calendars by URL name or display name; empty backs up all of them.
    pub calendars: &'a [String],
    /// Also back up calendars other people shared with this account (left out unless
    /// named with `calendars`: they are their owner's to back up).
    pub include_shared: bool,
    pub selection: Selection,
    /// Compare every object's ETag this run instead of trusting sync tokens.
    pub full: bool,
    /// Compare every ETag every this many runs.
    pub full_every: u32,
    /// Recorded in the snapshot.
    pub tool_version: &'a str,
}

/// What a run saved.
#[derive(Debug)]
pub struct BackupReport {
    pub id: SnapshotId,
    pub snapshot: Snapshot,
    /// Objects that crossed the network this run.
    pub fetched: u64,
    /// Calendars that could not be read this time; their previous copy, if any, was kept.
    pub failures: Vec<CalendarFailure>,
    /// Calendars shared with this account that were left out, by name.
    pub shared_left_out: Vec<String>,
}

/// A calendar a run could not read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarFailure {
    /// The calendar's path on the server.
    pub calendar: String,
    pub reason: String,
}

/// Takes one snapshot. The caller holds the repository's exclusive lock.
pub async fn take(
    client: &dyn CalDav,
    repo: &Repo,
    request: &BackupRequest<'_>,
    observer: &dyn Observer,
) -> Result<BackupReport> {
    let started = Instant::now();
    observer.event(Event::Discovering);
    let discovery = source_calendars(client, request.start, &request.source.url).await?;
    let mut calendars = pick_calendars(discovery.calendars, request.calendars)?;
    let mut shared_left_out = Vec::new();
    if request.calendars.is_empty() && !request.include_shared {
        let (shared, own) = calendars.into_iter().partition(|c| c.shared);
        calendars = own;
        shared_left_out = shared
            .into_iter()
            .map(|c: client::Calendar| c.name)
            .collect();
    }
    let names: Vec<String> = calendars.iter().map(|c| c.name.clone()).collect();
    observer.event(Event::Selected { calendars: &names });

    let selection_text = request.selection.describe();
    let previous = Previous::load(repo, &request.source, &selection_text)?;
    let full = previous.needs_full_scan(request.full, request.full_every);
    let run = CalendarRun {
        client,
        repo,
        selection: &request.selection,
        full,
        observer,
    };
    let mut writer = repo.writer();
    let (references, mut counts, failures) =
        back_up_all(&run, &mut writer, &calendars, &previous).await?;
    if request.calendars.is_empty() {
        counts.removed += previous.objects_of_calendars_gone(&calendars);
    }
    let root = Repo::save_tree(
        &mut writer,
        &AccountTree {
            calendars: references,
        },
    )?;
    let stored = writer.finish()?;
    let snapshot = Snapshot {
        time: chrono::Utc::now(),
        source: request.source.clone(),
        root,
        parent: previous.id(),
        full_scan: full,
        runs_since_full: if full { 0 } else { previous.runs_since_full() },
        summary: vault::SnapshotSummary {
            calendars: calendars.len() as u64,
            objects: counts.objects,
            bytes: counts.bytes,
            new: counts.new,
            changed: counts.changed,
            removed: counts.removed,
            bytes_added: stored.stored_bytes_added,
            duration_ms: started.elapsed().as_millis() as u64,
            requests: client.requests(),
        },
        tool_version: request.tool_version.to_owned(),
        selection: selection_text,
    };
    let id = repo.save_snapshot(&snapshot)?;
    Ok(BackupReport {
        id,
        snapshot,
        fetched: counts.fetched,
        failures,
        shared_left_out,
    })
}

/// Every calendar in turn; one that cannot be read keeps its previous copy.
async fn back_up_all(
    run: &CalendarRun<'_>,
    writer: &mut PackWriter<'_>,
    calendars: &[client::Calendar],
    previous: &Previous,
) -> Result<(Vec<CalendarRef>, Counts, Vec<CalendarFailure>)> {
    let mut counts = Counts::default();
    let mut references = Vec::new();
    let mut failures = Vec::new();
    for calendar in calendars {
        let before = previous.calendar(&calendar.path);
        match run
            .back_up(writer, calendar, before.map(|(_, t)| t), &mut counts)
            .await
        {
            Ok(tree) => references.push(save_calendar(writer, &tree)?),
            Err(e) => {
                failures.push(CalendarFailure {
                    calendar: calendar.path.clone(),
                    reason: with_causes(&e),
                });
                if let Some((reference, tree)) = before {
                    counts.keep_previous(tree);
                    references.push(reference.clone());
                }
            }
        }
    }
    Ok((references, counts, failures))
}

/// Stores a calendar's tree and returns the account tree's reference to it.
fn save_calendar(writer: &mut PackWriter<'_>, tree: &CalendarTree) -> Result<CalendarRef> {
    Ok(CalendarRef {
        href: tree.href.clone(),
        name: tree.name.clone(),
        tree: Repo::save_calendar(writer, tree)?,
        objects: tree.objects.len() as u64,
    })
}
