//! One server per data directory: `serve` holds an exclusive lock on `<dir>/croft.lock` for as
//! long as it runs, so a second server on the same directory (a zero-downtime deploy starting
//! the new container before the old one is gone, a stray `croft serve`) waits for the first to
//! exit instead of writing the same SQLite files next to it. The kernel drops the lock when the
//! process ends, however it ends.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

const LOCK_FILE: &str = "croft.lock";
const POLL: Duration = Duration::from_millis(200);

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Takes the data directory's lock, waiting up to `timeout` for another process to let go.
pub async fn lock_data_dir(dir: &Path, timeout: Duration) -> anyhow::Result<DataDirLock> {
    crate::config::ensure_data_dir(dir)?;
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    let deadline = Instant::now() + timeout;
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        let holder = holder(&mut file);
        if Instant::now() >= deadline {
            anyhow::bail!(
                "another Croft server ({holder}) is using the data directory {} and did not exit within {} s; \
                 stop it first, or raise --lock-timeout (two servers must never write one data directory)",
                dir.display(),
                timeout.as_secs()
            );
        }
        if !told {
            tracing::warn!(holder = %holder, timeout_secs = timeout.as_secs(), "another Croft server is using the data directory; waiting for it to exit");
            told = true;
        }
        tokio::time::sleep(POLL).await;
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(DataDirLock { _file: file })
}

/// "pid N" as written by the holder, for the messages.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut text));
    match text.trim().parse::<u32>() {
        Ok(pid) => format!("pid {pid}"),
        Err(_) => "pid unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_lock_waits_then_refuses() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = lock_data_dir(dir.path(), Duration::ZERO).await.expect("first");
        let started = Instant::now();
        let err = lock_data_dir(dir.path(), Duration::from_millis(500)).await.expect_err("second");
        assert!(started.elapsed() >= Duration::from_millis(500), "it waited");
        let text = err.to_string();
        assert!(text.contains(&format!("pid {}", std::process::id())) && text.contains("--lock-timeout"), "{text}");
        drop(first);
        lock_data_dir(dir.path(), Duration::ZERO).await.expect("free again");
    }
}
