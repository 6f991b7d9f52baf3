//! Generic statement execution for records: queries on the read pool, writes as one transaction.

use async_trait::async_trait;
use rusqlite::types::{ToSqlOutput, Value as SqliteValue, ValueRef};
use rusqlite::{Connection, ToSql};

use super::SqliteStore;
use crate::sql::{Dialect, Row, SQLITE, SqlQuery, SqlValue, Statement};
use crate::store::{RecordStore, StoreError, StoreResult, Transaction};

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Self::Null => ToSqlOutput::Owned(SqliteValue::Null),
            Self::Int(i) => ToSqlOutput::Owned(SqliteValue::Integer(*i)),
            Self::Real(f) => ToSqlOutput::Owned(SqliteValue::Real(*f)),
            Self::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn from_ref(v: ValueRef<'_>) -> SqlValue {
    match v {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Int(i),
        ValueRef::Real(f) => SqlValue::Real(f),
        ValueRef::Text(t) | ValueRef::Blob(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

/// Binds `?N` parameters by number. Builders may leave a trailing value unused (a literal
/// that PocketBase's rules replace by `''`), which positional binding would reject.
fn bind(stmt: &mut rusqlite::CachedStatement<'_>, params: &[SqlValue]) -> rusqlite::Result<()> {
    let count = stmt.parameter_count();
    for (i, p) in params.iter().enumerate().take(count) {
        stmt.raw_bind_parameter(i + 1, p)?;
    }
    Ok(())
}

pub(super) fn run_query(conn: &Connection, q: &SqlQuery) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(&q.sql)?;
    bind(&mut stmt, &q.params)?;
    let width = stmt.column_count();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push((0..width).map(|i| r.get_ref(i).map(from_ref)).collect::<rusqlite::Result<Row>>()?);
    }
    Ok(out)
}

/// Runs statements in order on `conn` (inside a transaction the caller owns).
pub(super) fn execute_all(conn: &Connection, statements: &[Statement]) -> StoreResult<Vec<usize>> {
    let mut counts = Vec::with_capacity(statements.len());
    for (i, s) in statements.iter().enumerate() {
        let mut stmt = conn.prepare_cached(&s.query.sql)?;
        bind(&mut stmt, &s.query.params)?;
        let n = stmt.raw_execute()?;
        if s.must_affect && n == 0 {
            return Err(StoreError::Precondition(i));
        }
        counts.push(n);
    }
    Ok(counts)
}

thread_local! {
    /// An in-memory database per thread for table-free expressions: no pool, no disk.
    static SCRATCH: std::cell::RefCell<Option<Connection>> = const { std::cell::RefCell::new(None) };
}

/// `SELECT CASE WHEN (expr) THEN 1 ELSE 0 END` on the thread's scratch database.
pub(super) fn evaluate_inline(expr: &SqlQuery) -> StoreResult<bool> {
    SCRATCH.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut conn = Connection::open_in_memory()?;
            super::init_connection(&mut conn)?;
            *slot = Some(conn);
        }
        let Some(conn) = slot.as_ref() else { return Err(StoreError::Other(anyhow::anyhow!("no scratch database"))) };
        let q =
            SqlQuery { sql: format!("SELECT CASE WHEN {} THEN 1 ELSE 0 END", expr.sql), params: expr.params.clone() };
        let rows = run_query(conn, &q)?;
        Ok(matches!(rows.first().and_then(|r| r.first()), Some(SqlValue::Int(1))))
    })
}

#[async_trait]
impl RecordStore for SqliteStore {
    async fn evaluate(&self, expr: SqlQuery) -> StoreResult<bool> {
        evaluate_inline(&expr)
    }

    fn dialect(&self) -> &'static dyn Dialect {
        &SQLITE
    }

    async fn query(&self, q: SqlQuery) -> StoreResult<Vec<Row>> {
        self.data.read(move |c| run_query(c, &q)).await
    }

    async fn lookup(&self, q: SqlQuery) -> StoreResult<Vec<Row>> {
        self.data.lookup(|c| run_query(c, &q))
    }

    async fn execute(&self, statements: Vec<Statement>) -> StoreResult<Vec<usize>> {
        self.writer.execute(statements).await
    }

    async fn begin(&self) -> StoreResult<Box<dyn Transaction>> {
        Ok(Box::new(super::tx::SqliteTx::begin(self.data.write.clone(), self.data.generation.clone()).await?))
    }

    fn write_generation(&self) -> u64 {
        self.data.generation.load(std::sync::atomic::Ordering::Acquire)
    }
}
