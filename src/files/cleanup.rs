//! Deleting blobs without loss or leaks. Keys to delete are queued in `_blobQueue` by the same
//! transaction that stops referencing them; uploads are queued (with a delay) before they are
//! stored and taken off the queue by the transaction that references them, so a crash between
//! the two leaves nothing behind for long. A worker deletes due keys with retries, and never one
//! that a committed record still references.

use std::time::Duration;

use serde_json::Value;

use crate::app::AppState;
use crate::filter::RequestInfo;
use crate::store::{SqlQuery, SqlValue, Statement};

/// How long an upload may take to be committed before it counts as an orphan.
pub const UPLOAD_GRACE: Duration = Duration::from_secs(3600);
/// Keys handled per pass.
const BATCH: i64 = 200;

fn at(delay: Duration) -> String {
    let when = chrono::Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
    crate::dates::format(when)
}

/// Queues `keys` (blobs, or folders of blobs) for deletion after `delay`.
pub fn queue(keys: &[String], delay: Duration) -> Option<Statement> {
    if keys.is_empty() {
        return None;
    }
    let when = SqlValue::Text(at(delay));
    let mut params = vec![when];
    let rows: Vec<String> = keys
        .iter()
        .map(|k| {
            params.push(SqlValue::Text(k.clone()));
            format!("(?{}, ?1)", params.len())
        })
        .collect();
    Some(Statement {
        query: SqlQuery {
            sql: format!(
                "INSERT INTO _blobQueue (key, notBefore) VALUES {} ON CONFLICT(key) DO UPDATE SET notBefore = excluded.notBefore, attempts = 0",
                rows.join(", ")
            ),
            params,
        },
        must_affect: false,
    })
}

/// Takes `keys` off the queue: their uploads are now referenced by the committing record.
pub fn confirm(keys: &[String]) -> Option<Statement> {
    if keys.is_empty() {
        return None;
    }
    let marks: Vec<String> = (1..=keys.len()).map(|i| format!("?{i}")).collect();
    Some(Statement {
        query: SqlQuery {
            sql: format!("DELETE FROM _blobQueue WHERE key IN ({})", marks.join(", ")),
            params: keys.iter().map(|k| SqlValue::Text(k.clone())).collect(),
        },
        must_affect: false,
    })
}

/// Runs a pass soon, in the background (after a commit that queued deletions).
pub fn kick(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = run(&state).await {
            tracing::warn!(error = %format!("{e:#}"), "blob cleanup failed");
        }
    });
}

/// Deletes every due key (one pass at a time per server); returns how many blobs were deleted.
pub async fn run(state: &AppState) -> anyhow::Result<usize> {
    let _one = state.files.cleanup_lock.lock().await;
    let mut deleted = 0;
    loop {
        let due = state
            .store
            .query(SqlQuery {
                sql:
                    "SELECT key, notBefore, attempts FROM _blobQueue WHERE notBefore <= ?1 ORDER BY notBefore LIMIT ?2"
                        .into(),
                params: vec![SqlValue::Text(at(Duration::ZERO)), SqlValue::Int(BATCH)],
            })
            .await?;
        let n = due.len();
        for row in due {
            let [SqlValue::Text(key), SqlValue::Text(when), attempts] = row.as_slice() else { continue };
            let attempts = if let SqlValue::Int(a) = attempts { *a } else { 0 };
            let outcome = delete_unreferenced(state, key).await;
            let statement = match &outcome {
                Ok(count) => {
                    deleted += count;
                    done(key, when)
                }
                Err(e) => retry(key, when, attempts, &format!("{e:#}")),
            };
            state.store.execute(vec![statement]).await?;
        }
        if n < BATCH as usize {
            return Ok(deleted);
        }
    }
}

fn done(key: &str, when: &str) -> Statement {
    Statement {
        query: SqlQuery {
            sql: "DELETE FROM _blobQueue WHERE key = ?1 AND notBefore = ?2".into(),
            params: vec![SqlValue::Text(key.into()), SqlValue::Text(when.into())],
        },
        must_affect: false,
    }
}

/// Backs off exponentially, up to an hour between attempts.
fn retry(key: &str, when: &str, attempts: i64, error: &str) -> Statement {
    let wait = Duration::from_secs(10u64.saturating_mul(1 << attempts.clamp(0, 9))).min(Duration::from_secs(3600));
    tracing::warn!(key, attempts, error, "blob deletion failed; will retry");
    Statement {
        query: SqlQuery {
            sql: "UPDATE _blobQueue SET attempts = attempts + 1, lastError = ?3, notBefore = ?4 WHERE key = ?1 AND notBefore = ?2"
                .into(),
            params: vec![
                SqlValue::Text(key.into()),
                SqlValue::Text(when.into()),
                SqlValue::Text(error.chars().take(500).collect()),
                SqlValue::Text(at(wait)),
            ],
        },
        must_affect: false,
    }
}

/// Deletes the blob `key` (with its thumbnails) or every blob under the folder `key`, except
/// those a committed record references.
async fn delete_unreferenced(state: &AppState, key: &str) -> anyhow::Result<usize> {
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
pub async fn referenced(state: &AppState, key: &str) -> anyhow::Result<bool> {
    let segments: Vec<&str> = key.split('/').collect();
    let (coll_id, record_id, name) = match segments.as_slice() {
        [c, r, name] => (*c, *r, *name),
        [c, r, thumbs, _] if thumbs.starts_with("thumbs_") => (*c, *r, &thumbs["thumbs_".len()..]),
        _ => return Ok(false),
    };
    let schema = state.schema();
    let Some(coll) = schema.by_id(coll_id) else { return Ok(false) };
    let internal = RequestInfo::superuser();
    let rows =
        crate::records::fetch_rows(state.store.as_ref(), &schema, coll, &[record_id.to_owned()], Some(""), &internal)
            .await?;
    let Some(row) = rows.first() else { return Ok(false) };
    let Value::Object(record) = crate::records::export(coll, row, &internal) else { return Ok(false) };
    Ok(crate::records::files::references(coll, &record, name))
}
