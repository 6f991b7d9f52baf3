//! Where ACME accounts and certificates are kept: a small key-value interface, so that cluster
//! mode can keep them in PostgreSQL and every replica serves the same certificate.

use std::path::PathBuf;

use anyhow::Context;

/// Named secrets (account credentials, certificate chains with their keys).
#[async_trait::async_trait]
pub trait CertStore: Send + Sync {
    async fn load(&self, name: &str) -> anyhow::Result<Option<Vec<u8>>>;
    async fn save(&self, name: &str, data: &[u8]) -> anyhow::Result<()>;
}

/// Files in `<data>/tls`, readable by the owner only, replaced atomically.
pub struct DirStore {
    dir: PathBuf,
}

impl DirStore {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

#[async_trait::async_trait]
impl CertStore for DirStore {
    async fn load(&self, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let path = self.path(name);
        match tokio::fs::read(&path).await {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    async fn save(&self, name: &str, data: &[u8]) -> anyhow::Result<()> {
        let (dir, path, data) = (self.dir.clone(), self.path(name), data.to_vec());
        tokio::task::spawn_blocking(move || write_private(&dir, &path, &data)).await?
    }
}

/// Writes through a temporary file in the same directory and renames it into place, so a
/// crash leaves the old or the new file, never half of one.
fn write_private(dir: &std::path::Path, path: &std::path::Path, data: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(data)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[tokio::test]
    async fn files_are_private_and_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DirStore::new(dir.path().join("tls"));
        assert_eq!(store.load("a.pem").await.expect("load"), None);
        store.save("a.pem", b"one").await.expect("save");
        store.save("a.pem", b"two").await.expect("save");
        assert_eq!(store.load("a.pem").await.expect("load").as_deref(), Some(&b"two"[..]));
        let mode = |p: PathBuf| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(dir.path().join("tls/a.pem")), 0o600);
        assert_eq!(mode(dir.path().join("tls")), 0o700);
    }
}
