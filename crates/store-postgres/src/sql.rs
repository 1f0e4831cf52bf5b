//! PostgreSQL's side of the statements written once (`store::db::sql`): parameters bound to
//! the types the server inferred for them, rows read as cells by their column types.

use std::error::Error;

use bytes::BytesMut;
use store::db::sql::{placeholders, Cell, Dialect, Sql, SqlRow, Value};
use store::{Result, StoreError};
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

use crate::{backend, is_unique_violation, PgConn};

impl Sql for PgConn {
    const DIALECT: Dialect = Dialect::Postgres;

    async fn query<T, F>(&self, sql: &str, params: &[Value<'_>], mut each: F) -> Result<Vec<T>>
    where
        T: Send,
        F: FnMut(&dyn SqlRow) -> Result<T> + Send,
    {
        let params: Vec<Param<'_>> = params.iter().copied().map(Param).collect();
        let bound: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let statement = self.client.prepare_cached(sql).await.map_err(error)?;
        let rows = self.client.query(&statement, &bound).await.map_err(error)?;
        rows.iter().map(|r| each(&Row(r))).collect()
    }

    /// Many rows per statement (`VALUES (...), (...)`), so a page of a dump costs a few
    /// round trips, not one per row. Not cached: the last statement of each page has
    /// another number of rows.
    async fn insert_rows(&self, insert: &str, rows: &[Vec<Value<'_>>]) -> Result<()> {
        let Some(columns) = rows.first().map(Vec::len) else {
            return Ok(());
        };
        let per_statement = (MAX_PARAMETERS / columns.max(1)).clamp(1, MAX_ROWS);
        for chunk in rows.chunks(per_statement) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| placeholders(i * columns + 1, columns))
                .collect();
            let sql = format!("{insert} VALUES {}", values.join(", "));
            let params: Vec<Param<'_>> = chunk.iter().flatten().copied().map(Param).collect();
            let bound: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
            self.client
                .execute(sql.as_str(), &bound)
                .await
                .map_err(error)?;
        }
        Ok(())
    }

    async fn execute(&self, sql: &str, params: &[Value<'_>]) -> Result<u64> {
        let params: Vec<Param<'_>> = params.iter().copied().map(Param).collect();
        let bound: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let statement = self.client.prepare_cached(sql).await.map_err(error)?;
        self.client.execute(&statement, &bound).await.map_err(error)
    }
}

/// PostgreSQL's limit on one statement's parameters is 65,535.
const MAX_PARAMETERS: usize = 60_000;
/// Rows per insert statement: larger ones are no faster and plan slower.
const MAX_ROWS: usize = 1_000;

/// A unique key taken is AlreadyExists, as on every backend.
fn error(e: tokio_postgres::Error) -> StoreError {
    match is_unique_violation(&e) {
        true => StoreError::AlreadyExists,
        false => backend(e),
    }
}

#[derive(Debug)]
struct Param<'a>(Value<'a>);

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            // An integer fits the column's width or is refused, never truncated.
            Value::Int(v) => match *ty {
                Type::INT2 => checked(i16::try_from(v)?, ty, out),
                Type::INT4 => checked(i32::try_from(v)?, ty, out),
                _ => checked(v, ty, out),
            },
            Value::Bool(v) => checked(v, ty, out),
            Value::Text(v) => checked(v, ty, out),
            Value::Blob(v) => checked(v, ty, out),
        }
    }

    /// Every type: [`checked`] refuses a value of the wrong one, naming both.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn checked<T: ToSql>(v: T, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
    if !T::accepts(ty) {
        let rust = std::any::type_name::<T>();
        return Err(format!("a {rust} parameter where the statement takes {ty}").into());
    }
    v.to_sql(ty, out)
}

pub(crate) struct Row<'a>(pub &'a tokio_postgres::Row);

impl SqlRow for Row<'_> {
    fn cell(&self, i: usize) -> Result<Cell<'_>> {
        let Some(column) = self.0.columns().get(i) else {
            return Err(StoreError::Backend(format!("no column {i} in the row")));
        };
        let r = self.0;
        let cell = match *column.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i).map(|v| v.map(Cell::Int)),
            Type::INT4 => r
                .try_get::<_, Option<i32>>(i)
                .map(|v| v.map(|v| Cell::Int(v.into()))),
            Type::INT2 => r
                .try_get::<_, Option<i16>>(i)
                .map(|v| v.map(|v| Cell::Int(v.into()))),
            Type::BOOL => r.try_get::<_, Option<bool>>(i).map(|v| v.map(Cell::Bool)),
            Type::FLOAT8 => r.try_get::<_, Option<f64>>(i).map(|v| v.map(Cell::Real)),
            Type::BYTEA => r.try_get::<_, Option<&[u8]>>(i).map(|v| v.map(Cell::Blob)),
            Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => {
                r.try_get::<_, Option<&str>>(i).map(|v| v.map(Cell::Text))
            }
            ref other => {
                let name = column.name();
                return Err(StoreError::Backend(format!(
                    "column {i} ({name}) is of type {other}, which the store does not read"
                )));
            }
        };
        Ok(cell.map_err(backend)?.unwrap_or(Cell::Null))
    }
}
