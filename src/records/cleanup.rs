//! Deleting blobs without loss or leaks. Keys to delete are queued in `_blobQueue` by the same
//! transaction that stops referencing them; uploads are queued (with a delay) before they are
//! stored and taken off the queue by the transaction that references them, so a crash between
//! the two leaves nothing behind for long. A worker deletes due keys with retries, and never one
//! that a committed record still references.

use std::time::Duration;

use serde_json::Value;

use super::Records;
use crate::filter::RequestInfo;
use crate::sql::Statement;
use crate::store::model::QueuedBlob;
use crate::store::{RecordStore, system};

/// How long an upload may take to be committed before it counts as an orphan.
pub const UPLOAD_GRACE: Duration = Duration::from_secs(3600);
/// Keys handled per pass.
const BATCH: i64 = 200;

fn at(delay: Duration) -> String {
    let when = chrono::Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
    crate::dates::format(when)
}

/// Queues `keys` (blobs, or folders of blobs) for deletion after `delay`, in `db`'s transaction.
pub fn queue(db: &dyn RecordStore, keys: &[String], delay: Duration) -> Option<Statement> {
    system::queue_blobs(db, keys, &at(delay))
}

/// Runs a pass soon, in the background (after a commit that queued deletions).
pub fn kick(state: &Records) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = run(&state).await {
            tracing::warn!(error = %format!("{e:#}"), "blob cleanup failed");
        }
    });
}

/// Deletes every due key (one pass at a time per server); returns how many blobs were deleted.
pub async fn run(state: &Records) -> anyhow::Result<usize> {
    let _one = state.files.cleanup_lock.lock().await;
    let mut deleted = 0;
    loop {
        let due = system::due_blobs(state.store.as_ref(), &at(Duration::ZERO), BATCH).await?;
        let n = due.len();
        for blob in due {
            match delete_unreferenced(state, &blob.key).await {
                Ok(count) => {
                    deleted += count;
                    system::blob_done(state.store.as_ref(), &blob).await?;
                }
                Err(e) => retry(state, &blob, &format!("{e:#}")).await?,
            }
        }
        if n < BATCH as usize {
            return Ok(deleted);
        }
    }
}

/// Backs off exponentially, up to an hour between attempts.
async fn retry(state: &Records, blob: &QueuedBlob, error: &str) -> anyhow::Result<()> {
    let attempts = blob.attempts;
    let wait = Duration::from_secs(10u64.saturating_mul(1 << attempts.clamp(0, 9))).min(Duration::from_secs(3600));
    tracing::warn!(key = %blob.key, attempts, error, "blob deletion failed; will retry");
    let error: String = error.chars().take(500).collect();
    system::blob_retry(state.store.as_ref(), blob, &error, &at(wait)).await?;
    Ok(())
}

/// Deletes the blob `key` (with its thumbnails) or every blob under the folder `key`, except
/// those a committed record references.
async fn delete_unreferenced(state: &Records, key: &str) -> anyhow::Result<usize> {
    let blobs = state.files.blobs();
    let segments: Vec<&str> = key.split('/').collect();
    let mut candidates = Vec::new();
    if let [c, r, name] = segments.as_slice() {
        candidates.push(key.to_owned());
        candidates.extend(blobs.list(&format!("{c}/{r}/thumbs_{name}")).await?);
    } else {
        candidates.extend(blobs.list(key).await?);
    }
    let mut deleted = 0;
    for candidate in candidates {
        if !referenced(state, &candidate).await? {
            blobs.delete(&candidate).await?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// Whether a committed record references the blob (a thumbnail counts as its original).
pub async fn referenced(state: &Records, key: &str) -> anyhow::Result<bool> {
    let segments: Vec<&str> = key.split('/').collect();
    let (coll_id, record_id, name) = match segments.as_slice() {
        [c, r, name] => (*c, *r, *name),
        [c, r, thumbs, _] if thumbs.starts_with("thumbs_") => (*c, *r, &thumbs["thumbs_".len()..]),
        _ => return Ok(false),
    };
    let schema = state.schema.snapshot();
    let Some(coll) = schema.by_id(coll_id) else { return Ok(false) };
    let internal = RequestInfo::superuser();
    let rows =
        crate::records::fetch_rows(state.store.as_ref(), &schema, coll, &[record_id.to_owned()], Some(""), &internal)
            .await?;
    let Some(row) = rows.first() else { return Ok(false) };
    let Value::Object(record) = crate::records::export(coll, row, &internal) else { return Ok(false) };
    Ok(crate::records::files::references(coll, &record, name))
}
