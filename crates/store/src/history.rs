//! The per-collection hash chain of the change log (DESIGN §5): each row's hash covers the
//! previous row's hash and a canonical encoding of the row, so an edit made directly in the
//! database breaks the chain at that row.

use crate::{Change, CollectionId, Merge, Version, VersionKind};

/// What a backend records about one change of a collection.
pub struct Entry<'a> {
    pub collection: CollectionId,
    pub seq: i64,
    pub kind: VersionKind,
    pub name: &'a str,
    pub uid: Option<&'a str>,
    pub etag: Option<&'a str>,
    pub data: Option<&'a [u8]>,
    /// A merged edit's parents and the body it merged in.
    pub merge: Option<&'a Merge>,
}

/// The fields of a history row that its hash covers.
pub struct ChainInput<'a> {
    pub entry: &'a Entry<'a>,
    pub change: &'a Change,
    pub at: i64,
}

/// The chain version new rows are written with.
pub const CHAIN_VERSION: u8 = 2;

/// BLAKE3 over the previous hash and every field, each length-prefixed so that no two
/// different rows encode to the same bytes. Version 2 covers the data through its hash, so
/// retention can drop old data and the chain still verifies, and a merged edit's parents
/// (the ETags of its base and of the version it merged with) after the other fields; the
/// body the client sent for the merge is kept beside the row as information, not covered.
pub fn chain_hash(prev: Option<&[u8; 32]>, row: &ChainInput<'_>) -> [u8; 32] {
    let digest = row.entry.data.map(data_hash);
    hash_v2(prev, row, digest.as_ref())
}

/// BLAKE3 of a version's data, kept when the data itself is pruned.
pub fn data_hash(data: &[u8]) -> [u8; 32] {
    *blake3::hash(data).as_bytes()
}

fn hash_v2(prev: Option<&[u8; 32]>, row: &ChainInput<'_>, digest: Option<&[u8; 32]>) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"calvault-history-v2");
    field(&mut h, prev.map(|p| p.as_slice()));
    common_fields(&mut h, row);
    field(&mut h, digest.map(|d| d.as_slice()));
    people_and_time(&mut h, row);
    // Only rows that merged carry it, so every other row hashes as it always did.
    if let Some(merge) = row.entry.merge {
        h.update(b"merge");
        field(&mut h, Some(merge.base.as_bytes()));
        field(&mut h, Some(merge.theirs.as_bytes()));
    }
    *h.finalize().as_bytes()
}

/// Version 1 (rows written before retention existed) covered the data bytes themselves.
fn hash_v1(prev: Option<&[u8; 32]>, row: &ChainInput<'_>) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"calvault-history-v1");
    field(&mut h, prev.map(|p| p.as_slice()));
    common_fields(&mut h, row);
    field(&mut h, row.entry.data);
    people_and_time(&mut h, row);
    *h.finalize().as_bytes()
}

fn common_fields(h: &mut blake3::Hasher, row: &ChainInput<'_>) {
    let e = row.entry;
    h.update(&e.collection.to_le_bytes());
    h.update(&e.seq.to_le_bytes());
    field(h, Some(e.kind.as_str().as_bytes()));
    field(h, Some(e.name.as_bytes()));
    field(h, e.uid.map(str::as_bytes));
    field(h, e.etag.map(str::as_bytes));
}

fn people_and_time(h: &mut blake3::Hasher, row: &ChainInput<'_>) {
    field(h, Some(row.change.author.as_bytes()));
    field(h, row.change.client.as_deref().map(str::as_bytes));
    field(h, row.change.address.as_deref().map(str::as_bytes));
    h.update(&row.at.to_le_bytes());
}

fn field(h: &mut blake3::Hasher, value: Option<&[u8]>) {
    match value {
        None => {
            h.update(&[0]);
        }
        Some(v) => {
            h.update(&[1]);
            h.update(&(v.len() as u64).to_le_bytes());
            h.update(v);
        }
    }
}

/// The first row of a chain that does not match, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    pub id: i64,
    pub seq: i64,
    pub reason: String,
}

/// Recomputes one collection's chain (rows in any order; the chain runs by sequence, then
/// id) and returns how many rows matched, or the first that does not.
pub fn verify_chain(rows: &[Version]) -> Result<usize, ChainBreak> {
    let mut ordered: Vec<&Version> = rows.iter().collect();
    ordered.sort_by_key(|v| (v.seq, v.id));
    let mut prev: Option<[u8; 32]> = None;
    for v in &ordered {
        let broken = |reason: &str| ChainBreak {
            id: v.id,
            seq: v.seq,
            reason: reason.to_owned(),
        };
        if v.prev_hash != prev {
            return Err(broken(
                "its previous-hash is not the hash of the row before it",
            ));
        }
        let entry = Entry {
            collection: v.collection,
            seq: v.seq,
            kind: v.kind,
            name: &v.name,
            uid: v.uid.as_deref(),
            etag: v.etag.as_deref(),
            data: v.data.as_deref(),
            merge: v.merge.as_ref(),
        };
        let input = ChainInput {
            entry: &entry,
            change: &v.change,
            at: v.at,
        };
        let expected = match v.chain {
            1 => hash_v1(prev.as_ref(), &input),
            2 => {
                let digest = match (&v.data, v.data_hash) {
                    (Some(data), Some(stored)) if data_hash(data) != stored => {
                        return Err(broken("its data does not match its data hash"))
                    }
                    (Some(data), _) => Some(data_hash(data)),
                    (None, stored) => stored,
                };
                hash_v2(prev.as_ref(), &input, digest.as_ref())
            }
            other => return Err(broken(&format!("unknown chain version {other}"))),
        };
        if v.hash != expected {
            return Err(broken(
                "its content (data, author, client, time or name) does not match its hash",
            ));
        }
        prev = Some(v.hash);
    }
    // Data may only be missing where retention dropped it: a version a later one of the
    // same item replaced, with a prune entry after it.
    for (i, v) in ordered.iter().enumerate() {
        let holds_data = matches!(v.kind, VersionKind::Put | VersionKind::Properties);
        if !holds_data || v.data.is_some() {
            continue;
        }
        let later = &ordered[i + 1..];
        let replaced = later
            .iter()
            .any(|n| n.name == v.name && same_item(v.kind, n.kind));
        let pruned = later.iter().any(|n| n.kind == VersionKind::Prune);
        if !(replaced && pruned) {
            return Err(ChainBreak {
                id: v.id,
                seq: v.seq,
                reason: "its data is missing and no retention run explains it".into(),
            });
        }
    }
    Ok(ordered.len())
}

