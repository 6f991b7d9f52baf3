//! Blob storage behind one type: a local directory (the default, `<data>/storage`) or an
//! S3-compatible bucket. Keys use PocketBase's layout, `<collectionId>/<recordId>/<file>`, so a
//! PocketBase `pb_data/storage` can be copied in as it is.

mod s3;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;

pub use s3::S3Config;

/// Parts of multipart uploads (S3 needs at least 5 MiB per part but the last).
const PART_SIZE: usize = 8 << 20;
/// Parts in flight at once: bounds the memory an upload holds to about `PART_SIZE * this`.
const PARTS_IN_FLIGHT: usize = 2;

/// What a stored blob is.
#[derive(Debug, Clone)]
pub struct BlobMeta {
    pub size: u64,
    pub modified: DateTime<Utc>,
    /// The backend's entity tag, when it has one.
    pub e_tag: Option<String>,
}

/// A blob being read: its metadata, the range served and the bytes as a stream.
pub struct BlobRead {
    pub meta: BlobMeta,
    pub range: Range<u64>,
    pub body: BoxStream<'static, std::io::Result<Bytes>>,
}

/// Where blobs live.
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// The root directory of a local store: uploads are renamed into place instead of copied.
    local_root: Option<PathBuf>,
    describe: String,
}

impl BlobStore {
    /// A directory on local disk (created when missing).
    pub fn local(root: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
        let root = root.canonicalize().with_context(|| format!("cannot resolve {}", root.display()))?;
        let fs = LocalFileSystem::new_with_prefix(&root)?.with_automatic_cleanup(true);
        Ok(Self { inner: Arc::new(fs), describe: format!("local:{}", root.display()), local_root: Some(root) })
    }

    /// An S3-compatible bucket.
    pub fn s3(config: &S3Config) -> anyhow::Result<Self> {
        Ok(Self { inner: s3::build(config)?, local_root: None, describe: config.describe() })
    }

    /// The folder of a local store; `None` for S3.
    pub fn local_root(&self) -> Option<&Path> {
        self.local_root.as_deref()
    }

    /// `local:/path` or `s3:endpoint/bucket`, for logs and the dashboard.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// Stores the file at `source` under `key`. A local store moves it when it can; S3 gets it
    /// in parts, so memory stays bounded whatever its size. `source` is consumed either way.
    pub async fn put_file(&self, key: &str, source: &Path) -> anyhow::Result<()> {
        let size = tokio::fs::metadata(source).await.map(|m| m.len()).unwrap_or(0);
        let result = self.put_file_inner(key, source).await;
        observe("put", &result);
        if result.is_ok() {
            crate::telemetry::blob_bytes("in", size);
        }
        result
    }

    async fn put_file_inner(&self, key: &str, source: &Path) -> anyhow::Result<()> {
        if let Some(root) = &self.local_root {
            let target = root.join(key);
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            if tokio::fs::rename(source, &target).await.is_ok() {
                return Ok(());
            }
        }
        let mut file =
            tokio::fs::File::open(source).await.with_context(|| format!("cannot open {}", source.display()))?;
        let size = file.metadata().await?.len();
        if size <= PART_SIZE as u64 {
            let mut buf = Vec::with_capacity(size as usize);
            file.read_to_end(&mut buf).await?;
            self.inner.put(&Key::from(key), PutPayload::from(buf)).await?;
            return Ok(());
        }
        let upload = self.inner.put_multipart(&Key::from(key)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
            writer.write(&buf[..n]);
        }
        writer.finish().await?;
        Ok(())
    }

    /// Stores a small blob held in memory (thumbnails, probes).
    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> anyhow::Result<()> {
        let size = bytes.len() as u64;
        let result = self.inner.put(&Key::from(key), PutPayload::from(bytes)).await.map(|_| ()).map_err(Into::into);
        observe("put", &result);
        if result.is_ok() {
            crate::telemetry::blob_bytes("in", size);
        }
        result
    }

