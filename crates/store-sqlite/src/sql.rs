//! SQLite's side of the statements written once (`store::db::sql`): parameters bound as
//! SQLite values, rows read as cells, statement texts renumbered from `$1` to `?1`.

use rusqlite::types::{ToSqlOutput, ValueRef};
use store::db::sql::{Cell, Dialect, Sql, SqlRow, Value};
use store::{Result, StoreError};

use crate::{backend, SqliteConn};

impl Sql for SqliteConn {
    const DIALECT: Dialect = Dialect::Sqlite;

    async fn query<T, F>(&self, sql: &str, params: &[Value<'_>], mut each: F) -> Result<Vec<T>>
    where
        T: Send,
        F: FnMut(&dyn SqlRow) -> Result<T> + Send,
    {
        let sql = Dialect::Sqlite.numbered(sql);
        self.with(|c| {
            let mut statement = c.prepare_cached(&sql).map_err(error)?;
            let mut rows = statement
                .query(rusqlite::params_from_iter(params.iter().map(bound)))
                .map_err(error)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(error)? {
                out.push(each(&Row(row))?);
            }
            Ok(out)
        })
    }

    async fn execute(&self, sql: &str, params: &[Value<'_>]) -> Result<u64> {
        let sql = Dialect::Sqlite.numbered(sql);
        self.with(|c| {
            let mut statement = c.prepare_cached(&sql).map_err(error)?;
            let changed = statement
                .execute(rusqlite::params_from_iter(params.iter().map(bound)))
                .map_err(error)?;
            Ok(changed as u64)
        })
    }
}

pub(crate) struct Row<'a, 'stmt>(pub &'a rusqlite::Row<'stmt>);

impl SqlRow for Row<'_, '_> {
    fn cell(&self, i: usize) -> Result<Cell<'_>> {
        Ok(match self.0.get_ref(i).map_err(backend)? {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(v) => Cell::Int(v),
            ValueRef::Real(v) => Cell::Real(v),
            ValueRef::Text(v) => match std::str::from_utf8(v) {
                Ok(text) => Cell::Text(text),
                Err(_) => Cell::Blob(v),
            },
            ValueRef::Blob(v) => Cell::Blob(v),
        })
    }
}

fn bound<'a>(v: &'a Value<'a>) -> ToSqlOutput<'a> {
    ToSqlOutput::Borrowed(match *v {
        Value::Null => ValueRef::Null,
        Value::Int(v) => ValueRef::Integer(v),
        Value::Bool(v) => ValueRef::Integer(i64::from(v)),
        Value::Text(v) => ValueRef::Text(v.as_bytes()),
        Value::Blob(v) => ValueRef::Blob(v),
    })
}

/// A unique key taken is AlreadyExists, as on every backend.
fn error(e: rusqlite::Error) -> StoreError {
    let unique = matches!(
        e.sqlite_error().map(|f| f.extended_code),
        Some(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    );
    match unique {
        true => StoreError::AlreadyExists,
        false => backend(e),
    }
}
