//! WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the
//! committing write (here: the group-commit writer), so every few hundred commits one group
//! waited for pages to be copied into the database file and fsynced. The writer connection
//! turns automatic checkpoints off and this thread runs a PASSIVE checkpoint (it never blocks
//! writers or readers) a few times a second while there are new writes, and now and then a
//! RESTART one so that the log starts over (see [`RESTART_FRAMES`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use rusqlite::Connection;

/// How often to look for new writes.
const INTERVAL: Duration = Duration::from_millis(250);

/// WAL frames (pages) after which a checkpoint also restarts the log. Under steady writes a
/// PASSIVE checkpoint never catches up with the newest frame, so SQLite never starts the log
/// over and it would grow without bound; a RESTART waits for the current write, copies the few
/// frames left and lets the next write begin at the start of the file. 16,384 frames of 4 KiB
/// is 64 MiB.
const RESTART_FRAMES: i64 = 16_384;

/// How long a RESTART checkpoint may wait for readers of older snapshots; new writes wait
/// meanwhile, so it is short (a busy RESTART is simply tried again next time).
const BUSY: Duration = Duration::from_millis(100);

/// Starts the checkpointer of the database at `path`; it ends when `generation` (owned by the
/// store) is dropped.
pub(super) fn start(path: PathBuf, generation: &Arc<AtomicU64>) {
    let generation = Arc::downgrade(generation);
    let spawned = std::thread::Builder::new().name("croft-checkpoint".into()).spawn(move || run(&path, &generation));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the checkpoint thread; the WAL file will grow");
    }
}

fn run(path: &PathBuf, generation: &Weak<AtomicU64>) {
    let conn = match Connection::open(path).and_then(|c| c.busy_timeout(BUSY).map(|()| c)) {
        Ok(c) => c,
        Err(e) => return tracing::error!(error = %e, path = %path.display(), "cannot open the checkpoint connection"),
    };
    let mut done = 0;
    loop {
        std::thread::sleep(INTERVAL);
        let Some(current) = generation.upgrade().map(|g| g.load(Ordering::Acquire)) else { return };
        if current == done {
            continue;
        }
        match checkpoint(&conn) {
            Ok(()) => done = current,
            Err(e) => tracing::warn!(error = %e, path = %path.display(), "WAL checkpoint failed; retrying"),
        }
    }
}

/// A PASSIVE checkpoint, followed by a RESTART one when the log has grown long.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    let frames = |mode: &str| conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| r.get::<_, i64>(1));
    let db = conn
        .path()
        .map(|p| std::path::Path::new(p).file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let passive = frames("PASSIVE")?;
    crate::telemetry::db_checkpoint(db.clone(), "passive");
    if passive >= RESTART_FRAMES {
        frames("RESTART")?;
        crate::telemetry::db_checkpoint(db, "restart");
    }
    Ok(())
}