    /// The blob's metadata; `None` when it does not exist.
    pub async fn head(&self, key: &str) -> anyhow::Result<Option<BlobMeta>> {
        if let Some(path) = self.local_path(key) {
            return match tokio::fs::metadata(&path).await {
                Ok(m) if m.is_file() => Ok(Some(local_meta(&m))),
                Ok(_) => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            };
        }
        match self.inner.head(&Key::from(key)).await {
            Ok(meta) => Ok(Some(meta_of(&meta))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Streams the blob, or the bytes of `range` (end exclusive); `None` when it does not exist.
    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> anyhow::Result<Option<BlobRead>> {
        let result = self.get_inner(key, range).await;
        observe("get", &result);
        if let Ok(Some(read)) = &result {
            crate::telemetry::blob_bytes("out", read.range.end - read.range.start);
        }
        result
    }

    async fn get_inner(&self, key: &str, range: Option<Range<u64>>) -> anyhow::Result<Option<BlobRead>> {
        if let Some(path) = self.local_path(key) {
            return local_read(&path, range).await;
        }
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        match self.inner.get_opts(&Key::from(key), options).await {
            Ok(got) => {
                let meta = meta_of(&got.meta);
                let range = got.range.clone();
                let body = got.into_stream().map_err(std::io::Error::other).boxed();
                Ok(Some(BlobRead { meta, range, body }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads a whole blob of at most `limit` bytes into memory (thumbnail sources).
    pub async fn read_all(&self, key: &str, limit: u64) -> anyhow::Result<Option<Bytes>> {
        let Some(read) = self.get(key, None).await? else { return Ok(None) };
        anyhow::ensure!(read.meta.size <= limit, "{key} is larger than {limit} bytes");
        let chunks: Vec<Bytes> = read.body.try_collect().await?;
        Ok(Some(chunks.concat().into()))
    }

    /// Deletes a blob; one that is already gone is not an error.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        let result = match self.inner.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        };
        observe("delete", &result);
        result
    }

    /// Every key under the folder `prefix` (`a/b` lists `a/b/…`, never `a/bc`).
    pub async fn list(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        Ok(self.list_with_meta(prefix).await?.into_iter().map(|(key, _)| key).collect())
    }

    /// Every key under the folder `prefix` with its metadata, from the listing itself (one
    /// request per page of keys, not one per key).
    pub async fn list_with_meta(&self, prefix: &str) -> anyhow::Result<Vec<(String, BlobMeta)>> {
        let prefix = (!prefix.is_empty()).then(|| Key::from(prefix));
        let metas: Vec<_> = self.inner.list(prefix.as_ref()).try_collect().await?;
        Ok(metas.into_iter().map(|m| (m.location.to_string(), meta_of(&m))).collect())
    }

    /// Writes, reads back and deletes a probe object: proves the store is usable.
    pub async fn check(&self) -> anyhow::Result<()> {
        let key = format!(".croft-check-{}", crate::ids::record_id());
        self.put_bytes(&key, Bytes::from_static(b"ok")).await.context("cannot write")?;
        let back = self.read_all(&key, 16).await.context("cannot read")?;
        self.delete(&key).await.context("cannot delete")?;
        anyhow::ensure!(back.as_deref() == Some(b"ok".as_slice()), "read back something else");
        Ok(())
    }
}

impl BlobStore {
    /// The file of a local blob (object_store reads local files 8 KiB per blocking task; reading
    /// them directly is several times faster). `None` for S3 or a key that is no plain path.
    fn local_path(&self, key: &str) -> Option<PathBuf> {
        let root = self.local_root.as_ref()?;
        let plain = !key.is_empty() && key.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
        plain.then(|| root.join(key))
    }
}

fn observe<T>(op: &'static str, result: &anyhow::Result<T>) {
    crate::telemetry::blob_op(op, result.is_ok());
}

fn local_meta(m: &std::fs::Metadata) -> BlobMeta {
    let modified = m.modified().map(DateTime::<Utc>::from).unwrap_or_else(|_| Utc::now());
    BlobMeta { size: m.len(), modified, e_tag: None }
}

async fn local_read(path: &Path, range: Option<Range<u64>>) -> anyhow::Result<Option<BlobRead>> {
    use tokio::io::AsyncSeekExt;
    let mut file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let m = file.metadata().await?;
    if !m.is_file() {
        return Ok(None);
    }
    let meta = local_meta(&m);
    let range = range.map_or(0..meta.size, |r| r.start.min(meta.size)..r.end.min(meta.size));
    file.seek(std::io::SeekFrom::Start(range.start)).await?;
    let reader = file.take(range.end - range.start);
    let body = tokio_util::io::ReaderStream::with_capacity(reader, 64 << 10).boxed();
    Ok(Some(BlobRead { meta, range, body }))
}

fn meta_of(meta: &object_store::ObjectMeta) -> BlobMeta {
    BlobMeta { size: meta.size, modified: meta.last_modified, e_tag: meta.e_tag.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_round_trip_ranges_and_listing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = BlobStore::local(&dir.path().join("storage")).expect("store");
        let src = dir.path().join("upload");
        std::fs::write(&src, b"hello world").expect("write");
        store.put_file("c1/r1/hello.txt", &src).await.expect("put");
        assert!(!src.exists(), "a local upload is moved, not copied");
        assert_eq!(store.head("c1/r1/hello.txt").await.expect("head").map(|m| m.size), Some(11));
        let read = store.get("c1/r1/hello.txt", Some(6..11)).await.expect("get").expect("exists");
        let body: Vec<Bytes> = read.body.try_collect().await.expect("body");
        assert_eq!(body.concat(), b"world");
        store.put_bytes("c1/r1/thumbs_hello.txt/1x1_hello.txt", Bytes::from_static(b"t")).await.expect("put");
        store.put_bytes("c1/r10/x", Bytes::from_static(b"x")).await.expect("put");
        let mut keys = store.list("c1/r1").await.expect("list");
        keys.sort();
        assert_eq!(keys, ["c1/r1/hello.txt", "c1/r1/thumbs_hello.txt/1x1_hello.txt"]);
        store.delete("c1/r1/hello.txt").await.expect("delete");
        store.delete("c1/r1/hello.txt").await.expect("deleting twice is fine");
        assert!(store.get("c1/r1/hello.txt", None).await.expect("get").is_none());
        store.check().await.expect("check");
    }
}
