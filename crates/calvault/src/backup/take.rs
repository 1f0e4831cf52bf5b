//! `calvault backup`: one snapshot of every selected calendar of an account.
//!
//! Incremental by default: each calendar asks for the changes since the previous
//! snapshot's sync token and reuses the unchanged objects' blobs, so only changed objects
//! cross the network. A refused token falls back to an ETag listing, and every
//! `--full-every` runs the listing is done anyway, since some servers' tokens miss changes.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use anyhow::Context;
use vault::{AccountTree, BlobKind, CalendarRef, CalendarTree, ObjectEntry, PackWriter, Repo};

use super::args::BackupArgs;
use super::exit::{failure, PARTIAL};
use super::progress;
use super::select::{facts, parse_time, Selection};
use super::{connect, open_repo, pick_calendars, props_to_vault};

/// What one run changed, for the summary and the snapshot.
#[derive(Default)]
struct Counts {
    objects: u64,
    bytes: u64,
    new: u64,
    changed: u64,
    removed: u64,
    fetched: u64,
}

pub async fn run(args: BackupArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let selection = Selection {
        components: args
            .components
            .iter()
            .map(|c| c.name().to_owned())
            .collect(),
        since: args
            .since
            .as_deref()
            .map(|t| parse_time(t, "--since"))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|t| parse_time(t, "--until"))
            .transpose()?,
    };
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_exclusive()?;
    let (client, url) = connect(&args.account)?;

    let spinner = progress::spinner("discovering");
    let discovery = client
        .discover(&url)
        .await
        .with_context(|| format!("cannot find the calendars of {}", args.account.url))?;
    spinner.finish_and_clear();
    let calendars = pick_calendars(discovery.calendars, &args.calendars)?;
    eprintln!(
        "{} calendar(s) to back up: {}",
        calendars.len(),
        calendars
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );

    let source = vault::Source {
        url: args.account.url.clone(),
        user: args.account.user.clone(),
    };
    let selection_text = selection.describe();
    let previous = repo
        .snapshots()?
        .into_iter()
        .rev()
        .find(|(_, s)| s.source == source);
    let mut previous_calendars: HashMap<String, (CalendarRef, CalendarTree)> = HashMap::new();
    if let Some((_, snapshot)) = &previous {
        if snapshot.selection == selection_text {
            for reference in repo.load_tree(snapshot)?.calendars {
                let tree = repo.load_calendar(&reference)?;
                previous_calendars.insert(reference.href.clone(), (reference, tree));
            }
        }
    }
    let runs_since_full = previous.as_ref().map_or(0, |(_, s)| s.runs_since_full + 1);
    let full =
        args.full || previous_calendars.is_empty() || runs_since_full >= args.full_every.max(1);

    let mut writer = repo.writer();
    let mut counts = Counts::default();
    let mut references = Vec::new();
    let mut failures = Vec::new();
    for calendar in &calendars {
        let previous = previous_calendars.get(&calendar.path);
        let outcome = backup_calendar(
            &client,
            &repo,
            &mut writer,
            calendar,
            previous.map(|(_, tree)| tree),
            full,
            &selection,
            &mut counts,
        )
        .await;
        match outcome {
            Ok(tree) => {
                let objects = tree.objects.len() as u64;
                let id = Repo::save_calendar(&mut writer, &tree)?;
                references.push(CalendarRef {
                    href: tree.href.clone(),
                    name: tree.name.clone(),
                    tree: id,
                    objects,
                });
            }
            Err(e) => {
                // Keep the last good copy of a calendar that could not be read this time.
                failures.push(format!("{}: {e:#}", calendar.path));
                if let Some((reference, tree)) = previous {
                    counts.objects += tree.objects.len() as u64;
                    counts.bytes += tree.objects.iter().map(|o| o.size).sum::<u64>();
                    references.push(reference.clone());
                }
            }
        }
    }
    let removed_calendars: Vec<&CalendarTree> = previous_calendars
        .values()
        .filter(|(r, _)| !calendars.iter().any(|c| c.path == r.href))
        .filter(|_| args.calendars.is_empty())
        .map(|(_, t)| t)
        .collect();
    for tree in removed_calendars {
        counts.removed += tree.objects.len() as u64;
    }
    let root = Repo::save_tree(
        &mut writer,
        &AccountTree {
            calendars: references,
        },
    )?;
    let stored = writer.finish()?;
    let snapshot = vault::Snapshot {
        time: chrono::Utc::now(),
        source,
        root,
        parent: previous.as_ref().map(|(id, _)| *id),
        full_scan: full,
        runs_since_full: if full { 0 } else { runs_since_full },
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
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        selection: selection_text,
    };
    let id = repo.save_snapshot(&snapshot)?;
    println!(
        "snapshot {} saved: {} calendar(s), {} objects ({})",
        id.short(),
        calendars.len(),
        counts.objects,
        progress::bytes(counts.bytes)
    );
    println!(
        "  {} new, {} changed, {} removed; {} objects fetched in {} requests; {} added to the \
         repository; {:.1} s{}",
        counts.new,
        counts.changed,
        counts.removed,
        counts.fetched,
        client.requests(),
        progress::bytes(stored.stored_bytes_added),
        started.elapsed().as_secs_f64(),
        if full { " (full comparison)" } else { "" }
    );
    if !failures.is_empty() {
        return Err(failure(
            PARTIAL,
            format!(
                "snapshot {} was saved, but {} calendar(s) could not be read (their previous \
                 copy, if any, was kept):\n  {}",
                id.short(),
                failures.len(),
                failures.join("\n  ")
            ),
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn backup_calendar(
    client: &client::Client,
    repo: &Repo,
    writer: &mut PackWriter<'_>,
    calendar: &client::Calendar,
    previous: Option<&CalendarTree>,
    full: bool,
    selection: &Selection,
    counts: &mut Counts,
) -> anyhow::Result<CalendarTree> {
    let before: HashMap<&str, &ObjectEntry> = previous
        .map(|t| t.objects.iter().map(|o| (o.href.as_str(), o)).collect())
        .unwrap_or_default();
    let mut kept: Vec<ObjectEntry> = Vec::new();
    let mut to_fetch: Vec<String> = Vec::new();
    let mut token = calendar.sync_token.clone();
    let unchanged = |path: &str, etag: &Option<String>| -> Option<ObjectEntry> {
        let old = before.get(path)?;
        (etag.is_some() && old.etag == *etag && repo.has_blob(&old.blob)).then(|| (*old).clone())
    };

    let mut listed = false;
    let previous_token = previous.and_then(|p| p.sync_token.clone());
    if let (false, Some(old_token)) = (full, previous_token) {
        match client.sync_changes(&calendar.url, &old_token).await {
            Ok(changes) => {
                let gone: HashSet<&str> = changes.removed.iter().map(String::as_str).collect();
                let touched: HashSet<&str> =
                    changes.changed.iter().map(|m| m.path.as_str()).collect();
                for (path, entry) in &before {
                    if !gone.contains(path) && !touched.contains(path) {
                        kept.push((*entry).clone());
                    }
                }
                for member in &changes.changed {
                    match unchanged(&member.path, &member.etag) {
                        Some(entry) => kept.push(entry),
                        None => to_fetch.push(member.href.clone()),
                    }
                }
                token = Some(changes.token);
                listed = true;
            }
            Err(
                e
                @ (client::Error::SyncTokenRejected { .. } | client::Error::SyncIncomplete { .. }),
            ) => {
                eprintln!("{}: {e}; comparing ETags instead", calendar.name);
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !listed {
        for member in client.list_members(&calendar.url).await? {
            match unchanged(&member.path, &member.etag) {
                Some(entry) => kept.push(entry),
                None => to_fetch.push(member.href),
            }
        }
    }

    let bar = progress::counter(to_fetch.len() as u64, &calendar.name);
    let mut fetched_bytes = 0u64;
    let fetched = client
        .fetch_objects(&calendar.url, &to_fetch, |batch| {
            fetched_bytes += batch.iter().map(|f| f.data.len() as u64).sum::<u64>();
            bar.set_message(format!("{} fetched", progress::bytes(fetched_bytes)));
            bar.inc(batch.len() as u64);
        })
        .await?;
    bar.finish_and_clear();
    counts.fetched += fetched.found.len() as u64;
    for object in fetched.found {
        let (facts, root) = facts(&object.data);
        if !selection.keeps(&facts, root.as_ref()) {
            continue;
        }
        let (blob, _) = writer.add(BlobKind::Data, &object.data)?;
        match before.get(object.path.as_str()) {
            None => counts.new += 1,
            Some(old) if old.blob != blob => counts.changed += 1,
            Some(_) => {}
        }
        kept.push(ObjectEntry {
            href: object.path,
            etag: object.etag,
            uid: facts.uid,
            component: facts.component,
            summary: facts.summary,
            start: facts.start,
            blob,
            size: object.data.len() as u64,
        });
    }
    kept.sort_by(|a, b| a.href.cmp(&b.href));
    kept.dedup_by(|a, b| a.href == b.href);
    let now: HashSet<&str> = kept.iter().map(|o| o.href.as_str()).collect();
    counts.removed += before.keys().filter(|p| !now.contains(*p)).count() as u64;
    counts.objects += kept.len() as u64;
    counts.bytes += kept.iter().map(|o| o.size).sum::<u64>();
    Ok(CalendarTree {
        href: calendar.path.clone(),
        name: calendar.name.clone(),
        props: props_to_vault(&calendar.props),
        sync_token: token,
        ctag: calendar.ctag.clone(),
        objects: kept,
        chunks: Vec::new(),
        groups: Vec::new(),
    })
}
