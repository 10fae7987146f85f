//! Parquet files through arrow-rs: plain types that DuckDB, pyarrow and Spark all read (no
//! dictionary-only or view types), zstd, and no timestamps or random ids in the bytes, so the
//! same frame always gives the same file.

use crate::domain::columns as c;
use arrow::array::{
    ArrayRef, ArrowPrimitiveType, BooleanArray, PrimitiveArray, RecordBatch, StringArray,
    StringBuilder,
};
use arrow::buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Date32Type, Field, Float64Type, Int32Type, Int64Type, Schema};
use parquet::arrow::arrow_writer::{compute_leaves, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use polars::prelude::{
    ChunkedArray, Column, DataFrame, DataType as PolarsType, IdxSize, PolarsDataType,
    PolarsNumericType,
};
use rayon::prelude::*;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    /// A frame lacks a column the table's schema names, or holds an unconvertible type.
    #[error("table column {column:?}: {message}")]
    Column { column: String, message: String },
    /// Writing or syncing the file failed.
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
}

fn write_error(path: &str, error: &dyn std::fmt::Display) -> ParquetError {
    ParquetError::Write {
        path: path.to_string(),
        message: error.to_string(),
    }
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
    let rows = match rows {
        Some(rows) => Rows::Picked(rows),
        None => Rows::Range(0..frame.height()),
    };
    let arrays = schema
        .fields()
        .iter()
        .map(|field| column_array(frame, field, &rows))
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    RecordBatch::try_new(Arc::new(schema.clone()), arrays)
        .map_err(|error| column_error("(batch)", error))
}

/// Which rows of a frame to convert, in order.
#[derive(Clone)]
enum Rows<'a> {
    Range(std::ops::Range<usize>),
    Picked(&'a [IdxSize]),
}

impl Rows<'_> {
    fn len(&self) -> usize {
        match self {
            Rows::Range(range) => range.len(),
            Rows::Picked(rows) => rows.len(),
        }
    }

    /// Rows `from..to` of these (positions, not row numbers).
    fn part(&self, from: usize, to: usize) -> Rows<'_> {
        match self {
            Rows::Range(range) => Rows::Range(range.start + from..range.start + to),
            Rows::Picked(rows) => Rows::Picked(&rows[from..to]),
        }
    }

    /// The row numbers, in order.
    fn numbers(&self) -> RowNumbers<'_> {
        match self {
            Rows::Range(range) => RowNumbers::Range(range.clone()),
            Rows::Picked(rows) => RowNumbers::Picked(rows.iter()),
        }
    }

    /// A column's values at these rows, looked up chunk by chunk (a frame not
    /// [`conform`]ed).
    fn of<'a, T: PolarsDataType>(
        &'a self,
        values: &'a ChunkedArray<T>,
    ) -> impl Iterator<Item = Option<T::Physical<'a>>> + 'a {
        self.numbers().map(|row| values.get(row))
    }
}

/// [`Rows::numbers`]: an exact-size iterator, so what is collected from it is allocated once.
enum RowNumbers<'a> {
    Range(std::ops::Range<usize>),
    Picked(std::slice::Iter<'a, IdxSize>),
}

impl Iterator for RowNumbers<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            RowNumbers::Range(range) => range.next(),
            RowNumbers::Picked(rows) => rows.next().map(|&row| row as usize),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            RowNumbers::Range(range) => range.size_hint(),
            RowNumbers::Picked(rows) => rows.size_hint(),
        }
    }
}

impl ExactSizeIterator for RowNumbers<'_> {}

/// A column's one chunk, when it has one (the frames [`conform`] gives).
fn single<T: PolarsDataType>(values: &ChunkedArray<T>) -> Option<&T::Array> {
    match values.chunks().len() {
        1 => values.downcast_iter().next(),
        _ => None,
    }
}

/// Numbers at `rows` as an Arrow array: from a one-chunk column the values are copied as they
/// are (a range of rows as one slice, picked rows in one loop with no branch on the kind of
/// rows), with a null mask only where some value is null or fails `keep` (a value it refuses
/// reads as null); a column of several chunks is read value by value.
fn numbers<T, A>(
    values: &ChunkedArray<T>,
    rows: &Rows,
    keep: impl Fn(T::Native) -> bool,
) -> PrimitiveArray<A>
where
    T: PolarsNumericType,
    T::Native: arrow::datatypes::ArrowNativeType,
    A: ArrowPrimitiveType<Native = T::Native>,
{
    let Some(chunk) = single(values) else {
        let kept = rows
            .of(values)
            .map(|value| value.filter(|value| keep(*value)));
        return kept.collect();
    };
    let values = chunk.values().as_slice();
    let picked: Vec<T::Native> = match rows {
        Rows::Range(range) => values[range.clone()].to_vec(),
        Rows::Picked(rows) => rows.iter().map(|&row| values[row as usize]).collect(),
    };
    let validity = chunk
        .validity()
        .filter(|validity| validity.unset_bits() > 0);
    let valid = |(row, value): (usize, &T::Native)| {
        validity.is_none_or(|validity| validity.get_bit(row)) && keep(*value)
    };
    let all_valid = match validity {
        None => picked.iter().all(|value| keep(*value)),
        Some(_) => rows.numbers().zip(&picked).all(valid),
    };
    let nulls = (!all_valid).then(|| {
        NullBuffer::new(
            rows.numbers()
                .zip(&picked)
                .map(valid)
                .collect::<BooleanBuffer>(),
        )
    });
    PrimitiveArray::<A>::new(ScalarBuffer::from(picked), nulls)
}

