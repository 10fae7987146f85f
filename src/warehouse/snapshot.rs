//! What a snapshot holds: `_manifest.json` lists every table file with its size, row count and
//! SHA-256, written last into the staging folder. It answers three questions:
//! - is this snapshot complete? (every table has files, every file is there with its size —
//!   `current` never switches to, and `rollback` never chooses, a snapshot that is not);
//! - is a new build byte-identical to `current`? (then no snapshot is added);
//! - what does `zlbd snapshots` show? (published at, rows per table, active submissions).
//!
//! A snapshot written before manifests existed is read from its folders instead.

use super::{io, parquet_io, WarehouseError, SNAPSHOTS};
use crate::domain::columns as c;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "_manifest.json";

/// One Parquet file of a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// Relative to the snapshot folder, `/`-separated: `fact_indicator/year=2021/part-0.parquet`.
    pub path: String,
    pub bytes: u64,
    pub rows: i64,
    pub sha256: String,
    /// The digest of what the file was encoded from (`parquet_io::content`): a later publish
    /// whose part has the same digest links this file instead of encoding it again. Absent in
    /// manifests written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub run_id: String,
    pub published_at: chrono::DateTime<chrono::Utc>,
    pub program_version: String,
    /// Active submissions: what the shrink guard compares.
    pub active_submissions: i64,
    /// Table name → its files, in path order.
    pub tables: BTreeMap<String, Vec<FileEntry>>,
}

impl Manifest {
    /// Whether two snapshots hold byte-identical tables (the same files, sizes, rows and
    /// SHA-256s; how the content digest was recorded does not matter).
    pub fn same_tables(&self, other: &Manifest) -> bool {
        fn files(manifest: &Manifest) -> impl Iterator<Item = (&str, &str, u64, i64, &str)> {
            manifest.tables.iter().flat_map(|(table, files)| {
                files.iter().map(move |file| {
                    let FileEntry {
                        path,
                        bytes,
                        rows,
                        sha256,
                        content: _,
                    } = file;
                    (
                        table.as_str(),
                        path.as_str(),
                        *bytes,
                        *rows,
                        sha256.as_str(),
                    )
                })
            })
        }
        files(self).eq(files(other))
    }

    pub fn rows(&self, table: &str) -> i64 {
        self.tables
            .get(table)
            .map(|files| files.iter().map(|file| file.rows).sum())
            .unwrap_or(0)
    }

    /// Writes the manifest into a (staging) snapshot folder and fsyncs it.
    pub fn write(&self, snapshot: &Path) -> Result<(), WarehouseError> {
        let path = snapshot.join(MANIFEST);
        let text = serde_json::to_string_pretty(self).map_err(|error| WarehouseError::Io {
            action: "serialize",
            path: path.clone(),
            source: std::io::Error::other(error),
        })?;
        let mut file = fs::File::create(&path).map_err(io("create", &path))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io("write", &path))?;
        file.sync_all().map_err(io("sync", &path))
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::domain::text::hex(&Sha256::digest(bytes))
}

/// The folder of a snapshot.
pub fn dir(warehouse: &Path, run_id: &str) -> PathBuf {
    warehouse.join(SNAPSHOTS).join(run_id)
}

/// The manifest as written, or None for a snapshot without one.
pub fn read_manifest(snapshot: &Path) -> Option<Manifest> {
    let text = fs::read_to_string(snapshot.join(MANIFEST)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Every Parquet file below `<snapshot>/<table>`, relative to the snapshot, sorted.
pub fn table_files(snapshot: &Path, table: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![snapshot.join(table)];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "parquet") {
                if let Ok(relative) = path.strip_prefix(snapshot) {
                    let parts: Vec<String> = relative
                        .components()
                        .map(|part| part.as_os_str().to_string_lossy().to_string())
                        .collect();
                    out.push(parts.join("/"));
                }
            }
        }
    }
    out.sort();
    out
}

/// A manifest computed from the files of a snapshot that has none (written by an older zlbd).
pub fn scan(snapshot: &Path, run_id: &str) -> Result<Manifest, WarehouseError> {
    let mut tables = BTreeMap::new();
    for table in c::TABLES {
        let mut files = Vec::new();
        for relative in table_files(snapshot, table) {
            let path = snapshot.join(&relative);
            let bytes = fs::read(&path).map_err(io("read", &path))?;
            files.push(FileEntry {
                rows: parquet_io::columns(&path).map_or(0, |(rows, _)| rows as i64),
                bytes: bytes.len() as u64,
                sha256: sha256_hex(&bytes),
                path: relative,
                content: None,
            });
        }
        tables.insert(table.to_string(), files);
    }
    let published_at = fs::metadata(snapshot)
        .and_then(|metadata| metadata.modified())
        .map(chrono::DateTime::<chrono::Utc>::from)
        .map_err(io("stat", snapshot))?;
    let mut manifest = Manifest {
        run_id: run_id.to_string(),
        published_at,
        program_version: String::new(),
        active_submissions: 0,
        tables,
    };
    manifest.active_submissions = count_active(snapshot, &manifest);
    Ok(manifest)
}

