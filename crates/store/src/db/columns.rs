//! The column lists the row readers of every backend expect, in their order: the schema's
//! names are the same in both dialects, so a row is read the same way everywhere.

pub const USER_COLUMNS: &str =
    "id, name, email, password_hash, quota_bytes, created_at, admin, display_name, disabled";
/// Columns in [`USER_COLUMNS`]: what a row holds after them starts here.
pub const USER_COUNT: usize = 9;

/// An app password's columns, without its hash.
pub const TOKEN_COLUMNS: &str = "id, principal_id, label, scope, created_at, last_used_at";

pub const COLLECTION_COLUMNS: &str =
    "id, owner_id, path, kind, components, sync_seq, created_at, modified_at, target_id";
/// Columns in [`COLLECTION_COLUMNS`]: what a row holds after them starts here.
pub const COLLECTION_COUNT: usize = 9;

pub const GROUP_COLUMNS: &str = "id, name, display_name, created_at";

/// What a listing reads ([`crate::Objects::objects_page`]): the metadata without the index.
pub const LISTED_OBJECT_COLUMNS: &str =
    "collection_id, name, etag, content_type, size, created_at, modified_at, modified_seq";

/// All of an object's metadata: the listed columns first, then the index.
pub const OBJECT_META_COLUMNS: &str = "collection_id, name, etag, content_type, size, \
     created_at, modified_at, modified_seq, uid, component, first_start, last_end";

/// Columns in [`OBJECT_META_COLUMNS`]: what a row holds after them starts here.
pub const OBJECT_META_COUNT: usize = 12;

pub const VERSION_COLUMNS: &str = "id, collection_id, seq, kind, name, uid, etag, data, author, \
     client, address, at, prev_hash, hash, chain, data_hash, merge_base, merge_theirs, merge_ours";

/// A WebDAV lock's columns.
pub const LOCK_COLUMNS: &str = "token, home_id, path, principal_id, scope, deep, owner, \
     timeout_secs, created_at, expires_at";

/// The columns an object's write stores, in the order of its VALUES.
pub const OBJECT_WRITE_COLUMNS: &str = "collection_id, name, uid, etag, content_type, component, \
     first_start, last_end, size, created_at, modified_at, modified_seq, instances_until, \
     instances_floating";

/// What replacing an existing object by name updates (its creation time stays); the same
/// clause in both dialects.
pub const OBJECT_WRITE_CONFLICT: &str = "ON CONFLICT (collection_id, name) DO UPDATE SET \
     uid = excluded.uid, etag = excluded.etag, content_type = excluded.content_type, \
     component = excluded.component, first_start = excluded.first_start, \
     last_end = excluded.last_end, size = excluded.size, modified_at = excluded.modified_at, \
     modified_seq = excluded.modified_seq, instances_until = excluded.instances_until, \
     instances_floating = excluded.instances_floating";

/// `columns` (a list like [`OBJECT_META_COLUMNS`]) each prefixed with a table alias, for
/// joins of tables that share column names.
pub fn qualified(alias: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What follows [`OBJECT_META_COLUMNS`] in a query on objects: their bytes as the next
/// column and the table that holds them when `with_data`, else the table alone.
pub fn and_data_from(with_data: bool) -> &'static str {
    if with_data {
        ", data FROM calendar_object JOIN calendar_object_data ON object_id = id"
    } else {
        " FROM calendar_object"
    }
}

/// The `mail_outbox` columns a [`crate::QueuedMail`] is read from, in this order.
pub const MAIL_COLUMNS: &str = "id, organizer_id, uid, method, sender, recipient, calendar, \
     created_at, attempts, next_attempt_at, state, last_error";
