//! Warehouse: writes a complete Parquet snapshot, fsyncs it, then switches `current` to it
//! with one atomic rename, so readers never see half a snapshot and a kill at any moment
//! leaves the previous one in place. Also: views.sql over a fixed snapshot, the runs log,
//! retention, rollback, run markers and the lock that keeps a second run out.
//!
//! Publishing, in order (everything before the switch can fail without touching `current`):
//! 1. write every table into `snapshots/.tmp-<run_id>` (flocked by this process while it writes),
//!    then `_manifest.json` (sizes, rows, SHA-256); a large fact table is several files
//!    ([`parts`]), and a file whose rows have the content digest of the same file in `current`
//!    is hard-linked from there instead of encoded again;
//! 2. if the tables are byte-identical to `current`, drop the staging folder: nothing is added;
//! 3. check the lock file is still the one this run locked; rename the staging folder to
//!    `snapshots/<run_id>`; check every table's files are there; check the lock again;
//! 4. switch `current` (symlink + rename).
//!
//! After the switch the run *is* published: writing views.sql and pruning old snapshots can only
//! produce warnings.
//!
//! Failure injection for tests (`ZLBD_FAILPOINT`, see [`crate::failpoint`]): `before-switch`,
//! `pause-while-staging` (the run stops itself with SIGSTOP after the first table is staged),
//! `pause-after-switch` (the same once `current` has switched), `flock-fails` (flock fails with
//! ENOLCK), `prune-fails`, `views-fails`.

pub(crate) mod bi;
pub(crate) mod lock;
pub(crate) mod marker;
pub mod parquet_io;
pub(crate) mod parts;
pub(crate) mod retention;
pub(crate) mod runs;
pub(crate) mod schema;
pub mod snapshot;
pub mod views;

use crate::domain::columns as c;
use polars::prelude::*;
use rayon::prelude::*;
use snapshot::{FileEntry, Manifest};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

pub use retention::clean_leftovers;

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// A filesystem operation on the warehouse failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A table could not be converted or written.
    #[error("table {table}: {source}")]
    Table {
        table: String,
        source: parquet_io::ParquetError,
    },
    /// Filtering a frame into partitions failed.
    #[error("table {table}: {source}")]
    Frame { table: String, source: PolarsError },
    /// ZLBD_FAILPOINT named this point (tests only).
    #[error("failure injected by ZLBD_FAILPOINT={0}")]
    Injected(&'static str),
    /// A command named a snapshot that is not there.
    #[error("no snapshot {0:?} in the warehouse (see `zlbd snapshots`)")]
    NoSnapshot(String),
    /// A snapshot lacks a table or a file: never made current.
    #[error("snapshot {run_id} is incomplete: {problem}")]
    Incomplete { run_id: String, problem: String },
    /// The lock was lost (its file deleted or replaced) before the switch.
    #[error(transparent)]
    Lock(#[from] lock::LockError),
}

pub(crate) fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> WarehouseError + 'a {
    move |source| WarehouseError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The tables of one snapshot, by name (see [`crate::domain::columns::TABLES`]).
pub type Tables = BTreeMap<&'static str, DataFrame>;

pub const SNAPSHOTS: &str = "snapshots";
pub const CURRENT: &str = "current";
pub const VIEWS: &str = "views.sql";

/// Fsyncs a directory so renames inside it survive a power cut.
pub(crate) fn sync_dir(path: &Path) -> Result<(), WarehouseError> {
    fs::File::open(path)
        .and_then(|dir| dir.sync_all())
        .map_err(io("sync", path))
}

/// What a run asks to publish.
pub struct Publication<'a> {
    pub run_id: &'a str,
    pub tables: &'a Tables,
    pub keep: usize,
    pub active_submissions: i64,
}

/// What a publish did.
#[derive(Debug, Clone, PartialEq)]
pub enum Published {
    /// `current` now points at the new snapshot `run_id`.
    New {
        run_id: String,
        removed: Vec<String>,
        warnings: Vec<String>,
    },
    /// The tables are byte-identical to `current` (`run_id`): no snapshot was added.
    Unchanged {
        run_id: String,
        removed: Vec<String>,
        warnings: Vec<String>,
    },
}

impl Published {
    /// The snapshot `current` points at after the publish.
    pub fn snapshot(&self) -> &str {
        match self {
            Published::New { run_id, .. } | Published::Unchanged { run_id, .. } => run_id,
        }
    }

