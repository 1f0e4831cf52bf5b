//! The tables whose statements read the same in both dialects, written once over
//! [`super::sql::Sql`]: every backend's connection gets these statement traits by
//! implementing `Sql`. What differs between the dialects is named by [`Dialect`] here,
//! never spelt out by a backend.

mod access;
mod collections;
mod dump;
mod groups;
mod log;
mod mail;
mod objects;
mod principals;
mod properties;
mod status;
mod tokens;
mod web_locks;

use super::sql::{Dialect, Sql};

/// The column that orders a table's rows the way they were inserted: SQLite's `rowid`,
/// a sequence column on PostgreSQL (which keeps no insertion order of its own).
fn insertion_order<C: Sql>(sequence_column: &'static str) -> &'static str {
    match C::DIALECT {
        Dialect::Sqlite => "rowid",
        Dialect::Postgres => sequence_column,
    }
}

/// What a claim of queued rows adds to its inner SELECT: PostgreSQL's writers run at once,
/// so each skips the rows another has claimed; SQLite's run one at a time.
fn skip_claimed<C: Sql>() -> &'static str {
    match C::DIALECT {
        Dialect::Sqlite => "",
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

/// SQLite's hint to read a table through `index`: its planner picks a worse one for some
/// hot lookups. PostgreSQL takes no hints.
fn indexed_by(dialect: Dialect, index: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("INDEXED BY {index}"),
        Dialect::Postgres => String::new(),
    }
}
