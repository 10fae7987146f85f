//! Reads a published snapshot's Parquet tables back (through the warehouse's own reader) into
//! plain rows, the only input of the HTML report and the Excel result packs.
//!
//! A table is every `*.parquet` file under `<snapshot>/<table>/`, in path order; a file inside
//! a `year=YYYY` folder without a `year` column gets its year from the folder name (hive
//! style), and `year=0` (an empty table's placeholder) is skipped. Types are taken as written:
//! integers of any width read as i64, numbers as f64. Of two tables the report reads only the
//! years it uses ([`years_read`]).

use crate::domain::columns::{self as c, table};
use crate::domain::Level;
use crate::frames::Interned;
use crate::warehouse::parquet_io;
use arrow::array::{Array, BooleanArray, Float64Array, PrimitiveArray, StringArray};
use arrow::datatypes::{ArrowPrimitiveType, DataType, Date32Type, Int32Type, Int64Type};
use polars::prelude::PlHashSet;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One column, whatever its Parquet type.
#[derive(Debug, Clone)]
enum Values {
    Text(Texts),
    Number(Numbers),
    Integer(Integers),
    Flag(Vec<Option<bool>>),
}

/// A text column with each distinct text held once: the report's tables repeat the same ids,
/// codes, units, file and sheet names on most rows, so a row costs 4 bytes instead of a string.
#[derive(Debug, Clone, Default)]
struct Texts {
    texts: Interned,
    /// Per row, the text's number in `texts`; [`Texts::NULL`] for null.
    rows: Vec<u32>,
}

impl Texts {
    const NULL: u32 = u32::MAX;

    fn push(&mut self, text: Option<&str>) {
        let previous = self.rows.last().copied().filter(|at| *at != Self::NULL);
        let at = match text {
            None => Self::NULL,
            Some(text) => self.texts.number(text, previous),
        };
        self.rows.push(at);
    }

    fn get(&self, row: usize) -> Option<&str> {
        self.texts.get(*self.rows.get(row)?)
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn extend(&mut self, other: Texts) {
        if self.rows.is_empty() && self.texts.is_empty() {
            *self = other;
            return;
        }
        // Each distinct text of `other` is looked up once, then rows are renumbered.
        let renumbered: Vec<u32> = other
            .texts
            .texts()
            .map(|text| self.texts.number(text, None))
            .collect();
        self.rows.extend(
            other
                .rows
                .iter()
                .map(|&at| renumbered.get(at as usize).copied().unwrap_or(Self::NULL)),
        );
    }

    fn resize(&mut self, rows: usize) {
        self.rows.resize(rows, Self::NULL);
    }
}

impl<'a> FromIterator<Option<&'a str>> for Texts {
    fn from_iter<I: IntoIterator<Item = Option<&'a str>>>(texts: I) -> Texts {
        let mut column = Texts::default();
        for text in texts {
            column.push(text);
        }
        column
    }
}

/// Numbers with NaN for null (a published number is never NaN): 8 bytes a row.
#[derive(Debug, Clone, Default)]
struct Numbers(Vec<f64>);

impl Numbers {
    fn get(&self, row: usize) -> Option<f64> {
        self.0.get(row).copied().filter(|value| !value.is_nan())
    }
}

impl FromIterator<Option<f64>> for Numbers {
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(values: I) -> Numbers {
        Numbers(values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    }
}

/// Integers with `i64::MIN` for null: 8 bytes a row.
#[derive(Debug, Clone, Default)]
struct Integers(Vec<i64>);

impl Integers {
    const NULL: i64 = i64::MIN;

    fn get(&self, row: usize) -> Option<i64> {
        self.0
            .get(row)
            .copied()
            .filter(|value| *value != Self::NULL)
    }
}

impl FromIterator<Option<i64>> for Integers {
    fn from_iter<I: IntoIterator<Item = Option<i64>>>(values: I) -> Integers {
        Integers(
            values
                .into_iter()
                .map(|v| v.unwrap_or(Self::NULL))
                .collect(),
        )
    }
}

/// A table read back: columns by name, all of one length.
#[derive(Debug, Clone, Default)]
pub struct Table {
    rows: usize,
    columns: BTreeMap<String, Values>,
    /// Columns the files have but the report chose not to read: asking for one is a bug in
    /// the report (a debug build panics), not a column of nulls.
    left_out: BTreeSet<String>,
    /// The levels whose rows were read, when not all were: asking for another is a bug in the
    /// report (a debug build panics), not a level without rows.
    levels: Option<&'static [&'static str]>,
}

/// One column of a [`Table`] (absent when the table has no such column: every cell reads as
/// null). Its readers are the table's, without the lookup by name.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a>(Option<&'a Values>);

