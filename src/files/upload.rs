//! Uploaded files on their way to blob storage: each multipart file part is streamed to a
//! temporary file under `<data>/tmp` (never held in memory), sniffed and named on the way.
//! A temporary file is removed when its [`Upload`] is dropped, so a failed request leaves nothing.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::{names, sniff};

/// A temporary file, removed on drop unless it was moved away.
#[derive(Debug)]
pub struct TempFile(PathBuf);

impl TempFile {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// One uploaded file.
#[derive(Debug)]
pub struct Upload {
    /// The form key it came under: `field`, `field+` or `+field` (batch: without `requests.N.`).
    pub key: String,
    /// The client's name for it.
    pub original: String,
    /// The name it is stored under.
    pub name: String,
    /// Its full size, even when more than `cap` bytes (then it was not kept).
    pub size: u64,
    /// Sniffed from its first bytes.
    pub mime: String,
    pub temp: TempFile,
}

impl Upload {
    /// The field it belongs to, without modifiers.
    pub fn field(&self) -> &str {
        self.key.trim_start_matches('+').trim_end_matches('+')
    }
}

/// Streams `part` into a new file in `dir`. Past `cap` bytes the rest is counted but dropped:
/// the size check then reports it, and disk use stays bounded.
pub async fn spool(
    dir: &Path,
    key: &str,
    original: &str,
    mut part: impl AsyncRead + Unpin,
    cap: u64,
) -> std::io::Result<Upload> {
    tokio::fs::create_dir_all(dir).await?;
    let temp = TempFile(dir.join(format!("upload-{}", crate::ids::record_id())));
    let mut file = tokio::fs::File::create(temp.path()).await?;
    let mut head = Vec::with_capacity(sniff::SNIFF_LEN);
    let mut buf = vec![0u8; 64 << 10];
    let mut size = 0u64;
    loop {
        let n = part.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        if head.len() < sniff::SNIFF_LEN {
            let take = (sniff::SNIFF_LEN - head.len()).min(n);
            head.extend_from_slice(&buf[..take]);
        }
        if size < cap {
            let keep = usize::try_from(cap - size).unwrap_or(usize::MAX).min(n);
            file.write_all(&buf[..keep]).await?;
        }
        size += n as u64;
    }
    file.flush().await?;
    let mime = sniff::sniff(&head);
    let name = names::stored_name(original, &sniff::extension_for(&mime));
    Ok(Upload { key: key.to_owned(), original: original.to_owned(), name, size, mime, temp })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spools_sniffs_caps_and_cleans_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let upload = spool(dir.path(), "docs+", "notes", &b"hello world"[..], 5).await.expect("spool");
        assert_eq!((upload.field(), upload.size), ("docs", 11));
        assert!(upload.name.starts_with("notes_") && upload.name.ends_with(".txt"), "{}", upload.name);
        assert_eq!(std::fs::read(upload.temp.path()).expect("read"), b"hello");
        let path = upload.temp.path().to_owned();
        drop(upload);
        assert!(!path.exists(), "dropped uploads leave no file behind");
    }
}
