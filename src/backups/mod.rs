//! Backups: zip archives of the databases (consistent snapshots that never block writers), the
//! uploaded files when they live on local disk, and a manifest (see [`archive`] for the layout),
//! kept in `<data>/backups` or in the bucket of the `backups.s3` settings.
//!
//! One backup or restore runs at a time. A restore checks the whole archive (every entry's CRC,
//! `PRAGMA integrity_check` of every database) before it changes anything, then replaces each
//! database in one atomic step; the caller reloads what it caches afterwards.

pub mod archive;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Timelike, Utc};
use futures_util::TryStreamExt;
use tokio::io::AsyncWriteExt;

use crate::blob::{BlobRead, BlobStore};
use crate::error::{FieldError, FieldErrors, code};
use crate::files::Files;
use crate::settings::SettingsService;
use crate::store::Store;
use archive::{ArchiveError, Manifest, StorageManifest};

/// The prefix of scheduled backups (PocketBase's), which retention applies to.
pub const AUTO_PREFIX: &str = "@auto_pb_backup_";
const NAME_MAX: usize = 150;

pub const MSG_BUSY: &str = "Try again later - another backup/restore process has already been started.";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{MSG_BUSY}")]
    Busy,
    #[error("invalid backup request")]
    Invalid(FieldErrors),
    #[error("no backup named {0}")]
    NotFound(String),
    #[error("the backup is currently being used and cannot be deleted")]
    InUse,
    #[error("the backup cannot be restored: {0}")]
    Damaged(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<std::io::Error> for BackupError {
    fn from(e: std::io::Error) -> Self {
        Self::Other(e.into())
    }
}

impl From<crate::settings::SettingsError> for BackupError {
    fn from(e: crate::settings::SettingsError) -> Self {
        Self::Other(anyhow::anyhow!("{e}"))
    }
}

impl From<ArchiveError> for BackupError {
    fn from(e: ArchiveError) -> Self {
        match e {
            ArchiveError::Invalid(m) => Self::Damaged(m),
            ArchiveError::Io(e) => Self::Other(e.into()),
        }
    }
}

/// A stored backup.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupInfo {
    pub key: String,
    pub size: u64,
    pub modified: DateTime<Utc>,
}

/// What to put in a new backup.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// The file name (`[a-z0-9_-]+.zip`); empty for PocketBase's default name.
    pub name: String,
    /// Also copy `aux.db` (logs, job history).
    pub include_aux: bool,
    /// A scheduled backup (named with [`AUTO_PREFIX`]).
    pub auto: bool,
}

/// Reports progress of long work: a phase and bytes done out of a total.
pub type ProgressFn = Arc<dyn Fn(&str, u64, u64) + Send + Sync>;

/// A backup fetched and checked, ready to be applied.
pub struct PreparedRestore {
    key: String,
    extracted: archive::Extracted,
    work: WorkDir,
    _running: tokio::sync::OwnedMutexGuard<()>,
}

/// A restored backup, for the caller to reload its caches.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// Whether the uploaded files were replaced too.
    pub storage: bool,
}

pub struct Backups {
    store: Arc<dyn Store>,
    files: Arc<Files>,
    settings: Arc<SettingsService>,
    /// `<data>/backups`, used when the `backups.s3` settings are off.
    dir: PathBuf,
    /// Room for work files (same filesystem as the data, so renames are cheap).
    work: PathBuf,
    running: Arc<tokio::sync::Mutex<()>>,
    /// The key being written or restored.
    active: Mutex<Option<String>>,
}

impl Backups {
    pub fn new(store: Arc<dyn Store>, files: Arc<Files>, settings: Arc<SettingsService>, data_dir: &Path) -> Self {
        Self {
            store,
            work: files.tmp_dir.clone(),
            files,
            settings,
            dir: data_dir.join("backups"),
            running: Arc::new(tokio::sync::Mutex::new(())),
            active: Mutex::new(None),
        }
    }

    /// Whether no backup or restore is running.
    pub fn idle(&self) -> bool {
        self.running.try_lock().is_ok()
    }

    /// Where backups are kept now.
    pub async fn target(&self) -> anyhow::Result<BlobStore> {
        let settings = self.settings.shared().await?;
        if settings.backups.s3.enabled { BlobStore::s3(&settings.backups.s3) } else { BlobStore::local(&self.dir) }
    }

