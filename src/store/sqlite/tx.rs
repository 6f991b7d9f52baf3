//! A long-lived write transaction for batches: the writer connection lives on one blocking
//! thread for the batch's duration and runs the commands sent to it, in order. Dropping the
//! handle without committing rolls everything back.

use std::sync::mpsc;

use async_trait::async_trait;
use tokio::sync::oneshot;

use super::records::{execute_all, run_query};
use crate::sql::{Dialect, Row, SQLITE, SqlQuery, Statement};
use crate::store::{RecordStore, StoreError, StoreResult, Transaction};

enum Cmd {
    Query(SqlQuery, oneshot::Sender<StoreResult<Vec<Row>>>),
    Execute(Vec<Statement>, oneshot::Sender<StoreResult<Vec<usize>>>),
    Commit(oneshot::Sender<StoreResult<()>>),
}

pub struct SqliteTx {
    commands: mpsc::Sender<Cmd>,
}

fn gone() -> StoreError {
    StoreError::Other(anyhow::anyhow!("the transaction ended"))
}

impl SqliteTx {
    pub(super) async fn begin(
        pool: r2d2::Pool<r2d2_sqlite::SqliteConnectionManager>,
        generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> StoreResult<Self> {
        let (commands, inbox) = mpsc::channel::<Cmd>();
        let (ready, started) = oneshot::channel::<StoreResult<()>>();
        tokio::task::spawn_blocking(move || {
            let conn = match pool.get() {
                Ok(c) => c,
                Err(e) => {
                    let _ = ready.send(Err(StoreError::Other(e.into())));
                    return;
                }
            };
            if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
                let _ = ready.send(Err(e.into()));
                return;
            }
            let _ = ready.send(Ok(()));
            for cmd in inbox {
                match cmd {
                    Cmd::Query(q, reply) => {
                        let _ = reply.send(run_query(&conn, &q).map_err(StoreError::from));
                    }
                    Cmd::Execute(statements, reply) => {
                        let _ = reply.send(execute_all(&conn, &statements));
                    }
                    Cmd::Commit(reply) => {
                        let committed = conn.execute_batch("COMMIT").map_err(StoreError::from);
                        generation.fetch_add(1, std::sync::atomic::Ordering::Release);
                        let _ = reply.send(committed);
                        return;
                    }
                }
            }
            // The handle was dropped without a commit.
            let _ = conn.execute_batch("ROLLBACK");
        });
        started.await.map_err(|_| gone())??;
        Ok(Self { commands })
    }
}

#[async_trait]
impl RecordStore for SqliteTx {
    fn dialect(&self) -> &'static dyn Dialect {
        &SQLITE
    }

    async fn query(&self, q: SqlQuery) -> StoreResult<Vec<Row>> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Cmd::Query(q, reply)).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    async fn execute(&self, statements: Vec<Statement>) -> StoreResult<Vec<usize>> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Cmd::Execute(statements, reply)).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    async fn begin(&self) -> StoreResult<Box<dyn Transaction>> {
        Err(StoreError::Other(anyhow::anyhow!("transactions do not nest")))
    }

    fn write_generation(&self) -> u64 {
        0
    }

    async fn evaluate(&self, expr: SqlQuery) -> StoreResult<bool> {
        super::records::evaluate_inline(&expr)
    }
}

#[async_trait]
impl Transaction for SqliteTx {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Cmd::Commit(reply)).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}