impl<'a> Column<'a> {
    /// Text of a cell; None when null, or when the column is absent or not text.
    pub fn text(self, row: usize) -> Option<&'a str> {
        match self.0? {
            Values::Text(values) => values.get(row),
            _ => None,
        }
    }

    /// Text or "" .
    pub fn str(self, row: usize) -> &'a str {
        self.text(row).unwrap_or("")
    }

    /// A number of any numeric type.
    pub fn number(self, row: usize) -> Option<f64> {
        match self.0? {
            Values::Number(values) => values.get(row),
            Values::Integer(values) => values.get(row).map(|v| v as f64),
            _ => None,
        }
    }

    pub fn integer(self, row: usize) -> Option<i64> {
        match self.0? {
            Values::Integer(values) => values.get(row),
            Values::Number(values) => values.get(row).map(|v| v as i64),
            _ => None,
        }
    }

    pub fn flag(self, row: usize) -> Option<bool> {
        match self.0? {
            Values::Flag(values) => *values.get(row)?,
            _ => None,
        }
    }
}

impl Table {
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.rows
    }

    /// A column by name, looked up once: a loop over many rows reads its cells through this
    /// instead of naming the column on every row.
    pub fn column(&self, name: &str) -> Column<'_> {
        debug_assert!(
            !self.left_out.contains(name),
            "the report reads column {name}, which Snapshot::read leaves out"
        );
        Column(self.columns.get(name))
    }

    /// Panics in a debug build when the table was read without the rows of `level`.
    pub fn assert_holds_level(&self, level: &str) {
        debug_assert!(
            self.levels.is_none_or(|read| read.contains(&level)),
            "the report reads level {level}, whose rows Snapshot::read leaves out"
        );
    }

    /// Text or "" .
    pub fn str(&self, column: &str, row: usize) -> &str {
        self.column(column).str(row)
    }

    /// A number of any numeric type.
    pub fn number(&self, column: &str, row: usize) -> Option<f64> {
        self.column(column).number(row)
    }

    pub fn integer(&self, column: &str, row: usize) -> Option<i64> {
        self.column(column).integer(row)
    }

    pub fn flag(&self, column: &str, row: usize) -> Option<bool> {
        self.column(column).flag(row)
    }

    /// A table from a polars frame (the feedback reads the run's frames, not Parquet).
    pub fn from_frame(frame: &polars::prelude::DataFrame) -> polars::prelude::PolarsResult<Table> {
        use polars::prelude::DataType as P;
        let mut table = Table {
            rows: frame.height(),
            ..Table::default()
        };
        for column in frame.columns() {
            let name = column.name().to_string();
            let values = match column.dtype() {
                P::String => Values::Text(column.str()?.iter().collect()),
                P::Boolean => Values::Flag(column.bool()?.iter().collect()),
                P::Float32 | P::Float64 => {
                    Values::Number(crate::frames::floats(frame, &name)?.into_iter().collect())
                }
                dtype if dtype.is_integer() || matches!(dtype, P::Date) => {
                    Values::Integer(column.cast(&P::Int64)?.i64()?.iter().collect())
                }
                _ => Values::Integer(std::iter::repeat_n(None, frame.height()).collect()),
            };
            table.columns.insert(name, values);
        }
        Ok(table)
    }

    /// Adds `rows` rows made of `columns`; a `year` column holding `year` when they lack one.
    fn append_columns(&mut self, rows: usize, columns: Vec<(String, Values)>, year: Option<i64>) {
        let has_year = columns.iter().any(|(name, _)| name == c::YEAR);
        for (name, values) in columns {
            self.push_column(&name, values);
        }
        if let (Some(year), false) = (year, has_year) {
            self.push_column(
                c::YEAR,
                Values::Integer(std::iter::repeat_n(Some(year), rows).collect()),
            );
        }
        self.rows += rows;
        // A column some files lack is padded with nulls.
        let total = self.rows;
        for values in self.columns.values_mut() {
            pad(values, total);
        }
    }

    fn push_column(&mut self, name: &str, values: Values) {
        let before = self.rows;
        let entry = self.columns.entry(name.to_string()).or_insert_with(|| {
            let mut empty = match &values {
                Values::Text(_) => Values::Text(Texts::default()),
                Values::Number(_) => Values::Number(Numbers::default()),
                Values::Integer(_) => Values::Integer(Integers::default()),
                Values::Flag(_) => Values::Flag(Vec::new()),
            };
            pad(&mut empty, before);
            empty
        });
        match (entry, values) {
            (Values::Text(a), Values::Text(b)) => a.extend(b),
            (Values::Number(a), Values::Number(b)) => a.0.extend(b.0),
            (Values::Integer(a), Values::Integer(b)) => a.0.extend(b.0),
            (Values::Number(a), Values::Integer(b)) => a.0.extend(b.0.into_iter().map(|v| {
                if v == Integers::NULL {
                    f64::NAN
                } else {
                    v as f64
                }
            })),
            (Values::Flag(a), Values::Flag(b)) => a.extend(b),
            (entry, other) => {
                // Mixed types across files: keep the rows aligned with nulls.
                let n = match &other {
                    Values::Text(v) => v.len(),
                    Values::Number(v) => v.0.len(),
                    Values::Integer(v) => v.0.len(),
                    Values::Flag(v) => v.len(),
                };
                pad(entry, before + n);
            }
        }
    }
}