    /// Problems after the switch (views.sql, retention): the publish stands.
    pub fn warnings(&self) -> &[String] {
        match self {
            Published::New { warnings, .. } | Published::Unchanged { warnings, .. } => warnings,
        }
    }

    pub fn removed(&self) -> &[String] {
        match self {
            Published::New { removed, .. } | Published::Unchanged { removed, .. } => removed,
        }
    }
}

/// A staging folder this process is writing, flocked so no other run takes it for abandoned.
struct Staging {
    path: PathBuf,
    _held: fs::File,
}

impl Staging {
    fn create(warehouse: &Path, run_id: &str) -> Result<Staging, WarehouseError> {
        let snapshots = warehouse.join(SNAPSHOTS);
        fs::create_dir_all(&snapshots).map_err(io("create", &snapshots))?;
        let path = snapshots.join(format!("{}{run_id}", retention::STAGING_PREFIX));
        fs::create_dir(&path).map_err(io("create", &path))?;
        let held = fs::File::open(&path).map_err(io("open", &path))?;
        // A fresh folder: nobody else can hold it. A filesystem without flock only weakens the
        // proof of abandonment (the warehouse lock already failed on such a filesystem).
        let _ = lock::try_flock(&held);
        Ok(Staging { path, _held: held })
    }
}

/// Writes a snapshot and switches `current` to it, unless its tables are byte-identical to the
/// current snapshot's. Runs under `lock`, which is checked again just before the switch.
pub fn publish(
    warehouse: &Path,
    lock: &lock::WarehouseLock,
    publication: &Publication,
) -> Result<Published, WarehouseError> {
    let run_id = publication.run_id;
    let previous = current_run(warehouse);
    let staging = Staging::create(warehouse, run_id)?;
    let snapshot = snapshot::dir(warehouse, run_id);
    let switched = stage_and_switch(warehouse, lock, publication, &staging, previous.as_deref());
    let outcome = match switched {
        Ok(switched) => switched,
        Err(error) => {
            // Ours, and never current: remove it so nothing half-made stays behind.
            let _ = fs::remove_dir_all(&staging.path);
            if current_run(warehouse).as_deref() != Some(run_id) {
                let _ = fs::remove_dir_all(&snapshot);
            }
            return Err(error);
        }
    };
    let mut warnings = Vec::new();
    if !outcome {
        let _ = fs::remove_dir_all(&staging.path);
    }
    let now = current_run(warehouse).unwrap_or_else(|| run_id.to_string());
    if let Err(error) = views::write_views(warehouse, &now, run_id) {
        warnings.push(format!("views.sql was not rewritten: {error}"));
    }
    let pruned = lock.verify().map_err(WarehouseError::from).and_then(|()| {
        retention::prune(
            warehouse,
            publication.keep,
            previous.as_deref(),
            chrono::Utc::now(),
        )
    });
    let removed = match pruned {
        Ok(removed) => removed,
        Err(error) => {
            warnings.push(format!("old snapshots were not pruned: {error}"));
            Vec::new()
        }
    };
    Ok(if outcome {
        Published::New {
            run_id: now,
            removed,
            warnings,
        }
    } else {
        Published::Unchanged {
            run_id: now,
            removed,
            warnings,
        }
    })
}

