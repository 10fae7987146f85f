//! Parquet files through arrow-rs: plain types that DuckDB, pyarrow and Spark all read (no
//! dictionary-only or view types), zstd, and no timestamps or random ids in the bytes, so the
//! same frame always gives the same file.

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray,
};
use arrow::datatypes::{DataType, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use polars::prelude::{DataFrame, DataType as PolarsType, IdxSize};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    /// A frame lacks a column the table's schema names, or holds an unconvertible type.
    #[error("table column {column:?}: {message}")]
    Column { column: String, message: String },
    /// Writing or syncing the file failed.
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
}

fn column_error(column: &str, error: impl std::fmt::Display) -> ParquetError {
    ParquetError::Column {
        column: column.to_string(),
        message: error.to_string(),
    }
}

/// Converts a polars frame's rows (all, or those numbered in `rows`, in that order) to an
/// arrow-rs batch of exactly `schema`'s columns and types. Rows are picked value by value, so
/// no intermediate frame is built.
pub fn record_batch(
    frame: &DataFrame,
    rows: Option<&[IdxSize]>,
    schema: &Schema,
) -> Result<RecordBatch, ParquetError> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let name = field.name().as_str();
        let column = frame
            .column(name)
            .map_err(|error| column_error(name, error))?;
        let cast = |target: &PolarsType| {
            column
                .cast(target)
                .map_err(|error| column_error(name, error))
        };
        let array: ArrayRef = match field.data_type() {
            DataType::Utf8 => {
                let values = cast(&PolarsType::String)?;
                let values = values.str().map_err(|error| column_error(name, error))?;
                Arc::new(picked(rows, values.len(), |row| values.get(row)).collect::<StringArray>())
            }
            DataType::Int64 => {
                let values = cast(&PolarsType::Int64)?;
                let values = values.i64().map_err(|error| column_error(name, error))?;
                Arc::new(picked(rows, values.len(), |row| values.get(row)).collect::<Int64Array>())
            }
            DataType::Int32 | DataType::Date32 => {
                let values = cast(&PolarsType::Int32)?;
                let values = values.i32().map_err(|error| column_error(name, error))?;
                let values: Vec<Option<i32>> =
                    picked(rows, values.len(), |row| values.get(row)).collect();
                if field.data_type() == &DataType::Date32 {
                    Arc::new(Date32Array::from(values))
                } else {
                    Arc::new(Int32Array::from(values))
                }
            }
            DataType::Float64 => {
                let values = cast(&PolarsType::Float64)?;
                let values = values.f64().map_err(|error| column_error(name, error))?;
                // NaN and ±inf never reach the warehouse: they read as null.
                Arc::new(
                    picked(rows, values.len(), |row| values.get(row))
                        .map(|v| v.filter(|v| v.is_finite()))
                        .collect::<Float64Array>(),
                )
            }
            DataType::Boolean => {
                let values = cast(&PolarsType::Boolean)?;
                let values = values.bool().map_err(|error| column_error(name, error))?;
                Arc::new(
                    picked(rows, values.len(), |row| values.get(row)).collect::<BooleanArray>(),
                )
            }
            other => return Err(column_error(name, format!("unsupported type {other}"))),
        };
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(schema.clone()), arrays)
        .map_err(|error| column_error("(batch)", error))
}

/// The polars type a column of this Arrow type is converted from (text for any other).
pub fn polars_type(arrow: &DataType) -> PolarsType {
    match arrow {
        DataType::Int64 => PolarsType::Int64,
        DataType::Int32 | DataType::Date32 => PolarsType::Int32,
        DataType::Float64 => PolarsType::Float64,
        DataType::Boolean => PolarsType::Boolean,
        _ => PolarsType::String,
    }
}

/// `frame` with `schema`'s columns, each cast once to the polars type
/// [`record_batch`] converts from, so converting a slice of rows casts nothing.
fn conformed(frame: &DataFrame, schema: &Schema) -> Result<DataFrame, ParquetError> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let name = field.name().as_str();
            frame
                .column(name)
                .and_then(|column| column.cast(&polars_type(field.data_type())))
                .map_err(|error| column_error(name, error))
        })
        .collect::<Result<Vec<_>, _>>()?;
    DataFrame::new_infer_height(columns).map_err(|error| column_error("(frame)", error))
}

/// A column's values at `rows`, or all `height` of them in order.
fn picked<'a, T>(
    rows: Option<&'a [IdxSize]>,
    height: usize,
    value: impl Fn(usize) -> Option<T> + 'a,
) -> Box<dyn Iterator<Item = Option<T>> + 'a> {
    match rows {
        None => Box::new((0..height).map(value)),
        Some(rows) => Box::new(rows.iter().map(move |&row| value(row as usize))),
    }
}

fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_dictionary_enabled(false)
        .set_created_by(format!("zlbd {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Writes one batch to `path` and fsyncs it.
pub fn write(path: &Path, batch: &RecordBatch) -> Result<(), ParquetError> {
    let fail = |error: &dyn std::fmt::Display| ParquetError::Write {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    let file = File::create(path).map_err(|error| fail(&error))?;
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties()))
        .map_err(|error| fail(&error))?;
    writer.write(batch).map_err(|error| fail(&error))?;
    let file = writer.into_inner().map_err(|error| fail(&error))?;
    file.sync_all().map_err(|error| fail(&error))?;
    Ok(())
}

/// Rows of a Parquet file, from its footer.
pub fn row_count(path: &Path) -> Result<i64, ParquetError> {
    let fail = |error: &dyn std::fmt::Display| ParquetError::Write {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    let file = File::open(path).map_err(|error| fail(&error))?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|error| fail(&error))?;
    Ok(builder.metadata().file_metadata().num_rows())
}

/// A Parquet file written a slice at a time: memory holds one slice as Arrow plus the row
/// group being encoded, never the whole table twice.
pub struct Writer {
    path: String,
    schema: Arc<Schema>,
    writer: ArrowWriter<Hashing>,
}

/// A file that hashes and counts what is written to it, so the manifest needs no second read.
pub struct Hashing {
    file: File,
    hasher: sha2::Sha256,
    bytes: u64,
}

impl std::io::Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let written = self.file.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// What a finished file holds: its size and SHA-256 (hex).
pub struct Written {
    pub bytes: u64,
    pub sha256: String,
}

/// Rows converted to Arrow at a time.
const SLICE_ROWS: usize = 64 * 1024;

impl Writer {
    pub fn create(path: &Path, schema: &Schema) -> Result<Writer, ParquetError> {
        let shown = path.display().to_string();
        let fail = |error: &dyn std::fmt::Display| ParquetError::Write {
            path: shown.clone(),
            message: error.to_string(),
        };
        let schema = Arc::new(schema.clone());
        let file = File::create(path).map_err(|error| fail(&error))?;
        let file = Hashing {
            file,
            hasher: sha2::Digest::new(),
            bytes: 0,
        };
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties()))
            .map_err(|error| fail(&error))?;
        Ok(Writer {
            path: shown,
            schema,
            writer,
        })
    }

    fn fail(&self, error: &dyn std::fmt::Display) -> ParquetError {
        ParquetError::Write {
            path: self.path.clone(),
            message: error.to_string(),
        }
    }

    /// Writes `frame`'s rows, or only those numbered in `rows` (in that order), as one row
    /// group, converting a slice of rows at a time.
    pub fn write_group(
        &mut self,
        frame: &DataFrame,
        rows: Option<&[IdxSize]>,
    ) -> Result<(), ParquetError> {
        let frame = &conformed(frame, &self.schema)?;
        let height = rows.map_or(frame.height(), <[IdxSize]>::len);
        for offset in (0..height).step_by(SLICE_ROWS) {
            let batch = match rows {
                None => record_batch(&frame.slice(offset as i64, SLICE_ROWS), None, &self.schema)?,
                Some(rows) => {
                    let end = (offset + SLICE_ROWS).min(rows.len());
                    record_batch(frame, Some(&rows[offset..end]), &self.schema)?
                }
            };
            self.writer
                .write(&batch)
                .map_err(|error| self.fail(&error))?;
        }
        self.writer.flush().map_err(|error| self.fail(&error))
    }

    /// Closes the file and syncs it to disk; returns its size and SHA-256.
    pub fn finish(self) -> Result<Written, ParquetError> {
        let path = self.path;
        let fail = |error: &dyn std::fmt::Display| ParquetError::Write {
            path: path.clone(),
            message: error.to_string(),
        };
        let hashing = self.writer.into_inner().map_err(|error| fail(&error))?;
        hashing.file.sync_all().map_err(|error| fail(&error))?;
        Ok(Written {
            bytes: hashing.bytes,
            sha256: crate::domain::text::hex(&sha2::Digest::finalize(hashing.hasher)),
        })
    }
}

/// Reads every batch of a Parquet file (used for runs.parquet and by tests).
pub fn read(path: &Path) -> Result<Vec<RecordBatch>, ParquetError> {
    read_columns(path, &|_| true)
}

/// Reads the columns of a Parquet file whose names `wanted` accepts (top-level columns).
pub fn read_columns(
    path: &Path,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<RecordBatch>, ParquetError> {
    let fail = |error: &dyn std::fmt::Display| ParquetError::Write {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    let file = File::open(path).map_err(|error| fail(&error))?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|error| fail(&error))?;
    let roots: Vec<usize> = builder
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, field)| wanted(field.name()))
        .map(|(index, _)| index)
        .collect();
    let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(64 * 1024)
        .build()
        .map_err(|error| fail(&error))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| fail(&error))
}
