//! Retention and clean-up, both run under the warehouse lock.
//!
//! A snapshot is deleted only when none of these keeps it:
//! - it is `current`, or among the newest `keep_snapshots`;
//! - it is the one `current` pointed at before the latest switch, or the one the warehouse's
//!   `views.sql` names (a session that loaded views.sql just before a publish still reads it);
//! - it stopped being current less than [`READER_GRACE`] ago: a DuckDB session keeps the views
//!   it loaded, so a burst of publishes must not pull the files from under a reader who loaded
//!   views.sql a minute ago.
//!
//! A snapshot is first renamed to a hidden `.del-<run_id>` and only then removed, so a half-deleted
//! snapshot is never listed, opened or rolled back to.
//!
//! Staging folders (`snapshots/.tmp-<run_id>`) are removed only when provably abandoned: their
//! writer holds an flock on the folder while it writes, and the kernel drops it when the writer
//! dies. Small temporary files named after a run are removed only when that run's marker is not
//! held by a live process.

use super::{current_run, io, lock::try_flock, marker, snapshot, views, WarehouseError, SNAPSHOTS};
use std::fs;
use std::path::Path;

/// How long a snapshot stays after it stopped being current, whatever `keep_snapshots` says.
pub const READER_GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(1);

pub const STAGING_PREFIX: &str = ".tmp-";
const DELETING_PREFIX: &str = ".del-";

/// Deletes the snapshots nothing keeps; returns their run ids.
pub fn prune(
    warehouse: &Path,
    keep: usize,
    previous: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, WarehouseError> {
    if crate::failpoint::active("prune-fails") {
        return Err(WarehouseError::Injected("prune-fails"));
    }
    let all = super::snapshots(warehouse);
    let current = current_run(warehouse);
    let named = views::views_snapshot(warehouse);
    let cut = all.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for (index, name) in all.iter().enumerate().take(cut) {
        let kept = Some(name) == current.as_ref()
            || Some(name.as_str()) == previous
            || Some(name) == named.as_ref();
        if kept {
            continue;
        }
        // It stopped being current when the next snapshot was published.
        let superseded_at = all
            .get(index + 1)
            .and_then(|next| snapshot::published_at(warehouse, next));
        if superseded_at.is_none_or(|at| now - at < READER_GRACE) {
            continue;
        }
        let path = snapshot::dir(warehouse, name);
        let aside = warehouse
            .join(SNAPSHOTS)
            .join(format!("{DELETING_PREFIX}{name}"));
        fs::rename(&path, &aside).map_err(io("rename", &path))?;
        fs::remove_dir_all(&aside).map_err(io("remove", &aside))?;
        removed.push(name.clone());
    }
    Ok(removed)
}

/// Removes what runs that are gone left behind: staging folders nobody holds, half-deleted
/// snapshots, and temporary links and files of runs without a live marker. Returns what it
/// removed, for the log.
pub fn clean_leftovers(warehouse: &Path) -> Vec<String> {
    let live = marker::live_runs(warehouse);
    let mut removed = Vec::new();
    if let Ok(entries) = fs::read_dir(warehouse.join(SNAPSHOTS)) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().to_string();
            let path = entry.path();
            let abandoned = if name.starts_with(STAGING_PREFIX) {
                // The writer holds an flock on its staging folder while it lives.
                fs::File::open(&path)
                    .and_then(|dir| try_flock(&dir))
                    .unwrap_or(false)
            } else {
                name.starts_with(DELETING_PREFIX)
            };
            if abandoned && fs::remove_dir_all(&path).is_ok() {
                removed.push(format!("{SNAPSHOTS}/{name}"));
            }
        }
    }
    if let Ok(entries) = fs::read_dir(warehouse) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().to_string();
            let owner = [".current-", ".runs-", ".views-"]
                .iter()
                .find_map(|prefix| name.strip_prefix(prefix));
            let Some(owner) = owner else {
                continue;
            };
            if live.iter().any(|run_id| owner.starts_with(run_id.as_str())) {
                continue;
            }
            if fs::remove_file(entry.path()).is_ok() {
                removed.push(name);
            }
        }
    }
    // An older zlbd wrote views.sql through this name.
    let _ = fs::remove_file(warehouse.join(".views.sql.tmp"));
    removed
}