/// Steps 1–4 of a publish. Ok(true): switched; Ok(false): identical to current, not switched.
fn stage_and_switch(
    warehouse: &Path,
    lock: &lock::WarehouseLock,
    publication: &Publication,
    staging: &Staging,
    previous: Option<&str>,
) -> Result<bool, WarehouseError> {
    let run_id = publication.run_id;
    let earlier = previous.and_then(|current| Earlier::of(warehouse, current));
    let write = |table: &str| {
        let frame = publication.tables.get(table).cloned().unwrap_or_default();
        crate::timing::timed(table, || {
            write_table(&staging.path, table, &frame, earlier.as_ref())
        })
        .map(|files| (table.to_string(), files))
    };
    let (first, rest) = c::TABLES.split_at(1);
    let mut tables = first
        .iter()
        .map(|table| write(table))
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    if crate::failpoint::active("pause-while-staging") {
        // SAFETY: stops this process until a test sends SIGCONT.
        unsafe {
            libc::raise(libc::SIGSTOP);
        }
    }
    // The other tables are written side by side (each file is encoded by one thread).
    tables.extend(
        rest.par_iter()
            .map(|table| write(table))
            .collect::<Result<Vec<_>, _>>()?,
    );
    let manifest = Manifest {
        run_id: run_id.to_string(),
        published_at: chrono::Utc::now(),
        program_version: env!("CARGO_PKG_VERSION").to_string(),
        active_submissions: publication.active_submissions,
        tables,
    };
    manifest.write(&staging.path)?;
    sync_dir(&staging.path)?;
    // Nothing shared is touched before this check: a run whose lock file was deleted or
    // replaced stops here, whatever it built.
    lock.verify()?;
    if earlier
        .as_ref()
        .is_some_and(|earlier| earlier.manifest.same_tables(&manifest))
    {
        return Ok(false);
    }
    if crate::failpoint::active("before-switch") {
        return Err(WarehouseError::Injected("before-switch"));
    }
    lock.verify()?;
    let snapshots = warehouse.join(SNAPSHOTS);
    let snapshot = snapshots.join(run_id);
    fs::rename(&staging.path, &snapshot).map_err(io("rename", &staging.path))?;
    sync_dir(&snapshots)?;
    snapshot::verify(&snapshot, false).map_err(|problem| WarehouseError::Incomplete {
        run_id: run_id.to_string(),
        problem: problem.0,
    })?;
    lock.verify()?;
    switch_current(warehouse, run_id, run_id)?;
    if crate::failpoint::active("pause-after-switch") {
        // SAFETY: stops this process until a test sends SIGCONT.
        unsafe {
            libc::raise(libc::SIGSTOP);
        }
    }
    Ok(true)
}

/// The snapshot a publish follows (`current`, when complete): its manifest, to tell whether
/// the new tables are byte-identical to it, and its files by table and content digest, so a
/// file of the new snapshot with the same rows is linked from it instead of encoded, whatever
/// its number (an entity added or removed elsewhere renumbers the files after it).
struct Earlier {
    dir: PathBuf,
    manifest: Manifest,
    files: BTreeMap<(String, String), FileEntry>,
}

impl Earlier {
    fn of(warehouse: &Path, run_id: &str) -> Option<Earlier> {
        let dir = snapshot::dir(warehouse, run_id);
        snapshot::verify(&dir, false).ok()?;
        let manifest = snapshot::manifest(warehouse, run_id).ok()?;
        let mut files = BTreeMap::new();
        for (table, entries) in &manifest.tables {
            for file in entries {
                if let Some(content) = &file.content {
                    let key = (table.clone(), content.clone());
                    files.entry(key).or_insert_with(|| file.clone());
                }
            }
        }
        Some(Earlier {
            dir,
            manifest,
            files,
        })
    }

    /// The earlier file of `table` made from content with this digest, hard-linked to
    /// `relative` in `staging`, if it still has its recorded size and SHA-256 (a file damaged
    /// in place is written anew, not shared). None when any of that fails: the caller then
    /// encodes the file.
    fn link(
        &self,
        table: &str,
        content: &str,
        staging: &Path,
        relative: &str,
    ) -> Option<FileEntry> {
        let file = self.files.get(&(table.to_string(), content.to_string()))?;
        let earlier = self.dir.join(&file.path);
        let bytes = fs::read(&earlier).ok()?;
        let intact =
            bytes.len() as u64 == file.bytes && snapshot::sha256_hex(&bytes) == file.sha256;
        (intact && fs::hard_link(&earlier, staging.join(relative)).is_ok()).then(|| FileEntry {
            path: relative.to_string(),
            ..file.clone()
        })
    }
}

