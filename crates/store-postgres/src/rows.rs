//! Row to record mapping, one place per table.

use store::{Collection, CollectionKind, ObjectIndex, ObjectMeta, Result, User};
use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

use crate::backend;

/// Column `i` of a row; a type mismatch is an error, not a panic.
pub fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(backend)
}

/// Maps every row with `f`.
pub fn all<T>(rows: &[Row], f: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

pub const USER_COLUMNS: &str = "id, name, email, password_hash, quota_bytes, created_at";

pub fn user(r: &Row) -> Result<User> {
    Ok(User {
        id: get(r, 0)?,
        name: get(r, 1)?,
        email: get(r, 2)?,
        password_hash: get(r, 3)?,
        quota_bytes: get::<Option<i64>>(r, 4)?.map(|q| q.max(0) as u64),
        created_at: get(r, 5)?,
    })
}

pub const COLLECTION_COLUMNS: &str =
    "id, owner_id, path, kind, components, sync_seq, created_at, modified_at";

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
    })
}

/// Open bounds are stored as the extreme values rather than NULL, so that the range
/// pre-filter is two plain comparisons an index can answer.
pub const UNBOUNDED_START: i64 = i64::MIN;
pub const UNBOUNDED_END: i64 = i64::MAX;

/// What a listing reads ([`store::Store::objects_page`]): the metadata without the index.
pub const LISTED_OBJECT_COLUMNS: &str =
    "collection_id, name, etag, content_type, size, created_at, modified_at, modified_seq";
/// All of an object's metadata: the listed columns first, then the index.
pub const OBJECT_META_COLUMNS: &str = "collection_id, name, etag, content_type, size, \
     created_at, modified_at, modified_seq, uid, component, first_start, last_end";

/// `columns` (a list like [`OBJECT_META_COLUMNS`]) each prefixed with a table alias, for
/// joins of tables that share column names.
pub fn qualified(alias: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn listed_object(r: &Row) -> Result<ObjectMeta> {
    Ok(ObjectMeta {
        collection: get(r, 0)?,
        name: get(r, 1)?,
        etag: get(r, 2)?,
        content_type: get(r, 3)?,
        size: get::<i64>(r, 4)?.max(0) as u64,
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
