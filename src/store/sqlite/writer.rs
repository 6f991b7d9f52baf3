//! Group commit: record writes queue up for one writer thread, which runs everything waiting
//! in one SQLite transaction (each request in its own savepoint, so one failure does not undo
//! the others) and answers every request only after that transaction committed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::records::execute_all;
use crate::sql::Statement;
use crate::store::{StoreError, StoreResult};

/// Most requests committed together.
const MAX_GROUP: usize = 256;

struct Job {
    statements: Vec<Statement>,
    reply: oneshot::Sender<StoreResult<Vec<usize>>>,
}

#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub(super) fn start(pool: Pool<SqliteConnectionManager>, generation: Arc<AtomicU64>) -> Self {
        let (jobs, inbox) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("croft-writer".into())
            .spawn(move || run(&pool, &generation, &inbox))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!(error = %e, "cannot start the writer thread"));
        Self { jobs }
    }

    /// Runs `statements` in the next group; resolves after the group committed.
    pub(super) async fn execute(&self, statements: Vec<Statement>) -> StoreResult<Vec<usize>> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { statements, reply }).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Other(anyhow::anyhow!("the database writer has stopped"))
}

fn run(pool: &Pool<SqliteConnectionManager>, generation: &AtomicU64, inbox: &mpsc::Receiver<Job>) {
    while let Ok(first) = inbox.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match inbox.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        crate::telemetry::db_commit_batch(group.len());
        let results = commit_group(pool, &group);
        generation.fetch_add(1, Ordering::Release);
        for (job, result) in group.into_iter().zip(results) {
            let _ = job.reply.send(result);
        }
    }
}

fn commit_group(pool: &Pool<SqliteConnectionManager>, group: &[Job]) -> Vec<StoreResult<Vec<usize>>> {
    let failed =
        |e: &dyn std::fmt::Display| group.iter().map(|_| Err(StoreError::Other(anyhow::anyhow!("{e}")))).collect();
    let conn = match pool.get() {
        Ok(c) => c,
        Err(e) => return failed(&e),
    };
    if let Err(e) = control(&conn, "BEGIN IMMEDIATE") {
        return failed(&e);
    }
    let mut results = Vec::with_capacity(group.len());
    for job in group {
        match run_job(&conn, &job.statements) {
            Ok(result) => results.push(result),
            Err(e) => {
                let _ = control(&conn, "ROLLBACK");
                return failed(&e);
            }
        }
    }
    if let Err(e) = control(&conn, "COMMIT") {
        let _ = control(&conn, "ROLLBACK");
        return failed(&e);
    }
    results
}

/// Runs one job inside the group's transaction so that a failure undoes only its own changes.
/// The outer error means the whole transaction is lost (SQLite rolled it back, or a savepoint
/// could not be ended).
fn run_job(conn: &Connection, statements: &[Statement]) -> Result<StoreResult<Vec<usize>>, StoreError> {
    // A single statement is atomic by itself: on error SQLite undoes just that statement, and a
    // statement that must affect rows but affected none changed nothing. No savepoint needed.
    if let [_] = statements {
        let result = execute_all(conn, statements);
        if result.is_err() && conn.is_autocommit() {
            return Err(StoreError::Other(anyhow::anyhow!("the write transaction was rolled back")));
        }
        return Ok(result);
    }
    control(conn, "SAVEPOINT job")?;
    let result = execute_all(conn, statements);
    if result.is_err() {
        control(conn, "ROLLBACK TO job")?;
    }
    control(conn, "RELEASE job")?;
    Ok(result)
}

/// A transaction control statement, prepared once per connection.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{SqlQuery, SqlValue};

    fn stmt(sql: &str, id: &str, must_affect: bool) -> Statement {
        Statement { query: SqlQuery { sql: sql.into(), params: vec![SqlValue::Text(id.into())] }, must_affect }
    }

    fn insert(id: &str) -> Statement {
        stmt("INSERT INTO _params (id, value) VALUES (?1, '{}')", id, true)
    }

    fn job(statements: Vec<Statement>) -> Job {
        Job { statements, reply: oneshot::channel().0 }
    }

    #[tokio::test]
    async fn a_failing_job_undoes_only_its_own_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::sqlite::SqliteStore::open(dir.path()).expect("open");
        let group = [
            job(vec![insert("a")]),
            job(vec![insert("a")]), // one statement: conflict
            job(vec![insert("b"), stmt("UPDATE _params SET id = id WHERE id = ?1", "none", true)]), // savepoint undone
            job(vec![insert("c"), stmt("UPDATE _params SET id = id WHERE id = ?1", "c", true)]),
        ];
        let results = commit_group(&store.data.write, &group);
        assert!(results[0].is_ok());
        assert!(matches!(results[1], Err(StoreError::Conflict { .. })), "{:?}", results[1]);
        assert!(matches!(results[2], Err(StoreError::Precondition(1))), "{:?}", results[2]);
        assert!(results[3].is_ok());
        let conn = store.data.read.get().expect("reader");
        let ids: Vec<String> = conn
            .prepare("SELECT id FROM _params WHERE id IN ('a', 'b', 'c') ORDER BY id")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("ids");
        assert_eq!(ids, ["a", "c"]);
    }

    #[tokio::test]
    async fn committed_writes_reach_the_database_file_without_automatic_checkpoints() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::sqlite::SqliteStore::open(dir.path()).expect("open");
        use crate::store::RecordStore;
        store.execute(vec![insert("checkpointed")]).await.expect("write");
        // `immutable=1` reads the database file alone, ignoring the WAL.
        let uri = format!("file:{}?immutable=1", dir.path().join("data.db").display());
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        for _ in 0..40 {
            let file = Connection::open_with_flags(&uri, flags).expect("open file");
            // Before the first checkpoint even the table may be missing from the file.
            let n: i64 =
                file.query_row("SELECT COUNT(*) FROM _params WHERE id = 'checkpointed'", [], |r| r.get(0)).unwrap_or(0);
            if n == 1 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the write never reached the database file: no checkpoint ran");
    }
}
