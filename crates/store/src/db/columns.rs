//! The column lists the row readers of every backend expect, in their order: the schema's
//! names are the same in both dialects, so a row is read the same way everywhere.

pub const USER_COLUMNS: &str = "id, name, email, password_hash, quota_bytes, created_at";

pub const COLLECTION_COLUMNS: &str =
    "id, owner_id, path, kind, components, sync_seq, created_at, modified_at";

/// What a listing reads ([`crate::Objects::objects_page`]): the metadata without the index.
pub const LISTED_OBJECT_COLUMNS: &str =
    "collection_id, name, etag, content_type, size, created_at, modified_at, modified_seq";

/// All of an object's metadata: the listed columns first, then the index.
pub const OBJECT_META_COLUMNS: &str = "collection_id, name, etag, content_type, size, \
     created_at, modified_at, modified_seq, uid, component, first_start, last_end";

/// Columns in [`OBJECT_META_COLUMNS`]: what a row holds after them starts here.
pub const OBJECT_META_COUNT: usize = 12;

pub const VERSION_COLUMNS: &str = "id, collection_id, seq, kind, name, uid, etag, data, author, \
     client, address, at, prev_hash, hash, chain, data_hash";

/// `columns` (a list like [`OBJECT_META_COLUMNS`]) each prefixed with a table alias, for
/// joins of tables that share column names.
pub fn qualified(alias: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}