/// Text at `rows` of one polars chunk as an Arrow array, its byte buffer allocated once.
fn texts(chunk: &polars_arrow::array::Utf8ViewArray, rows: &Rows) -> StringArray {
    let views = chunk.views();
    let bytes = rows
        .numbers()
        .map(|row| views[row].length as usize)
        .sum::<usize>();
    let mut builder = StringBuilder::with_capacity(rows.len(), bytes);
    for row in rows.numbers() {
        builder.append_option(chunk.get(row));
    }
    builder.finish()
}

/// One column of `frame`, `field`'s name, at `rows`, as an Arrow array of `field`'s type.
/// NaN and ±inf never reach the warehouse: they read as null.
fn column_array(frame: &DataFrame, field: &Field, rows: &Rows) -> Result<ArrayRef, ParquetError> {
    let name = field.name().as_str();
    let column = frame
        .column(name)
        .map_err(|error| column_error(name, error))?;
    let values = column
        .cast(&polars_type(field.data_type()))
        .map_err(|error| column_error(name, error))?;
    let values = values.as_materialized_series();
    let typed = |error| column_error(name, error);
    Ok(match field.data_type() {
        DataType::Utf8 => {
            let values = values.str().map_err(typed)?;
            match single(values) {
                Some(chunk) => Arc::new(texts(chunk, rows)),
                None => Arc::new(rows.of(values).collect::<StringArray>()),
            }
        }
        DataType::Int64 => Arc::new(numbers::<_, Int64Type>(
            values.i64().map_err(typed)?,
            rows,
            |_| true,
        )),
        DataType::Int32 => Arc::new(numbers::<_, Int32Type>(
            values.i32().map_err(typed)?,
            rows,
            |_| true,
        )),
        DataType::Date32 => Arc::new(numbers::<_, Date32Type>(
            values.i32().map_err(typed)?,
            rows,
            |_| true,
        )),
        DataType::Float64 => {
            let values = values.f64().map_err(typed)?;
            Arc::new(numbers::<_, Float64Type>(values, rows, f64::is_finite))
        }
        DataType::Boolean => {
            let values = values.bool().map_err(typed)?;
            Arc::new(rows.of(values).collect::<BooleanArray>())
        }
        other => return Err(column_error(name, format!("unsupported type {other}"))),
    })
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

/// `frame` with `schema`'s columns, each cast once to the polars type [`record_batch`]
/// converts from and made one chunk, so converting a slice of rows casts nothing and reads
/// each value straight from its array.
///
/// [`Writer::write_group`] does this itself; a caller writing several groups of one frame does
/// it once first, and each group's is then free.
pub fn conform(frame: &DataFrame, schema: &Schema) -> Result<DataFrame, ParquetError> {
    let columns = fields_and_columns(frame, schema)?
        .into_iter()
        .map(|(field, column)| {
            let name = field.name().as_str();
            column
                .cast(&polars_type(field.data_type()))
                .map(|column| column.rechunk())
                .map_err(|error| column_error(name, error))
        })
        .collect::<Result<Vec<_>, _>>()?;
    DataFrame::new_infer_height(columns).map_err(|error| column_error("(frame)", error))
}

/// Each of `schema`'s fields with `frame`'s column of that name.
fn fields_and_columns<'a>(
    frame: &'a DataFrame,
    schema: &'a Schema,
) -> Result<Vec<(&'a Field, &'a Column)>, ParquetError> {
    let fields = schema.fields().iter();
    fields
        .map(|field| {
            let name = field.name().as_str();
            let column = frame.column(name);
            column
                .map(|column| (field.as_ref(), column))
                .map_err(|error| column_error(name, error))
        })
        .collect()
}

/// Text columns whose values rarely repeat (a cell's text as typed, a reject's message): a
/// dictionary would hash every value and then be abandoned for plain pages. Measured at
/// 20,000 forms: `fact_indicator` is written in about a quarter less time, and its
/// `raw_value` is as small (2.6 MB either way).
const NEAR_UNIQUE_TEXTS: [&str; 2] = [c::RAW_VALUE, c::MESSAGE];