fn pad(values: &mut Values, rows: usize) {
    match values {
        Values::Text(v) => v.resize(rows.max(v.len())),
        Values::Number(v) => v.0.resize(rows.max(v.0.len()), f64::NAN),
        Values::Integer(v) => v.0.resize(rows.max(v.0.len()), Integers::NULL),
        Values::Flag(v) => v.resize(rows.max(v.len()), None),
    }
}

/// An empty column for `rows` values of `data_type` (timestamps and anything else the report
/// does not read are kept as null integers). Its room is taken at once: a million-row column
/// grown by doubling copied itself and faulted in fresh pages about twenty times.
fn empty_values(data_type: &DataType, rows: usize) -> Values {
    match data_type {
        DataType::Utf8 => Values::Text(Texts {
            texts: Interned::default(),
            rows: Vec::with_capacity(rows),
        }),
        DataType::Float64 => Values::Number(Numbers(Vec::with_capacity(rows))),
        DataType::Boolean => Values::Flag(Vec::with_capacity(rows)),
        _ => Values::Integer(Integers(Vec::with_capacity(rows))),
    }
}

/// Appends an Arrow array's values to `target`, a column made by [`empty_values`] for the
/// same type; None when the array is not of that type.
fn push_array(target: &mut Values, array: &dyn Array, data_type: &DataType) -> Option<()> {
    let any = array.as_any();
    match (target, data_type) {
        (Values::Text(texts), DataType::Utf8) => {
            for text in any.downcast_ref::<StringArray>()?.iter() {
                texts.push(text);
            }
        }
        (Values::Number(numbers), DataType::Float64) => {
            let values = any.downcast_ref::<Float64Array>()?.iter();
            numbers.0.extend(values.map(|v| v.unwrap_or(f64::NAN)));
        }
        (Values::Integer(values), DataType::Int64) => push_integers::<Int64Type>(values, array)?,
        (Values::Integer(values), DataType::Int32) => push_integers::<Int32Type>(values, array)?,
        (Values::Integer(values), DataType::Date32) => push_integers::<Date32Type>(values, array)?,
        (Values::Flag(flags), DataType::Boolean) => {
            flags.extend(any.downcast_ref::<BooleanArray>()?.iter())
        }
        (Values::Integer(values), _) => values
            .0
            .extend(std::iter::repeat_n(Integers::NULL, array.len())),
        _ => return None,
    }
    Some(())
}

/// Appends an Arrow integer (or date) array's values to `target`; None for another type.
fn push_integers<T: ArrowPrimitiveType>(target: &mut Integers, array: &dyn Array) -> Option<()>
where
    T::Native: Into<i64>,
{
    let values = array.as_any().downcast_ref::<PrimitiveArray<T>>()?;
    let values = values.iter().map(|v| v.map_or(Integers::NULL, Into::into));
    target.0.extend(values);
    Some(())
}

/// Every Parquet file under `dir`, sorted, each with the year of a `year=N` folder it sits in.
fn parquet_files(dir: &Path, year: Option<i64>, out: &mut Vec<(PathBuf, Option<i64>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            let year = name
                .strip_prefix("year=")
                .and_then(|y| y.parse::<i64>().ok())
                .or(year);
            if year == Some(0) {
                continue;
            }
            parquet_files(&path, year, out);
        } else if name.ends_with(".parquet") {
            out.push((path, year));
        }
    }
}

/// The columns of `fact_indicator` the report reads (charts, the city packs' values): 5 of its
/// 12. The lineage (where each value came from) is most of the table's bytes.
const FACTS: [&str; 5] = [c::LEVEL, c::ENTITY_ID, c::INDICATOR_CODE, c::YEAR, c::VALUE];

/// The columns of `fact_comparison` the report reads (the cities' weak points, the rank
/// pack's last-year ranks): 8 of its 22, the others are most of its bytes.
const COMPARED: [&str; 9] = [
    c::LEVEL,
    c::ENTITY_ID,
    c::INDICATOR_CODE,
    c::YEAR,
    c::VALUE,
    c::PREV_VALUE,
    c::YOY_PCT,
    c::RANK,
    c::PEER_N,
];

