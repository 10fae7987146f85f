//! Small helpers over polars used by normalize, compare and report, so joins and column reads
//! say what they mean in one line.

use crate::domain::columns as c;
use crate::domain::{Finding, Rule};
use polars::prelude::*;

/// Joins on columns that have the same names on both sides (every join zlbd makes).
pub trait JoinOn {
    fn join_on<E: AsRef<[Expr]>>(self, other: LazyFrame, keys: E, how: JoinType) -> LazyFrame;
}

impl JoinOn for LazyFrame {
    fn join_on<E: AsRef<[Expr]>>(self, other: LazyFrame, keys: E, how: JoinType) -> LazyFrame {
        let keys = keys.as_ref();
        self.join(other, keys, keys, JoinArgs::new(how))
    }
}

/// A text column whose rows point into its distinct texts, each held once: gathering a view
/// column copies the rows' 16-byte views, not the bytes they point to. For texts longer than a
/// view holds inline (12 bytes) that repeat over many rows: a form's entity id on each of its
/// cells, a submission id on each of its facts.
pub fn shared_texts<'a>(
    name: &str,
    distinct: impl IntoIterator<Item = &'a str>,
    rows: IdxCa,
) -> PolarsResult<Column> {
    let distinct = StringChunked::from_iter_values(name.into(), distinct.into_iter());
    Ok(distinct.take(&rows)?.with_name(name.into()).into_column())
}

/// A column of `rows` numbers: each row `values` names has its value, the others are null.
/// The values and the null mask are written in place and become the column as they are: a
/// million rows need no vector of options converted.
pub fn at_rows<T: PolarsNumericType>(
    name: &str,
    rows: usize,
    values: impl IntoIterator<Item = (usize, T::Native)>,
) -> ChunkedArray<T> {
    let (mut out, mut set) = (
        vec![T::Native::default(); rows],
        polars_arrow::bitmap::MutableBitmap::from_len_zeroed(rows),
    );
    for (row, value) in values {
        out[row] = value;
        set.set(row, true);
    }
    ChunkedArray::from_vec_validity(name.into(), out, Some(set.into()))
}

/// Distinct texts, each held once, numbered in the order first seen.
#[derive(Debug, Clone, Default)]
pub struct Interned {
    index: PlHashMap<String, u32>,
    distinct: Vec<String>,
}

impl Interned {
    /// The number of `text`, added if new. `previous` is the number of the row before: tables
    /// repeat a text over runs of rows, and the row before answers most lookups.
    pub fn number(&mut self, text: &str, previous: Option<u32>) -> u32 {
        if let Some(previous) = previous.filter(|at| self.get(*at) == Some(text)) {
            return previous;
        }
        if let Some(&at) = self.index.get(text) {
            return at;
        }
        let at = self.distinct.len() as u32;
        self.distinct.push(text.to_string());
        self.index.insert(text.to_string(), at);
        at
    }

    pub fn get(&self, at: u32) -> Option<&str> {
        self.distinct.get(at as usize).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.distinct.is_empty()
    }

    /// The texts in number order.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.distinct.iter().map(String::as_str)
    }
}

/// A text column built row by row for [`shared_texts`].
#[derive(Default)]
pub struct SharedTexts {
    texts: Interned,
    rows: Vec<u32>,
}

impl SharedTexts {
    pub fn with_capacity(rows: usize) -> SharedTexts {
        SharedTexts {
            rows: Vec::with_capacity(rows),
            ..SharedTexts::default()
        }
    }

    pub fn push(&mut self, text: &str) {
        let at = self.texts.number(text, self.rows.last().copied());
        self.rows.push(at);
    }

    pub fn finish(self, name: &str) -> PolarsResult<Column> {
        let rows: Vec<IdxSize> = self.rows.into_iter().map(|at| at as IdxSize).collect();
        let rows = IdxCa::from_vec(name.into(), rows);
        shared_texts(name, self.texts.texts(), rows)
    }
}

/// `lookup` of each key, asked once per run of equal keys in a row. Rows sorted or gathered by
/// entity repeat their key over a run (an entity's cells, a level's facts), and the answer
/// with it: a run costs one lookup, not one per row.
pub fn per_run<K: PartialEq + Copy, V: Copy>(
    keys: impl Iterator<Item = K>,
    mut lookup: impl FnMut(K) -> V,
) -> impl Iterator<Item = V> {
    let mut last: Option<(K, V)> = None;
    keys.map(move |key| match last {
        Some((at, value)) if at == key => value,
        _ => {
            let value = lookup(key);
            last = Some((key, value));
            value
        }
    })
}

/// The series and value columns of a facts frame, borrowed: level, entity and indicator
/// texts, the year and the value.
pub struct FactColumns<'a> {
    pub levels: &'a StringChunked,
    pub ids: &'a StringChunked,
    pub codes: &'a StringChunked,
    pub years: Int32Chunked,
    pub values: &'a Float64Chunked,
}