/// zstd level 1, and dictionary pages for text columns only (ids, codes, units, file and
/// sheet names repeat; numbers rarely do, and hashing them cost more than it saved), except
/// [`NEAR_UNIQUE_TEXTS`]. Measured at 20,000 forms against level 3 without dictionaries: the
/// tables are written in about a third less time and read back faster, for files 6 % larger.
/// Dictionary pages are Parquet's own encoding: readers still see plain VARCHAR columns.
fn properties(schema: &Schema) -> WriterProperties {
    let texts = schema
        .fields()
        .iter()
        .filter(|field| field.data_type() == &DataType::Utf8)
        .filter(|field| !NEAR_UNIQUE_TEXTS.contains(&field.name().as_str()));
    texts
        .fold(WriterProperties::builder(), |builder, field| {
            builder.set_column_dictionary_enabled(field.name().as_str().into(), true)
        })
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(Some(MAX_GROUP_ROWS))
        .set_created_by(format!("zlbd {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Writes one batch to `path` and fsyncs it.
pub fn write(path: &Path, batch: &RecordBatch) -> Result<(), ParquetError> {
    let fail = |error: &dyn std::fmt::Display| write_error(&path.display().to_string(), error);
    let file = File::create(path).map_err(|error| fail(&error))?;
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties(&batch.schema())))
        .map_err(|error| fail(&error))?;
    writer.write(batch).map_err(|error| fail(&error))?;
    let file = writer.into_inner().map_err(|error| fail(&error))?;
    file.sync_all().map_err(|error| fail(&error))?;
    Ok(())
}

/// Mixes one value's word into a row's hash. For a fixed word it is a bijection of the hash, so
/// two rows whose words differ in one column only never get the same hash.
fn mix(hash: u64, word: u64) -> u64 {
    (hash ^ word)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .rotate_left(29)
}

/// Mixes a null into a row's hash: as a value's word would, with one word that only a
/// 2^-64 chance makes equal to a given value's.
fn mix_null(hash: u64) -> u64 {
    mix(mix(hash, 0), 1)
}

/// Rows hashed at a time by one task.
const HASH_ROWS: usize = 16 * 1024;

/// A 64-bit hash of each row of a [`conform`]ed `frame`, from its values as a file holds them:
/// the schema's columns in order, a value the conversion turns into null (NaN, ±inf) as null,
/// a text by its xxh3-64. Read column by column in frame order, side by side over stretches of
/// rows: it costs a small part of encoding the rows. What [`content`] digests.
pub fn row_hashes(frame: &DataFrame, schema: &Schema) -> Result<Vec<u64>, ParquetError> {
    let mut hashes = vec![0u64; frame.height()];
    let columns = fields_and_columns(frame, schema)?;
    hashes
        .par_chunks_mut(HASH_ROWS)
        .enumerate()
        .try_for_each(|(number, hashes)| {
            let start = number * HASH_ROWS;
            for (field, column) in &columns {
                hash_rows(field, column.as_materialized_series(), start, hashes)?;
            }
            Ok(())
        })?;
    Ok(hashes)
}

/// Mixes one column's values at rows `start..` into `hashes`.
fn hash_rows(
    field: &Field,
    values: &polars::prelude::Series,
    start: usize,
    hashes: &mut [u64],
) -> Result<(), ParquetError> {
    let name = field.name().as_str();
    let typed = |error| column_error(name, error);
    let rows = start..start + hashes.len();
    match field.data_type() {
        DataType::Utf8 => {
            let values = values.str().map_err(typed)?;
            match single(values) {
                Some(chunk) => fold(hashes, text_words(chunk, rows)),
                None => fold(
                    hashes,
                    rows.map(|row| values.get(row).map(|text| xxh3_64(text.as_bytes()))),
                ),
            }
        }
        DataType::Int64 => {
            let values = values.i64().map_err(typed)?;
            number_words(values, rows, hashes, |value| Some(value as u64))
        }
        DataType::Int32 | DataType::Date32 => {
            let values = values.i32().map_err(typed)?;
            number_words(values, rows, hashes, |value| Some(value as u32 as u64))
        }
        DataType::Float64 => {
            let values = values.f64().map_err(typed)?;
            let bits = |value: f64| value.is_finite().then(|| value.to_bits());
            number_words(values, rows, hashes, bits)
        }
        DataType::Boolean => {
            let values = values.bool().map_err(typed)?;
            fold(hashes, rows.map(|row| values.get(row).map(u64::from)))
        }
        other => return Err(column_error(name, format!("unsupported type {other}"))),
    }
    Ok(())
}

/// Mixes each row's word (None: null) into its hash.
fn fold(hashes: &mut [u64], words: impl Iterator<Item = Option<u64>>) {
    for (hash, word) in hashes.iter_mut().zip(words) {
        *hash = match word {
            Some(word) => mix(*hash, word),
            None => mix_null(*hash),
        };
    }
}

/// Each text's xxh3-64 at `rows` of one chunk. A row whose view is the previous row's (the same
/// inline text, or the same bytes of the same buffer) reuses its word: ids, codes, units, file
/// and sheet names repeat row after row, and their bytes are then never read again.
fn text_words(
    chunk: &polars_arrow::array::Utf8ViewArray,
    rows: std::ops::Range<usize>,
) -> impl Iterator<Item = Option<u64>> + '_ {
    use polars_arrow::array::Array as _;
    let (views, validity) = (chunk.views(), chunk.validity());
    let mut last: Option<(u128, u64)> = None;
    rows.map(move |row| {
        if !is_valid(validity, row) {
            return None;
        }
        let view = views[row].as_u128();
        match last {
            Some((seen, word)) if seen == view => Some(word),
            _ => {
                let word = xxh3_64(chunk.value(row).as_bytes());
                last = Some((view, word));
                Some(word)
            }
        }
    })
}

