//! Files of records: uploads, downloads with thumbnails, file tokens and deleting what no
//! record references any more.

pub mod migrate;
pub mod names;
pub mod sniff;
pub mod thumbs;
pub mod upload;

pub use upload::Upload;

/// The blob key of a record's file: `<collectionId>/<recordId>/<name>` (PocketBase's layout).
pub fn key(collection_id: &str, record_id: &str, name: &str) -> String {
    format!("{collection_id}/{record_id}/{name}")
}

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::blob::{BlobStore, S3Config};

/// The files side of a server: its blob store (replaceable at runtime when the S3 settings
/// change), the folder uploads are spooled to, thumbnail generation and the cleanup worker.
pub struct Files {
    blobs: RwLock<Arc<BlobStore>>,
    /// The blob store the configuration fixes (S3 from `storage.*`): settings cannot replace it.
    pinned: bool,
    local_root: PathBuf,
    pub tmp_dir: PathBuf,
    pub thumbs: thumbs::Thumbs,
    pub cleanup_lock: tokio::sync::Mutex<()>,
}

impl Files {
    pub fn new(data_dir: &Path, storage: &crate::config::StorageConfig) -> anyhow::Result<Self> {
        let local_root = data_dir.join("storage");
        let tmp_dir = data_dir.join("tmp");
        std::fs::create_dir_all(&tmp_dir)?;
        let (blobs, pinned) = match (storage.backend.as_str(), crate::blob::S3Config::from_config(storage)) {
            (_, Some(s3)) => (BlobStore::s3(&s3)?, true),
            ("" | "local", None) => (BlobStore::local(&local_root)?, storage.backend == "local"),
            (other, None) => anyhow::bail!("storage.backend must be \"local\" or \"s3\", not {other:?}"),
        };
        Ok(Self {
            blobs: RwLock::new(Arc::new(blobs)),
            pinned,
            local_root,
            tmp_dir,
            thumbs: thumbs::Thumbs::default(),
            cleanup_lock: tokio::sync::Mutex::default(),
        })
    }

    /// The current blob store.
    pub fn blobs(&self) -> Arc<BlobStore> {
        self.blobs.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Follows the `s3` application settings, unless the configuration fixed the backend.
    pub fn apply_settings(&self, s3: &S3Config) -> anyhow::Result<()> {
        if self.pinned {
            return Ok(());
        }
        let next = if s3.enabled { BlobStore::s3(s3)? } else { BlobStore::local(&self.local_root)? };
        tracing::info!(storage = next.describe(), "file storage");
        *self.blobs.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(next);
        Ok(())
    }

    /// The local store, whatever is current (for `croft storage migrate`).
    pub fn local(&self) -> anyhow::Result<BlobStore> {
        BlobStore::local(&self.local_root)
    }

    /// Deletes spool files (uploads, migration copies) untouched for `SPOOL_MAX_AGE`: the
    /// leftovers of a crash. A live upload writes to its file as its bytes arrive (a stalled one
    /// is cut by the idle timeout) and commits right after, so no file in use gets that old.
    /// Returns how many were deleted.
    pub async fn sweep_spool(&self) -> std::io::Result<usize> {
        let dir = self.tmp_dir.clone();
        tokio::task::spawn_blocking(move || sweep(&dir, SPOOL_MAX_AGE)).await.map_err(std::io::Error::other)?
    }
}

/// How long a spool file may stay untouched before it counts as debris.
pub const SPOOL_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

fn sweep(dir: &Path, max_age: std::time::Duration) -> std::io::Result<usize> {
    let mut deleted = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        let idle = meta.modified().ok().and_then(|m| m.elapsed().ok()).unwrap_or_default();
        if meta.is_file() && idle >= max_age && std::fs::remove_file(entry.path()).is_ok() {
            deleted += 1;
        }
    }
    Ok(deleted)
}