/// Writes one table into the staging folder; returns its files for the manifest. A part whose
/// content digest a file of the earlier snapshot's same table has (whatever its name) is
/// hard-linked from it: snapshots share the files a rerun did not change.
fn write_table(
    staging: &Path,
    table: &str,
    frame: &DataFrame,
    earlier: Option<&Earlier>,
) -> Result<Vec<FileEntry>, WarehouseError> {
    let schema =
        schema::schema(table).ok_or_else(|| WarehouseError::NoSnapshot(table.to_string()))?;
    let dir = staging.join(table);
    fs::create_dir(&dir).map_err(io("create", &dir))?;
    let table_error = |source| WarehouseError::Table {
        table: table.to_string(),
        source,
    };
    let frame_error = |source| WarehouseError::Frame {
        table: table.to_string(),
        source,
    };
    let frame = if frame.width() == 0 {
        DataFrame::empty_with_schema(&polars_schema(&schema))
    } else {
        frame.clone()
    };
    let frame = parquet_io::conform(&frame, &schema).map_err(table_error)?;
    let parts = parts::split(table, &frame).map_err(frame_error)?;
    // Only a table cut into files keeps digests: the others change with every correction (or
    // not at all, when the whole run is skipped), and hashing them would cost without a return.
    let hashing = std::time::Instant::now();
    let hashes = match parts::is_cut(table) {
        true => Some(parquet_io::row_hashes(&frame, &schema).map_err(table_error)?),
        false => None,
    };
    let hashing = hashing.elapsed().as_secs_f64();
    let files = parts
        .par_iter()
        .map(|part| {
            let relative = format!("{table}/{}", part.file);
            let path = staging.join(&relative);
            let content = hashes
                .as_ref()
                .map(|hashes| parquet_io::content(&schema, hashes, &part.groups));
            let linked = match (earlier, content.as_deref()) {
                (Some(earlier), Some(content)) => earlier.link(table, content, staging, &relative),
                _ => None,
            };
            if let Some(linked) = linked {
                return Ok((linked, true));
            }
            let mut writer = parquet_io::Writer::create(&path, &schema).map_err(table_error)?;
            for rows in &part.groups {
                writer
                    .write_group(&frame, Some(rows))
                    .map_err(table_error)?;
            }
            let written = writer.finish().map_err(table_error)?;
            let file = FileEntry {
                path: relative,
                bytes: written.bytes,
                rows: part.rows() as i64,
                sha256: written.sha256,
                content,
            };
            Ok((file, false))
        })
        .collect::<Result<Vec<_>, WarehouseError>>()?;
    sync_dir(&dir)?;
    let linked = files.iter().filter(|(_, linked)| *linked).count();
    tracing::debug!(
        table,
        files = files.len(),
        linked,
        hashing_seconds = hashing,
        "Files unchanged since the snapshot before were linked, the others encoded."
    );
    Ok(files.into_iter().map(|(file, _)| file).collect())
}

/// A polars schema with the same names and equivalent types, for empty tables.
fn polars_schema(schema: &arrow::datatypes::Schema) -> Schema {
    schema
        .fields()
        .iter()
        .map(|field| {
            let dtype = parquet_io::polars_type(field.data_type());
            Field::new(field.name().as_str().into(), dtype)
        })
        .collect()
}

/// Points `current` at `snapshots/<run_id>` with a rename over the old link (atomic). `tag`
/// names the temporary link (the caller's run id, or `rollback-<pid>`).
fn switch_current(warehouse: &Path, run_id: &str, tag: &str) -> Result<(), WarehouseError> {
    let link = warehouse.join(format!(".current-{tag}"));
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink(Path::new(SNAPSHOTS).join(run_id), &link)
        .map_err(io("link", &link))?;
    let current = warehouse.join(CURRENT);
    if let Err(error) = fs::rename(&link, &current) {
        let _ = fs::remove_file(&link);
        return Err(io("rename", &link)(error));
    }
    // The switch happened; a failed fsync of the folder is reported but does not undo it.
    if let Err(error) = sync_dir(warehouse) {
        tracing::warn!(error = %error, "current was switched but the warehouse folder could not be synced.");
    }
    Ok(())
}

/// The run id `current` points at, if any.
pub fn current_run(warehouse: &Path) -> Option<String> {
    let target = fs::read_link(warehouse.join(CURRENT)).ok()?;
    target
        .file_name()
        .map(|name| name.to_string_lossy().to_string())
}

/// Published snapshots, oldest first (run ids sort by time).
pub fn snapshots(warehouse: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(warehouse.join(SNAPSHOTS))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.path().is_dir())
                .map(|entry| entry.file_name().to_string_lossy().to_string())
                .filter(|name| !name.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Active submissions of the current snapshot, when there is one.
pub fn current_active_submissions(warehouse: &Path) -> Option<(String, i64)> {
    let run_id = current_run(warehouse)?;
    let manifest = snapshot::manifest(warehouse, &run_id).ok()?;
    Some((run_id, manifest.active_submissions))
}

/// Shrink guard (SPEC §6): refused when `active` is below `ratio` × the current snapshot's
/// active submissions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("shrink guard: this run would publish {active} active submissions, the current snapshot {snapshot} has {current} (guard.min_active_ratio = {ratio}: at least {needed} needed). Nothing was published and current is unchanged. Check the inbox (an unmounted share? a wrong --inbox?), or rerun with --allow-shrink if the drop is intended")]
pub struct ShrinkRefused {
    pub active: i64,
    pub current: i64,
    pub snapshot: String,
    pub ratio: f64,
    pub needed: i64,
}

pub fn shrink_guard(warehouse: &Path, active: i64, ratio: f64) -> Result<(), ShrinkRefused> {
    let Some((snapshot, current)) = current_active_submissions(warehouse) else {
        return Ok(());
    };
    let needed = (ratio * current as f64).ceil() as i64;
    if (active as f64) < ratio * current as f64 {
        return Err(ShrinkRefused {
            active,
            current,
            snapshot,
            ratio,
            needed,
        });
    }
    Ok(())
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq)]
pub struct RolledBack {
    pub run_id: String,
    /// Problems after the switch (views.sql): the rollback stands.
    pub warnings: Vec<String>,
}

