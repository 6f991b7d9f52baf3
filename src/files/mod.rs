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
}
