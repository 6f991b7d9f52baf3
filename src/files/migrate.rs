//! `croft storage migrate --to s3|local`: copies every blob to the other backend, verifies each
//! copy by size, and then switches the `s3` settings. Copies stream through a temporary file,
//! so memory stays bounded; blobs already copied (same size) are skipped, so a run that was
//! interrupted can simply be repeated.

use anyhow::Context;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::app::AppState;
use crate::blob::BlobStore;

/// What a migration did.
#[derive(Debug, Default)]
pub struct Report {
    pub copied: usize,
    pub skipped: usize,
    pub bytes: u64,
    /// Whether the settings now point at the target (false when the configuration pins the backend).
    pub switched: bool,
}

pub async fn migrate(state: &AppState, to_s3: bool) -> anyhow::Result<Report> {
    let source = state.files.blobs();
    let settings = crate::settings::load(state).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let target = if to_s3 {
        let s3 = crate::blob::S3Config::from_config(&state.config.storage).unwrap_or_else(|| settings.s3.clone());
        BlobStore::s3(&s3).context("set the s3 settings (dashboard or PATCH /api/settings) first")?
    } else {
        state.files.local()?
    };
    anyhow::ensure!(source.describe() != target.describe(), "files are already in {}", target.describe());
    target.check().await.with_context(|| format!("{} is not usable", target.describe()))?;
    let mut report = Report::default();
    for key in source.list("").await? {
        if key.starts_with(".croft-check-") {
            continue;
        }
        let Some(meta) = source.head(&key).await? else { continue };
        if target.head(&key).await?.is_some_and(|m| m.size == meta.size) {
            report.skipped += 1;
            continue;
        }
        copy(state, &source, &target, &key).await.with_context(|| format!("cannot copy {key}"))?;
        let copied = target.head(&key).await?.map(|m| m.size);
        anyhow::ensure!(copied == Some(meta.size), "{key}: the copy has {copied:?} bytes, the original {}", meta.size);
        report.copied += 1;
        report.bytes += meta.size;
    }
    if state.config.storage.backend.is_empty() {
        let patch = serde_json::json!({"s3": {"enabled": to_s3}});
        crate::settings::update(state, &patch)
            .await
            .map_err(|e| anyhow::anyhow!("cannot switch the settings: {e:?}"))?;
        report.switched = true;
    }
    Ok(report)
}

async fn copy(state: &AppState, source: &BlobStore, target: &BlobStore, key: &str) -> anyhow::Result<()> {
    let read = source.get(key, None).await?.context("vanished while copying")?;
    let temp = state.files.tmp_dir.join(format!("migrate-{}", crate::ids::record_id()));
    let result = async {
        let mut file = tokio::fs::File::create(&temp).await?;
        let mut body = read.body;
        while let Some(chunk) = body.next().await {
            file.write_all(&chunk?).await?;
        }
        file.flush().await?;
        target.put_file(key, &temp).await
    }
    .await;
    let _ = tokio::fs::remove_file(&temp).await;
    result
}
