//! Consistent copies of the live databases (backups) and putting copies back (restores),
//! both through SQLite's online backup API.
//!
//! A snapshot copies every page in one step inside one read transaction: in WAL mode a reader
//! never blocks the writer, so writes go on while it runs, and the copy holds exactly what was
//! committed when the step began. A restore copies the file into the writer connection, also in
//! one step: it is one write transaction, so readers see the old content until it commits and
//! the new content after, never a mix.

use std::path::{Path, PathBuf};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::{Db, SqliteStore, blocking, embedded};
use crate::store::StoreResult;
use crate::store::model::DatabaseFile;

impl SqliteStore {
    pub(super) fn databases(&self) -> [(&'static str, &Db); 2] {
        [("data.db", &self.data), ("aux.db", &self.aux)]
    }

    pub(super) async fn snapshot_to(&self, dir: &Path, names: &[&str]) -> StoreResult<Vec<DatabaseFile>> {
        let mut out = Vec::new();
        for (name, db) in self.databases() {
            if !names.contains(&name) {
                continue;
            }
            let (source, target) = (db.path.clone(), dir.join(name));
            let copied = target.clone();
            blocking(move || copy_database(&source, &copied).map_err(Into::into)).await?;
            out.push(DatabaseFile { name: name.to_owned(), path: target });
        }
        Ok(out)
    }

    pub(super) async fn restore_from(&self, files: Vec<DatabaseFile>) -> StoreResult<()> {
        for file in files {
            let Some((name, db)) = self.databases().into_iter().find(|(n, _)| *n == file.name) else {
                return Err(anyhow::anyhow!("no database named {}", file.name).into());
            };
            let path = file.path.clone();
            db.write(move |c| {
                let source = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
                run_backup(&source, c)
            })
            .await?;
            tracing::info!(database = name, "restored");
        }
        let (data, aux) = (self.data.clone(), self.aux.clone());
        blocking(move || {
            data.migrate(embedded::data::migrations::runner())?;
            aux.migrate(embedded::aux::migrations::runner())?;
            Ok(())
        })
        .await
    }
}

/// Copies the database at `source` into a new single file at `target` (no WAL beside it).
fn copy_database(source: &Path, target: &PathBuf) -> rusqlite::Result<()> {
    let src = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    src.busy_timeout(std::time::Duration::from_secs(10))?;
    let mut dst = Connection::open(target)?;
    run_backup(&src, &mut dst)?;
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    Ok(())
}

/// Copies every page of `src` into `dst` in one step.
fn run_backup(src: &Connection, dst: &mut Connection) -> rusqlite::Result<()> {
    let backup = Backup::new(src, dst)?;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            // Only possible when another connection holds a lock: wait and go on.
            StepResult::Busy | StepResult::Locked => std::thread::sleep(std::time::Duration::from_millis(5)),
            StepResult::More => {}
            _ => {}
        }
    }
}

/// `PRAGMA integrity_check` of a database file, opened read-only; the problems it reports (an
/// unreadable file is one problem).
pub fn integrity_check(path: &Path) -> anyhow::Result<Vec<String>> {
    anyhow::ensure!(path.is_file(), "{} does not exist", path.display());
    let check = || -> rusqlite::Result<Vec<String>> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    };
    Ok(check().unwrap_or_else(|e| vec![e.to_string()]))
}
