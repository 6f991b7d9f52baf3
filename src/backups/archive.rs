//! The backup archive: a zip file, as PocketBase's backups are.
//!
//! Layout (entries in this order):
//! - `croft-backup.json`: the [`Manifest`] (format, Croft version, time, what is inside, and the
//!   keys of every blob in file storage when the backup was taken);
//! - `data.db`, and `aux.db` when asked for: consistent copies of the databases;
//! - `storage/<collectionId>/<recordId>/<file>`: the uploaded files, only when they live on the
//!   local disk (files in S3 stay there and are only listed in the manifest).
//!
//! Every entry is deflated; the zip CRC of each entry is checked when it is read back.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::store::model::DatabaseFile;

pub const MANIFEST: &str = "croft-backup.json";
/// The archive format this build writes and reads.
pub const FORMAT: u32 = 1;
/// The folder of uploaded files inside an archive.
pub const STORAGE: &str = "storage";
/// Database files an archive may hold.
pub const DATABASES: &[&str] = &["data.db", "aux.db"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u32,
    /// The Croft version that wrote it.
    pub croft: String,
    pub created: String,
    pub databases: Vec<String>,
    pub storage: StorageManifest,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StorageManifest {
    /// `local:/path` or `s3:endpoint/bucket`.
    pub location: String,
    /// Whether the files themselves are in the archive (local storage) or only listed.
    pub included: bool,
    /// Every blob key in file storage at the time of the backup.
    pub blobs: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("not a Croft backup: {0}")]
    Invalid(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<zip::result::ZipError> for ArchiveError {
    fn from(e: zip::result::ZipError) -> Self {
        match e {
            zip::result::ZipError::Io(e) => Self::Io(e),
            other => Self::Invalid(other.to_string()),
        }
    }
}

/// Reports bytes done out of a total.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// Every regular file under `root`, as `/`-separated paths relative to it, sorted.
pub fn walk(root: &Path) -> io::Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                let rel = entry.path().strip_prefix(root).map_err(io::Error::other)?.to_path_buf();
                let key: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                out.push((key.join("/"), entry.metadata()?.len()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes an archive to `target`; `storage` is the local storage root and its files, when they
/// are to be included. Returns the archive's size.
pub fn write(
    target: &Path,
    manifest: &Manifest,
    databases: &[DatabaseFile],
    storage: Option<(&Path, &[(String, u64)])>,
    progress: Progress<'_>,
) -> Result<u64, ArchiveError> {
    let mut zip = ZipWriter::new(BufWriter::new(File::create(target)?));
    let options =
        SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).compression_level(Some(1));
    zip.start_file(MANIFEST, options)?;
    zip.write_all(&serde_json::to_vec_pretty(manifest).map_err(io::Error::other)?)?;
    let mut sources: Vec<(String, PathBuf, u64)> = Vec::new();
    for db in databases {
        sources.push((db.name.clone(), db.path.clone(), std::fs::metadata(&db.path)?.len()));
    }
    for (root, files) in storage.into_iter() {
        for (key, size) in files {
            sources.push((format!("{STORAGE}/{key}"), root.join(key), *size));
        }
    }
    let total: u64 = sources.iter().map(|s| s.2).sum();
    let mut done = 0;
    for (name, path, size) in sources {
        let file = match File::open(&path) {
            Ok(f) => f,
            // A file deleted since the listing (a record deleted meanwhile) is simply not in it.
            Err(e) if e.kind() == io::ErrorKind::NotFound && name.starts_with(STORAGE) => continue,
            Err(e) => return Err(e.into()),
        };
        zip.start_file(name.as_str(), options.large_file(size >= u64::from(u32::MAX)))?;
        io::copy(&mut BufReader::with_capacity(256 << 10, file), &mut zip)?;
        done += size;
        progress(done, total);
    }
    let mut out = zip.finish()?;
    out.flush()?;
    let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}

/// What [`extract`] found.
#[derive(Debug)]
pub struct Extracted {
    pub manifest: Manifest,
    pub databases: Vec<DatabaseFile>,
    /// The extracted storage folder, when the archive has files.
    pub storage: Option<PathBuf>,
}

/// Reads the manifest of the archive at `path` (cheap: one entry).
pub fn read_manifest(path: &Path) -> Result<Manifest, ArchiveError> {
    let mut zip = ZipArchive::new(BufReader::new(File::open(path)?))?;
    manifest_of(&mut zip)
}

fn manifest_of<R: Read + io::Seek>(zip: &mut ZipArchive<R>) -> Result<Manifest, ArchiveError> {
    let mut entry = zip.by_name(MANIFEST).map_err(|_| ArchiveError::Invalid(format!("{MANIFEST} is missing")))?;
    let mut text = String::new();
    entry.read_to_string(&mut text)?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| ArchiveError::Invalid(format!("{MANIFEST} is unreadable: {e}")))?;
    if manifest.format != FORMAT {
        return Err(ArchiveError::Invalid(format!("archive format {} (this Croft reads {FORMAT})", manifest.format)));
    }
    Ok(manifest)
}

/// Unpacks the archive at `path` into the empty folder `into`, checking every entry's CRC and
/// refusing entries outside the layout (so nothing lands outside `into`).
pub fn extract(path: &Path, into: &Path, progress: Progress<'_>) -> Result<Extracted, ArchiveError> {
    let mut zip = ZipArchive::new(BufReader::new(File::open(path)?))?;
    let manifest = manifest_of(&mut zip)?;
    if !manifest.databases.iter().any(|d| d == "data.db") {
        return Err(ArchiveError::Invalid("it holds no data.db".into()));
    }
    let total: u64 = (0..zip.len()).filter_map(|i| zip.by_index_raw(i).ok().map(|f| f.size())).sum();
    let mut done = 0;
    let mut databases = Vec::new();
    let mut storage = None;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let name = entry.name()?.into_owned();
        if name == MANIFEST || entry.is_dir() {
            continue;
        }
        let rel = entry.enclosed_name().filter(|p| p.components().all(|c| matches!(c, Component::Normal(_))));
        let Some(rel) = rel else { return Err(ArchiveError::Invalid(format!("unsafe entry name {name:?}"))) };
        let is_db = DATABASES.contains(&name.as_str());
        if !is_db && !name.starts_with(&format!("{STORAGE}/")) {
            return Err(ArchiveError::Invalid(format!("unexpected entry {name:?}")));
        }
        let target = into.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = BufWriter::new(File::create(&target)?);
        // Reading to the end checks the CRC: a damaged entry fails here.
        io::copy(&mut entry, &mut out).map_err(|e| ArchiveError::Invalid(format!("{name}: {e}")))?;
        out.flush()?;
        done += entry.size();
        progress(done, total);
        if is_db {
            databases.push(DatabaseFile { name, path: target });
        } else {
            storage = Some(into.join(STORAGE));
        }
    }
    if !databases.iter().any(|d| d.name == "data.db") {
        return Err(ArchiveError::Invalid("data.db is missing".into()));
    }
    Ok(Extracted { manifest, databases, storage })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(databases: &[&str]) -> Manifest {
        Manifest {
            format: FORMAT,
            croft: "test".into(),
            created: crate::dates::now(),
            databases: databases.iter().map(|d| (*d).to_owned()).collect(),
            storage: StorageManifest { location: "local:/x".into(), included: true, blobs: vec!["c/r/a.txt".into()] },
        }
    }

    #[test]
    fn round_trip_and_damage_is_detected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("data.db");
        std::fs::write(&db, vec![7u8; 100_000]).expect("db");
        let root = dir.path().join("storage");
        std::fs::create_dir_all(root.join("c/r")).expect("mkdir");
        std::fs::write(root.join("c/r/a.txt"), b"hello").expect("file");
        let files = walk(&root).expect("walk");
        assert_eq!(files, [("c/r/a.txt".to_owned(), 5)]);
        let zip = dir.path().join("b.zip");
        let dbs = [DatabaseFile { name: "data.db".into(), path: db }];
        let m = manifest(&["data.db"]);
        let size = write(&zip, &m, &dbs, Some((&root, &files)), &|_, _| {}).expect("write");
        assert!(size > 0 && size < 100_000, "compressed: {size}");
        assert_eq!(read_manifest(&zip).expect("manifest"), m);

        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        let got = extract(&zip, &out, &|_, _| {}).expect("extract");
        assert_eq!(std::fs::read(out.join("storage/c/r/a.txt")).expect("file"), b"hello");
        assert_eq!(got.databases.len(), 1);
        assert_eq!(std::fs::metadata(&got.databases[0].path).expect("db").len(), 100_000);

        // Flip bytes in the middle of the compressed database: its CRC no longer matches.
        let mut bytes = std::fs::read(&zip).expect("read");
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 16] {
            *b ^= 0xff;
        }
        std::fs::write(&zip, bytes).expect("write");
        let again = dir.path().join("again");
        std::fs::create_dir_all(&again).expect("mkdir");
        assert!(extract(&zip, &again, &|_, _| {}).is_err(), "a damaged archive is refused");
    }

    #[test]
    fn foreign_archives_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let zip = dir.path().join("pb.zip");
        let mut w = ZipWriter::new(File::create(&zip).expect("create"));
        w.start_file("data.db", SimpleFileOptions::default()).expect("start");
        w.write_all(b"x").expect("write");
        w.finish().expect("finish");
        let err = extract(&zip, dir.path(), &|_, _| {}).expect_err("no manifest");
        assert!(err.to_string().contains(MANIFEST), "{err}");
        std::fs::write(&zip, b"not a zip").expect("write");
        assert!(matches!(extract(&zip, dir.path(), &|_, _| {}), Err(ArchiveError::Invalid(_))));
    }
}
