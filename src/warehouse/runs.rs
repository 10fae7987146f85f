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

/// One run's log row.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    pub run_id: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: chrono::DateTime<chrono::Utc>,
    pub command: String,
    pub status: String,
    pub exit_code: i32,
    pub files: i64,
    pub files_active: i64,
    pub files_rejected: i64,
    pub files_from_cache: i64,
    pub facts: i64,
    pub rejects_error: i64,
    pub rejects_warning: i64,
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
            number(record.files),
            number(record.files_active),
            number(record.files_rejected),
            number(record.files_from_cache),
            number(record.facts),
            number(record.rejects_error),
            number(record.rejects_warning),
            text(&record.config_hash),
            text(&record.program_version),
            optional(&record.snapshot),
            optional(&record.message),
        ],
    )
}

/// Appends a row to `runs.parquet`. An unreadable old log is kept aside, not lost.
pub fn append(warehouse: &Path, record: &RunRecord) -> Result<(), String> {
    let path = warehouse.join(RUNS_FILE);
    let new = batch(record).map_err(|error| error.to_string())?;
    let mut batches = Vec::new();
    if path.exists() {
        match parquet_io::read(&path) {
            Ok(old) if old.iter().all(|b| b.schema() == new.schema()) => batches.extend(old),
            _ => {
                let aside = warehouse.join(format!("runs.parquet.unreadable-{}", record.run_id));
                std::fs::rename(&path, &aside).map_err(|error| error.to_string())?;
                tracing::warn!(kept = %aside.display(), "The old runs log could not be read; it was set aside and a new one started.");
            }
        }
    }
    batches.push(new.clone());
    let all = concat_batches(&new.schema(), &batches).map_err(|error| error.to_string())?;
    let staging = warehouse.join(format!(".runs-{}.parquet", record.run_id));
    parquet_io::write(&staging, &all).map_err(|error| error.to_string())?;
    std::fs::rename(&staging, &path).map_err(|error| error.to_string())
}