/// Whether a version of kind `later` replaces the state a version of kind `earlier` holds.
fn same_item(earlier: VersionKind, later: VersionKind) -> bool {
    match earlier {
        VersionKind::Put => matches!(later, VersionKind::Put | VersionKind::Delete),
        VersionKind::Properties => later == VersionKind::Properties,
        _ => false,
    }
}

/// The ETag of stored bytes: a strong validator derived from the exact content.
pub fn etag_of(data: &[u8]) -> String {
    let hash = blake3::hash(data);
    hash.to_hex()[..32].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(data: Option<&[u8]>) -> Entry<'_> {
        Entry {
            collection: 1,
            seq: 1,
            kind: VersionKind::Put,
            name: "a.ics",
            uid: Some("u"),
            etag: Some("e"),
            data,
            merge: None,
        }
    }

    fn hash(prev: Option<&[u8; 32]>, change: &Change, data: Option<&[u8]>) -> [u8; 32] {
        let e = entry(data);
        chain_hash(
            prev,
            &ChainInput {
                entry: &e,
                change,
                at: 5,
            },
        )
    }

    #[test]
    fn hash_depends_on_every_field_and_on_the_previous_hash() {
        let change = Change {
            author: "ann".into(),
            client: None,
            address: None,
            locks: None,
        };
        let a = hash(None, &change, Some(b"x"));
        assert_ne!(a, hash(None, &change, Some(b"y")));
        assert_ne!(a, hash(None, &change, None));
        assert_ne!(a, hash(Some(&a), &change, Some(b"x")));
        let other = Change {
            author: "bob".into(),
            ..change.clone()
        };
        assert_ne!(a, hash(None, &other, Some(b"x")));
        assert_eq!(a, hash(None, &change, Some(b"x")));
    }

    #[test]
    fn etag_is_stable_and_content_derived() {
        assert_eq!(etag_of(b"abc"), etag_of(b"abc"));
        assert_ne!(etag_of(b"abc"), etag_of(b"abd"));
        assert_eq!(etag_of(b"abc").len(), 32);
    }

    fn row(id: i64, prev: Option<[u8; 32]>, data: Option<&[u8]>, chain: u8) -> Version {
        let change = Change {
            author: "ann".into(),
            client: None,
            address: None,
            locks: None,
        };
        let e = Entry {
            seq: id,
            ..entry(data)
        };
        let input = ChainInput {
            entry: &e,
            change: &change,
            at: 5,
        };
        let hash = match chain {
            1 => hash_v1(prev.as_ref(), &input),
            _ => chain_hash(prev.as_ref(), &input),
        };
        Version {
            id,
            collection: 1,
            seq: id,
            kind: VersionKind::Put,
            name: "a.ics".into(),
            uid: Some("u".into()),
            etag: Some("e".into()),
            data: data.map(<[u8]>::to_vec),
            data_hash: (chain == 2).then(|| data.map(data_hash)).flatten(),
            change,
            at: 5,
            chain,
            prev_hash: prev,
            hash,
            merge: None,
        }
    }

    fn rehash(v: &Version) -> [u8; 32] {
        let e = Entry {
            collection: v.collection,
            seq: v.seq,
            kind: v.kind,
            name: &v.name,
            uid: v.uid.as_deref(),
            etag: v.etag.as_deref(),
            data: v.data.as_deref(),
            merge: None,
        };
        chain_hash(
            v.prev_hash.as_ref(),
            &ChainInput {
                entry: &e,
                change: &v.change,
                at: v.at,
            },
        )
    }

    #[test]
    fn chains_of_both_versions_verify_and_pruned_data_is_covered_by_its_hash() {
        let old = row(1, None, Some(b"one"), 1);
        let mut new = row(2, Some(old.hash), Some(b"two"), 2);
        let last = row(3, Some(new.hash), Some(b"three"), 2);
        assert_eq!(
            verify_chain(&[old.clone(), new.clone(), last.clone()]),
            Ok(3)
        );
        new.data = None; // dropped, but nothing explains it
        assert_eq!(
            verify_chain(&[old.clone(), new.clone(), last.clone()]).map_err(|b| b.id),
            Err(2)
        );
        let mut prune = row(4, Some(last.hash), Some(b"pruned"), 2);
        prune.kind = VersionKind::Prune;
        prune.name = String::new();
        prune.hash = rehash(&prune);
        // Retention ran after it: the data hash stands in for the data.
        assert_eq!(
            verify_chain(&[old.clone(), new.clone(), last.clone(), prune]),
            Ok(4)
        );
        new.data = Some(b"forged".to_vec());
        let broken = verify_chain(&[old.clone(), new, last.clone()]).expect_err("forged data");
        assert_eq!(broken.id, 2);
        // A removed row breaks the link of the next one.
        assert_eq!(verify_chain(&[old, last]).expect_err("missing row").id, 3);
    }
}