/// Active submissions of a snapshot, read from its submissions table.
fn count_active(snapshot: &Path, manifest: &Manifest) -> i64 {
    let mut active = 0;
    for file in manifest
        .tables
        .get(c::table::SUBMISSIONS)
        .into_iter()
        .flatten()
    {
        let Ok(batches) = parquet_io::read(&snapshot.join(&file.path)) else {
            continue;
        };
        for batch in batches {
            let Some(column) = batch.column_by_name(c::STATUS) else {
                continue;
            };
            if let Some(statuses) = column.as_any().downcast_ref::<arrow::array::StringArray>() {
                active += statuses
                    .iter()
                    .filter(|status| {
                        *status == Some(crate::domain::SubmissionStatus::Active.as_str())
                    })
                    .count() as i64;
            }
        }
    }
    active
}

/// The manifest of a snapshot: as written, else computed from its files.
pub fn manifest(warehouse: &Path, run_id: &str) -> Result<Manifest, WarehouseError> {
    let snapshot = dir(warehouse, run_id);
    match read_manifest(&snapshot) {
        Some(manifest) => Ok(manifest),
        None => scan(&snapshot, run_id),
    }
}

/// When a snapshot was published: from its manifest, else its folder's modification time.
pub fn published_at(warehouse: &Path, run_id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let snapshot = dir(warehouse, run_id);
    match read_manifest(&snapshot) {
        Some(manifest) => Some(manifest.published_at),
        None => fs::metadata(&snapshot)
            .and_then(|metadata| metadata.modified())
            .map(chrono::DateTime::<chrono::Utc>::from)
            .ok(),
    }
}

/// Why a snapshot cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Incomplete(pub String);

/// Checks that a snapshot has every table and every file of its manifest (with its size; with
/// `deep`, also its SHA-256). A snapshot without a manifest needs a Parquet file in every
/// table folder.
pub fn verify(snapshot: &Path, deep: bool) -> Result<(), Incomplete> {
    if !snapshot.is_dir() {
        return Err(Incomplete(format!(
            "{} is not a folder",
            snapshot.display()
        )));
    }
    let Some(manifest) = read_manifest(snapshot) else {
        if snapshot.join(MANIFEST).exists() {
            return Err(Incomplete(format!(
                "{} cannot be read",
                snapshot.join(MANIFEST).display()
            )));
        }
        let missing: Vec<&str> = c::TABLES
            .into_iter()
            .filter(|table| table_files(snapshot, table).is_empty())
            .collect();
        return if missing.is_empty() {
            Ok(())
        } else {
            Err(Incomplete(format!(
                "no Parquet files for table(s) {}",
                missing.join(", ")
            )))
        };
    };
    let mut problems = Vec::new();
    for table in c::TABLES {
        match manifest.tables.get(table) {
            Some(files) if !files.is_empty() => {}
            _ => problems.push(format!("table {table} is missing")),
        }
    }
    for file in manifest.tables.values().flatten() {
        let path = snapshot.join(&file.path);
        match fs::metadata(&path) {
            Ok(metadata) if metadata.len() == file.bytes => {
                if deep {
                    match fs::read(&path) {
                        Ok(bytes) if sha256_hex(&bytes) == file.sha256 => {}
                        Ok(_) => problems.push(format!("{} has changed", file.path)),
                        Err(error) => problems.push(format!("{}: {error}", file.path)),
                    }
                }
            }
            Ok(metadata) => problems.push(format!(
                "{} has {} bytes, {} expected",
                file.path,
                metadata.len(),
                file.bytes
            )),
            Err(error) => problems.push(format!("{}: {error}", file.path)),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Incomplete(problems.join("; ")))
    }
}

/// One line of `zlbd snapshots`.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotInfo {
    pub run_id: String,
    pub current: bool,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    /// None when complete, else why not.
    pub problem: Option<String>,
    pub active_submissions: i64,
    /// Rows per table.
    pub rows: BTreeMap<String, i64>,
}

/// Every published snapshot, oldest first.
pub fn list(warehouse: &Path) -> Vec<SnapshotInfo> {
    let current = super::current_run(warehouse);
    super::snapshots(warehouse)
        .into_iter()
        .map(|run_id| {
            let snapshot = dir(warehouse, &run_id);
            let problem = verify(&snapshot, false).err().map(|problem| problem.0);
            let manifest = manifest(warehouse, &run_id).ok();
            SnapshotInfo {
                current: current.as_deref() == Some(run_id.as_str()),
                published_at: manifest.as_ref().map(|manifest| manifest.published_at),
                problem,
                active_submissions: manifest.as_ref().map_or(0, |m| m.active_submissions),
                rows: c::TABLES
                    .into_iter()
                    .map(|table| {
                        (
                            table.to_string(),
                            manifest.as_ref().map_or(0, |m| m.rows(table)),
                        )
                    })
                    .collect(),
                run_id,
            }
        })
        .collect()
}
