//! Warehouse: writes a complete Parquet snapshot, fsyncs it, then switches `current` to it
//! with one atomic rename, so readers never see half a snapshot and a kill at any moment
//! leaves the previous one in place. Also: views.sql, the runs log, retention, rollback and the
//! lock that keeps a second run out.

pub(crate) mod lock;
pub mod parquet_io;
pub(crate) mod runs;
pub(crate) mod schema;

use crate::domain::columns as c;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

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
    /// ZLBD_FAILPOINT=before-switch was set (tests only).
    #[error("failure injected by ZLBD_FAILPOINT=before-switch")]
    Injected,
    /// `rollback` named a snapshot that is not there.
    #[error("no snapshot {0:?} in the warehouse (see `ls snapshots/`)")]
    NoSnapshot(String),
}

fn io<'a>(
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
fn sync_dir(path: &Path) -> Result<(), WarehouseError> {
    fs::File::open(path)
        .and_then(|dir| dir.sync_all())
        .map_err(io("sync", path))
}

/// Writes a snapshot under `snapshots/<run_id>` and switches `current` to it.
pub fn publish(
    warehouse: &Path,
    run_id: &str,
    tables: &Tables,
    keep: usize,
) -> Result<PathBuf, WarehouseError> {
    let snapshots = warehouse.join(SNAPSHOTS);
    fs::create_dir_all(&snapshots).map_err(io("create", &snapshots))?;
    let staging = snapshots.join(format!(".tmp-{run_id}"));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io("remove", &staging))?;
    }
    fs::create_dir(&staging).map_err(io("create", &staging))?;
    for table in c::TABLES {
        let frame = tables.get(table).cloned().unwrap_or_default();
        write_table(&staging, table, &frame)?;
    }
    sync_dir(&staging)?;
    if crate::failpoint::active("before-switch") {
        return Err(WarehouseError::Injected);
    }
    let snapshot = snapshots.join(run_id);
    fs::rename(&staging, &snapshot).map_err(io("rename", &staging))?;
    sync_dir(&snapshots)?;
    switch_current(warehouse, run_id)?;
    write_views(warehouse)?;
    prune(warehouse, keep)?;
    Ok(snapshot)
}

fn write_table(staging: &Path, table: &str, frame: &DataFrame) -> Result<(), WarehouseError> {
    let schema =
        schema::schema(table).ok_or_else(|| WarehouseError::NoSnapshot(table.to_string()))?;
    let dir = staging.join(table);
    fs::create_dir(&dir).map_err(io("create", &dir))?;
    let table_error = |source| WarehouseError::Table {
        table: table.to_string(),
        source,
    };
    let frame = if frame.width() == 0 {
        DataFrame::empty_with_schema(&polars_schema(&schema))
    } else {
        frame.clone()
    };
    // Tables with a year are written sorted by year, one row group per year, so readers
    // prune years from row-group statistics (SPEC v2 §8: no hive partitioning).
    let groups = year_groups(&frame).map_err(|source| WarehouseError::Frame {
        table: table.to_string(),
        source,
    })?;
    let batches = groups
        .iter()
        .map(|group| parquet_io::record_batch(group, &schema))
        .collect::<Result<Vec<_>, _>>()
        .map_err(table_error)?;
    parquet_io::write_groups(&dir.join("part-0.parquet"), &schema, &batches)
        .map_err(table_error)?;
    sync_dir(&dir)
}

/// A polars schema with the same names and equivalent types, for empty tables.
fn polars_schema(schema: &arrow::datatypes::Schema) -> Schema {
    use arrow::datatypes::DataType as Arrow;
    schema
        .fields()
        .iter()
        .map(|field| {
            let dtype = match field.data_type() {
                Arrow::Int64 => DataType::Int64,
                Arrow::Int32 | Arrow::Date32 => DataType::Int32,
                Arrow::Float64 => DataType::Float64,
                Arrow::Boolean => DataType::Boolean,
                _ => DataType::String,
            };
            Field::new(field.name().as_str().into(), dtype)
        })
        .collect()
}

