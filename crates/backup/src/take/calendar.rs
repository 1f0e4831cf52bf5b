//! One calendar's backup: list, fetch what changed, store it, and build the calendar's
//! tree for the snapshot.

use std::collections::HashSet;

use client::{Calendar, Fetched};
use vault::{BlobKind, CalendarTree, ObjectEntry, PackWriter, Repo};

use super::listing::{BackedUp, Lister};
use crate::caldav::CalDav;
use crate::discover::{props_to_vault, sharee_to_vault};
use crate::error::Result;
use crate::facts::facts;
use crate::fetch::fetch_with_progress;
use crate::observe::Observer;
use crate::selection::Selection;

/// What one run changed, for the summary and the snapshot.
#[derive(Debug, Default)]
pub(super) struct Counts {
    pub(super) objects: u64,
    pub(super) bytes: u64,
    pub(super) new: u64,
    pub(super) changed: u64,
    pub(super) removed: u64,
    pub(super) fetched: u64,
}

impl Counts {
    /// A calendar that could not be read this time keeps its previous copy.
    pub(super) fn keep_previous(&mut self, tree: &CalendarTree) {
        self.objects += tree.objects.len() as u64;
        self.bytes += tree.objects.iter().map(|o| o.size).sum::<u64>();
    }
}

/// What every calendar of a run shares.
pub(super) struct CalendarRun<'a> {
    pub(super) client: &'a dyn CalDav,
    pub(super) repo: &'a Repo,
    pub(super) selection: &'a Selection,
    /// Compare every ETag instead of asking for the changes since the previous token.
    pub(super) full: bool,
    pub(super) observer: &'a dyn Observer,
}

impl CalendarRun<'_> {
    pub(super) async fn back_up(
        &self,
        writer: &mut PackWriter<'_>,
        calendar: &Calendar,
        previous: Option<&CalendarTree>,
        counts: &mut Counts,
    ) -> Result<CalendarTree> {
        let backed_up = BackedUp::new(previous);
        let since = match self.full {
            true => None,
            false => previous.and_then(|p| p.sync_token.as_deref()),
        };
        let lister = Lister {
            client: self.client,
            repo: self.repo,
            observer: self.observer,
        };
        let listing = lister.list(calendar, &backed_up, since).await?;
        let fetched =
            fetch_with_progress(self.client, calendar, &listing.to_fetch, self.observer).await?;
        counts.fetched += fetched.found.len() as u64;
        let mut kept = listing.kept;
        for object in fetched.found {
            if let Some(entry) = self.store(writer, object, &backed_up, counts)? {
                kept.push(entry);
            }
        }
        kept.sort_by(|a, b| a.href.cmp(&b.href));
        kept.dedup_by(|a, b| a.href == b.href);
        let now: HashSet<&str> = kept.iter().map(|o| o.href.as_str()).collect();
        counts.removed += backed_up
            .by_path
            .keys()
            .filter(|p| !now.contains(*p))
            .count() as u64;
        counts.objects += kept.len() as u64;
        counts.bytes += kept.iter().map(|o| o.size).sum::<u64>();
        Ok(CalendarTree {
            href: calendar.path.clone(),
            name: calendar.name.clone(),
            props: props_to_vault(&calendar.props),
            sync_token: listing.token,
            ctag: calendar.ctag.clone(),
            objects: kept,
            chunks: Vec::new(),
            groups: Vec::new(),
            sharees: calendar.sharees.iter().map(sharee_to_vault).collect(),
        })
    }

    /// Stores a fetched object the selection keeps, and counts it as new or changed.
    fn store(
        &self,
        writer: &mut PackWriter<'_>,
        object: Fetched,
        backed_up: &BackedUp<'_>,
        counts: &mut Counts,
    ) -> Result<Option<ObjectEntry>> {
        let (facts, root) = facts(&object.data);
        if !self.selection.keeps(&facts, root.as_ref()) {
            return Ok(None);
        }
        let (blob, _) = writer.add(BlobKind::Data, &object.data)?;
        match backed_up.by_path.get(object.path.as_str()) {
            None => counts.new += 1,
            Some(old) if old.blob != blob => counts.changed += 1,
            Some(_) => {}
        }
        Ok(Some(ObjectEntry {
            href: object.path,
            etag: object.etag,
            uid: facts.uid,
            component: facts.component,
            summary: facts.summary,
            start: facts.start,
            blob,
            size: object.data.len() as u64,
        }))
    }
}
