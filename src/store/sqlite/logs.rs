//! Logs in aux.db (`_logs`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params, params_from_iter};

use super::SqliteStore;
use crate::dates;
use crate::store::model::{LogEntry, LogFilter, LogQuery, LogStat, NewLogEntry};
use crate::store::{LogStore, StoreResult};

const COLUMNS: &str = "id, created, level, message, data";

fn entry(r: &Row<'_>) -> rusqlite::Result<LogEntry> {
    let data: String = r.get(4)?;
    Ok(LogEntry {
        id: r.get(0)?,
        created: r.get(1)?,
        level: r.get(2)?,
        message: r.get(3)?,
        data: serde_json::from_str(&data).unwrap_or_default(),
    })
}

fn where_clause(filter: &LogFilter) -> String {
    filter.where_sql.as_ref().map(|w| format!("WHERE {w}")).unwrap_or_default()
}

#[async_trait]
impl LogStore for SqliteStore {
    async fn insert_logs(&self, entries: Vec<NewLogEntry>) -> StoreResult<()> {
        self.aux
            .write(move |c| {
                let tx = c.transaction()?;
                {
                    let mut stmt = tx.prepare_cached(
                        "INSERT INTO _logs (id, created, level, message, data) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?;
                    for e in entries {
                        stmt.execute(params![e.id, e.created, e.level, e.message, e.data])?;
                    }
                }
                tx.commit()
            })
            .await
    }

    async fn query_logs(&self, q: LogQuery) -> StoreResult<(Vec<LogEntry>, Option<u64>)> {
        self.aux
            .read(move |c| {
                let filter = where_clause(&q.filter);
                let order = if q.order_by.is_empty() { "rowid".to_owned() } else { q.order_by.join(", ") };
                let values = &q.filter.params;
                let sql = format!(
                    "SELECT {COLUMNS} FROM _logs {filter} ORDER BY {order} LIMIT {} OFFSET {}",
                    q.limit, q.offset
                );
                let items = c
                    .prepare(&sql)?
                    .query_map(params_from_iter(values.iter()), entry)?
                    .collect::<rusqlite::Result<_>>()?;
                let total = if q.count {
                    let sql = format!("SELECT COUNT(*) FROM _logs {filter}");
                    Some(c.query_row(&sql, params_from_iter(values.iter()), |r| r.get::<_, i64>(0))?.max(0) as u64)
                } else {
                    None
                };
                Ok((items, total))
            })
            .await
    }

    async fn log_entry(&self, id: &str) -> StoreResult<Option<LogEntry>> {
        let id = id.to_owned();
        self.aux
            .read(move |c| c.query_row(&format!("SELECT {COLUMNS} FROM _logs WHERE id = ?1"), [id], entry).optional())
            .await
    }

    async fn log_stats(&self, filter: LogFilter) -> StoreResult<Vec<LogStat>> {
        self.aux
            .read(move |c| {
                let sql = format!(
                    "SELECT strftime('%Y-%m-%d %H:00:00', created) AS hour, COUNT(*) FROM _logs {}
                     GROUP BY hour ORDER BY hour",
                    where_clause(&filter)
                );
                let values = &filter.params;
                let mut stmt = c.prepare(&sql)?;
                let rows = stmt.query_map(params_from_iter(values.iter()), |r| {
                    let hour: String = r.get(0)?;
                    Ok(LogStat { date: format!("{hour}.000Z"), total: r.get::<_, i64>(1)?.max(0) as u64 })
                })?;
                rows.collect()
            })
            .await
    }

    async fn delete_logs(&self, before: Option<DateTime<Utc>>) -> StoreResult<u64> {
        let cutoff = before.map(dates::format);
        let deleted = self
            .aux
            .write(move |c| match cutoff {
                Some(cutoff) => c.execute("DELETE FROM _logs WHERE created < ?1", [cutoff]),
                None => c.execute("DELETE FROM _logs", []),
            })
            .await?;
        Ok(deleted as u64)
    }
}
