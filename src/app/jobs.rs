//! The jobs every Croft runs; their default schedules (and why those) are in
//! `config::DEFAULT_JOB_SCHEDULES`.

use futures_util::FutureExt;

use super::AppState;
use crate::jobs::{JobContext, JobSpec, Jobs};
use crate::store::Store;

impl JobContext for AppState {
    fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    fn jobs(&self) -> &Jobs<Self> {
        &self.jobs
    }
}

pub static BUILTIN: &[JobSpec<AppState>] = &[
    JobSpec {
        name: "db_maintenance",
        description: "Checkpoints the write-ahead log and runs PRAGMA optimize",
        run: |state| db_maintenance(state).boxed(),
    },
    JobSpec {
        name: "history_retention",
        description: "Deletes job history and tick claims older than jobs.history_days",
        run: |state| history_retention(state).boxed(),
    },
    JobSpec {
        name: "blob_cleanup",
        description: "Deletes queued files and thumbnails that no record references, and abandoned upload spool files",
        run: |state| blob_cleanup(state).boxed(),
    },
];

pub async fn blob_cleanup(state: AppState) -> anyhow::Result<()> {
    let deleted = crate::records::cleanup::run(&state.records).await?;
    if deleted > 0 {
        tracing::info!(deleted, "deleted unreferenced blobs");
    }
    let swept = state.files.sweep_spool().await?;
    if swept > 0 {
        tracing::info!(swept, "deleted abandoned upload spool files");
    }
    Ok(())
}

pub async fn db_maintenance(state: AppState) -> anyhow::Result<()> {
    state.store.maintain().await?;
    Ok(())
}

pub async fn history_retention(state: AppState) -> anyhow::Result<()> {
    let days = i64::from(state.config.jobs.history_days);
    let removed = state.store.prune_job_history(chrono::Utc::now() - chrono::Duration::days(days)).await?;
    tracing::info!(removed, "pruned job history");
    Ok(())
}