impl<'a> FactColumns<'a> {
    pub fn of(facts: &'a DataFrame) -> PolarsResult<FactColumns<'a>> {
        Ok(FactColumns {
            levels: facts.column(c::LEVEL)?.str()?,
            ids: facts.column(c::ENTITY_ID)?.str()?,
            codes: facts.column(c::INDICATOR_CODE)?.str()?,
            years: facts
                .column(c::YEAR)?
                .cast(&DataType::Int32)?
                .i32()?
                .clone(),
            values: facts.column(c::VALUE)?.f64()?,
        })
    }

    /// Every row in order, read column by column (no chunk looked up per row).
    pub fn rows(&self) -> impl Iterator<Item = FactPoint<'a>> + '_ {
        let keys = self
            .levels
            .iter()
            .zip(self.ids.iter())
            .zip(self.codes.iter());
        let keys = keys.map(|((level, id), code)| (level, id, code));
        let points = self.years.iter().zip(self.values.iter());
        keys.zip(points)
            .map(|(series, (year, value))| (series, year, value))
    }
}

/// A fact's series (level, entity, indicator), as borrowed from the frame.
pub type SeriesKey<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// One row of [`FactColumns`]: its series, year and value.
pub type FactPoint<'a> = (SeriesKey<'a>, Option<i32>, Option<f64>);

/// A text column as owned values.
pub fn strings(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(frame
        .column(name)?
        .str()?
        .iter()
        .map(|value| value.map(str::to_string))
        .collect())
}

/// A numeric column as f64.
pub fn floats(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(frame
        .column(name)?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .collect())
}

/// An integer column as i64.
pub fn integers(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
    Ok(frame
        .column(name)?
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .collect())
}

/// The location columns of a frame of cells (fact rows with their source), read once so that
/// each row can become a `rejects` row. Normalize's consistency checks and compare's YOY_JUMP
/// both turn such frames into findings; this is the one conversion.
pub struct CellSources {
    submission_ids: Vec<Option<String>>,
    files: Vec<Option<String>>,
    sheets: Vec<Option<String>>,
    cells: Vec<Option<String>>,
    raw_values: Vec<Option<String>>,
    levels: Vec<Option<String>>,
    entity_ids: Vec<Option<String>>,
    codes: Vec<Option<String>>,
    years: Vec<Option<i64>>,
}

impl CellSources {
    pub fn read(frame: &DataFrame) -> PolarsResult<CellSources> {
        let text = |name: &str| strings(frame, name);
        Ok(CellSources {
            submission_ids: text(c::SUBMISSION_ID)?,
            files: text(c::SOURCE_FILE)?,
            sheets: text(c::SOURCE_SHEET)?,
            cells: text(c::SOURCE_CELL)?,
            raw_values: text(c::RAW_VALUE)?,
            levels: text(c::LEVEL)?,
            entity_ids: text(c::ENTITY_ID)?,
            codes: text(c::INDICATOR_CODE)?,
            years: integers(frame, c::YEAR)?,
        })
    }

    /// Row `row`'s (sheet, A1 cell, raw value), empty where unknown, for messages.
    pub fn place(&self, row: usize) -> (String, String, String) {
        let text = |column: &[Option<String>]| column[row].clone().unwrap_or_default();
        (
            text(&self.sheets),
            text(&self.cells),
            text(&self.raw_values),
        )
    }

    /// Row `row`'s indicator code.
    pub fn code(&self, row: usize) -> String {
        self.codes[row].clone().unwrap_or_default()
    }

    /// Row `row` as a `rejects` row of `rule`.
    pub fn finding(&self, row: usize, rule: Rule, message: String) -> Finding {
        let (sheet, cell, raw) = self.place(row);
        Finding {
            submission_id: self.submission_ids[row].clone().unwrap_or_default(),
            source_file: self.files[row].clone().unwrap_or_default(),
            source_sheet: Some(sheet),
            source_cell: Some(cell),
            level: self.levels[row].clone(),
            entity_id: self.entity_ids[row].clone(),
            indicator_code: self.codes[row].clone(),
            year: self.years[row].map(|year| year as i32),
            rule,
            message,
            raw_value: Some(raw),
        }
    }
}

#[cfg(test)]
mod at_rows_tests {
    use super::*;

    #[test]
    fn rows_not_named_are_null_and_a_named_zero_is_a_value() {
        let column: Int64Chunked = at_rows("n", 5, [(3, 7), (0, 0), (4, -2)]);
        let read: Vec<Option<i64>> = column.iter().collect();
        assert_eq!(read, [Some(0), None, None, Some(7), Some(-2)]);
        assert_eq!(column.name().as_str(), "n");
        assert!(at_rows::<Float64Type>("x", 0, []).is_empty());
    }
}

#[cfg(test)]
mod shared_texts_tests {
    use super::*;

    #[test]
    fn shared_texts_read_as_the_rows_pushed_and_hold_each_text_once() {
        let id = "91370100MA3C4XXX0X-a-long-identifier";
        let other = "91370200MA3C4YYY0Y-another-long-one";
        let pushed = [id, id, other, id, "short", other, other];
        let mut texts = SharedTexts::with_capacity(pushed.len());
        for text in pushed {
            texts.push(text);
        }
        let column = texts.finish("entity_id").unwrap();
        assert_eq!(column.name().as_str(), "entity_id");
        let read: Vec<Option<&str>> = column.str().unwrap().iter().collect();
        assert_eq!(read, pushed.map(Some).to_vec());
        // The bytes behind the views: the two long texts once each (the short one is inline).
        let buffers: usize = column
            .str()
            .unwrap()
            .downcast_iter()
            .map(|array| array.total_buffer_len())
            .sum();
        assert_eq!(buffers, id.len() + other.len());
        // A gather by key: out-of-range keys were filtered by the caller, nulls stay null.
        let rows = IdxCa::from_iter_options("k".into(), [Some(1), None, Some(0)].into_iter());
        let gathered = shared_texts("k", ["a", "b"], rows).unwrap();
        let read: Vec<Option<&str>> = gathered.str().unwrap().iter().collect();
        assert_eq!(read, [Some("b"), None, Some("a")]);
    }
}