    /// Every backup, sorted by key.
    pub async fn list(&self) -> Result<Vec<BackupInfo>, BackupError> {
        let target = self.target().await?;
        let mut out: Vec<BackupInfo> = target
            .list_with_meta("")
            .await?
            .into_iter()
            .filter(|(key, _)| is_key(key))
            .map(|(key, meta)| BackupInfo { key, size: meta.size, modified: meta.modified })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// Takes a backup and stores it; returns it.
    pub async fn create(
        &self,
        options: CreateOptions,
        progress: Option<ProgressFn>,
    ) -> Result<BackupInfo, BackupError> {
        let target = self.target().await?;
        let key = if options.name.is_empty() { self.default_name(options.auto).await? } else { options.name.clone() };
        if !options.name.is_empty() {
            validate_name(&target, &key).await?;
        }
        let _running = self.running.try_lock().map_err(|_| BackupError::Busy)?;
        let _active = self.mark_active(&key);
        let clock = Instant::now();
        let result = self.write_archive(&target, &key, options.include_aux, progress).await;
        let size = result.as_ref().map_or(0, |b| b.size);
        crate::telemetry::backup(result.is_ok(), size, clock.elapsed());
        match &result {
            Ok(b) => {
                tracing::info!(key = %b.key, bytes = b.size, ms = clock.elapsed().as_millis() as u64, "backup created")
            }
            Err(e) => tracing::error!(key = %key, error = %format!("{e:#}"), "backup failed"),
        }
        result
    }

    async fn write_archive(
        &self,
        target: &BlobStore,
        key: &str,
        include_aux: bool,
        progress: Option<ProgressFn>,
    ) -> Result<BackupInfo, BackupError> {
        let work = WorkDir::create(&self.work, "backup").await?;
        let names: &[&str] = if include_aux { &["data.db", "aux.db"] } else { &["data.db"] };
        let databases = self.store.snapshot(work.path(), names).await.map_err(anyhow::Error::from)?;
        let blobs = self.files.blobs();
        let local = blobs.local_root().map(Path::to_path_buf);
        let (storage_files, keys) = match &local {
            Some(root) => {
                let root = root.clone();
                let files =
                    tokio::task::spawn_blocking(move || archive::walk(&root)).await.map_err(anyhow::Error::from)??;
                let keys = files.iter().map(|(k, _)| k.clone()).collect();
                (files, keys)
            }
            None => (Vec::new(), blobs.list("").await?),
        };
        let manifest = Manifest {
            format: archive::FORMAT,
            croft: env!("CARGO_PKG_VERSION").to_owned(),
            created: crate::dates::now(),
            databases: databases.iter().map(|d| d.name.clone()).collect(),
            storage: StorageManifest { location: blobs.describe().to_owned(), included: local.is_some(), blobs: keys },
        };
        let zip = work.path().join("backup.zip");
        let report = progress.clone();
        let zip_path = zip.clone();
        tokio::task::spawn_blocking(move || {
            let storage = local.as_deref().map(|root| (root, storage_files.as_slice()));
            let on = |done, total| {
                if let Some(p) = &report {
                    p("archive", done, total);
                }
            };
            archive::write(&zip_path, &manifest, &databases, storage, &on)
        })
        .await
        .map_err(anyhow::Error::from)??;
        if let Some(p) = &progress {
            p("store", 0, 1);
        }
        target.put_file(key, &zip).await?;
        let meta = target.head(key).await?.ok_or_else(|| anyhow::anyhow!("the stored backup {key} is not there"))?;
        Ok(BackupInfo { key: key.to_owned(), size: meta.size, modified: meta.modified })
    }

    /// Stores an uploaded archive (at `source`, consumed) as `name` after checking it.
    pub async fn upload(&self, name: &str, source: &Path) -> Result<BackupInfo, BackupError> {
        let key = Path::new(name).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if key.is_empty() || key.starts_with('.') {
            return Err(BackupError::Invalid(FieldErrors::single("file", code::REQUIRED, "Cannot be blank.")));
        }
        let path = source.to_path_buf();
        let checked =
            tokio::task::spawn_blocking(move || archive::read_manifest(&path)).await.map_err(anyhow::Error::from)?;
        if let Err(e) = checked {
            let message = format!("\"{key}\" is not a Croft backup ({e}).");
            return Err(BackupError::Invalid(FieldErrors::single("file", "validation_invalid_mime_type", message)));
        }
        let target = self.target().await?;
        if target.head(&key).await?.is_some() {
            let message = "Backup file with the specified name already exists.";
            return Err(BackupError::Invalid(FieldErrors::single("file", "validation_backup_name_exists", message)));
        }
        target.put_file(&key, source).await?;
        let meta = target.head(&key).await?.ok_or_else(|| anyhow::anyhow!("the uploaded backup {key} is not there"))?;
        Ok(BackupInfo { key, size: meta.size, modified: meta.modified })
    }

    pub async fn delete(&self, key: &str) -> Result<(), BackupError> {
        if self.active.lock().unwrap_or_else(PoisonError::into_inner).as_deref() == Some(key) {
            return Err(BackupError::InUse);
        }
        let target = self.target().await?;
        if !is_key(key) || target.head(key).await?.is_none() {
            return Err(BackupError::NotFound(key.to_owned()));
        }
        target.delete(key).await?;
        Ok(())
    }

    /// The archive's bytes, for downloads.
    pub async fn open(&self, key: &str, range: Option<std::ops::Range<u64>>) -> Result<BlobRead, BackupError> {
        let target = self.target().await?;
        if !is_key(key) {
            return Err(BackupError::NotFound(key.to_owned()));
        }
        target.get(key, range).await?.ok_or_else(|| BackupError::NotFound(key.to_owned()))
    }

    /// Fetches the backup `key` and checks all of it (every entry's CRC, the integrity of every
    /// database); nothing live changes yet. The result holds the backup/restore lock until it is
    /// applied or dropped.
    pub async fn prepare_restore(
        &self,
        key: &str,
        progress: Option<ProgressFn>,
    ) -> Result<PreparedRestore, BackupError> {
        let target = self.target().await?;
        if !is_key(key) || target.head(key).await?.is_none() {
            return Err(BackupError::NotFound(key.to_owned()));
        }
        let running = self.running.clone().try_lock_owned().map_err(|_| BackupError::Busy)?;
        let work = WorkDir::create(&self.work, "restore").await?;
        let zip = work.path().join("backup.zip");
        fetch(&target, key, &zip).await?;
        let into = work.path().join("content");
        let extracted = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&into)?;
            let on = |done, total| {
                if let Some(p) = &progress {
                    p("verify", done, total);
                }
            };
            let extracted = archive::extract(&zip, &into, &on)?;
            for db in &extracted.databases {
                let problems =
                    crate::store::check_database_file(&db.path).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
                if !problems.is_empty() {
                    return Err(ArchiveError::Invalid(format!("{} is damaged: {}", db.name, problems.join("; "))));
                }
            }
            Ok::<_, ArchiveError>(extracted)
        })
        .await
        .map_err(anyhow::Error::from)??;
        Ok(PreparedRestore { key: key.to_owned(), extracted, work, _running: running })
    }

    /// Puts a checked backup back: each database in one atomic step, then (when the archive
    /// holds them and file storage is local) the uploaded files, by swapping folders.
    pub async fn apply_restore(&self, prepared: PreparedRestore) -> Result<Restored, BackupError> {
        let PreparedRestore { key, extracted, work, _running } = prepared;
        let _active = self.mark_active(&key);
        self.store.restore(extracted.databases.clone()).await.map_err(anyhow::Error::from)?;
        let storage = match (&extracted.storage, self.files.blobs().local_root()) {
            (Some(from), Some(root)) => {
                swap_dir(from, root, work.path()).await?;
                true
            }
            (Some(_), None) => {
                tracing::warn!(key, "the backup holds local files but file storage is S3 now; they were not restored");
                false
            }
            _ => false,
        };
        tracing::info!(key, storage, "backup restored");
        Ok(Restored { manifest: extracted.manifest, storage })
    }

    /// Runs the `backups.cron` schedule: takes an automatic backup when the schedule matches
    /// `now`'s minute and keeps the newest `cronMaxKeep` automatic ones. `None` when not due.
    pub async fn run_schedule(&self, now: DateTime<Utc>) -> Result<Option<BackupInfo>, BackupError> {
        let settings = self.settings.shared().await?;
        let cron = settings.backups.cron.trim();
        if cron.is_empty() {
            return Ok(None);
        }
        let schedule = crate::jobs::parse_cron(cron)?;
        let minute = now.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
        if !schedule.is_time_matching(&minute).unwrap_or(false) {
            return Ok(None);
        }
        let created = self.create(CreateOptions { auto: true, ..CreateOptions::default() }, None).await?;
        let keep = usize::try_from(settings.backups.cron_max_keep).unwrap_or(0);
        if keep > 0 {
            let mut auto: Vec<BackupInfo> =
                self.list().await?.into_iter().filter(|b| b.key.starts_with(AUTO_PREFIX)).collect();
            auto.sort_by(|a, b| b.modified.cmp(&a.modified).then_with(|| b.key.cmp(&a.key)));
            for old in auto.iter().skip(keep) {
                self.delete(&old.key).await?;
                tracing::info!(key = %old.key, "deleted an old automatic backup");
            }
        }
        Ok(Some(created))
    }

    /// PocketBase's default name: `pb_backup_<app name>_<UTC time>.zip`.
    async fn default_name(&self, auto: bool) -> anyhow::Result<String> {
        let app = self.settings.shared().await?.meta.app_name.clone();
        let mut snake = String::new();
        for c in app.chars() {
            if c.is_ascii_alphanumeric() {
                snake.push(c.to_ascii_lowercase());
            } else if !snake.ends_with('_') {
                snake.push('_');
            }
        }
        let snake: String = snake.trim_matches('_').chars().take(50).collect();
        let prefix = if auto { AUTO_PREFIX } else { "pb_backup_" };
        Ok(format!("{prefix}{snake}_{}.zip", Utc::now().format("%Y%m%d%H%M%S")))
    }

    fn mark_active(&self, key: &str) -> ActiveGuard<'_> {
        *self.active.lock().unwrap_or_else(PoisonError::into_inner) = Some(key.to_owned());
        ActiveGuard(&self.active)
    }
}

