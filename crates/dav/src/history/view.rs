//! History rows as a script reads them: JSON (the text a person reads is in `text.rs`).

use serde_json::{json, Value};
use store::{HistoryCollection, Version};

use super::describe::{describe, Described};
use super::timeline::{annotate, ItemEvent};

/// One version, described.
#[derive(Clone, Debug)]
pub struct EntryView {
    pub version: Version,
    pub owner: String,
    pub calendar: String,
    pub event: ItemEvent,
    /// Of the new content, or for a deletion of what was deleted.
    pub described: Described,
}

/// Every version of one collection, newest first.
pub fn entries(collection: &HistoryCollection, versions: &[Version]) -> Vec<EntryView> {
    let mut last_data: std::collections::HashMap<String, Described> = Default::default();
    let mut out: Vec<EntryView> = annotate(versions)
        .into_iter()
        .map(|l| {
            let described = match (&l.version.data, l.event) {
                (Some(data), ItemEvent::Created | ItemEvent::Changed) => {
                    let d = describe(data);
                    last_data.insert(l.version.name.clone(), d.clone());
                    d
                }
                (_, ItemEvent::Deleted) => last_data.remove(&l.version.name).unwrap_or_default(),
                _ => Described::default(),
            };
            EntryView {
                version: l.version,
                owner: collection.owner_name.clone(),
                calendar: collection.collection.path.clone(),
                event: l.event,
                described,
            }
        })
        .collect();
    out.reverse();
    out
}

/// Milliseconds since the epoch as RFC 3339 UTC (`2026-11-21T13:50:01Z`).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ms.to_string())
}

impl EntryView {
    pub fn to_json(&self) -> Value {
        let v = &self.version;
        json!({
            "version": v.id,
            "at": rfc3339(v.at),
            "seq": v.seq,
            "author": v.change.author,
            "client": v.change.client,
            "address": v.change.address,
            "action": match self.event {
                ItemEvent::Collection => v.kind.as_str(),
                e => e.as_str(),
            },
            "user": self.owner,
            "calendar": self.calendar,
            "object": (!v.name.is_empty()).then_some(&v.name),
            "etag": v.etag,
            "summary": self.described.summary,
            "start": self.described.start,
            "has_data": v.data.is_some(),
        })
    }
}

/// Which versions a history listing keeps.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// One object's versions only.
    pub object: Option<String>,
    /// At or after this time (ms).
    pub since: Option<i64>,
    /// Made by clients whose User-Agent contains this text (any case).
    pub client: Option<String>,
    /// At most this many, newest first.
    pub limit: Option<usize>,
}

/// The versions of `collections` that `filter` keeps, newest first.
pub async fn list(
    store: &dyn store::Store,
    collections: &[HistoryCollection],
    filter: &Filter,
) -> store::Result<Vec<EntryView>> {
    let client = filter.client.as_deref().map(str::to_lowercase);
    let keeps = |e: &EntryView| {
        let v = &e.version;
        filter.object.as_ref().is_none_or(|o| *o == v.name)
            && filter.since.is_none_or(|s| v.at >= s)
            && client.as_ref().is_none_or(|needle| {
                v.change
                    .client
                    .as_deref()
                    .is_some_and(|c| c.to_lowercase().contains(needle))
            })
    };
    let mut all = Vec::new();
    for c in collections {
        let versions = store.versions(c.collection.id).await?;
        all.extend(entries(c, &versions).into_iter().filter(|e| keeps(e)));
    }
    all.sort_by_key(|e| std::cmp::Reverse((e.version.at, e.version.id)));
    all.truncate(filter.limit.unwrap_or(usize::MAX));
    Ok(all)
}

/// One version with its data, as JSON (`calvault history show --json`, `GET /api/history/V`).
pub fn version_json(v: &Version) -> Value {
    let d = v.data.as_deref().map(describe).unwrap_or_default();
    json!({
        "version": v.id, "at": rfc3339(v.at), "seq": v.seq, "kind": v.kind.as_str(),
        "object": v.name, "uid": v.uid, "etag": v.etag, "author": v.change.author,
        "client": v.change.client, "address": v.change.address, "summary": d.summary,
        "start": d.start, "data": v.data.as_deref().map(String::from_utf8_lossy),
    })
}

impl super::VersionDiff {
    /// `calvault history diff --json`
    pub fn to_json(&self) -> Value {
        diff_json(&self.changes)
    }
}

/// A property-level diff as JSON (`calvault history diff --json`, `GET /api/history/diff`).
pub fn diff_json(changes: &[super::PropertyChange]) -> Value {
    Value::Array(
        changes
            .iter()
            .map(|c| {
                json!({"component": c.component, "property": c.property,
                    "before": c.before, "after": c.after})
            })
            .collect(),
    )
}