/// Mixes each number's word at `rows` (None for null or what `word` refuses) into `hashes`,
/// read straight from a one-chunk column's values.
fn number_words<T: PolarsNumericType>(
    values: &ChunkedArray<T>,
    rows: std::ops::Range<usize>,
    hashes: &mut [u64],
    word: impl Fn(T::Native) -> Option<u64>,
) {
    match single(values) {
        Some(chunk) => {
            let (numbers, validity) = (chunk.values().as_slice(), chunk.validity());
            let words = rows.map(|row| is_valid(validity, row).then(|| word(numbers[row])));
            fold(hashes, words.map(Option::flatten))
        }
        None => fold(hashes, rows.map(|row| values.get(row).and_then(&word))),
    }
}

/// Whether a row of a chunk is valid (no mask: all are).
fn is_valid(validity: Option<&polars_arrow::bitmap::Bitmap>, row: usize) -> bool {
    validity.is_none_or(|validity| validity.get_bit(row))
}

/// The digest (xxh3-128, hex) of everything the file a [`Writer`] writes from these `groups` of
/// rows (one [`Writer::write_group`] each) is made from: the program, the schema, each row
/// group's size and its rows' [`row_hashes`] in order. The program is its version and source
/// fingerprint (`src/` and `Cargo.lock`: the writer's settings, the conversion, this digest's
/// own definition, the arrow, parquet and zstd crates), so a file written by another build is
/// never taken for what this one would write. Two files with the same digest have the same
/// bytes, but for a hash collision: about 2^-64 for each row that changed (two texts can share
/// an xxh3-64).
pub fn content(schema: &Schema, hashes: &[u64], groups: &[Vec<IdxSize>]) -> String {
    let mut hasher = Xxh3::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(env!("ZLBD_SOURCE_HASH").as_bytes());
    hasher.update(format!("{:?}", schema.fields()).as_bytes());
    hasher.update(&(MAX_GROUP_ROWS as u64).to_le_bytes());
    hasher.update(&(SLICE_ROWS as u64).to_le_bytes());
    for rows in groups {
        for group in rows.chunks(MAX_GROUP_ROWS) {
            hasher.update(&(group.len() as u64).to_le_bytes());
            let picked: Vec<u64> = group.iter().map(|&row| hashes[row as usize]).collect();
            hasher.update(ScalarBuffer::from(picked).inner().as_slice());
        }
    }
    format!("{:032x}", hasher.digest128())
}

/// A Parquet file written a row group at a time, the columns of a group encoded side by side
/// (one rayon task per column), each converted a slice of rows at a time: memory holds the
/// group being encoded and one slice per column as Arrow, never the whole table twice. The
/// bytes are those `ArrowWriter` writes for the same slices.
pub struct Writer {
    path: String,
    schema: Arc<Schema>,
    file: SerializedFileWriter<Hashing>,
    columns: ArrowRowGroupWriterFactory,
    /// Rows in a row group at most: [`MAX_GROUP_ROWS`] (fewer in tests).
    group_rows: usize,
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

/// Rows in a row group at most (arrow-rs' default; a multiple of [`SLICE_ROWS`]).
const MAX_GROUP_ROWS: usize = 1024 * 1024;

impl Writer {
    pub fn create(path: &Path, schema: &Schema) -> Result<Writer, ParquetError> {
        let shown = path.display().to_string();
        let fail = |error: &dyn std::fmt::Display| write_error(&shown, error);
        let schema = Arc::new(schema.clone());
        let file = File::create(path).map_err(|error| fail(&error))?;
        let file = Hashing {
            file,
            hasher: sha2::Digest::new(),
            bytes: 0,
        };
        // ArrowWriter sets up the file (magic, the Arrow schema in the footer's metadata);
        // its parts then write row groups column by column.
        let (file, columns) = ArrowWriter::try_new(file, schema.clone(), Some(properties(&schema)))
            .and_then(ArrowWriter::into_serialized_writer)
            .map_err(|error| fail(&error))?;
        Ok(Writer {
            path: shown,
            schema,
            file,
            columns,
            group_rows: MAX_GROUP_ROWS,
        })
    }

    /// Writes `frame`'s rows, or only those numbered in `rows` (in that order), as one row
    /// group (more past [`MAX_GROUP_ROWS`]); nothing for no rows.
    pub fn write_group(
        &mut self,
        frame: &DataFrame,
        rows: Option<&[IdxSize]>,
    ) -> Result<(), ParquetError> {
        let frame = &conform(frame, &self.schema)?;
        let rows = match rows {
            Some(rows) => Rows::Picked(rows),
            None => Rows::Range(0..frame.height()),
        };
        for start in (0..rows.len()).step_by(self.group_rows) {
            let group = rows.part(start, (start + self.group_rows).min(rows.len()));
            self.write_row_group(frame, &group)?;
        }
        Ok(())
    }

