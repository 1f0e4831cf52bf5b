//! A collection's history as per-item timelines: what each version did to its item.

use std::collections::BTreeMap;

use store::{Version, VersionKind};

/// What one version did, relative to the item's previous state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemEvent {
    Created,
    Changed,
    Deleted,
    /// A change of the collection itself (created, deleted, restored, properties, prune).
    Collection,
}

impl ItemEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemEvent::Created => "created",
            ItemEvent::Changed => "changed",
            ItemEvent::Deleted => "deleted",
            ItemEvent::Collection => "calendar",
        }
    }
}

/// One version with what it did.
#[derive(Clone, Debug)]
pub struct Listing {
    pub version: Version,
    pub event: ItemEvent,
}

/// The object versions (puts and deletes) of a collection grouped by object name, each in
/// chain order (sequence, then id).
pub fn item_rows(versions: &[Version]) -> BTreeMap<String, Vec<&Version>> {
    let mut ordered: Vec<&Version> = versions
        .iter()
        .filter(|v| matches!(v.kind, VersionKind::Put | VersionKind::Delete))
        .collect();
    ordered.sort_by_key(|v| (v.seq, v.id));
    let mut by_name: BTreeMap<String, Vec<&Version>> = BTreeMap::new();
    for v in ordered {
        by_name.entry(v.name.clone()).or_default().push(v);
    }
    by_name
}

/// Every version of a collection with what it did, oldest first.
pub fn annotate(versions: &[Version]) -> Vec<Listing> {
    let mut ordered: Vec<&Version> = versions.iter().collect();
    ordered.sort_by_key(|v| (v.seq, v.id));
    let mut present: std::collections::HashSet<&str> = Default::default();
    ordered
        .into_iter()
        .map(|v| {
            let event = match v.kind {
                VersionKind::Put if present.contains(v.name.as_str()) => ItemEvent::Changed,
                VersionKind::Put => {
                    present.insert(&v.name);
                    ItemEvent::Created
                }
                VersionKind::Delete => {
                    present.remove(v.name.as_str());
                    ItemEvent::Deleted
                }
                _ => ItemEvent::Collection,
            };
            Listing {
                version: v.clone(),
                event,
            }
        })
        .collect()
}
