//! Run markers: the trace a run leaves while it works, so that a run that dies (kill -9, a
//! crash, a power cut) is still recorded in `runs.parquet`.
//!
//! Right after taking the warehouse lock a run creates `.zlbd-run-<run_id>.json` (run id, pid,
//! start time, phase) and holds an exclusive `flock` on it for as long as it lives; it removes
//! the marker after it has recorded itself. A later run that finds a marker it can lock knows,
//! from the kernel, that the writer is gone: it appends the marker's run as `interrupted` (or
//! with the outcome the writer noted but could not record) and removes what that run left
//! behind. A marker still locked belongs to a live process and is left alone.

use super::lock::try_flock;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const PREFIX: &str = ".zlbd-run-";
const SUFFIX: &str = ".json";

/// What a marker says about its run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MarkerInfo {
    pub run_id: String,
    pub pid: u32,
    pub command: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// What the run was doing when it last wrote the marker.
    pub phase: String,
    /// Set when the run ended but could not append its own row (it lost the lock).
    #[serde(default)]
    pub outcome: Option<MarkerOutcome>,
    /// The run's counts, noted before it publishes: a run killed after switching `current`
    /// is recorded with them.
    #[serde(default)]
    pub counts: Option<super::runs::RunCounts>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MarkerOutcome {
    pub status: String,
    pub exit_code: i32,
    pub message: String,
    pub finished_at: chrono::DateTime<chrono::Utc>,
}

/// The marker of the running process, locked while it lives.
#[derive(Debug)]
pub struct RunMarker {
    file: File,
    path: PathBuf,
    info: MarkerInfo,
}

fn marker_path(warehouse: &Path, run_id: &str) -> PathBuf {
    warehouse.join(format!("{PREFIX}{run_id}{SUFFIX}"))
}

impl RunMarker {
    /// Creates and locks the marker of a run that has just taken the warehouse lock.
    pub fn create(warehouse: &Path, info: MarkerInfo) -> std::io::Result<RunMarker> {
        let path = marker_path(warehouse, &info.run_id);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        if !try_flock(&file)? {
            return Err(std::io::Error::other(format!(
                "{} is locked by another process",
                path.display()
            )));
        }
        let mut marker = RunMarker { file, path, info };
        marker.write()?;
        Ok(marker)
    }

    fn write(&mut self) -> std::io::Result<()> {
        let text = serde_json::to_string(&self.info).map_err(std::io::Error::other)?;
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        self.file.sync_data()
    }

    /// Notes what the run is doing now (best effort: a marker is a trace, not a requirement).
    pub fn phase(&mut self, phase: &str) {
        self.info.phase = phase.to_string();
        if let Err(error) = self.write() {
            tracing::debug!(error = %error, "Could not update the run marker.");
        }
    }

    /// Notes the run's counts and its phase.
    pub fn phase_with_counts(&mut self, phase: &str, counts: super::runs::RunCounts) {
        self.info.counts = Some(counts);
        self.phase(phase);
    }

    /// Leaves the marker with the run's outcome, for the next run to record: used when this run
    /// may not write `runs.parquet` itself (it no longer holds the lock).
    pub fn leave_with_outcome(mut self, outcome: MarkerOutcome) {
        self.info.outcome = Some(outcome);
        if let Err(error) = self.write() {
            tracing::warn!(error = %error, "Could not note the run's outcome in its marker.");
        }
        // Dropping the file releases the flock: the next run records the outcome.
    }

    /// Removes the marker: the run has recorded itself.
    pub fn finish(self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// A marker whose writer is gone, locked by us until dropped.
#[derive(Debug)]
pub struct Abandoned {
    pub path: PathBuf,
    /// None when the marker cannot be parsed (its run id then comes from the file name).
    pub info: Option<MarkerInfo>,
    pub run_id: String,
    /// When the writer last wrote it.
    pub last_seen: chrono::DateTime<chrono::Utc>,
    _file: File,
}

impl Abandoned {
    pub fn remove(self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Run ids of markers whose writer is still alive.
pub fn live_runs(warehouse: &Path) -> Vec<String> {
    markers(warehouse)
        .into_iter()
        .filter(|(path, _)| {
            File::open(path)
                .and_then(|file| try_flock(&file))
                .map(|taken| !taken)
                .unwrap_or(false)
        })
        .map(|(_, run_id)| run_id)
        .collect()
}

/// Markers of runs that are gone, sorted by run id.
pub fn abandoned(warehouse: &Path) -> Vec<Abandoned> {
    let mut found = Vec::new();
    for (path, run_id) in markers(warehouse) {
        let Ok(file) = OpenOptions::new().read(true).write(true).open(&path) else {
            continue;
        };
        if !matches!(try_flock(&file), Ok(true)) {
            continue;
        }
        let info = fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<MarkerInfo>(&text).ok());
        let last_seen = file
            .metadata()
            .and_then(|metadata| metadata.modified())
            .map(chrono::DateTime::<chrono::Utc>::from)
            .unwrap_or_else(|_| chrono::Utc::now());
        found.push(Abandoned {
            path,
            info,
            run_id,
            last_seen,
            _file: file,
        });
    }
    found.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    found
}

fn markers(warehouse: &Path) -> Vec<(PathBuf, String)> {
    let Ok(entries) = fs::read_dir(warehouse) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            let run_id = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?.to_string();
            Some((entry.path(), run_id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(run_id: &str) -> MarkerInfo {
        MarkerInfo {
            run_id: run_id.to_string(),
            pid: std::process::id(),
            command: "run".to_string(),
            started_at: chrono::Utc::now(),
            phase: "reading the inbox".to_string(),
            outcome: None,
            counts: None,
        }
    }

    #[test]
    fn a_live_marker_is_not_abandoned_and_a_released_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let mut marker = RunMarker::create(dir.path(), info("r1")).unwrap();
        marker.phase("publishing");
        assert!(abandoned(dir.path()).is_empty());
        assert_eq!(live_runs(dir.path()), vec!["r1".to_string()]);
        // Dropping without finish is what a killed process does: the flock goes away.
        drop(marker);
        assert!(live_runs(dir.path()).is_empty());
        let found = abandoned(dir.path());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].run_id, "r1");
        assert_eq!(found[0].info.as_ref().unwrap().phase, "publishing");
        found.into_iter().for_each(Abandoned::remove);
        assert!(abandoned(dir.path()).is_empty());
    }

    #[test]
    fn a_finished_marker_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        RunMarker::create(dir.path(), info("r2")).unwrap().finish();
        assert!(abandoned(dir.path()).is_empty());
    }
}
