//! What a write transaction appends to the change log: each change advances its
//! collection's sequence number (the sync token and ctag) and adds a history row chained to
//! the one before it (DESIGN §5). The chains a transaction touches are read once, under its
//! lock, and carried forward here, so that several changes of one collection in one
//! transaction (a move within a calendar: a removal and a creation) chain to each other.

use std::collections::HashMap;

use crate::history::{chain_hash, data_hash, ChainInput, Entry, CHAIN_VERSION};
use crate::{Change, CollectionId, Merge, Result, StoreError, VersionKind};

/// A collection's place in its change log, as a write reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChainState {
    /// The latest sequence number.
    pub seq: i64,
    /// The hash of the latest history row (None before the first).
    pub head: Option<[u8; 32]>,
}

/// What one history row says, besides where and when.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub kind: VersionKind,
    /// The object's name; empty for changes of the collection itself.
    pub name: &'a str,
    pub uid: Option<&'a str>,
    pub etag: Option<&'a str>,
    pub data: Option<&'a [u8]>,
    /// The parents of a merged edit.
    pub merge: Option<&'a Merge>,
}

impl<'a> Record<'a> {
    /// A change of the collection itself (no object, no ETag).
    pub fn collection(kind: VersionKind, data: Option<&'a [u8]>) -> Self {
        Record {
            kind,
            name: "",
            uid: None,
            etag: None,
            data,
            merge: None,
        }
    }
}

/// A history row ready to insert: a [`crate::Version`] without its id.
pub struct NewVersion<'a> {
    pub entry: Entry<'a>,
    pub change: &'a Change,
    pub at: i64,
    pub chain: u8,
    pub prev_hash: Option<[u8; 32]>,
    pub hash: [u8; 32],
    pub data_hash: Option<[u8; 32]>,
}

/// The chains of one write transaction.
#[derive(Debug)]
pub struct Log {
    chains: HashMap<CollectionId, ChainState>,
    at: i64,
}

impl Log {
    /// A transaction at time `at` (ms): every row it appends carries that time.
    pub fn new(at: i64) -> Self {
        Log {
            chains: HashMap::new(),
            at,
        }
    }

    pub fn at(&self) -> i64 {
        self.at
    }

    pub fn is_open(&self, collection: CollectionId) -> bool {
        self.chains.contains_key(&collection)
    }

    /// Starts carrying `collection`'s chain from `state` (read under the transaction's lock,
    /// or the empty chain of a collection created in it).
    pub fn open(&mut self, collection: CollectionId, state: ChainState) {
        self.chains.entry(collection).or_insert(state);
    }

    /// The collection's sequence number after `advance`s so far.
    pub fn seq(&self, collection: CollectionId) -> Result<i64> {
        Ok(self.state(collection)?.seq)
    }

    /// Advances the collection's sequence: members changed, so sync tokens and ctags do.
    pub fn advance(&mut self, collection: CollectionId) -> Result<i64> {
        let state = self.state_mut(collection)?;
        state.seq += 1;
        Ok(state.seq)
    }

    /// The collection's next history row, at its current sequence number.
    pub fn row<'a>(
        &mut self,
        collection: CollectionId,
        record: Record<'a>,
        change: &'a Change,
    ) -> Result<NewVersion<'a>> {
        let at = self.at;
        let state = self.state_mut(collection)?;
        let entry = Entry {
            collection,
            seq: state.seq,
            kind: record.kind,
            name: record.name,
            uid: record.uid,
            etag: record.etag,
            data: record.data,
            merge: record.merge,
        };
        let prev_hash = state.head;
        let hash = chain_hash(
            prev_hash.as_ref(),
            &ChainInput {
                entry: &entry,
                change,
                at,
            },
        );
        state.head = Some(hash);
        Ok(NewVersion {
            data_hash: record.data.map(data_hash),
            entry,
            change,
            at,
            chain: CHAIN_VERSION,
            prev_hash,
            hash,
        })
    }

    fn state(&self, collection: CollectionId) -> Result<&ChainState> {
        self.chains
            .get(&collection)
            .ok_or_else(|| not_open(collection))
    }

    fn state_mut(&mut self, collection: CollectionId) -> Result<&mut ChainState> {
        self.chains
            .get_mut(&collection)
            .ok_or_else(|| not_open(collection))
    }
}

fn not_open(collection: CollectionId) -> StoreError {
    StoreError::Backend(format!(
        "the change log of collection {collection} was written before it was read"
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::history::verify_chain;
    use crate::Version;

    fn stored(id: i64, row: &NewVersion<'_>) -> Version {
        Version {
            id,
            collection: row.entry.collection,
            seq: row.entry.seq,
            kind: row.entry.kind,
            name: row.entry.name.into(),
            uid: row.entry.uid.map(str::to_owned),
            etag: row.entry.etag.map(str::to_owned),
            data: row.entry.data.map(<[u8]>::to_vec),
            data_hash: row.data_hash,
            change: row.change.clone(),
            at: row.at,
            chain: row.chain,
            prev_hash: row.prev_hash,
            hash: row.hash,
            merge: row.entry.merge.cloned(),
        }
    }

    #[test]
    fn rows_of_one_transaction_chain_to_each_other_and_to_what_was_read() {
        let change = Change {
            author: "ann".into(),
            ..Change::default()
        };
        let mut log = Log::new(1_000);
        assert!(log.advance(7).is_err(), "a chain must be read first");
        log.open(7, ChainState::default());
        let put = Record {
            kind: VersionKind::Put,
            name: "a.ics",
            uid: Some("a"),
            etag: Some("e"),
            data: Some(b"x"),
            merge: None,
        };
        assert_eq!(log.advance(7).unwrap(), 1);
        let first = log.row(7, put, &change).unwrap();
        let first = stored(1, &first);
        assert_eq!(log.advance(7).unwrap(), 2);
        let second = log.row(7, Record::collection(VersionKind::Prune, None), &change);
        let second = stored(2, &second.unwrap());
        assert_eq!(second.prev_hash, Some(first.hash));
        assert_eq!(verify_chain(&[first.clone(), second.clone()]), Ok(2));

        // A later transaction carries on from what it reads.
        let mut next = Log::new(2_000);
        next.open(
            7,
            ChainState {
                seq: 2,
                head: Some(second.hash),
            },
        );
        next.open(7, ChainState::default()); // opening twice keeps the first state
        assert_eq!(next.advance(7).unwrap(), 3);
        let third = stored(3, &next.row(7, put, &change).unwrap());
        assert_eq!(verify_chain(&[first, second, third]), Ok(3));
    }
}
