//! The SQLite backend: `data.db` for user data and `aux.db` for operational data, each with
//! one writer connection and a pool of readers, all used from blocking threads.

mod auth;
mod checkpoint;
mod console;
mod jobs;
mod logs;
mod records;
mod schema;
mod snapshot;
mod tx;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, ErrorCode};

use super::{AdminStore, MigrationInfo, StoreError, StoreResult};
use crate::store::model::DatabaseFile;

pub use snapshot::integrity_check;

mod embedded {
    pub mod data {
        refinery::embed_migrations!("migrations/sqlite/data");
    }
    pub mod aux {
        refinery::embed_migrations!("migrations/sqlite/aux");
    }
}

/// Refinery's bookkeeping table (named so it cannot clash with PocketBase's `_migrations`).
const MIGRATION_TABLE: &str = "_croftMigrations";

/// Applied on every connection. WAL mode is set once, before the pools open (see `open_db`).
const CONNECTION_PRAGMAS: &str = "PRAGMA busy_timeout = 10000;
     PRAGMA synchronous = NORMAL;
     PRAGMA foreign_keys = ON;
     PRAGMA temp_store = MEMORY;
     PRAGMA cache_size = -4000;";

pub struct SqliteStore {
    data: Db,
    aux: Db,
    /// Record writes, committed in groups.
    writer: writer::Writer,
}

