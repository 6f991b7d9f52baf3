//! Persistence behind one trait, so that a PostgreSQL backend can replace SQLite without any
//! change above this module. Nothing outside `store/` sees rusqlite types.

pub mod model;
mod sqlite;
pub mod system;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::schema::Collection;
use crate::sql::{Dialect, Row, SqlQuery, Statement};
use model::{
    AuthCollection, AuthRecord, DatabaseFile, JobRun, LogEntry, LogFilter, LogQuery, LogStat, NewAuthRecord,
    NewLogEntry,
};

pub use sqlite::SqliteStore;

pub type StoreResult<T> = Result<T, StoreError>;

/// Errors every backend normalises into; callers match on the kind, never on driver text.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint failed (SQLite 2067 / 1555, PostgreSQL 23505). `columns` is empty
    /// when the constraint is on an expression.
    #[error("unique violation on {table} ({})", columns.join(", "))]
    Conflict { table: String, columns: Vec<String> },
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// The database stayed locked past its timeout (SQLite BUSY, PostgreSQL lock timeout).
    #[error("the database is busy")]
    Busy,
    /// Statement number N of a transaction affected no row although it had to (a failed rule
    /// or a vanished record); everything was rolled back.
    #[error("precondition of statement {0} failed")]
    Precondition(usize),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl StoreError {
    /// Whether a unique constraint on `column` failed.
    pub fn is_conflict_on(&self, column: &str) -> bool {
        matches!(self, Self::Conflict { columns, .. } if columns.iter().any(|c| c == column))
    }
}

/// One applied or pending schema migration.
#[derive(Debug, Clone)]
pub struct MigrationInfo {
    pub database: &'static str,
    pub version: i64,
    pub name: String,
    pub applied_on: Option<String>,
}

/// Auth records of auth collections (`_superusers` and, later, user auth collections).
#[async_trait]
pub trait AuthStore: Send + Sync {
    /// The record whose `field` equals `value`; `field` must be one of the collection's identity fields.
    async fn auth_record_by(&self, coll: &AuthCollection, field: &str, value: &str) -> StoreResult<Option<AuthRecord>>;
    async fn auth_record(&self, coll: &AuthCollection, id: &str) -> StoreResult<Option<AuthRecord>>;
    async fn count_auth_records(&self, coll: &AuthCollection) -> StoreResult<u64>;
    async fn insert_auth_record(&self, coll: &AuthCollection, new: NewAuthRecord) -> StoreResult<AuthRecord>;
    /// Sets a new password hash and token key (which invalidates every issued token).
    async fn set_password(&self, coll: &AuthCollection, id: &str, hash: &str, token_key: &str) -> StoreResult<bool>;
    async fn delete_auth_record(&self, coll: &AuthCollection, id: &str) -> StoreResult<bool>;
}

/// One change to the schema: the collection row and its table, view and indexes.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // a handful per schema change, never stored
pub enum SchemaChange {
    Create(Collection),
    /// (old, new)
    Update(Collection, Collection),
    Delete(Collection),
}

/// Collections and their tables.
#[async_trait]
pub trait CollectionStore: Send + Sync {
    async fn load_collections(&self) -> StoreResult<Vec<Collection>>;
    /// Applies every change, in order, in one transaction.
    async fn apply_changes(&self, changes: Vec<SchemaChange>) -> StoreResult<()>;
    async fn truncate_collection(&self, c: &Collection) -> StoreResult<()>;
    /// The column names a SELECT returns (it is prepared, never run for rows); an invalid query is an error.
    async fn query_columns(&self, select: &str) -> StoreResult<Vec<String>>;
}

/// Records: SQL built by the filter and records layers through the store's dialect.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// How SQL for this backend is spelled.
    fn dialect(&self) -> &'static dyn Dialect;
    /// Moves on every committed write; caches of query results are valid for one value.
    fn write_generation(&self) -> u64;
    /// Evaluates a boolean expression that references no table (a rule on request values only).
    async fn evaluate(&self, expr: SqlQuery) -> StoreResult<bool>;
    /// Runs a read query on the read pool.
    async fn query(&self, q: SqlQuery) -> StoreResult<Vec<Row>>;
    /// Runs a small read by key (a handful of rows through an index) without leaving the
    /// calling thread; `query` for anything that may scan.
    async fn lookup(&self, q: SqlQuery) -> StoreResult<Vec<Row>> {
        self.query(q).await
    }
    /// Runs statements in one transaction; returns the affected row counts.
    async fn execute(&self, statements: Vec<Statement>) -> StoreResult<Vec<usize>>;
    /// Opens a transaction that later queries and statements run in (batches).
    async fn begin(&self) -> StoreResult<Box<dyn Transaction>>;
}