struct ActiveGuard<'a>(&'a Mutex<Option<String>>);

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// A plain file name: no folders, no hidden files.
pub fn is_key(key: &str) -> bool {
    !key.is_empty() && !key.contains('/') && !key.contains('\\') && !key.starts_with('.')
}

/// PocketBase's rules for a new backup's name, in its order: length, format, not taken.
async fn validate_name(target: &BlobStore, name: &str) -> Result<(), BackupError> {
    let len = name.chars().count();
    let error = if !(1..=NAME_MAX).contains(&len) {
        let mut e = FieldErrors::default();
        let error = FieldError::new(code::LENGTH_OUT_OF_RANGE, "The length must be between 1 and 150.")
            .with("max", NAME_MAX)
            .with("min", 1i64);
        e.add_error("name", error);
        Some(e)
    } else if !valid_format(name) {
        Some(FieldErrors::single("name", "validation_match_invalid", "Must be in a valid format."))
    } else if target.head(name).await?.is_some() {
        Some(FieldErrors::single(
            "name",
            "validation_backup_name_exists",
            "The backup file name is invalid or already exists.",
        ))
    } else {
        None
    };
    error.map_or(Ok(()), |e| Err(BackupError::Invalid(e)))
}

/// `^[a-z0-9_-]+\.zip$`.
fn valid_format(name: &str) -> bool {
    name.strip_suffix(".zip").is_some_and(|stem| {
        !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    })
}