/// Pragmas, plus the math functions filters use (`geoDistance`) that SQLite's default build lacks.
fn init_connection(c: &mut Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    c.execute_batch(CONNECTION_PRAGMAS)?;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    type Unary = (&'static str, fn(f64) -> f64);
    let unary: [Unary; 4] = [("acos", f64::acos), ("cos", f64::cos), ("sin", f64::sin), ("radians", f64::to_radians)];
    for (name, f) in unary {
        c.create_scalar_function(name, 1, flags, move |ctx| {
            Ok(ctx.get::<Option<f64>>(0)?.map(f).filter(|v| v.is_finite()))
        })?;
    }
    Ok(())
}

/// One database file: a single writer and a read-only pool.
#[derive(Clone)]
struct Db {
    name: &'static str,
    write: Pool<SqliteConnectionManager>,
    read: Pool<SqliteConnectionManager>,
    /// Incremented after every committed write (see `RecordStore::write_generation`).
    generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// One permit per reader connection: reads beyond that wait here, as tasks, instead of as
    /// blocking threads parked in the pool (each such thread costs memory and a switch).
    read_slots: std::sync::Arc<tokio::sync::Semaphore>,
    path: PathBuf,
}

thread_local! {
    /// Read-only connections owned by the current thread, by database file, for point lookups.
    static LOOKUP: std::cell::RefCell<std::collections::HashMap<PathBuf, Connection>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

impl SqliteStore {
    /// Opens both databases under `dir` and applies pending migrations.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        let store = Self::open_unmigrated(dir)?;
        store.data.migrate(embedded::data::migrations::runner())?;
        store.aux.migrate(embedded::aux::migrations::runner())?;
        Ok(store)
    }

    /// Opens both databases without touching their schema (for `croft migrate status`).
    pub fn open_unmigrated(dir: &Path) -> anyhow::Result<Self> {
        let data = Db::open("data", &dir.join("data.db"))?;
        let writer = writer::Writer::start(data.write.clone(), data.generation.clone());
        Ok(Self { data, aux: Db::open("aux", &dir.join("aux.db"))?, writer })
    }
}

fn migration_status(data: &Db, aux: &Db) -> anyhow::Result<Vec<MigrationInfo>> {
    let mut out = data.migration_status(embedded::data::migrations::runner())?;
    out.extend(aux.migration_status(embedded::aux::migrations::runner())?);
    Ok(out)
}

impl Db {
    fn open(name: &'static str, path: &PathBuf) -> anyhow::Result<Self> {
        let hint = || {
            format!(
                "cannot open {}; check that the data directory is writable and not used by another process",
                path.display()
            )
        };
        // NOTE: journal_mode=WAL is persistent and needs an exclusive lock; setting it from
        // several pool connections at once races, so do it once here.
        let conn = Connection::open(path).with_context(hint)?;
        conn.busy_timeout(Duration::from_secs(10)).with_context(hint)?;
        conn.pragma_update(None, "journal_mode", "WAL").with_context(hint)?;
        drop(conn);
        // Checkpoints run on their own thread (see `checkpoint`), not inside commits.
        let write = Pool::builder()
            .max_size(1)
            .build(SqliteConnectionManager::file(path).with_init(|c| {
                init_connection(c)?;
                c.execute_batch("PRAGMA wal_autocheckpoint = 0;")
            }))
            .with_context(hint)?;
        let readers = std::thread::available_parallelism().map_or(4, |n| n.get() * 2).max(4);
        let read = Pool::builder()
            .max_size(u32::try_from(readers).unwrap_or(8))
            .min_idle(Some(1))
            .build(SqliteConnectionManager::file(path).with_init(|c| {
                init_connection(c)?;
                c.execute_batch("PRAGMA query_only = ON;")
            }))
            .with_context(hint)?;
        let generation = std::sync::Arc::default();
        checkpoint::start(path.clone(), &generation);
        let read_slots = std::sync::Arc::new(tokio::sync::Semaphore::new(readers));
        Ok(Self { name, write, read, generation, read_slots, path: path.clone() })
    }

    fn migrate(&self, mut runner: refinery::Runner) -> anyhow::Result<()> {
        runner.set_migration_table_name(MIGRATION_TABLE);
        let mut conn = self.write.get()?;
        let report = runner
            .set_abort_divergent(true)
            .run(&mut *conn)
            .with_context(|| format!("applying migrations to {}.db failed", self.name))?;
        for m in report.applied_migrations() {
            tracing::debug!(database = self.name, version = m.version(), name = m.name(), "applied migration");
        }
        Ok(())
    }

    fn migration_status(&self, mut runner: refinery::Runner) -> anyhow::Result<Vec<MigrationInfo>> {
        runner.set_migration_table_name(MIGRATION_TABLE);
        let mut conn = self.write.get()?;
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [MIGRATION_TABLE],
            |r| r.get(0),
        )?;
        let applied = if exists { runner.get_applied_migrations(&mut *conn)? } else { Vec::new() };
        Ok(runner
            .get_migrations()
            .iter()
            .map(|m| MigrationInfo {
                database: self.name,
                version: i64::from(m.version()),
                name: m.name().to_owned(),
                applied_on: applied
                    .iter()
                    .find(|a| a.version() == m.version())
                    .and_then(|a| a.applied_on().map(ToString::to_string)),
            })
            .collect())
    }

    /// Runs `f` on a read-only connection, off the async workers.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let pool = self.read.clone();
        let name = self.name;
        let started = std::time::Instant::now();
        let slot = self.read_slots.clone().acquire_owned().await.map_err(|e| StoreError::Other(e.into()))?;
        let out = blocking(move || {
            let conn = pool.get().map_err(|e| StoreError::Other(e.into()))?;
            let waited = started.elapsed();
            let out = f(&conn).map_err(StoreError::from);
            drop(slot);
            crate::telemetry::db_call(name, "read", waited, started.elapsed());
            out
        })
        .await;
        observe_busy(name, &out);
        out
    }

    /// Runs `f` right here on a read-only connection of the current thread. Only for point
    /// lookups by key (a token's record, relation ids): they take microseconds, while a trip
    /// through the blocking pool costs two thread switches.
    fn lookup<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        LOOKUP.with(|cell| {
            let mut conns = cell.borrow_mut();
            if !conns.contains_key(&self.path) {
                let mut conn = Connection::open_with_flags(&self.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
                init_connection(&mut conn)?;
                conns.insert(self.path.clone(), conn);
            }
            let conn =
                conns.get(&self.path).ok_or_else(|| StoreError::Other(anyhow::anyhow!("no lookup connection")))?;
            f(conn).map_err(StoreError::from)
        })
    }

    /// Runs `f` in an immediate transaction on the writer; an error rolls everything back.
    async fn write_tx<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        let pool = self.write.clone();
        let generation = self.generation.clone();
        blocking(move || {
            let mut conn = pool.get().map_err(|e| StoreError::Other(e.into()))?;
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            generation.fetch_add(1, std::sync::atomic::Ordering::Release);
            Ok(out)
        })
        .await
    }

    /// Runs `f` on the single writer connection, off the async workers.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let pool = self.write.clone();
        let generation = self.generation.clone();
        let name = self.name;
        let started = std::time::Instant::now();
        let out = blocking(move || {
            let mut conn = pool.get().map_err(|e| StoreError::Other(e.into()))?;
            let waited = started.elapsed();
            let out = f(&mut conn).map_err(StoreError::from);
            generation.fetch_add(1, std::sync::atomic::Ordering::Release);
            crate::telemetry::db_call(name, "write", waited, started.elapsed());
            out
        })
        .await;
        observe_busy(name, &out);
        out
    }
}

fn observe_busy<T>(db: &'static str, result: &StoreResult<T>) {
    if matches!(result, Err(StoreError::Busy)) {
        crate::telemetry::db_busy(db);
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> StoreResult<T> + Send + 'static) -> StoreResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Other(anyhow::anyhow!("database task failed: {e}")))?
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        match &err {
            // 2067 = SQLITE_CONSTRAINT_UNIQUE, 1555 = SQLITE_CONSTRAINT_PRIMARYKEY
            rusqlite::Error::SqliteFailure(e, msg)
                if e.code == ErrorCode::ConstraintViolation && matches!(e.extended_code, 2067 | 1555) =>
            {
                unique_violation(msg.as_deref().unwrap_or_default())
            }
            rusqlite::Error::SqliteFailure(e, _)
                if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
            {
                Self::Busy
            }
            rusqlite::Error::QueryReturnedNoRows => Self::NotFound,
            _ => Self::Other(err.into()),
        }
    }
}