/// Points `current` at `snapshots/<run_id>` with a rename over the old link (atomic).
pub fn switch_current(warehouse: &Path, run_id: &str) -> Result<(), WarehouseError> {
    let link = warehouse.join(format!(".current-{run_id}"));
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink(Path::new(SNAPSHOTS).join(run_id), &link)
        .map_err(io("link", &link))?;
    let current = warehouse.join(CURRENT);
    fs::rename(&link, &current).map_err(io("rename", &link))?;
    sync_dir(warehouse)
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
                .map(|entry| entry.file_name().to_string_lossy().to_string())
                .filter(|name| !name.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Keeps the newest `keep` snapshots (and always the current one); removes leftovers of
/// interrupted runs.
pub fn prune(warehouse: &Path, keep: usize) -> Result<(), WarehouseError> {
    let current = current_run(warehouse);
    let all = snapshots(warehouse);
    let cut = all.len().saturating_sub(keep);
    for name in &all[..cut] {
        if Some(name) != current.as_ref() {
            let path = warehouse.join(SNAPSHOTS).join(name);
            fs::remove_dir_all(&path).map_err(io("remove", &path))?;
        }
    }
    clean_leftovers(warehouse);
    Ok(())
}

/// Removes staging folders and links a killed run left behind. Only called under the lock.
pub fn clean_leftovers(warehouse: &Path) {
    for (dir, prefix) in [
        (warehouse.join(SNAPSHOTS), ".tmp-"),
        (warehouse.to_path_buf(), ".current-"),
        (warehouse.to_path_buf(), ".runs-"),
    ] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            if entry.file_name().to_string_lossy().starts_with(prefix) {
                let path = entry.path();
                let _ = if path.is_dir() && !path.is_symlink() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
            }
        }
    }
}

/// Switches `current` back to an older snapshot: the named one, or the one before current.
pub fn rollback(warehouse: &Path, run_id: Option<&str>) -> Result<String, WarehouseError> {
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
    switch_current(warehouse, &target)?;
    write_views(warehouse)?;
    Ok(target)
}

fn sql_path(path: &Path) -> String {
    path.display().to_string().replace('\'', "''")
}

/// A frame split by year, in year order, each part in its original row order; one part when
/// the frame has no year column.
fn year_groups(frame: &DataFrame) -> PolarsResult<Vec<DataFrame>> {
    if frame.column(c::YEAR).is_err() || frame.height() == 0 {
        return Ok(vec![frame.clone()]);
    }
    let mut years: Vec<i32> = frame
        .column(c::YEAR)?
        .cast(&DataType::Int32)?
        .i32()?
        .iter()
        .flatten()
        .collect();
    years.sort_unstable();
    years.dedup();
    let mut groups = Vec::with_capacity(years.len() + 1);
    for year in years {
        let mask = frame
            .column(c::YEAR)?
            .cast(&DataType::Int32)?
            .i32()?
            .equal(year);
        groups.push(frame.filter(&mask)?);
    }
    let nulls = frame.column(c::YEAR)?.is_null();
    if nulls.any() {
        groups.push(frame.filter(&nulls)?);
    }
    Ok(groups)
}

/// views.sql: one view per table over `current`, so `duckdb -init views.sql` works from any
/// folder and always reads the published snapshot.
pub fn views_sql(warehouse: &Path) -> String {
    let root = fs::canonicalize(warehouse).unwrap_or_else(|_| warehouse.to_path_buf());
    let current = root.join(CURRENT);
    let mut sql = String::from(
        "-- zlbd warehouse views. Open with: duckdb -init views.sql   (or in a session: .read views.sql)\n\
         -- Each view reads the snapshot that `current` points at.\n",
    );
    for table in c::TABLES {
        let path = sql_path(&current.join(table));
        sql.push_str(&format!(
            "CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{path}/*.parquet');\n"
        ));
    }
    let runs = sql_path(&root.join(runs::RUNS_FILE));
    sql.push_str(&format!(
        "CREATE OR REPLACE VIEW runs AS SELECT * FROM read_parquet('{runs}');\n"
    ));
    sql
}

fn write_views(warehouse: &Path) -> Result<(), WarehouseError> {
    let path = warehouse.join(VIEWS);
    let sql = views_sql(warehouse);
    if fs::read_to_string(&path).ok().as_deref() == Some(sql.as_str()) {
        return Ok(());
    }
    let staging = warehouse.join(".views.sql.tmp");
    fs::write(&staging, sql).map_err(io("write", &staging))?;
    fs::rename(&staging, &path).map_err(io("rename", &staging))
}