/// An open write transaction: reads see its own writes. Dropped without `commit`, it rolls back.
#[async_trait]
pub trait Transaction: RecordStore {
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// Job claims (shared by every replica) and job history.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Claims one scheduled tick of a job; `true` for exactly one caller per (job, tick).
    async fn claim_job_tick(&self, job: &str, tick: DateTime<Utc>) -> StoreResult<bool>;
    async fn insert_job_run(&self, run: &JobRun) -> StoreResult<()>;
    /// Newest first; `job = None` for all jobs.
    async fn job_runs(&self, job: Option<&str>, limit: u32) -> StoreResult<Vec<JobRun>>;
    /// Deletes history and claims older than `before`; returns the number of rows removed.
    async fn prune_job_history(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// Request and application logs (kept apart from user data: losing them loses no records).
#[async_trait]
pub trait LogStore: Send + Sync {
    /// Writes a batch of entries in one transaction.
    async fn insert_logs(&self, entries: Vec<NewLogEntry>) -> StoreResult<()>;
    /// A page of entries and, when `q.count`, the number of entries the filter matches.
    async fn query_logs(&self, q: LogQuery) -> StoreResult<(Vec<LogEntry>, Option<u64>)>;
    async fn log_entry(&self, id: &str) -> StoreResult<Option<LogEntry>>;
    /// Entries per hour, oldest first.
    async fn log_stats(&self, filter: LogFilter) -> StoreResult<Vec<LogStat>>;
    /// Deletes entries created before `before` (all of them for `None`); returns how many.
    async fn delete_logs(&self, before: Option<DateTime<Utc>>) -> StoreResult<u64>;
}

/// Whole-database operations.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// A cheap round trip through both databases, for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
    async fn migrations(&self) -> StoreResult<Vec<MigrationInfo>>;
    /// A stored setting document (`_params`), by key.
    async fn param(&self, key: &str) -> StoreResult<Option<String>>;
    async fn set_param(&self, key: &str, value: &str) -> StoreResult<()>;
    /// Routine upkeep: WAL checkpoint and planner statistics.
    async fn maintain(&self) -> StoreResult<()>;
    /// Flushes everything to the main database files before exit.
    async fn close(&self) -> StoreResult<()>;
    /// Runs one SQL statement for the superuser console; `write = false` cannot change data.
    async fn run_sql(&self, query: &str, write: bool, max_rows: usize) -> StoreResult<SqlResult>;
    /// The database files (for sizes, health checks and backups).
    fn database_files(&self) -> Vec<DatabaseFile>;
    /// Copies the databases named in `names` (`data.db`, `aux.db`) into `dir`, each a
    /// consistent snapshot taken without blocking writers; returns the copies.
    async fn snapshot(&self, dir: &Path, names: &[&str]) -> StoreResult<Vec<DatabaseFile>>;
    /// Replaces the live databases' content with the given files (as `snapshot` wrote them),
    /// each in one atomic step that readers see all at once, then applies pending migrations.
    async fn restore(&self, files: Vec<DatabaseFile>) -> StoreResult<()>;
}

/// Checks that a database file is intact (`PRAGMA integrity_check`); the problems found, if any.
pub fn check_database_file(path: &Path) -> anyhow::Result<Vec<String>> {
    sqlite::integrity_check(path)
}

/// What the SQL console answers (PocketBase's `POST /api/sql` shape).
#[derive(Debug, Clone)]
pub struct SqlResult {
    pub exec_time_ms: i64,
    pub affected_rows: i64,
    pub columns: Vec<SqlResultColumn>,
    pub rows: Vec<Vec<serde_json::Value>>,
}

#[derive(Debug, Clone)]
pub struct SqlResultColumn {
    pub name: String,
    /// INTEGER, REAL or TEXT, as the column's first value shows (empty without values).
    pub kind: String,
}

pub trait Store: AuthStore + CollectionStore + RecordStore + JobStore + LogStore + AdminStore + 'static {}
impl<T: AuthStore + CollectionStore + RecordStore + JobStore + LogStore + AdminStore + 'static> Store for T {}

/// Opens (creating and migrating when needed) the store in `data_dir`.
pub async fn open(data_dir: &Path) -> anyhow::Result<Arc<dyn Store>> {
    let dir = data_dir.to_path_buf();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&dir)).await??;
    Ok(Arc::new(store))
}
