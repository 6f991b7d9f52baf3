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
    JobSpec {
        name: "backup_schedule",
        description: "Takes a backup when the backups.cron setting matches, keeps the newest backups.cronMaxKeep, mails superusers when it fails",
        run: |state| backup_schedule(state).boxed(),
    },
    JobSpec {
        name: "logs_retention",
        description: "Deletes request logs older than the logs.maxDays setting",
        run: |state| logs_retention(state).boxed(),
    },
    JobSpec {
        name: "certificate_renewal",
        description: "Renews the HTTPS certificate over ACME once a third of its lifetime is left (a timer does it on time; this is the safety net), or reloads changed certificate files",
        run: |state| certificate_renewal(state).boxed(),
    },
];

pub async fn certificate_renewal(state: AppState) -> anyhow::Result<()> {
    let Some(tls) = &state.tls else { return Ok(()) };
    match tls.renew_if_due().await? {
        crate::tls::Renewal::Renewed => tracing::info!("renewed the certificate"),
        crate::tls::Renewal::NotDue(at) => tracing::debug!(renew_at = %at, "the certificate is not due"),
        crate::tls::Renewal::Waiting(at, error) => {
            anyhow::bail!("the last attempt failed: {error}; next attempt at {at}")
        }
        crate::tls::Renewal::Files { reloaded } => tracing::debug!(reloaded, "checked the certificate files"),
    }
    Ok(())
}

pub async fn backup_schedule(state: AppState) -> anyhow::Result<()> {
    match state.backups.run_schedule(chrono::Utc::now()).await {
        Ok(_) => Ok(()),
        Err(err) => {
            let message = format!("{err:#}");
            if let Err(e) = mail_superusers(&state, "Automatic backup failed", &message).await {
                tracing::error!(error = %format!("{e:#}"), "cannot mail superusers about the failed backup");
            }
            Err(anyhow::anyhow!(message))
        }
    }
}

/// Mails every superuser (when SMTP is set up).
async fn mail_superusers(state: &AppState, subject: &str, text: &str) -> anyhow::Result<()> {
    let settings = state.settings.shared().await?;
    if !settings.smtp.enabled {
        anyhow::bail!("SMTP is not enabled");
    }
    let sender =
        crate::mail::Sender { name: settings.meta.sender_name.clone(), address: settings.meta.sender_address.clone() };
    let html = format!(
        "<p>{} ({}): {}.</p><p>{}</p>",
        html_escape(&settings.meta.app_name),
        html_escape(&settings.meta.app_url),
        html_escape(subject),
        html_escape(text)
    );
    for to in crate::auth::superusers::emails(&state.auth).await? {
        let email =
            crate::mail::Email { to, subject: format!("{}: {subject}", settings.meta.app_name), html: html.clone() };
        crate::mail::send(&settings.smtp, &sender, email).await?;
    }
    Ok(())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

pub async fn logs_retention(state: AppState) -> anyhow::Result<()> {
    let removed = state.logs.prune().await?;
    tracing::info!(removed, "pruned request logs");
    Ok(())
}

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
