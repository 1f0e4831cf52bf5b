//! Row to record mapping, one place per table.

use store::db::{UNBOUNDED_END, UNBOUNDED_START};
use store::{
    Change, Collection, CollectionKind, Merge, ObjectIndex, ObjectMeta, Result, StoredObject,
    Version, VersionKind,
};
use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

pub use store::db::columns::*;

use crate::backend;

/// Column `i` of a row; a type mismatch is an error, not a panic.
pub fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(backend)
}

/// Maps every row with `f`.
pub fn all<T>(rows: &[Row], f: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

pub fn collection(r: &Row) -> Result<Collection> {
    collection_at(r, 0)
}

/// A collection whose [`COLLECTION_COLUMNS`] start at column `first` of a joined row.
pub fn collection_at(r: &Row, first: usize) -> Result<Collection> {
    let column = |i: usize| first + i;
    let kind: &str = get(r, column(3))?;
    let components: &str = get(r, column(4))?;
    Ok(Collection {
        id: get(r, column(0))?,
        owner: get(r, column(1))?,
        path: get(r, column(2))?,
        kind: CollectionKind::parse(kind).unwrap_or(CollectionKind::Plain),
        components: components
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        sync_seq: get(r, column(5))?,
        created_at: get(r, column(6))?,
        modified_at: get(r, column(7))?,
        target: get(r, column(8))?,
    })
}

pub fn listed_object(r: &Row) -> Result<ObjectMeta> {
    Ok(ObjectMeta {
        collection: get(r, 0)?,
        name: get(r, 1)?,
        etag: get(r, 2)?,
        content_type: get(r, 3)?,
        size: crate::unsigned(get(r, 4)?),
        index: ObjectIndex::default(),
        created_at: get(r, 5)?,
        modified_at: get(r, 6)?,
        modified_seq: get(r, 7)?,
    })
}

pub fn object_meta(r: &Row) -> Result<ObjectMeta> {
    Ok(ObjectMeta {
        index: ObjectIndex {
            uid: get(r, 8)?,
            component: get(r, 9)?,
            first_start: Some(get::<i64>(r, 10)?).filter(|v| *v != UNBOUNDED_START),
            last_end: Some(get::<i64>(r, 11)?).filter(|v| *v != UNBOUNDED_END),
        },
        ..listed_object(r)?
    })
}

/// An object from a row of its [`OBJECT_META_COLUMNS`] followed by its data.
pub fn stored(r: &Row) -> Result<StoredObject> {
    Ok(StoredObject {
        meta: object_meta(r)?,
        data: get::<Vec<u8>>(r, OBJECT_META_COUNT)?.into(),
    })
}

pub fn version(r: &Row) -> Result<Version> {
    let kind: &str = get(r, 3)?;
    Ok(Version {
        id: get(r, 0)?,
        collection: get(r, 1)?,
        seq: get(r, 2)?,
        kind: VersionKind::parse(kind).unwrap_or(VersionKind::Put),
        name: get(r, 4)?,
        uid: get(r, 5)?,
        etag: get(r, 6)?,
        data: get(r, 7)?,
        change: Change {
            author: get(r, 8)?,
            client: get(r, 9)?,
            address: get(r, 10)?,
            locks: None,
        },
        at: get(r, 11)?,
        prev_hash: hash_of(get(r, 12)?),
        hash: hash_of(get(r, 13)?).unwrap_or([0; 32]),
        // An out-of-range number is an unknown version, which verification reports.
        chain: u8::try_from(get::<i16>(r, 14)?).unwrap_or(u8::MAX),
        data_hash: hash_of(get(r, 15)?),
        merge: merge_of(get(r, 16)?, get(r, 17)?, get(r, 18)?),
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

pub fn hash_of(v: Option<&[u8]>) -> Option<[u8; 32]> {
    v.and_then(|p| <[u8; 32]>::try_from(p).ok())
}