/// The columns of `entity_score_detail` the report reads (the typical picks' contributions).
const CONTRIBUTIONS: [&str; 5] = [
    c::LEVEL,
    c::ENTITY_ID,
    c::YEAR,
    c::INDICATOR_CODE,
    c::CONTRIBUTION,
];

/// The columns the report reads of a table, when it reads only some: the three tables of a
/// row per fact.
fn columns_read(table: &str) -> Option<&'static [&'static str]> {
    match table {
        table::FACT_INDICATOR => Some(&FACTS),
        table::FACT_COMPARISON => Some(&COMPARED),
        table::ENTITY_SCORE_DETAIL => Some(&CONTRIBUTIONS),
        _ => None,
    }
}

/// The levels the report reads of a table, when it reads only some: `fact_indicator`'s
/// industries (the charts and the city packs; enterprises and parks are most of its rows,
/// and the report reads them from the scores and the comparison instead). Their users
/// (`model::facts` for `packs::other_packs` and `model::trends`) must stay within these.
pub const INDUSTRY_LEVELS: [&str; 3] = [
    Level::CityIndustry.as_str(),
    Level::ProvinceIndustryCity.as_str(),
    Level::ProvinceIndustry.as_str(),
];

fn levels_read(table: &str) -> Option<&'static [&'static str]> {
    match table {
        table::FACT_INDICATOR => Some(&INDUSTRY_LEVELS),
        _ => None,
    }
}

/// The years the report reads of a table, when it reads only some (`years` are the
/// programme's): `fact_comparison` at the last year (the rank pack's last-year ranks, the
/// cities' weak points) and `entity_score_detail` at the first and last (the typical picks'
/// changes). The tables are written a row group per year, so the others are not decoded.
/// Their users (`packs::at_last`, `model::weaknesses`, `model::typical`) must stay within
/// these years.
fn years_read(table: &str, years: &[i32]) -> Option<Vec<i64>> {
    let (first, last) = (years.first()?, years.last()?);
    match table {
        table::FACT_COMPARISON => Some(vec![i64::from(*last)]),
        table::ENTITY_SCORE_DETAIL => Some(vec![i64::from(*first), i64::from(*last)]),
        _ => None,
    }
}

/// Which rows of a table the report reads, by their level and entity.
#[derive(Clone, Copy)]
enum Rows<'a> {
    All,
    /// The rows of these levels.
    Levels(&'static [&'static str]),
    /// The rows of these (level, entity id) pairs.
    Entities(&'a PlHashSet<(&'a str, &'a str)>),
}

/// Reads the columns of one table that `wanted` accepts (a table without files reads as
/// empty), of the `rows` wanted; with `years`, the rows of those years (and perhaps others: a
/// file or row group is skipped only when it cannot hold any of them).
fn read_table_rows(
    snapshot: &Path,
    name: &str,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    years: Option<&[i64]>,
    rows: Rows,
) -> Result<Table, String> {
    let mut files = Vec::new();
    parquet_files(&snapshot.join(name), None, &mut files);
    let mut table = Table {
        levels: match rows {
            Rows::Levels(levels) => Some(levels),
            _ => None,
        },
        ..Table::default()
    };
    for (path, year) in files {
        let file = read_file(&path, wanted, years, rows, year)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        table.append_columns(file.rows, file.columns, year);
        table.left_out.extend(file.left_out);
    }
    Ok(table)
}

/// The ranges of the rows `selection` names that `rows` keeps; `None` (read every row) when it
/// keeps all, or the file lacks a `level` (or, for entities, an `entity_id`) column of Utf8
/// texts.
fn row_ranges(
    path: &Path,
    selection: &parquet_io::Selection,
    rows: Rows,
) -> Result<Option<Vec<std::ops::Range<usize>>>, String> {
    use arrow::array::AsArray;
    let keys: &[&str] = match rows {
        Rows::All => return Ok(None),
        Rows::Levels(_) => &[c::LEVEL],
        Rows::Entities(_) => &[c::LEVEL, c::ENTITY_ID],
    };
    let batches = parquet_io::read_columns(path, &|column| keys.contains(&column), selection)
        .map_err(|error| error.to_string())?;
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    let mut row = 0;
    for batch in &batches {
        let texts = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|column| column.as_string_opt::<i32>())
        };
        let Some(levels) = texts(c::LEVEL) else {
            return Ok(None);
        };
        let ids = match rows {
            Rows::Entities(_) => match texts(c::ENTITY_ID) {
                Some(ids) => Some(ids),
                None => return Ok(None),
            },
            _ => None,
        };
        // Rows come in runs of one entity (or level): each run is judged once.
        let keys = (0..batch.num_rows())
            .map(|at| (text_at(levels, at), ids.and_then(|ids| text_at(ids, at))));
        let keeps = crate::frames::per_run(keys, |key| match (rows, key) {
            (Rows::Levels(wanted), (Some(level), _)) => wanted.contains(&level),
            (Rows::Entities(wanted), (Some(level), Some(id))) => wanted.contains(&(level, id)),
            _ => false,
        });
        for keep in keeps {
            if keep {
                match ranges.last_mut() {
                    Some(range) if range.end == row => range.end += 1,
                    _ => ranges.push(row..row + 1),
                }
            }
            row += 1;
        }
    }
    Ok(Some(ranges))
}