/// Switches `current` back to an older snapshot: the named one, or the one before current.
/// Refuses a snapshot that is not complete (every table, every file with its bytes).
pub fn rollback(
    warehouse: &Path,
    lock: &lock::WarehouseLock,
    run_id: Option<&str>,
) -> Result<RolledBack, WarehouseError> {
    let all = snapshots(warehouse);
    let target = match run_id {
        Some(run_id) => all.iter().find(|name| *name == run_id).cloned(),
        None => {
            let current = current_run(warehouse);
            let position = current
                .as_ref()
                .and_then(|current| all.iter().position(|name| name == current));
            match position {
                Some(index) if index > 0 => Some(all[index - 1].clone()),
                _ => None,
            }
        }
    };
    let target = target
        .ok_or_else(|| WarehouseError::NoSnapshot(run_id.unwrap_or("(previous)").to_string()))?;
    snapshot::verify(&snapshot::dir(warehouse, &target), true).map_err(|problem| {
        WarehouseError::Incomplete {
            run_id: target.clone(),
            problem: problem.0,
        }
    })?;
    lock.verify()?;
    switch_current(
        warehouse,
        &target,
        &format!("rollback-{}", std::process::id()),
    )?;
    let mut warnings = Vec::new();
    if let Err(error) = views::write_views(
        warehouse,
        &target,
        &format!("rollback-{}", std::process::id()),
    ) {
        warnings.push(format!("views.sql was not rewritten: {error}"));
    }
    Ok(RolledBack {
        run_id: target,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn tables() -> Tables {
        Tables::new()
    }

    fn publish_once(warehouse: &Path, run_id: &str, tables: &Tables) -> Published {
        let lock = lock::WarehouseLock::acquire(warehouse, "test").unwrap();
        publish(
            warehouse,
            &lock,
            &Publication {
                run_id,
                tables,
                keep: 2,
                active_submissions: 0,
            },
        )
        .unwrap()
    }

    #[test]
    fn an_identical_publish_adds_no_snapshot_and_views_name_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let first = publish_once(dir.path(), "r1", &tables());
        assert!(matches!(first, Published::New { .. }), "{first:?}");
        let second = publish_once(dir.path(), "r2", &tables());
        assert!(matches!(second, Published::Unchanged { .. }), "{second:?}");
        assert_eq!(second.snapshot(), "r1");
        assert_eq!(snapshots(dir.path()), vec!["r1".to_string()]);
        let sql = fs::read_to_string(dir.path().join(VIEWS)).unwrap();
        assert!(
            sql.contains("'snapshots/r1/submissions/part-0.parquet'"),
            "{sql}"
        );
        assert!(!sql.contains("current"), "{sql}");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join(SNAPSHOTS))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| name.to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    /// `fact_indicator` with enough rows to be cut into files: entities of 54 rows (18
    /// indicators × 3 years), `value` the row number, but `changed`'s rows, which are negative.
    fn facts(changed: Option<usize>) -> DataFrame {
        entities(2 * parts::PART_ROWS, changed, |row| {
            format!("91370100MA{:08}", row / 54)
        })
    }

    /// `rows` rows of `fact_indicator`, entity `entity(row)`, as [`facts`] says.
    fn entities(
        rows: usize,
        changed: Option<usize>,
        entity: impl Fn(usize) -> String,
    ) -> DataFrame {
        let mut frame = null_frame(c::table::FACT_INDICATOR, rows);
        let value = |row: usize| match Some(row / 54) == changed {
            true => -(row as f64),
            false => row as f64,
        };
        let columns = [
            Column::new(c::LEVEL.into(), vec!["enterprise"; rows]),
            Column::new(
                c::ENTITY_ID.into(),
                (0..rows).map(entity).collect::<Vec<_>>(),
            ),
            Column::new(
                c::YEAR.into(),
                (0..rows)
                    .map(|row| 2019 + (row % 3) as i64)
                    .collect::<Vec<_>>(),
            ),
            Column::new(c::VALUE.into(), (0..rows).map(value).collect::<Vec<_>>()),
        ];
        for column in columns {
            frame.with_column(column).unwrap();
        }
        frame
    }

    fn table_files(warehouse: &Path, run_id: &str, table: &str) -> Vec<FileEntry> {
        let manifest = snapshot::manifest(warehouse, run_id).unwrap();
        manifest.tables[table].clone()
    }

    /// Publishes one table alone and returns its files.
    fn publish_table(
        warehouse: &Path,
        run_id: &str,
        table: &'static str,
        frame: DataFrame,
    ) -> Vec<FileEntry> {
        publish_once(warehouse, run_id, &Tables::from([(table, frame)]));
        table_files(warehouse, run_id, table)
    }

    fn fact_files(warehouse: &Path, run_id: &str) -> Vec<FileEntry> {
        table_files(warehouse, run_id, c::table::FACT_INDICATOR)
    }

    fn inode(warehouse: &Path, run_id: &str, file: &FileEntry) -> u64 {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(snapshot::dir(warehouse, run_id).join(&file.path))
            .unwrap()
            .ino()
    }

    /// A rerun links the files whose rows did not change from the snapshot before, encodes the
    /// others, and its files are byte for byte those a publish into an empty warehouse writes.
    #[test]
    fn a_rerun_links_the_unchanged_files_and_writes_what_a_first_publish_writes() {
        let dir = tempfile::tempdir().unwrap();
        let warehouse = dir.path().join("nightly");
        let tables = |changed| Tables::from([(c::table::FACT_INDICATOR, facts(changed))]);
        publish_once(&warehouse, "r1", &tables(None));
        let before = fact_files(&warehouse, "r1");
        assert!(before.len() >= 2, "{before:?}");
        assert!(before.iter().all(|file| file.content.is_some()));

        // One entity in the middle corrected.
        publish_once(&warehouse, "r2", &tables(Some(2000)));
        let after = fact_files(&warehouse, "r2");
        let paths = |files: &[FileEntry]| files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&after), paths(&before));
        let (same, changed): (Vec<_>, Vec<_>) = before
            .iter()
            .zip(&after)
            .partition(|(before, after)| before.sha256 == after.sha256);
        assert_eq!(changed.len(), 1, "{changed:?}");
        for (old, new) in &same {
            assert_eq!(old, new);
            assert_eq!(inode(&warehouse, "r1", old), inode(&warehouse, "r2", new));
        }
        let (old, new) = changed[0];
        assert_ne!(inode(&warehouse, "r1", old), inode(&warehouse, "r2", new));

        let fresh = dir.path().join("fresh");
        publish_once(&fresh, "f2", &tables(Some(2000)));
        assert_eq!(fact_files(&fresh, "f2"), after);

        // An entity added after the tenth, under an id whose hash starts a file: the first
        // file splits in two, the files after it are renumbered, and each is still linked.
        let id = (0..)
            .map(|number| format!("91370100MB{number:08}"))
            .find(|id| parts::cuts_at("enterprise", id))
            .unwrap();
        let grown = facts(Some(2000));
        let added = entities(54, None, |_| id.clone());
        let grown = grown
            .slice(0, 540)
            .vstack(&added)
            .unwrap()
            .vstack(&grown.slice(540, grown.height() - 540))
            .unwrap();
        let renumbered = publish_table(&warehouse, "r2b", c::table::FACT_INDICATOR, grown);
        assert_eq!(renumbered.len(), after.len() + 1, "{renumbered:?}");
        assert_eq!(renumbered[0].rows, 540);
        for (old, new) in after.iter().skip(1).zip(renumbered.iter().skip(2)) {
            assert_eq!((&old.sha256, &old.content), (&new.sha256, &new.content));
            assert_eq!(inode(&warehouse, "r2", old), inode(&warehouse, "r2b", new));
        }
        // Back to r2's rows for what follows.
        publish_once(&warehouse, "r2c", &tables(Some(2000)));
        assert_eq!(fact_files(&warehouse, "r2c"), after);

        // A file of the snapshot before gone: that snapshot is not trusted, everything is
        // encoded again, and the result is still what a first publish writes.
        fs::remove_file(snapshot::dir(&warehouse, "r2c").join(&after[0].path)).unwrap();
        publish_once(&warehouse, "r3", &tables(None));
        let again = fact_files(&warehouse, "r3");
        assert_eq!(again, before);
        for file in &again {
            assert_ne!(inode(&warehouse, "r3", file), inode(&warehouse, "r1", file));
        }
    }

    /// `fact_comparison` rows of [`facts`]' entities, in `groups` peer groups,
    /// `G<entity % groups>`.
    fn comparison(changed: Option<usize>, groups: usize) -> Tables {
        let facts = facts(changed);
        let rows = facts.height();
        let mut frame = null_frame(c::table::FACT_COMPARISON, rows);
        for name in [c::LEVEL, c::ENTITY_ID, c::YEAR, c::VALUE] {
            frame
                .with_column(facts.column(name).unwrap().clone())
                .unwrap();
        }
        let peers: Vec<String> = (0..rows)
            .map(|row| format!("G{}", (row / 54) % groups))
            .collect();
        frame
            .with_column(Column::new(c::PEER_GROUP.into(), peers))
            .unwrap();
        Tables::from([(c::table::FACT_COMPARISON, frame)])
    }

    /// [`comparison`] in `groups` groups published as snapshot r1 of a warehouse, then with
    /// entity 2002 changed as r2: the warehouse and the two snapshots' `fact_comparison` files.
    fn comparison_republished(
        dir: &Path,
        groups: usize,
    ) -> (PathBuf, Vec<FileEntry>, Vec<FileEntry>) {
        let warehouse = dir.join("nightly");
        let files = |run_id: &str| table_files(&warehouse, run_id, c::table::FACT_COMPARISON);
        publish_once(&warehouse, "r1", &comparison(None, groups));
        publish_once(&warehouse, "r2", &comparison(Some(2002), groups));
        let (before, after) = (files("r1"), files("r2"));
        (warehouse, before, after)
    }

    #[test]
    fn a_rerun_encodes_only_the_shared_file_of_a_changed_small_peer_group() {
        // Fifty groups of about 5,200 rows each (2 × PART_ROWS in all): all small, in two
        // shared files. Entity 2002 is in G2, whose shared file is the only one encoded again.
        let dir = tempfile::tempdir().unwrap();
        let (warehouse, before, after) = comparison_republished(dir.path(), 50);
        let files = |warehouse: &Path, run_id: &str| {
            table_files(warehouse, run_id, c::table::FACT_COMPARISON)
        };
        assert_eq!(before.len(), 2, "{before:?}");
        assert_eq!(after.len(), 2, "{after:?}");
        let changed: Vec<usize> = (0..2)
            .filter(|&number| {
                inode(&warehouse, "r1", &before[number]) != inode(&warehouse, "r2", &after[number])
            })
            .collect();
        assert_eq!(changed.len(), 1, "{before:?} → {after:?}");
        let number = changed[0];
        assert_ne!(before[number].sha256, after[number].sha256);
        // The file encoded again is G2's, which it shares with other groups.
        let snapshot = snapshot::dir(&warehouse, "r2");
        let read = |file: &FileEntry| -> BTreeSet<String> {
            let batches = parquet_io::read(&snapshot.join(&file.path)).unwrap();
            let mut groups = BTreeSet::new();
            for batch in batches {
                let column = batch.column_by_name(c::PEER_GROUP).unwrap();
                let texts = column
                    .as_any()
                    .downcast_ref::<arrow::array::StringArray>()
                    .unwrap();
                groups.extend(texts.iter().flatten().map(str::to_string));
            }
            groups
        };
        let groups = read(&after[number]);
        assert!(groups.contains("G2") && groups.len() > 1, "{groups:?}");
        let fresh = dir.path().join("fresh");
        publish_once(&fresh, "f2", &comparison(Some(2002), 50));
        assert_eq!(files(&fresh, "f2"), after);
    }

    /// A corrected value moves ranks within its peer group only: a rerun encodes that group's
    /// file of `fact_comparison` and links the others, and writes what a first publish writes.
    #[test]
    fn a_rerun_encodes_only_the_peer_group_of_a_changed_comparison() {
        // Five peer groups of about 52,000 rows, a file each. Entity 2002 is in group G2, the
        // third to appear.
        let comparison = |changed| comparison(changed, 5);
        let files = |warehouse: &Path, run_id: &str| {
            table_files(warehouse, run_id, c::table::FACT_COMPARISON)
        };
        let dir = tempfile::tempdir().unwrap();
        let (warehouse, before, after) = comparison_republished(dir.path(), 5);
        assert_eq!(before.len(), 5, "{before:?}");
        for (number, (old, new)) in before.iter().zip(&after).enumerate() {
            assert_eq!(old.path, new.path);
            let linked = inode(&warehouse, "r1", old) == inode(&warehouse, "r2", new);
            assert_eq!(linked, number != 2, "file {number}: {old:?} → {new:?}");
            assert_eq!(old.sha256 == new.sha256, number != 2);
        }
        let fresh = dir.path().join("fresh");
        publish_once(&fresh, "f2", &comparison(Some(2002)));
        assert_eq!(files(&fresh, "f2"), after);

        // An entity of G4 added before all others: every row moves 54 places, G4 now appears
        // first and the files are renumbered; G0 to G3 hold the same rows and are still linked.
        let mut added = null_frame(c::table::FACT_COMPARISON, 54);
        let columns = [
            Column::new(c::LEVEL.into(), vec!["enterprise"; 54]),
            Column::new(c::ENTITY_ID.into(), vec!["91370100LA00000000"; 54]),
            Column::new(c::YEAR.into(), vec![2020i64; 54]),
            Column::new(c::VALUE.into(), vec![1.5; 54]),
            Column::new(c::PEER_GROUP.into(), vec!["G4"; 54]),
        ];
        for column in columns {
            added.with_column(column).unwrap();
        }
        let grown = added
            .vstack(&comparison(Some(2002))[c::table::FACT_COMPARISON])
            .unwrap();
        let moved = publish_table(&warehouse, "r3", c::table::FACT_COMPARISON, grown);
        assert_eq!(moved.len(), 5, "{moved:?}");
        assert_eq!(moved[0].rows, after[4].rows + 54);
        for (old, new) in after.iter().take(4).zip(moved.iter().skip(1)) {
            assert_ne!(old.path, new.path);
            assert_eq!(
                (old.rows, &old.sha256, &old.content),
                (new.rows, &new.sha256, &new.content)
            );
            assert_eq!(inode(&warehouse, "r2", old), inode(&warehouse, "r3", new));
        }
    }

    /// A frame of `rows` null rows with a table's columns.
    fn null_frame(table: &str, rows: usize) -> DataFrame {
        let schema = polars_schema(&schema::schema(table).unwrap());
        DataFrame::new_infer_height(
            schema
                .iter()
                .map(|(name, dtype)| Column::full_null(name.clone(), rows, dtype))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn retention_keeps_recent_readers_snapshots_and_removes_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let warehouse = dir.path();
        let lock = lock::WarehouseLock::acquire(warehouse, "test").unwrap();
        let ids = ["r1", "r2", "r3", "r4", "r5"];
        for (index, run_id) in ids.into_iter().enumerate() {
            let mut frames = Tables::new();
            frames.insert(
                c::table::DIM_INDICATOR,
                null_frame(c::table::DIM_INDICATOR, index + 1),
            );
            let published = publish(
                warehouse,
                &lock,
                &Publication {
                    run_id,
                    tables: &frames,
                    keep: 1,
                    active_submissions: 0,
                },
            )
            .unwrap();
            assert!(matches!(published, Published::New { .. }), "{published:?}");
            assert!(published.removed().is_empty());
        }
        // Every snapshot stopped being current less than an hour ago: all are kept.
        assert_eq!(snapshots(warehouse), ids);
        let now = chrono::Utc::now();
        // Two hours later, only current, the previous one and the newest `keep` remain.
        let later = now + chrono::TimeDelta::hours(2);
        let removed = retention::prune(warehouse, 1, Some("r3"), later).unwrap();
        assert_eq!(removed, ["r1", "r2", "r4"]);
        assert_eq!(snapshots(warehouse), ["r3", "r5"]);
        // The one views.sql names is kept too.
        switch_current(warehouse, "r3", "test").unwrap();
        views::write_views(warehouse, "r3", "test").unwrap();
        switch_current(warehouse, "r5", "test").unwrap();
        assert!(retention::prune(warehouse, 1, None, later)
            .unwrap()
            .is_empty());
        views::write_views(warehouse, "r5", "test").unwrap();
        assert_eq!(retention::prune(warehouse, 1, None, later).unwrap(), ["r3"]);
        // Rollback refuses a snapshot with a missing table file.
        let r5 = snapshot::dir(warehouse, "r5");
        fs::remove_file(r5.join("rejects/part-0.parquet")).unwrap();
        let error = rollback(warehouse, &lock, Some("r5")).unwrap_err();
        assert!(
            matches!(error, WarehouseError::Incomplete { .. }),
            "{error}"
        );
    }
}