    fn write_row_group(&mut self, frame: &DataFrame, rows: &Rows) -> Result<(), ParquetError> {
        let path = &self.path;
        let fail = |error: &dyn std::fmt::Display| write_error(path, error);
        let writers = self
            .columns
            .create_column_writers(self.file.flushed_row_groups().len())
            .map_err(|error| fail(&error))?;
        let chunks = writers
            .into_par_iter()
            .zip(self.schema.fields().par_iter())
            .map(|(mut writer, field)| {
                for start in (0..rows.len()).step_by(SLICE_ROWS) {
                    let slice = rows.part(start, (start + SLICE_ROWS).min(rows.len()));
                    let array = column_array(frame, field, &slice)?;
                    for leaf in compute_leaves(field, &array).map_err(|error| fail(&error))? {
                        writer.write(&leaf).map_err(|error| fail(&error))?;
                    }
                }
                writer.close().map_err(|error| fail(&error))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut group = self.file.next_row_group().map_err(|error| fail(&error))?;
        for chunk in chunks {
            chunk
                .append_to_row_group(&mut group)
                .map_err(|error| fail(&error))?;
        }
        group.close().map_err(|error| fail(&error))?;
        Ok(())
    }

    /// Closes the file and syncs it to disk; returns its size and SHA-256.
    pub fn finish(self) -> Result<Written, ParquetError> {
        let path = self.path;
        let fail = |error: &dyn std::fmt::Display| write_error(&path, error);
        let hashing = self.file.into_inner().map_err(|error| fail(&error))?;
        hashing.file.sync_all().map_err(|error| fail(&error))?;
        Ok(Written {
            bytes: hashing.bytes,
            sha256: crate::domain::text::hex(&sha2::Digest::finalize(hashing.hasher)),
        })
    }
}

/// A Parquet file's row count and top-level columns (as Arrow fields), from its footer.
pub fn columns(path: &Path) -> Result<(usize, Vec<Arc<Field>>), ParquetError> {
    let layout = layout(path, None)?;
    Ok((layout.rows, layout.fields))
}

/// What a Parquet file's footer says about the rows to read.
pub struct Layout {
    /// The rows of the row groups to read (all of them, or those `row_groups` names).
    pub rows: usize,
    /// The top-level columns, as Arrow fields.
    pub fields: Vec<Arc<Field>>,
    /// The row groups to read; `None` for all.
    pub row_groups: Option<Vec<usize>>,
}

/// A Parquet file's layout. With `only` = (an integer column, values), just the row groups
/// that may hold a row with one of the values are to be read (see [`row_groups_holding`]).
pub fn layout(path: &Path, only: Option<(&str, &[i64])>) -> Result<Layout, ParquetError> {
    let fail = |error: &dyn std::fmt::Display| write_error(&path.display().to_string(), error);
    let file = File::open(path).map_err(|error| fail(&error))?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|error| fail(&error))?;
    let metadata = builder.metadata();
    let row_groups = only.map(|(column, values)| row_groups_holding(metadata, column, values));
    Ok(Layout {
        rows: rows_in(metadata, row_groups.as_deref()),
        fields: builder.schema().fields().iter().cloned().collect(),
        row_groups,
    })
}

/// The rows of a file's row groups `row_groups` (all of them for `None`).
fn rows_in(
    metadata: &parquet::file::metadata::ParquetMetaData,
    row_groups: Option<&[usize]>,
) -> usize {
    let rows = match row_groups {
        None => metadata.file_metadata().num_rows(),
        Some(groups) => groups
            .iter()
            .map(|&group| metadata.row_group(group).num_rows())
            .sum(),
    };
    rows.max(0) as usize
}

/// The row groups that may hold a row whose integer column `column` is one of `values`. A row
/// group is left out only when its statistics show that none of its rows is: a row group
/// without statistics for the column, or a file without the column, keeps every row group.
pub fn row_groups_holding(
    metadata: &parquet::file::metadata::ParquetMetaData,
    column: &str,
    values: &[i64],
) -> Vec<usize> {
    use parquet::file::statistics::Statistics;
    let schema = metadata.file_metadata().schema_descr();
    let index = (0..schema.num_columns()).find(|&i| schema.column(i).path().parts() == [column]);
    (0..metadata.num_row_groups())
        .filter(|&group| {
            let Some(index) = index else {
                return true;
            };
            let bounds = match metadata.row_group(group).column(index).statistics() {
                Some(Statistics::Int32(s)) => s
                    .min_opt()
                    .zip(s.max_opt())
                    .map(|(min, max)| (i64::from(*min), i64::from(*max))),
                Some(Statistics::Int64(s)) => s.min_opt().copied().zip(s.max_opt().copied()),
                _ => None,
            };
            bounds.is_none_or(|(min, max)| values.iter().any(|v| (min..=max).contains(v)))
        })
        .collect()
}

/// Reads every batch of a Parquet file (used for runs.parquet and by tests).
pub fn read(path: &Path) -> Result<Vec<RecordBatch>, ParquetError> {
    read_columns(path, &|_| true, &Selection::default())
}

/// Which rows of a Parquet file to read: every row, or those of some row groups, and of those
/// some ranges.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The row groups to read, in the order given; `None` for all.
    pub row_groups: Option<Vec<usize>>,
    /// Ranges of the rows of those row groups (counted one group after the other), in order
    /// and apart; `None` for all. Where the file has a page index and the ranges are long,
    /// pages holding none of them are not decoded.
    pub rows: Option<Vec<std::ops::Range<usize>>>,
}

/// Reads the columns of a Parquet file whose names `wanted` accepts (top-level columns), of
/// the rows `selection` names.
pub fn read_columns(
    path: &Path,
    wanted: &dyn Fn(&str) -> bool,
    selection: &Selection,
) -> Result<Vec<RecordBatch>, ParquetError> {
    use parquet::arrow::arrow_reader::{ArrowReaderOptions, RowSelection};
    use parquet::file::metadata::PageIndexPolicy;
    let fail = |error: &dyn std::fmt::Display| write_error(&path.display().to_string(), error);
    let file = File::open(path).map_err(|error| fail(&error))?;
    let page_index = match selection.rows {
        Some(_) => PageIndexPolicy::Optional,
        None => PageIndexPolicy::Skip,
    };
    let options = ArrowReaderOptions::new().with_page_index_policy(page_index);
    let mut builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new_with_options(
            file, options,
        )
        .map_err(|error| fail(&error))?;
    if let Some(ranges) = &selection.rows {
        let total = rows_in(builder.metadata(), selection.row_groups.as_deref());
        builder = builder.with_row_selection(RowSelection::from_consecutive_ranges(
            ranges.iter().cloned(),
            total,
        ));
    }
    if let Some(groups) = &selection.row_groups {
        builder = builder.with_row_groups(groups.clone());
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{Column, NamedFrom, Series};

    /// Column `index` of every batch, one batch after the other.
    fn values<T: arrow::datatypes::ArrowPrimitiveType>(
        batches: &[RecordBatch],
        index: usize,
    ) -> Vec<Option<T::Native>> {
        use arrow::array::AsArray;
        batches
            .iter()
            .flat_map(|batch| batch.column(index).as_primitive::<T>().iter())
            .collect()
    }

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("name", DataType::Utf8, true),
            Field::new("year", DataType::Int32, true),
            Field::new("value", DataType::Float64, true),
            Field::new("flag", DataType::Boolean, true),
            Field::new("count", DataType::Int64, true),
            Field::new("filed", DataType::Date32, true),
        ])
    }

    fn frame() -> DataFrame {
        // Short names are held inside a polars view, long ones (over 12 bytes) in its buffers.
        let names: Vec<Option<String>> = (0..10)
            .map(|i| {
                (i != 3).then(|| match i % 2 {
                    0 => format!("企业{}", i % 4),
                    _ => format!("山东省第{}机械制造有限公司", i % 4),
                })
            })
            .collect();
        let values: Vec<Option<f64>> = (0..10)
            .map(|i| match i {
                2 => Some(f64::NAN),
                5 => Some(f64::INFINITY),
                7 => None,
                _ => Some(i as f64 * 1.5),
            })
            .collect();
        DataFrame::new_infer_height(vec![
            Column::from(Series::new("name".into(), names)),
            Column::from(Series::new(
                "year".into(),
                (0..10).map(|i| 2019 + i % 3).collect::<Vec<i64>>(),
            )),
            Column::from(Series::new("value".into(), values)),
            Column::from(Series::new(
                "flag".into(),
                (0..10).map(|i| Some(i % 2 == 0)).collect::<Vec<_>>(),
            )),
            Column::from(Series::new(
                "count".into(),
                (0..10i64)
                    .map(|i| (i != 6).then_some(i * 1_000_000_007))
                    .collect::<Vec<_>>(),
            )),
            Column::from(Series::new(
                "filed".into(),
                (0..10)
                    .map(|i| Some(18_000 + i))
                    .collect::<Vec<Option<i32>>>(),
            )),
        ])
        .unwrap()
    }

    /// The digest of `frame`'s rows in these groups, and the file the writer makes of them.
    fn digest_and_file(frame: &DataFrame, groups: &[Vec<IdxSize>]) -> (String, Vec<u8>) {
        let schema = schema();
        let frame = conform(frame, &schema).unwrap();
        let digest = content(&schema, &row_hashes(&frame, &schema).unwrap(), groups);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.parquet");
        let mut writer = Writer::create(&path, &schema).unwrap();
        for rows in groups {
            writer.write_group(&frame, Some(rows)).unwrap();
        }
        writer.finish().unwrap();
        (digest, std::fs::read(&path).unwrap())
    }

    /// `frame` with one value replaced.
    fn with(frame: &DataFrame, column: &str, row: usize, value: Series) -> DataFrame {
        let old = frame
            .column(column)
            .unwrap()
            .as_materialized_series()
            .clone();
        let new = old
            .slice(0, row)
            .append(&value.cast(old.dtype()).unwrap())
            .unwrap()
            .append(&old.slice(row as i64 + 1, old.len() - row - 1))
            .unwrap()
            .clone();
        let mut frame = frame.clone();
        frame.replace(column, new.into()).unwrap();
        frame
    }

    /// Equal digests are what lets a publish link a file instead of writing it: they must mean
    /// equal bytes, and any value the file holds differently must change the digest.
    #[test]
    fn the_content_digest_is_equal_exactly_when_the_files_are() {
        let frame = frame();
        let groups: Vec<Vec<IdxSize>> = vec![vec![0, 3, 6, 9], vec![1, 4, 7], vec![2, 5, 8]];
        let (digest, file) = digest_and_file(&frame, &groups);
        assert_eq!(digest.len(), 32);

        // The same rows, in several chunks, or with a NaN where the file holds null anyway.
        let stacked = frame.slice(0, 4).vstack(&frame.slice(4, 6)).unwrap();
        let nan_as_null = with(
            &frame,
            "value",
            2,
            Series::new("value".into(), [None::<f64>]),
        );
        for same in [stacked, nan_as_null] {
            let (other, other_file) = digest_and_file(&same, &groups);
            assert_eq!(other, digest);
            assert!(other_file == file, "equal digests, different files");
        }

        // One value changed in any column, a null for a value or an empty text for a null, a
        // zero's sign, another grouping of the same rows: another file, another digest.
        let changed = [
            with(
                &frame,
                "name",
                1,
                Series::new("name".into(), ["山东省第1机械制造有限公司 "]),
            ),
            with(&frame, "name", 0, Series::new("name".into(), ["企业1"])),
            with(&frame, "name", 3, Series::new("name".into(), [""])),
            with(
                &frame,
                "name",
                0,
                Series::new("name".into(), [None::<&str>]),
            ),
            with(&frame, "year", 4, Series::new("year".into(), [2022i64])),
            with(&frame, "value", 0, Series::new("value".into(), [-0.0f64])),
            with(
                &frame,
                "value",
                1,
                Series::new("value".into(), [1.5000000000000002f64]),
            ),
            with(&frame, "value", 7, Series::new("value".into(), [0.0f64])),
            with(&frame, "flag", 9, Series::new("flag".into(), [Some(true)])),
            with(
                &frame,
                "flag",
                0,
                Series::new("flag".into(), [None::<bool>]),
            ),
        ];
        for (number, other) in changed.iter().enumerate() {
            let (other, other_file) = digest_and_file(other, &groups);
            assert!(
                other_file != file,
                "change {number} leaves the file as it was"
            );
            assert_ne!(other, digest, "change {number}");
        }
        let regrouped: Vec<Vec<IdxSize>> = vec![vec![0, 3, 6, 9, 1, 4, 7], vec![2, 5, 8]];
        assert_ne!(digest_and_file(&frame, &regrouped).0, digest);
        let reordered: Vec<Vec<IdxSize>> = vec![vec![3, 0, 6, 9], vec![1, 4, 7], vec![2, 5, 8]];
        assert_ne!(digest_and_file(&frame, &reordered).0, digest);
    }

    /// Rows whose text shares the previous row's polars view reuse its hash: the digest must be
    /// that of the texts, however they are held, and a changed text after a run of shared views
    /// must still count.
    #[test]
    fn texts_held_once_for_several_rows_digest_as_texts() {
        let long = |tail: &str| format!("山东省第一机械制造有限公司{tail}");
        let texts = |names: &[String]| Series::new("name".into(), names);
        // Rows 0–8 share one view (taken from one value), row 9 another of the same length.
        let held = texts(&[long("甲"), long("乙")])
            .take_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
            .unwrap();
        let each: Vec<String> = (0..10)
            .map(|i| long(if i < 9 { "甲" } else { "乙" }))
            .collect();
        let frame = |names: Series| {
            let mut frame = frame();
            frame.replace("name", names.into()).unwrap();
            frame
        };
        let groups: Vec<Vec<IdxSize>> = vec![(0..10).collect()];
        let (shared, shared_file) = digest_and_file(&frame(held.clone()), &groups);
        let (separate, separate_file) = digest_and_file(&frame(texts(&each)), &groups);
        assert_eq!(shared, separate);
        assert!(shared_file == separate_file, "same texts, different files");
        let mut last_same = each.clone();
        last_same[9] = long("甲");
        let (changed, _) = digest_and_file(&frame(texts(&last_same)), &groups);
        assert_ne!(changed, shared, "the last row's text changed");
    }

    /// A frame of several chunks (stacked, not conformed) converts to the arrays its one-chunk
    /// copy converts to: the values, nulls and non-finite numbers at the same rows.
    #[test]
    fn a_frame_of_several_chunks_converts_as_one_chunk() {
        let schema = schema();
        let one = frame();
        let mut stacked = one.slice(0, 4);
        stacked.vstack_mut(&one.slice(4, 6)).unwrap();
        let chunks = stacked
            .column("name")
            .unwrap()
            .as_materialized_series()
            .n_chunks();
        assert_eq!(chunks, 2);
        let rows: Vec<IdxSize> = vec![9, 0, 2, 5, 7, 3];
        for rows in [Some(rows.as_slice()), None] {
            let from_one = record_batch(&one, rows, &schema).unwrap();
            let from_stacked = record_batch(&stacked, rows, &schema).unwrap();
            assert_eq!(from_one, from_stacked);
            assert_eq!(from_one.num_rows(), rows.map_or(10, <[IdxSize]>::len));
            // NaN, +inf and null (rows 2, 5 and 7) are among the rows either way.
            assert_eq!(from_one.column(2).null_count(), 3);
        }
    }

    /// A row group is left out only when its `year` statistics rule out every year asked for;
    /// the rows counted are those of the groups kept, and reading those gives their rows.
    #[test]
    fn row_groups_are_left_out_only_when_their_statistics_rule_out_the_years() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let frame = frame();
        // Years are 2019 + row % 3: a group of 2019, one of 2020 and 2021, one of 2021.
        let mut writer = Writer::create(&path, &schema()).unwrap();
        for rows in [&[0, 3, 6, 9][..], &[1, 4, 2], &[5, 8]] {
            writer.write_group(&frame, Some(rows)).unwrap();
        }
        writer.finish().unwrap();
        let kept = |years: &[i64]| layout(&path, Some(("year", years))).unwrap();
        assert_eq!(kept(&[2019, 2021]).row_groups, Some(vec![0, 1, 2]));
        assert_eq!(kept(&[2020]).row_groups, Some(vec![1]));
        assert_eq!(kept(&[2018, 2022]).row_groups, Some(vec![]));
        assert_eq!(kept(&[2018, 2022]).rows, 0);
        let last = kept(&[2021]);
        assert_eq!(last.row_groups, Some(vec![1, 2]));
        assert_eq!(last.rows, 5);
        let selection = Selection {
            row_groups: last.row_groups.clone(),
            rows: None,
        };
        let batches = read_columns(&path, &|name| name == "year", &selection).unwrap();
        let years = values::<Int32Type>(&batches, 0);
        assert_eq!(
            years,
            vec![Some(2020), Some(2020), Some(2021), Some(2021), Some(2021)]
        );
        // A column the file lacks rules nothing out.
        let any = layout(&path, Some(("nope", &[2021]))).unwrap();
        assert_eq!(any.row_groups, Some(vec![0, 1, 2]));
        assert_eq!(any.rows, 9);
    }

    /// The column-parallel writer gives the bytes `ArrowWriter` gives for the same rows, row
    /// groups cut at the same places, and reads back as the rows picked (non-finite as null).
    #[test]
    fn the_parallel_writer_writes_what_arrow_writer_writes() {
        let dir = tempfile::tempdir().unwrap();
        let schema = schema();
        let frame = frame();
        let rows: Vec<IdxSize> = vec![9, 0, 2, 5, 7, 3, 1, 8, 4];
        let ours = dir.path().join("ours.parquet");
        let mut writer = Writer::create(&ours, &schema).unwrap();
        writer.group_rows = 4;
        writer.write_group(&frame, Some(&rows)).unwrap();
        writer.write_group(&frame, Some(&[])).unwrap();
        writer.write_group(&frame, None).unwrap();
        let written = writer.finish().unwrap();

        let theirs = dir.path().join("theirs.parquet");
        let properties = WriterProperties::into_builder(properties(&schema))
            .set_max_row_group_row_count(Some(4))
            .build();
        let file = File::create(&theirs).unwrap();
        let mut arrow =
            ArrowWriter::try_new(file, Arc::new(schema.clone()), Some(properties)).unwrap();
        arrow
            .write(&record_batch(&frame, Some(&rows), &schema).unwrap())
            .unwrap();
        arrow.flush().unwrap();
        arrow
            .write(&record_batch(&frame, None, &schema).unwrap())
            .unwrap();
        arrow.close().unwrap();

        let (ours_bytes, theirs_bytes) = (
            std::fs::read(&ours).unwrap(),
            std::fs::read(&theirs).unwrap(),
        );
        assert!(ours_bytes == theirs_bytes, "the files differ");
        assert_eq!(written.bytes, ours_bytes.len() as u64);
        let footer = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            File::open(&ours).unwrap(),
        )
        .unwrap();
        let groups: Vec<i64> = footer
            .metadata()
            .row_groups()
            .iter()
            .map(|group| group.num_rows())
            .collect();
        assert_eq!(groups, vec![4, 4, 1, 4, 4, 2]);

        let batches = read(&ours).unwrap();
        let values = values::<Float64Type>(&batches, 2);
        let expected: Vec<Option<f64>> = rows
            .iter()
            .map(|&row| row as usize)
            .chain(0..10)
            .map(|row| match row {
                2 | 5 | 7 => None,
                _ => Some(row as f64 * 1.5),
            })
            .collect();
        assert_eq!(values, expected);
    }
}
