//! `croft storage migrate --to s3|local`: copies every blob to the other backend, verifies each
//! copy by size, and then switches the `s3` settings. Copies stream through a temporary file,
//! so memory stays bounded; blobs already copied (same size) are skipped, so a run that was
//! interrupted can simply be repeated.

use anyhow::Context;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::Files;
use crate::blob::{BlobStore, S3Config};

/// What a migration did.
#[derive(Debug, Default)]
pub struct Report {
    pub copied: usize,
    pub skipped: usize,
    pub bytes: u64,
}

/// Copies every blob from the current store to the bucket `to_s3` (or, without one, to the
/// local directory). Switching the settings afterwards is the caller's.
pub async fn migrate(files: &Files, to_s3: Option<&S3Config>) -> anyhow::Result<Report> {
    let source = files.blobs();
    let target = match to_s3 {
        Some(s3) => BlobStore::s3(s3).context("set the s3 settings (dashboard or PATCH /api/settings) first")?,
        None => files.local()?,
    };
    anyhow::ensure!(source.describe() != target.describe(), "files are already in {}", target.describe());
    target.check().await.with_context(|| format!("{} is not usable", target.describe()))?;
    let mut report = Report::default();
    // What a previous run copied already, from one listing.
    let existing: std::collections::HashMap<String, u64> =
        target.list_with_meta("").await?.into_iter().map(|(k, m)| (k, m.size)).collect();
    for (key, meta) in source.list_with_meta("").await? {
        if key.starts_with(".croft-check-") {
            continue;
        }
        if existing.get(&key) == Some(&meta.size) {
            report.skipped += 1;
            continue;
        }
        copy(files, &source, &target, &key).await.with_context(|| format!("cannot copy {key}"))?;
        let copied = target.head(&key).await?.map(|m| m.size);
        anyhow::ensure!(copied == Some(meta.size), "{key}: the copy has {copied:?} bytes, the original {}", meta.size);
        report.copied += 1;
        report.bytes += meta.size;
    }
    Ok(report)
}

async fn copy(files: &Files, source: &BlobStore, target: &BlobStore, key: &str) -> anyhow::Result<()> {
    let read = source.get(key, None).await?.context("vanished while copying")?;
    let temp = files.tmp_dir.join(format!("migrate-{}", crate::ids::record_id()));
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