/// The text at `row`, None for null.
fn text_at(texts: &StringArray, row: usize) -> Option<&str> {
    texts.is_valid(row).then(|| texts.value(row))
}

/// What one Parquet file gave.
struct FileColumns {
    rows: usize,
    /// The columns wanted, in the file's order.
    columns: Vec<(String, Values)>,
    /// The names of the others.
    left_out: Vec<String>,
}

/// The columns of one Parquet file that `wanted` accepts. Each column is read and converted on
/// its own rayon task.
fn read_file(
    path: &Path,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    years: Option<&[i64]>,
    keep: Rows,
    folder_year: Option<i64>,
) -> Result<FileColumns, String> {
    let parquet_io::Layout {
        mut rows,
        fields,
        mut row_groups,
    } = parquet_io::layout(path, years.map(|years| (c::YEAR, years)))
        .map_err(|error| error.to_string())?;
    // A file without a year column has its folder's year: none of its rows when that one is
    // not wanted (its columns are still read, empty, for their types).
    let has_year = fields.iter().any(|field| field.name() == c::YEAR);
    if let (false, Some(year), Some(years)) = (has_year, folder_year, years) {
        if !years.contains(&year) {
            (rows, row_groups) = (0, Some(Vec::new()));
        }
    }
    let mut selection = parquet_io::Selection {
        row_groups,
        rows: None,
    };
    if rows > 0 {
        if let Some(ranges) = row_ranges(path, &selection, keep)? {
            rows = ranges.iter().map(ExactSizeIterator::len).sum();
            if ranges.is_empty() {
                // No row kept: no row group to read either.
                selection.row_groups = Some(Vec::new());
            } else {
                selection.rows = Some(ranges);
            }
        }
    }
    let left_out = fields
        .iter()
        .filter(|field| !wanted(field.name()))
        .map(|field| field.name().to_string())
        .collect();
    let columns = fields
        .into_par_iter()
        .filter(|field| wanted(field.name()))
        .map(|field| {
            let name = field.name().to_string();
            let mut values = empty_values(field.data_type(), rows);
            for batch in parquet_io::read_columns(path, &|column| column == name, &selection)
                .map_err(|error| error.to_string())?
            {
                for array in batch.columns() {
                    push_array(&mut values, array.as_ref(), array.data_type())
                        .ok_or_else(|| format!("column {name} has type {}", array.data_type()))?;
                }
            }
            // Null-padded to the file's rows (an empty file gives an empty column of its type).
            pad(&mut values, rows);
            Ok((name, values))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(FileColumns {
        rows,
        columns,
        left_out,
    })
}

/// The tables the report reads.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub run_id: String,
    pub submissions: Table,
    pub dim_entity: Table,
    pub dim_indicator: Table,
    /// The industry levels' rows only (see [`levels_read`]).
    pub fact_indicator: Table,
    /// The last year's rows only (see [`years_read`]).
    pub fact_comparison: Table,
    pub entity_score: Table,
    /// The typical picks' rows only (`typical_picks`), of the first and last years (see
    /// [`years_read`]).
    pub entity_score_detail: Table,
    pub rejects: Table,
    pub roster_status: Table,
}

/// The (level, entity) of each typical pick (SPEC v2 §7): `entity_score`'s rows of the last
/// year marked `typical`, as `model::typical` takes them.
fn typical_picks(scores: &Table, last: Option<i32>) -> PlHashSet<(&str, &str)> {
    let Some(last) = last.map(i64::from) else {
        return PlHashSet::default();
    };
    (0..scores.len())
        .filter(|&i| {
            scores.integer(c::YEAR, i) == Some(last) && scores.flag(c::TYPICAL, i) == Some(true)
        })
        .map(|i| (scores.str(c::LEVEL, i), scores.str(c::ENTITY_ID, i)))
        .collect()
}

impl Snapshot {
    /// Reads the snapshot folder `dir` (`snapshots/<run_id>`) of a programme whose years are
    /// `years`: the tables the report uses, with the columns, years and levels it uses.
    pub fn read(dir: &Path, years: &[i32]) -> Result<Snapshot, String> {
        if !dir.join(table::SUBMISSIONS).is_dir() {
            return Err(format!(
                "{} is not a zlbd snapshot (no {} table)",
                dir.display(),
                table::SUBMISSIONS
            ));
        }
        let run_id = std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        // The tables are read side by side, in the warehouse's order (the report does not
        // read `corrections`); the scores' details only for the typical picks, once the scores
        // name them.
        let read = |name: &str, rows: Rows| {
            let columns = columns_read(name);
            let wanted = |column: &str| columns.is_none_or(|read| read.contains(&column));
            let years = years_read(name, years);
            read_table_rows(dir, name, &wanted, years.as_deref(), rows)
        };
        let rows_of = |name: &str| levels_read(name).map_or(Rows::All, Rows::Levels);
        let scored = [table::ENTITY_SCORE, table::ENTITY_SCORE_DETAIL];
        let names: Vec<&str> = c::TABLES
            .into_iter()
            .filter(|name| *name != table::CORRECTIONS && !scored.contains(name))
            .collect();
        let (tables, scores) = rayon::join(
            || {
                names
                    .par_iter()
                    .map(|name| read(name, rows_of(name)))
                    .collect::<Result<Vec<Table>, String>>()
            },
            || -> Result<(Table, Table), String> {
                let scores = read(table::ENTITY_SCORE, Rows::All)?;
                let detail = {
                    let picks = typical_picks(&scores, years.last().copied());
                    read(table::ENTITY_SCORE_DETAIL, Rows::Entities(&picks))?
                };
                Ok((scores, detail))
            },
        );
        let (mut entity_score, mut entity_score_detail) = scores?;
        let mut read_tables = tables?.into_iter();
        let mut tables = c::TABLES
            .into_iter()
            .filter(|name| *name != table::CORRECTIONS)
            .map(|name| match name {
                table::ENTITY_SCORE => std::mem::take(&mut entity_score),
                table::ENTITY_SCORE_DETAIL => std::mem::take(&mut entity_score_detail),
                _ => read_tables.next().unwrap_or_default(),
            })
            .collect::<Vec<Table>>()
            .into_iter();
        let mut next = || tables.next().unwrap_or_default();
        Ok(Snapshot {
            run_id,
            submissions: next(),
            dim_entity: next(),
            dim_indicator: next(),
            fact_indicator: next(),
            fact_comparison: next(),
            entity_score: next(),
            entity_score_detail: next(),
            rejects: next(),
            roster_status: next(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the columns of one table that `wanted` accepts (a table without files reads as
    /// empty); with `levels`, the rows of those levels only; with `years`, the rows of those years
    /// (and perhaps others: a file or row group is skipped only when it cannot hold any of them).
    fn read_table_columns(
        snapshot: &Path,
        name: &str,
        wanted: &(dyn Fn(&str) -> bool + Sync),
        years: Option<&[i64]>,
        levels: Option<&'static [&'static str]>,
    ) -> Result<Table, String> {
        let rows = levels.map_or(Rows::All, Rows::Levels);
        read_table_rows(snapshot, name, wanted, years, rows)
    }
    use arrow::array::{ArrayRef, Int64Array, RecordBatch};
    use arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    fn batch(names: Vec<Option<&str>>, counts: Vec<Option<i64>>) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new(c::ENTITY_ID, DataType::Utf8, true),
            Field::new(c::PEER_N, DataType::Int64, true),
        ]);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(names)),
            Arc::new(Int64Array::from(counts)),
        ];
        RecordBatch::try_new(Arc::new(schema), columns).unwrap()
    }

    /// A table of several files (hive-style year folders): an empty file adds columns of its
    /// own types and no rows, so the texts of the files after it are kept, and each file's
    /// year comes from its folder.
    #[test]
    fn a_table_reads_back_across_files_an_empty_one_first() {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("t");
        for (year, rows) in [
            ("year=2019", batch(vec![], vec![])),
            (
                "year=2020",
                batch(vec![Some("E1"), None], vec![Some(3), None]),
            ),
            ("year=2021", batch(vec![Some("E2")], vec![Some(4)])),
        ] {
            std::fs::create_dir_all(table.join(year)).unwrap();
            parquet_io::write(&table.join(year).join("part-0.parquet"), &rows).unwrap();
        }
        let read = read_table_columns(dir.path(), "t", &|_| true, None, None).unwrap();
        assert_eq!(read.len(), 3);
        let ids: Vec<Option<&str>> = (0..3)
            .map(|row| read.column(c::ENTITY_ID).text(row))
            .collect();
        assert_eq!(ids, vec![Some("E1"), None, Some("E2")]);
        let counts: Vec<Option<i64>> = (0..3).map(|row| read.integer(c::PEER_N, row)).collect();
        assert_eq!(counts, vec![Some(3), None, Some(4)]);
        let years: Vec<Option<i64>> = (0..3).map(|row| read.integer(c::YEAR, row)).collect();
        assert_eq!(years, vec![Some(2020), Some(2020), Some(2021)]);

        // Asked for 2021 only, the other year folders are not read.
        let read = read_table_columns(dir.path(), "t", &|_| true, Some(&[2021]), None).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read.str(c::ENTITY_ID, 0), "E2");
        assert_eq!(read.integer(c::YEAR, 0), Some(2021));
    }

    /// Asked for some years, a table keeps every row group and file that may hold one: row
    /// groups by their `year` statistics, a year folder by its name only when its file has no
    /// `year` column of its own.
    #[test]
    fn a_table_read_for_some_years_keeps_every_row_that_may_be_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("t");
        std::fs::create_dir_all(table.join("year=2019")).unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new(c::ENTITY_ID, DataType::Utf8, true),
            Field::new(c::YEAR, DataType::Int32, true),
        ]));
        let rows = |ids: Vec<&str>, years: Vec<Option<i32>>| {
            let columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(arrow::array::Int32Array::from(years)),
            ];
            RecordBatch::try_new(schema.clone(), columns).unwrap()
        };
        // Row groups: 2019 and 2020; 2021; a null year.
        let file = std::fs::File::create(table.join("part-0.parquet")).unwrap();
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), None).unwrap();
        for batch in [
            rows(vec!["A", "B"], vec![Some(2019), Some(2020)]),
            rows(vec!["C"], vec![Some(2021)]),
            rows(vec!["D"], vec![None]),
        ] {
            writer.write(&batch).unwrap();
            writer.flush().unwrap();
        }
        writer.close().unwrap();
        // In a 2019 folder, rows whose own year column says 2021.
        parquet_io::write(
            &table.join("year=2019").join("part-0.parquet"),
            &rows(vec!["E"], vec![Some(2021)]),
        )
        .unwrap();

        let ids = |years: Option<&[i64]>| {
            let read = read_table_columns(dir.path(), "t", &|_| true, years, None).unwrap();
            (0..read.len())
                .map(|row| read.str(c::ENTITY_ID, row).to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(None), ["A", "B", "C", "D", "E"]);
        // The null year's row group has no bounds: kept.
        assert_eq!(ids(Some(&[2021])), ["C", "D", "E"]);
        assert_eq!(ids(Some(&[2020])), ["A", "B", "D"]);
        assert_eq!(ids(Some(&[2018])), ["D"]);
    }

    /// Asked for some levels, a table keeps the rows of those levels, across row groups and
    /// with a year filter too; a file without a `level` column keeps every row.
    #[test]
    fn a_table_read_for_some_levels_keeps_their_rows() {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("t");
        std::fs::create_dir_all(&table).unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new(c::LEVEL, DataType::Utf8, true),
            Field::new(c::ENTITY_ID, DataType::Utf8, true),
            Field::new(c::YEAR, DataType::Int32, true),
        ]));
        let rows = |levels: Vec<Option<&str>>, ids: Vec<&str>, year: i32| {
            let years = vec![Some(year); ids.len()];
            let columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(levels)),
                Arc::new(StringArray::from(ids)),
                Arc::new(arrow::array::Int32Array::from(years)),
            ];
            RecordBatch::try_new(schema.clone(), columns).unwrap()
        };
        let file = std::fs::File::create(table.join("part-0.parquet")).unwrap();
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), None).unwrap();
        let (industry, firm, park) = (Some("city_industry"), Some("enterprise"), Some("park"));
        for batch in [
            rows(
                vec![industry, firm, park, industry],
                vec!["I1", "E1", "P1", "I3"],
                2020,
            ),
            rows(
                vec![industry, industry, firm, None],
                vec!["I1", "I2", "E1", "N1"],
                2021,
            ),
        ] {
            writer.write(&batch).unwrap();
            writer.flush().unwrap();
        }
        writer.close().unwrap();
        let read = |years: Option<&[i64]>, levels: &'static [&'static str]| {
            let read = read_table_columns(dir.path(), "t", &|_| true, years, Some(levels)).unwrap();
            (0..read.len())
                .map(|row| read.str(c::ENTITY_ID, row).to_string())
                .collect::<Vec<_>>()
        };
        // The last row of 2020 and the first two of 2021 are one range across row groups.
        assert_eq!(read(None, &["city_industry"]), ["I1", "I3", "I1", "I2"]);
        assert_eq!(read(Some(&[2021]), &["city_industry"]), ["I1", "I2"]);
        assert_eq!(read(None, &["park", "enterprise"]), ["E1", "P1", "E1"]);
        assert!(read(None, &["province_industry"]).is_empty());
        // Asked for some entities, a table keeps their rows: the same id at another level is
        // another entity, and a null level matches none.
        let entities = |years: Option<&[i64]>, wanted: &[(&str, &str)]| {
            let wanted: PlHashSet<(&str, &str)> = wanted.iter().copied().collect();
            let rows = Rows::Entities(&wanted);
            let read = read_table_rows(dir.path(), "t", &|_| true, years, rows).unwrap();
            (0..read.len())
                .map(|row| {
                    format!(
                        "{}/{}",
                        read.str(c::LEVEL, row),
                        read.str(c::ENTITY_ID, row)
                    )
                })
                .collect::<Vec<_>>()
        };
        let firm_and_i1 = [
            ("enterprise", "E1"),
            ("city_industry", "I1"),
            ("park", "E1"),
        ];
        assert_eq!(
            entities(None, &firm_and_i1),
            [
                "city_industry/I1",
                "enterprise/E1",
                "city_industry/I1",
                "enterprise/E1"
            ]
        );
        assert_eq!(
            entities(Some(&[2021]), &firm_and_i1),
            ["city_industry/I1", "enterprise/E1"]
        );
        assert!(entities(None, &[("", "N1"), ("enterprise", "N1")]).is_empty());
        // Without a level column, the filter has nothing to go by: every row is read.
        parquet_io::write(
            &table.join("part-1.parquet"),
            &batch(vec![Some("X1")], vec![Some(1)]),
        )
        .unwrap();
        assert_eq!(
            read(None, &["city_industry"]),
            ["I1", "I3", "I1", "I2", "X1"]
        );
    }

    /// The report reads `fact_comparison` at the last year and `entity_score_detail` at the
    /// first and last; every other table, and a programme without years, in full. Of
    /// `fact_indicator` it reads the industries.
    #[test]
    fn the_report_reads_the_years_and_levels_it_uses() {
        let years = [2019, 2020, 2021];
        assert_eq!(years_read(table::FACT_COMPARISON, &years), Some(vec![2021]));
        assert_eq!(
            years_read(table::ENTITY_SCORE_DETAIL, &years),
            Some(vec![2019, 2021])
        );
        assert_eq!(years_read(table::FACT_INDICATOR, &years), None);
        assert_eq!(years_read(table::ENTITY_SCORE, &years), None);
        assert_eq!(years_read(table::FACT_COMPARISON, &[]), None);
        // And of fact_indicator only the industries, of every other table every level.
        assert_eq!(
            levels_read(table::FACT_INDICATOR),
            Some(&INDUSTRY_LEVELS[..])
        );
        assert_eq!(levels_read(table::FACT_COMPARISON), None);
    }

    /// A snapshot folder whose table `t` is one row: entity E1, peer_n 3.
    #[cfg(debug_assertions)]
    fn one_row_table() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("t")).unwrap();
        let rows = batch(vec![Some("E1")], vec![Some(3)]);
        parquet_io::write(&dir.path().join("t/part-0.parquet"), &rows).unwrap();
        dir
    }

    /// A column the report chose not to read is no column of nulls: asking for it is a bug,
    /// and a debug build (the tests) stops there.
    #[test]
    #[cfg(debug_assertions)]
    fn a_column_left_out_cannot_be_read_as_nulls() {
        let dir = one_row_table();
        let read = read_table_columns(
            dir.path(),
            "t",
            &|column| column == c::ENTITY_ID,
            None,
            None,
        )
        .unwrap();
        assert_eq!(read.str(c::ENTITY_ID, 0), "E1");
        // A column no file has reads as nulls, as before.
        assert_eq!(read.integer(c::SCORE, 0), None);
        let asked = std::panic::catch_unwind(|| read.integer(c::PEER_N, 0));
        assert!(asked.is_err(), "peer_n was left out and still read");
    }

    /// Likewise a level whose rows the report chose not to read: the facts of the industries
    /// can be asked for, an enterprise's cannot.
    #[test]
    #[cfg(debug_assertions)]
    fn a_level_left_out_cannot_be_read_as_no_rows() {
        let dir = one_row_table();
        let levels = levels_read(table::FACT_INDICATOR);
        let read = read_table_columns(dir.path(), "t", &|_| true, None, levels).unwrap();
        let industries = [
            Level::CityIndustry.as_str(),
            Level::ProvinceIndustry.as_str(),
        ];
        assert!(crate::report::model::facts(&read, &industries).is_empty());
        let asked = std::panic::catch_unwind(|| {
            crate::report::model::facts(&read, &[Level::Enterprise.as_str()])
        });
        assert!(
            asked.is_err(),
            "enterprise rows were left out and still asked for"
        );
        // A table read whole holds every level.
        read_table_columns(dir.path(), "t", &|_| true, None, None)
            .unwrap()
            .assert_holds_level(Level::Enterprise.as_str());
    }
}
