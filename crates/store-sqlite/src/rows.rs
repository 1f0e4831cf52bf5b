//! Row to record mapping, one place per table.

use rusqlite::Row;
use store::db::{UNBOUNDED_END, UNBOUNDED_START};
use store::{
    Change, Collection, CollectionKind, Merge, ObjectIndex, ObjectMeta, Version, VersionKind,
};

pub use store::db::columns::*;

pub fn collection(r: &Row<'_>) -> rusqlite::Result<Collection> {
    collection_at(r, 0)
}

/// A collection whose [`COLLECTION_COLUMNS`] start at column `first` of a joined row.
pub fn collection_at(r: &Row<'_>, first: usize) -> rusqlite::Result<Collection> {
    let column = |i: usize| first + i;
    let kind: String = r.get(column(3))?;
    let components: String = r.get(column(4))?;
    Ok(Collection {
        id: r.get(column(0))?,
        owner: r.get(column(1))?,
        path: r.get(column(2))?,
        kind: CollectionKind::parse(&kind).unwrap_or(CollectionKind::Plain),
        components: components
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        sync_seq: r.get(column(5))?,
        created_at: r.get(column(6))?,
        modified_at: r.get(column(7))?,
        target: r.get(column(8))?,
    })
}

pub fn listed_object(r: &Row<'_>) -> rusqlite::Result<ObjectMeta> {
    Ok(ObjectMeta {
        collection: r.get(0)?,
        name: r.get(1)?,
        etag: r.get(2)?,
        content_type: r.get(3)?,
        size: crate::unsigned(r.get(4)?),
        index: ObjectIndex::default(),
        created_at: r.get(5)?,
        modified_at: r.get(6)?,
        modified_seq: r.get(7)?,
    })
}

pub fn object_meta(r: &Row<'_>) -> rusqlite::Result<ObjectMeta> {
    Ok(ObjectMeta {
        index: ObjectIndex {
            uid: r.get(8)?,
            component: r.get(9)?,
            first_start: r
                .get::<_, Option<i64>>(10)?
                .filter(|v| *v != UNBOUNDED_START),
            last_end: r.get::<_, Option<i64>>(11)?.filter(|v| *v != UNBOUNDED_END),
        },
        ..listed_object(r)?
    })
}

pub fn version(r: &Row<'_>) -> rusqlite::Result<Version> {
    let kind: String = r.get(3)?;
    let hash_of = |v: Option<Vec<u8>>| v.and_then(|p| <[u8; 32]>::try_from(p.as_slice()).ok());
    Ok(Version {
        id: r.get(0)?,
        collection: r.get(1)?,
        seq: r.get(2)?,
        kind: VersionKind::parse(&kind).unwrap_or(VersionKind::Put),
        name: r.get(4)?,
        uid: r.get(5)?,
        etag: r.get(6)?,
        data: bytes_of(r.get_ref(7)?),
        change: Change {
            author: r.get(8)?,
            client: r.get(9)?,
            address: r.get(10)?,
            locks: None,
        },
        at: r.get(11)?,
        prev_hash: hash_of(r.get(12)?),
        hash: hash_of(r.get(13)?).unwrap_or([0; 32]),
        chain: r.get(14)?,
        data_hash: hash_of(r.get(15)?),
        merge: merge_of(r.get(16)?, r.get(17)?, bytes_of(r.get_ref(18)?)),
    })
}

/// A merged edit's columns: both parents, or no merge.
fn merge_of(base: Option<String>, theirs: Option<String>, ours: Option<Vec<u8>>) -> Option<Merge> {
    Some(Merge {
        base: base?,
        theirs: theirs?,
        ours: ours.unwrap_or_default(),
    })
}

/// A BLOB, or TEXT someone wrote by hand: read both as bytes, so that verification reports
/// the mismatch instead of failing to read the row.
fn bytes_of(v: rusqlite::types::ValueRef<'_>) -> Option<Vec<u8>> {
    match v {
        rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => Some(b.to_vec()),
        _ => None,
    }
}
