//! What a calendar holds now compared with its previous copy: the objects that can be
//! kept as they are, and the hrefs to fetch. From the changes since the previous sync
//! token (RFC 6578) when the server still knows it, else from a listing of every ETag.

use std::collections::{HashMap, HashSet};

use client::{Calendar, Member, SyncChanges};
use vault::{CalendarTree, ObjectEntry, Repo};

use crate::caldav::CalDav;
use crate::error::Result;
use crate::observe::{Event, Observer};

/// A calendar's objects in its previous copy, by path.
pub(super) struct BackedUp<'a> {
    pub(super) by_path: HashMap<&'a str, &'a ObjectEntry>,
}

impl<'a> BackedUp<'a> {
    pub(super) fn new(previous: Option<&'a CalendarTree>) -> BackedUp<'a> {
        BackedUp {
            by_path: previous
                .map(|t| t.objects.iter().map(|o| (o.href.as_str(), o)).collect())
                .unwrap_or_default(),
        }
    }

    /// The previous entry, when the server reports the same ETag and its blob is still
    /// in the repository (an ETag alone says nothing: some servers send none).
    fn reusable(&self, repo: &Repo, member: &Member) -> Option<ObjectEntry> {
        let old = self.by_path.get(member.path.as_str())?;
        let same = member.etag.is_some() && old.etag == member.etag && repo.has_blob(&old.blob);
        same.then(|| (*old).clone())
    }
}

/// What to keep and what to fetch.
#[derive(Default)]
pub(super) struct Listing {
    pub(super) kept: Vec<ObjectEntry>,
    pub(super) to_fetch: Vec<String>,
    /// The token the next run asks from.
    pub(super) token: Option<String>,
}

impl Listing {
    fn sort_member(&mut self, repo: &Repo, backed_up: &BackedUp<'_>, member: &Member) {
        match backed_up.reusable(repo, member) {
            Some(entry) => self.kept.push(entry),
            None => self.to_fetch.push(member.href.clone()),
        }
    }
}

pub(super) struct Lister<'a> {
    pub(super) client: &'a dyn CalDav,
    pub(super) repo: &'a Repo,
    pub(super) observer: &'a dyn Observer,
}

impl Lister<'_> {
    /// The listing of one calendar; `since` is the previous copy's token, when this run
    /// may trust it.
    pub(super) async fn list(
        &self,
        calendar: &Calendar,
        backed_up: &BackedUp<'_>,
        since: Option<&str>,
    ) -> Result<Listing> {
        if let Some(token) = since {
            match self.client.sync_changes(&calendar.url, token).await {
                Ok(changes) => return Ok(self.keep_unchanged(backed_up, &changes)),
                Err(
                    e @ (client::Error::SyncTokenRejected { .. }
                    | client::Error::SyncIncomplete { .. }),
                ) => self.observer.event(Event::SyncFallback {
                    calendar: &calendar.name,
                    reason: &e,
                }),
                Err(e) => return Err(e.into()),
            }
        }
        let mut listing = Listing {
            token: calendar.sync_token.clone(),
            ..Listing::default()
        };
        for member in self.client.list_members(&calendar.url).await? {
            listing.sort_member(self.repo, backed_up, &member);
        }
        Ok(listing)
    }

    /// Everything the changes do not name is kept; what they name is fetched unless its
    /// ETag is the one backed up.
    fn keep_unchanged(&self, backed_up: &BackedUp<'_>, changes: &SyncChanges) -> Listing {
        let gone: HashSet<&str> = changes.removed.iter().map(String::as_str).collect();
        let touched: HashSet<&str> = changes.changed.iter().map(|m| m.path.as_str()).collect();
        let mut listing = Listing {
            token: Some(changes.token.clone()),
            ..Listing::default()
        };
        for (path, entry) in &backed_up.by_path {
            if !gone.contains(path) && !touched.contains(path) {
                listing.kept.push((*entry).clone());
            }
        }
        for member in &changes.changed {
            listing.sort_member(self.repo, backed_up, member);
        }
        listing
    }
}