/// SQLite's `UNIQUE constraint failed: posts.a, posts.b` (or `… failed: index 'name'` for an
/// index on expressions) as the table and columns.
fn unique_violation(message: &str) -> StoreError {
    let list = message.split_once(": ").map_or("", |(_, l)| l);
    let mut table = String::new();
    let mut columns = Vec::new();
    for item in list.split(", ") {
        if let Some((t, c)) = item.split_once('.') {
            table = t.to_owned();
            columns.push(c.to_owned());
        }
    }
    StoreError::Conflict { table, columns }
}

#[async_trait]
impl AdminStore for SqliteStore {
    async fn run_sql(&self, query: &str, write: bool, max_rows: usize) -> StoreResult<crate::store::SqlResult> {
        self.console(query.to_owned(), write, max_rows).await
    }

    async fn ping(&self) -> StoreResult<()> {
        for db in [&self.data, &self.aux] {
            db.read(|c| c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))).await?;
        }
        Ok(())
    }

    async fn migrations(&self) -> StoreResult<Vec<MigrationInfo>> {
        let (data, aux) = (self.data.clone(), self.aux.clone());
        blocking(move || migration_status(&data, &aux).map_err(StoreError::Other)).await
    }

    async fn param(&self, key: &str) -> StoreResult<Option<String>> {
        let key = key.to_owned();
        self.data
            .read(move |c| {
                use rusqlite::OptionalExtension;
                c.query_row("SELECT value FROM _params WHERE id = ?1", [key], |r| r.get::<_, Option<String>>(0))
                    .optional()
                    .map(Option::flatten)
            })
            .await
    }

    async fn set_param(&self, key: &str, value: &str) -> StoreResult<()> {
        let (key, value, now) = (key.to_owned(), value.to_owned(), crate::dates::now());
        self.data
            .write(move |c| {
                c.execute(
                    "INSERT INTO _params (id, value, created, updated) VALUES (?1, ?2, ?3, ?3)
                     ON CONFLICT (id) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                    rusqlite::params![key, value, now],
                )
            })
            .await?;
        Ok(())
    }

    async fn maintain(&self) -> StoreResult<()> {
        for db in [&self.data, &self.aux] {
            db.write(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA optimize;")).await?;
        }
        Ok(())
    }

    fn database_files(&self) -> Vec<DatabaseFile> {
        self.databases()
            .into_iter()
            .map(|(name, db)| DatabaseFile { name: name.to_owned(), path: db.path.clone() })
            .collect()
    }

    async fn snapshot(&self, dir: &Path, names: &[&str]) -> StoreResult<Vec<DatabaseFile>> {
        self.snapshot_to(dir, names).await
    }

    async fn restore(&self, files: Vec<DatabaseFile>) -> StoreResult<()> {
        self.restore_from(files).await
    }

    async fn close(&self) -> StoreResult<()> {
        for db in [&self.data, &self.aux] {
            db.write(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")).await?;
        }
        Ok(())
    }
}

/// Quotes an SQLite identifier. Callers pass names that come from `_collections`, which are
/// validated on write; quoting keeps a bad one from ever being read as SQL.
fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CollectionStore, StoreError};

    #[tokio::test]
    async fn opens_migrates_and_reports() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = SqliteStore::open_unmigrated(dir.path()).expect("open");
        let pending = fresh.migrations().await.expect("status");
        assert!(!pending.is_empty() && pending.iter().all(|m| m.applied_on.is_none()));
        drop(fresh);
        let store = SqliteStore::open(dir.path()).expect("open");
        let applied = store.migrations().await.expect("status");
        assert!(applied.iter().all(|m| m.applied_on.is_some()), "{applied:?}");
        // Opening twice is idempotent.
        drop(store);
        let store = SqliteStore::open(dir.path()).expect("reopen");
        store.ping().await.expect("ping");
        store.maintain().await.expect("maintain");
        assert!(!store.load_collections().await.expect("collections").is_empty());
    }

    #[tokio::test]
    async fn readers_cannot_write_and_unique_maps_to_conflict() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path()).expect("open");
        let err = store.data.read(|c| c.execute("DELETE FROM _params", [])).await.expect_err("read-only");
        assert!(matches!(err, StoreError::Other(_)));
        let insert = |c: &mut Connection| c.execute("INSERT INTO _params (id) VALUES ('x')", []);
        store.data.write(insert).await.expect("first insert");
        let err = store.data.write(insert).await.expect_err("duplicate");
        assert!(
            matches!(&err, StoreError::Conflict { table, columns } if table == "_params" && columns == &["id"]),
            "{err:?}"
        );
        assert!(err.is_conflict_on("id") && !err.is_conflict_on("email"));
        assert!(matches!(
            unique_violation("UNIQUE constraint failed: posts.a, posts.b"),
            StoreError::Conflict { table, columns } if table == "posts" && columns == ["a", "b"]
        ));
        assert!(matches!(
            unique_violation("UNIQUE constraint failed: index 'idx_lower'"),
            StoreError::Conflict { table, columns } if table.is_empty() && columns.is_empty()
        ));
    }
}
