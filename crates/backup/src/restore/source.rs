//! What a restore writes: the calendars of a snapshot, or of a live server (`migrate`).

use bytes::Bytes;
use client::Url;
use vault::{Repo, Snapshot, SnapshotId};

use super::mapping::{check_all_named, selected};
use super::{Options, SourceCalendar, SourceObject};
use crate::caldav::CalDav;
use crate::discover::{
    object_name, pick_calendars, props_from_vault, sharee_from_vault, source_calendars,
};
use crate::error::{Error, Result};
use crate::facts::uid_of;
use crate::fetch::fetch_with_progress;
use crate::observe::Observer;

/// `restoring snapshot 1a2b3c4d (ann of https://dav.example.com/ at 2026-11-21T…)`: the
/// first thing a restore says, before it connects.
pub struct Restoring<'a>(pub &'a SnapshotId, pub &'a Snapshot);

impl std::fmt::Display for Restoring<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Restoring(id, snapshot) = self;
        write!(
            f,
            "restoring snapshot {} ({} of {} at {})",
            id.short(),
            snapshot.source.user,
            snapshot.source.url,
            snapshot.time.to_rfc3339()
        )
    }
}

/// The snapshot to restore into an account. `latest` means the latest of that account
/// when the repository has one, so a repository shared by several accounts never hands
/// one account's calendars to another by accident.
pub fn pick_snapshot(
    repo: &Repo,
    spec: &str,
    url: &str,
    user: &str,
) -> Result<(SnapshotId, Snapshot)> {
    if spec != "latest" {
        return Ok(repo.find_snapshot(spec)?);
    }
    let all = repo.snapshots()?;
    let same_url = |a: &str| a.trim_end_matches('/') == url.trim_end_matches('/');
    let mine = all
        .iter()
        .rev()
        .find(|(_, s)| same_url(&s.source.url) && s.source.user == user);
    if let Some(found) = mine {
        return Ok(found.clone());
    }
    let mut accounts: Vec<String> = all
        .iter()
        .map(|(_, s)| format!("{} @ {}", s.source.user, s.source.url))
        .collect();
    accounts.sort();
    accounts.dedup();
    if accounts.len() > 1 {
        return Err(Error::OtherAccounts {
            count: accounts.len(),
            accounts: accounts.join(", "),
            user: user.to_owned(),
            url: url.to_owned(),
        });
    }
    Ok(repo.find_snapshot("latest")?)
}

/// The selected calendars of a snapshot, with their objects' data. The caller holds a
/// lock on the repository.
pub fn snapshot_sources(
    repo: &Repo,
    id: &SnapshotId,
    snapshot: &Snapshot,
    options: &Options,
) -> Result<Vec<SourceCalendar>> {
    if options.mirror && !snapshot.selection.is_empty() {
        return Err(Error::MirrorOfPartialSnapshot {
            snapshot: id.short(),
            selection: snapshot.selection.clone(),
        });
    }
    let mut sources = Vec::new();
    for tree in repo.load_calendars(snapshot)?.1 {
        if !selected(
            &options.calendars,
            &tree.name,
            tree.props.displayname.as_deref(),
        ) {
            continue;
        }
        let mut objects = Vec::new();
        for o in &tree.objects {
            objects.push(SourceObject {
                name: object_name(&o.href).to_owned(),
                uid: o.uid.clone(),
                data: Bytes::from(repo.read_blob(&o.blob)?),
            });
        }
        sources.push(SourceCalendar {
            name: tree.name.clone(),
            props: props_from_vault(&tree.props),
            objects,
            sharees: tree.sharees.iter().map(sharee_from_vault).collect(),
        });
    }
    check_all_named(&options.calendars, &sources)?;
    Ok(sources)
}

/// The selected calendars of a live account, fetched in full; `named` is its URL as the
/// user gave it.
pub async fn server_sources(
    source: &dyn CalDav,
    start: &Url,
    named: &str,
    options: &Options,
    observer: &dyn Observer,
) -> Result<Vec<SourceCalendar>> {
    let discovery = source_calendars(source, start, named).await?;
    let wanted: Vec<String> = options.calendars.iter().map(|m| m.source.clone()).collect();
    let mut sources = Vec::new();
    for calendar in pick_calendars(discovery.calendars, &wanted)? {
        let hrefs: Vec<String> = source
            .list_members(&calendar.url)
            .await?
            .into_iter()
            .map(|m| m.href)
            .collect();
        let fetched = fetch_with_progress(source, &calendar, &hrefs, observer).await?;
        sources.push(SourceCalendar {
            name: calendar.name.clone(),
            props: calendar.props.clone(),
            sharees: calendar.sharees.clone(),
            objects: fetched
                .found
                .into_iter()
                .map(|f| SourceObject {
                    name: object_name(&f.path).to_owned(),
                    uid: uid_of(&f.data),
                    data: f.data,
                })
                .collect(),
        });
    }
    Ok(sources)
}
