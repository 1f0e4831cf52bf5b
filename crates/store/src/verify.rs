//! Checking a whole store against its history: every collection's hash chain
//! ([`crate::history::verify_chain`]), and every object that clients are served — its bytes
//! must hash to its ETag, and to the newest history row of its name. An edit made directly
//! in the database to a served object (not a history row) is found here: the chain alone
//! would still verify, while clients sync the altered event under a "valid" ETag.

use crate::dump::{ObjectRecord, PAGE};
use crate::history::{data_hash, etag_of, verify_chain, ChainBreak};
use crate::{HistoryCollection, Result, Store, Version, VersionKind};

/// What is wrong with one collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The history chain breaks at a row.
    Chain(ChainBreak),
    /// A served object does not match its ETag or its history.
    Object { name: String, reason: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Chain(b) => write!(
                f,
                "the history does not verify at version {} (sequence {}): {}",
                b.id, b.seq, b.reason
            ),
            Problem::Object { name, reason } => write!(f, "object {name}: {reason}"),
        }
    }
}

/// The result of checking a whole store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub collections: usize,
    pub versions: usize,
    pub objects: usize,
    pub problems: Vec<(HistoryCollection, Problem)>,
}

impl Report {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks every collection of the store, deleted ones included (they can be brought back).
pub async fn check(store: &dyn Store) -> Result<Report> {
    let mut report = Report::default();
    for collection in store.history_collections(None).await? {
        report.collections += 1;
        let versions = store.versions(collection.collection.id).await?;
        match verify_chain(&versions) {
            Ok(n) => report.versions += n,
            Err(b) => report
                .problems
                .push((collection.clone(), Problem::Chain(b))),
        }
        let mut after = i64::MIN;
        loop {
            let page = store
                .dump_objects(collection.collection.id, after, PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for object in &page {
                report.objects += 1;
                if let Err(reason) = check_object(object, &versions) {
                    let name = object.meta.name.clone();
                    report
                        .problems
                        .push((collection.clone(), Problem::Object { name, reason }));
                }
            }
        }
    }
    Ok(report)
}

/// A served object against its ETag and the newest history row of its name.
pub fn check_object(object: &ObjectRecord, versions: &[Version]) -> Result<(), String> {
    let name = &object.meta.name;
    if etag_of(&object.data) != object.meta.etag {
        return Err("its bytes do not match its ETag (changed outside calvault)".into());
    }
    let newest = versions
        .iter()
        .filter(|v| v.name == *name && matches!(v.kind, VersionKind::Put | VersionKind::Delete))
        .max_by_key(|v| (v.seq, v.id));
    let Some(newest) = newest else {
        return Err("no history row records it".into());
    };
    if newest.kind != VersionKind::Put {
        return Err("its history says it was deleted".into());
    }
    if newest.etag.as_deref() != Some(object.meta.etag.as_str()) {
        return Err(format!(
            "its ETag is not the one its history recorded last (version {})",
            newest.id
        ));
    }
    let recorded = match (&newest.data, newest.data_hash) {
        (_, Some(hash)) => hash == data_hash(&object.data),
        (Some(data), None) => data.as_slice() == object.data.as_ref(),
        (None, None) => false,
    };
    if !recorded {
        return Err(format!(
            "its bytes are not the ones its history recorded last (version {})",
            newest.id
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Change, ObjectIndex, ObjectMeta};

    fn object(data: &[u8], etag: &str) -> ObjectRecord {
        ObjectRecord {
            id: 1,
            meta: ObjectMeta {
                collection: 1,
                name: "a.ics".into(),
                etag: etag.into(),
                content_type: "text/calendar".into(),
                size: data.len() as u64,
                index: ObjectIndex::default(),
                created_at: 0,
                modified_at: 0,
                modified_seq: 1,
            },
            data: bytes::Bytes::copy_from_slice(data),
            instances_until: i64::MIN,
            instances_floating: false,
            instances: vec![],
        }
    }

    fn put(id: i64, data: &[u8]) -> Version {
        Version {
            id,
            collection: 1,
            seq: id,
            kind: VersionKind::Put,
            name: "a.ics".into(),
            uid: None,
            etag: Some(etag_of(data)),
            data: Some(data.to_vec()),
            data_hash: Some(data_hash(data)),
            change: Change::default(),
            at: 0,
            chain: 2,
            prev_hash: None,
            hash: [0; 32],
            merge: None,
        }
    }

    #[test]
    fn an_object_must_match_its_etag_and_its_newest_history_row() {
        let history = [put(1, b"old"), put(2, b"new")];
        assert_eq!(
            check_object(&object(b"new", &etag_of(b"new")), &history),
            Ok(())
        );
        let forged = object(b"forged", &etag_of(b"new"));
        assert!(check_object(&forged, &history)
            .unwrap_err()
            .contains("ETag"));
        let rehashed = object(b"forged", &etag_of(b"forged"));
        assert!(check_object(&rehashed, &history)
            .unwrap_err()
            .contains("not the one its history recorded last"));
        let rolled_back = object(b"old", &etag_of(b"old"));
        assert!(check_object(&rolled_back, &history).is_err());
        assert!(check_object(&object(b"new", &etag_of(b"new")), &[])
            .unwrap_err()
            .contains("no history"));
    }
}
