//! The jobs every Croft runs. One line per job on purpose and order.

use futures_util::FutureExt;

use super::JobSpec;
use crate::app::AppState;

pub static BUILTIN: &[JobSpec] = &[
    // Nightly: keeps the WAL small and the planner statistics fresh.
    JobSpec {
        name: "db_maintenance",
        description: "Checkpoints the write-ahead log and runs PRAGMA optimize",
        default_schedule: "0 3 * * *",
        run: |state| db_maintenance(state).boxed(),
    },
    // After maintenance, so the history it prunes includes last night's run.
    JobSpec {
        name: "history_retention",
        description: "Deletes job history and tick claims older than jobs.history_days",
        default_schedule: "30 3 * * *",
        run: |state| history_retention(state).boxed(),
    },
    // Every minute: blobs that no record references any more (retries included).
    JobSpec {
        name: "blob_cleanup",
        description: "Deletes queued files and thumbnails that no record references",
        default_schedule: "* * * * *",
        run: |state| blob_cleanup(state).boxed(),
    },
];

pub async fn blob_cleanup(state: AppState) -> anyhow::Result<()> {
    let deleted = crate::files::cleanup::run(&state).await?;
    if deleted > 0 {
        tracing::info!(deleted, "deleted unreferenced blobs");
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
