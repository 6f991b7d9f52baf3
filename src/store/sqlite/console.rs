//! The superuser SQL console (`POST /api/sql`, PocketBase's shape): one statement, at most
//! `max_rows` rows. Read-only runs use a connection that cannot write.

use std::time::Instant;

use rusqlite::types::ValueRef;
use serde_json::Value;

use super::SqliteStore;
use crate::store::{SqlResult, SqlResultColumn, StoreError, StoreResult};

fn json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(format!("<{} bytes>", b.len())),
    }
}

fn run(c: &rusqlite::Connection, query: &str, max_rows: usize) -> rusqlite::Result<SqlResult> {
    let started = Instant::now();
    let mut stmt = c.prepare(query)?;
    let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let n = names.len();
    let before = c.total_changes();
    let mut rows = Vec::new();
    let mut cursor = stmt.query([])?;
    while let Some(row) = cursor.next()? {
        if rows.len() >= max_rows {
            break;
        }
        rows.push((0..n).map(|i| row.get_ref(i).map(json)).collect::<rusqlite::Result<Vec<_>>>()?);
    }
    drop(cursor);
    // The type of a column: that of its first non-null value.
    let kind = |i: usize| match rows.iter().map(|r: &Vec<Value>| &r[i]).find(|v| !v.is_null()) {
        Some(Value::Number(n)) if n.is_i64() => "INTEGER",
        Some(Value::Number(_)) => "REAL",
        Some(_) => "TEXT",
        None => "",
    };
    let columns =
        names.into_iter().enumerate().map(|(i, name)| SqlResultColumn { name, kind: kind(i).to_owned() }).collect();
    let affected = c.total_changes().saturating_sub(before);
    Ok(SqlResult { exec_time_ms: started.elapsed().as_millis() as i64, affected_rows: affected as i64, columns, rows })
}

impl SqliteStore {
    pub(super) async fn console(&self, query: String, write: bool, max_rows: usize) -> StoreResult<SqlResult> {
        let outcome = if write {
            self.data.write(move |c| Ok(run(c, &query, max_rows))).await?
        } else {
            self.data.read(move |c| Ok(run(c, &query, max_rows))).await?
        };
        outcome.map_err(|e| StoreError::Other(anyhow::anyhow!("{e}")))
    }
}
