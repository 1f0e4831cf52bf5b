//! One statement text for both dialects. [`Sql`] is what a backend's connection offers: run
//! a statement with [`Value`] parameters and read the rows it returns by position, as
//! [`Cell`]s. The tables whose statements read the same in SQLite and PostgreSQL are
//! written once on top of it ([`super::tables`]); a backend writes by hand only what its
//! dialect does better (SQLite's `INDEXED BY`, PostgreSQL's arrays) or differently.
//!
//! Texts number their parameters PostgreSQL's way (`$1`); SQLite's side renumbers them.
//! Both dialects take `CAST(x AS T)`, `IS NOT DISTINCT FROM`, `ON CONFLICT`, `RETURNING`
//! and `TRUE`/`FALSE`, so a shared text sticks to those.

use std::borrow::Cow;
use std::future::Future;
use std::sync::OnceLock;

use crate::{Result, StoreError};

/// A statement parameter. Integers bind to whatever integer width the column has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Bool(bool),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(v)
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(v)
    }
}

impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(v: &'a [u8]) -> Self {
        Value::Blob(v)
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a statement, each turned into a [`Value`].
#[macro_export]
macro_rules! sql_params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::db::sql::Value::from($value)),*]
    };
}
pub use crate::sql_params as params;

/// The SQL dialect a backend speaks, for the few places where shared statements differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A shared statement text with this dialect's parameter numbers: `$3` becomes `?3`
    /// for SQLite (which would read `$3` as a named parameter, numbered by where it first
    /// appears).
    pub fn numbered(self, sql: &str) -> Cow<'_, str> {
        if self == Dialect::Postgres || !sql.contains('$') {
            return Cow::Borrowed(sql);
        }
        let mut out = String::with_capacity(sql.len());
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            let numbers = c == '$' && chars.peek().is_some_and(char::is_ascii_digit);
            out.push(if numbers { '?' } else { c });
        }
        Cow::Owned(out)
    }
}

/// A statement text built once per dialect, for the hot paths: a request runs it without
/// formatting or renumbering it again.
pub struct Text(OnceLock<[String; 2]>);

impl Text {
    pub const fn new() -> Self {
        Text(OnceLock::new())
    }

    /// The text for `dialect`, built with `build` the first time (a plain function: it
    /// cannot capture a value that would then hold for every later caller).
    pub fn get(&'static self, dialect: Dialect, build: fn(Dialect) -> String) -> &'static str {
        let texts = self.0.get_or_init(|| {
            [Dialect::Sqlite, Dialect::Postgres].map(|d| d.numbered(&build(d)).into_owned())
        });
        match dialect {
            Dialect::Sqlite => &texts[0],
            Dialect::Postgres => &texts[1],
        }
    }
}

impl Default for Text {
    fn default() -> Self {
        Self::new()
    }
}

/// One column of a returned row, as the driver read it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'r> {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(&'r str),
    Blob(&'r [u8]),
}

/// A returned row, read by column position.
pub trait SqlRow {
    fn cell(&self, i: usize) -> Result<Cell<'_>>;
}

impl dyn SqlRow + '_ {
    /// Column `i` as `T`; a column of another type is an error that names it.
    pub fn get<T: FromCell>(&self, i: usize) -> Result<T> {
        let cell = self.cell(i)?;
        T::from_cell(cell).ok_or_else(|| {
            // The kind of value only: a cell may hold an event or a password hash.
            let kind = match cell {
                Cell::Null => "NULL",
                Cell::Int(_) => "an integer",
                Cell::Real(_) => "a real number",
                Cell::Bool(_) => "a boolean",
                Cell::Text(_) => "text",
                Cell::Blob(_) => "bytes",
            };
            let wanted = std::any::type_name::<T>()
                .rsplit("::")
                .next()
                .unwrap_or("?");
            StoreError::Backend(format!(
                "column {i} holds {kind}, where {wanted} was expected"
            ))
        })
    }
}

/// A Rust value a column can be read as; None when the cell is of another type.
pub trait FromCell: Sized {
    fn from_cell(cell: Cell<'_>) -> Option<Self>;
}

impl FromCell for i64 {
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Int(v) => Some(v),
            _ => None,
        }
    }
}

/// SQLite keeps booleans as integers; PostgreSQL has its own type.
impl FromCell for bool {
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Bool(v) => Some(v),
            Cell::Int(v) => Some(v != 0),
            _ => None,
        }
    }
}

impl FromCell for String {
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Text(v) => Some(v.to_owned()),
            _ => None,
        }
    }
}

/// Bytes read as stored, from a BLOB or from TEXT someone wrote by hand, so that
/// verification reports a mismatch instead of failing to read the row.
impl FromCell for Vec<u8> {
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Blob(v) => Some(v.to_vec()),
            Cell::Text(v) => Some(v.as_bytes().to_vec()),
            _ => None,
        }
    }
}

impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Null => Some(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

/// What a backend's connection runs: statement texts as written in [`super::tables`].
/// A unique-key violation is [`StoreError::AlreadyExists`] on every backend.
pub trait Sql: Send + Sync + 'static {
    const DIALECT: Dialect;

    /// Runs a statement and maps each row it returns with `each`, in order.
    fn query<T, F>(
        &self,
        sql: &str,
        params: &[Value<'_>],
        each: F,
    ) -> impl Future<Output = Result<Vec<T>>> + Send
    where
        T: Send,
        F: FnMut(&dyn SqlRow) -> Result<T> + Send;

    /// Runs a statement that returns no rows; the number of rows it changed.
    fn execute(&self, sql: &str, params: &[Value<'_>]) -> impl Future<Output = Result<u64>> + Send;

    /// Inserts rows: `insert` is `INSERT INTO table (columns)`, each row one value per
    /// column. One cached statement per row here (SQLite runs each at once); PostgreSQL
    /// sends many rows per statement instead of a round trip each.
    fn insert_rows(
        &self,
        insert: &str,
        rows: &[Vec<Value<'_>>],
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            let Some(columns) = rows.first().map(Vec::len) else {
                return Ok(());
            };
            let sql = format!("{insert} VALUES {}", placeholders(1, columns));
            let sql = Self::DIALECT.numbered(&sql);
            for row in rows {
                self.execute(&sql, row).await?;
            }
            Ok(())
        }
    }

    /// The first row a statement returns, if any.
    fn query_opt<T, F>(
        &self,
        sql: &str,
        params: &[Value<'_>],
        each: F,
    ) -> impl Future<Output = Result<Option<T>>> + Send
    where
        T: Send,
        F: FnMut(&dyn SqlRow) -> Result<T> + Send,
    {
        async move { Ok(self.query(sql, params, each).await?.into_iter().next()) }
    }

    /// The row of a statement that always returns one (an aggregate, an insert's RETURNING).
    fn query_one<T, F>(
        &self,
        sql: &str,
        params: &[Value<'_>],
        each: F,
    ) -> impl Future<Output = Result<T>> + Send
    where
        T: Send,
        F: FnMut(&dyn SqlRow) -> Result<T> + Send,
    {
        async move {
            self.query_opt(sql, params, each)
                .await?
                .ok_or_else(|| StoreError::Backend(format!("a statement returned no row: {sql}")))
        }
    }
}

/// `($first, ..., $first + count - 1)`: one row of a VALUES list.
pub fn placeholders(first: usize, count: usize) -> String {
    let numbers: Vec<String> = (first..first + count).map(|n| format!("${n}")).collect();
    format!("({})", numbers.join(", "))
}

/// A count or size column, never negative.
pub fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A limit or size as the databases' 64-bit integer.
pub fn signed(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    struct Row(Vec<Cell<'static>>);

    impl SqlRow for Row {
        fn cell(&self, i: usize) -> Result<Cell<'_>> {
            self.0
                .get(i)
                .copied()
                .ok_or_else(|| StoreError::Backend(format!("no column {i}")))
        }
    }

    #[test]
    fn cells_read_as_their_rust_types_and_a_mismatch_names_the_column() {
        let row = Row(vec![
            Cell::Int(7),
            Cell::Null,
            Cell::Int(1),
            Cell::Text("a"),
            Cell::Text("raw"),
        ]);
        let row: &dyn SqlRow = &row;
        assert_eq!(row.get::<i64>(0).unwrap(), 7);
        assert_eq!(row.get::<Option<String>>(1).unwrap(), None);
        assert!(row.get::<bool>(2).unwrap(), "SQLite's integer booleans");
        assert_eq!(row.get::<Option<String>>(3).unwrap().as_deref(), Some("a"));
        assert_eq!(row.get::<Vec<u8>>(4).unwrap(), b"raw");
        let wrong = row.get::<i64>(3).unwrap_err().to_string();
        assert!(wrong.contains("column 3 holds text"), "{wrong}");
        assert!(!wrong.contains("\"a\""), "never the value itself: {wrong}");
        assert!(row.get::<i64>(9).is_err());
    }

    #[test]
    fn sqlite_texts_are_renumbered_and_other_dollars_kept() {
        let sql = "SELECT $2, '$x' WHERE a = $10 AND b = $1";
        assert_eq!(
            Dialect::Sqlite.numbered(sql),
            "SELECT ?2, '$x' WHERE a = ?10 AND b = ?1"
        );
        assert_eq!(Dialect::Postgres.numbered(sql), sql);
        static TEXT: Text = Text::new();
        let build = |d: Dialect| format!("SELECT $1 -- {d:?}");
        assert_eq!(TEXT.get(Dialect::Sqlite, build), "SELECT ?1 -- Sqlite");
        assert_eq!(TEXT.get(Dialect::Postgres, build), "SELECT $1 -- Postgres");
    }

    #[test]
    fn parameters_convert_from_their_rust_types() {
        let name = String::from("ann");
        let none: Option<&str> = None;
        let got: &[Value<'_>] = params![1_i64, true, &name, none, Some(2_i64)];
        assert_eq!(
            got,
            &[
                Value::Int(1),
                Value::Bool(true),
                Value::Text("ann"),
                Value::Null,
                Value::Int(2)
            ]
        );
    }
}