/// Copies a stored backup to a local file.
async fn fetch(target: &BlobStore, key: &str, to: &Path) -> anyhow::Result<()> {
    let read = target.get(key, None).await?.ok_or_else(|| anyhow::anyhow!("{key} disappeared"))?;
    let mut file = tokio::fs::File::create(to).await?;
    let mut body = read.body;
    while let Some(chunk) = body.try_next().await? {
        file.write_all(&chunk).await?;
    }
    file.sync_all().await?;
    Ok(())
}

/// Replaces the folder `live` by `fresh`: two renames (the old folder is deleted afterwards).
async fn swap_dir(fresh: &Path, live: &Path, work: &Path) -> anyhow::Result<()> {
    let old = work.join("storage-before-restore");
    if tokio::fs::metadata(live).await.is_ok() {
        tokio::fs::rename(live, &old).await?;
    }
    if let Err(e) = tokio::fs::rename(fresh, live).await {
        // Put the old files back rather than leave no storage folder.
        let _ = tokio::fs::rename(&old, live).await;
        return Err(e.into());
    }
    Ok(())
}

/// A scratch folder under the data directory's tmp, removed when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    async fn create(base: &Path, kind: &str) -> anyhow::Result<Self> {
        let path = base.join(format!("{kind}-{}", crate::ids::record_id()));
        tokio::fs::create_dir_all(&path).await?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    /// Removes the folder (it can hold a whole database) on a blocking thread when there is a
    /// runtime, so no async worker waits for the disk.
    fn drop(&mut self) {
        let path = std::mem::take(&mut self.0);
        let remove = move || {
            if let Err(e) = std::fs::remove_dir_all(&path) {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove a backup work folder");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(remove)),
            Err(_) => remove(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_follow_pocketbase() {
        for good in ["x.zip", "a-b_c.zip", "2026.zip"] {
            assert!(super::valid_format(good), "{good}");
        }
        for bad in ["a b.zip", "X.ZIP", "x.tar", ".zip", "a.zip.zip", "A.zip", "a.b.zip"] {
            assert!(!super::valid_format(bad), "{bad}");
        }
        assert!(super::is_key("Weird Name.zip") && !super::is_key("../x.zip") && !super::is_key(".x"));
    }
}
