//! Fetching a calendar's objects with progress events, for backups and migrations alike.

use client::{Calendar, Fetched, MultigetResult};

use crate::caldav::CalDav;
use crate::error::Result;
use crate::observe::{Event, Observer};

/// The objects at `hrefs` in `calendar`, reported batch by batch.
pub(crate) async fn fetch_with_progress(
    client: &dyn CalDav,
    calendar: &Calendar,
    hrefs: &[String],
    observer: &dyn Observer,
) -> Result<MultigetResult> {
    observer.event(Event::Fetching {
        calendar: &calendar.name,
        objects: hrefs.len() as u64,
    });
    let mut on_batch = |batch: &[Fetched]| {
        observer.event(Event::Fetched {
            objects: batch.len() as u64,
            bytes: batch.iter().map(|f| f.data.len() as u64).sum(),
        })
    };
    let fetched = client
        .fetch_objects(&calendar.url, hrefs, &mut on_batch)
        .await;
    observer.event(Event::FetchDone);
    Ok(fetched?)
}
