//! `runs.parquet`: one row per run, appended by rewriting the file beside it and renaming, so a
//! kill mid-write leaves the previous log intact. The only table with timestamps.

use super::parquet_io;
use super::schema;
use arrow::array::{
    ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::compute::concat_batches;
use std::path::Path;
use std::sync::Arc;

pub const RUNS_FILE: &str = "runs.parquet";
/// The view name of the runs log.
pub const RUNS_TABLE: &str = "runs";

/// A run's counts of files, facts and rejects. A run notes them in its marker before it
/// publishes, so that a run killed after switching `current` is recorded with them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunCounts {
    pub files: i64,
    pub files_active: i64,
    pub files_rejected: i64,
    pub files_from_cache: i64,
    pub facts: i64,
    pub rejects_error: i64,
    pub rejects_warning: i64,
}

/// One run's log row.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    pub run_id: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: chrono::DateTime<chrono::Utc>,
    pub command: String,
    /// published | unchanged | failed | refused | interrupted.
    pub status: String,
    /// None for a run that was interrupted (killed, crashed).
    pub exit_code: Option<i32>,
    pub counts: RunCounts,
    pub config_hash: String,
    pub program_version: String,
    pub snapshot: Option<String>,
    pub message: Option<String>,
}

fn batch(record: &RunRecord) -> Result<RecordBatch, arrow::error::ArrowError> {
    let schema = Arc::new(schema::schema("runs").unwrap_or_else(arrow::datatypes::Schema::empty));
    let text = |value: &str| Arc::new(StringArray::from(vec![Some(value)])) as ArrayRef;
    let optional =
        |value: &Option<String>| Arc::new(StringArray::from(vec![value.as_deref()])) as ArrayRef;
    let number = |value: i64| Arc::new(Int64Array::from(vec![value])) as ArrayRef;
    let time = |value: chrono::DateTime<chrono::Utc>| {
        Arc::new(
            TimestampMicrosecondArray::from(vec![value.timestamp_micros()]).with_timezone("UTC"),
        ) as ArrayRef
    };
    RecordBatch::try_new(
        schema,
        vec![
            text(&record.run_id),
            time(record.started_at),
            time(record.finished_at),
            text(&record.command),
            text(&record.status),
            Arc::new(Int32Array::from(vec![record.exit_code])),
            number(record.counts.files),
            number(record.counts.files_active),
            number(record.counts.files_rejected),
            number(record.counts.files_from_cache),
            number(record.counts.facts),
            number(record.counts.rejects_error),
            number(record.counts.rejects_warning),
            text(&record.config_hash),
            text(&record.program_version),
            optional(&record.snapshot),
            optional(&record.message),
        ],
    )
}

/// Appends a row to `runs.parquet`. An unreadable old log is kept aside, not lost.
pub fn append(warehouse: &Path, record: &RunRecord) -> Result<(), String> {
    append_all(warehouse, &record.run_id, std::slice::from_ref(record))
}

/// Appends rows to `runs.parquet` in one rewrite (the new file is written beside it and renamed
/// over it). A row whose run id and status are already in the log is not added twice (a run
/// killed after recording an interrupted run, before removing its marker). `tag` (the calling
/// run's id) names the temporary file.
pub fn append_all(warehouse: &Path, tag: &str, records: &[RunRecord]) -> Result<(), String> {
    let Some(first) = records.first() else {
        return Ok(());
    };
    let path = warehouse.join(RUNS_FILE);
    let mut batches = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let schema = batch(first).map_err(|error| error.to_string())?.schema();
    if path.exists() {
        match parquet_io::read(&path) {
            Ok(old) if old.iter().all(|b| b.schema() == schema) => {
                for old in &old {
                    seen.extend(keys(old));
                }
                batches.extend(old)
            }
            _ => {
                let aside = warehouse.join(format!("runs.parquet.unreadable-{}", first.run_id));
                std::fs::rename(&path, &aside).map_err(|error| error.to_string())?;
                tracing::warn!(kept = %aside.display(), "The old runs log could not be read; it was set aside and a new one started.");
            }
        }
    }
    for record in records {
        if seen.insert((record.run_id.clone(), record.status.clone())) {
            batches.push(batch(record).map_err(|error| error.to_string())?);
        }
    }
    let all = concat_batches(&schema, &batches).map_err(|error| error.to_string())?;
    let staging = warehouse.join(format!(".runs-{tag}.parquet"));
    parquet_io::write(&staging, &all).map_err(|error| error.to_string())?;
    std::fs::rename(&staging, &path).map_err(|error| error.to_string())
}

/// (run_id, status) of every row of a batch.
fn keys(batch: &RecordBatch) -> Vec<(String, String)> {
    let text = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|column| column.as_any().downcast_ref::<StringArray>().cloned())
    };
    match (text("run_id"), text("status")) {
        (Some(ids), Some(statuses)) => ids
            .iter()
            .zip(statuses.iter())
            .map(|(id, status)| {
                (
                    id.unwrap_or_default().to_string(),
                    status.unwrap_or_default().to_string(),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}
