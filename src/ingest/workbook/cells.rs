//! The cell and sheet types every reader produces: a [`CellValue`] per cell, a sparse
//! [`Sheet`] so a stray cell at XFD1048576 costs one entry, not a billion.

use crate::domain::text::{self, format_number};
use crate::domain::{Kind, Word};
use calamine::Dimensions;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A cell as the rest of zlbd sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CellValue {
    Empty,
    /// A numeric cell; `percent` when its number format shows it as a percentage.
    Number {
        value: f64,
        percent: bool,
    },
    Text(String),
    Bool(bool),
    /// A date cell, as an Excel serial day number of the 1900 date system (whatever system
    /// its workbook uses).
    Date(f64),
    /// An Excel error value such as `#DIV/0!`.
    Error(String),
    /// A formula whose cached value is absent; carries the formula text.
    FormulaNoValue(String),
    /// A number whose format shows it divided (`0!.0000` shows 240193600 as 24019.3600, the
    /// way 元 are shown as 万元; `#,##0,` shows thousands): what the clerk saw is not what is
    /// stored, and which one the unit means cannot be told.
    Scaled {
        value: f64,
        divisor: f64,
    },
}

impl CellValue {
    pub fn is_empty(&self) -> bool {
        match self {
            CellValue::Empty => true,
            CellValue::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// Whether the cell holds an answer for an indicator of this kind: anything but a blank or
    /// a missing marker (—, /, 无 …; for a flag, 无 is an answer: no).
    pub fn holds_value(&self, kind: Kind) -> bool {
        match self {
            CellValue::Empty => false,
            CellValue::Text(raw) => {
                let folded = text::fold_cell(raw);
                !folded.is_empty() && kind.word(&folded) != Some(Word::Missing)
            }
            _ => true,
        }
    }

    /// [`display`](CellValue::display) without a copy for a text cell.
    pub fn display_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            CellValue::Text(text) => std::borrow::Cow::Borrowed(text),
            other => std::borrow::Cow::Owned(other.display()),
        }
    }

    /// The cell as text, for labels and for `raw_value` columns.
    pub fn display(&self) -> String {
        match self {
            CellValue::Empty => String::new(),
            CellValue::Number { value, .. } | CellValue::Scaled { value, .. } => {
                format_number(*value)
            }
            CellValue::Text(text) => text.clone(),
            CellValue::Bool(value) => if *value { "TRUE" } else { "FALSE" }.to_string(),
            CellValue::Date(serial) => excel_date(*serial)
                .map(|date| date.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| format_number(*serial)),
            CellValue::Error(error) => error.clone(),
            CellValue::FormulaNoValue(formula) => format!("={formula}"),
        }
    }
}

/// An Excel serial day (1900 system) as a date.
pub fn excel_date(serial: f64) -> Option<chrono::NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_signed(chrono::Duration::days(serial.floor() as i64))
}

/// One sheet, held sparsely: rows → cells sorted by column.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub hidden: bool,
    rows: BTreeMap<u32, Vec<(u32, CellValue)>>,
}

static EMPTY: CellValue = CellValue::Empty;

/// The cell in column `col` of one row's cells (sorted by column, as [`Sheet::rows`] gives
/// them), or an empty one.
pub fn cell_at(cells: &[(u32, CellValue)], col: u32) -> &CellValue {
    cells
        .binary_search_by_key(&col, |(c, _)| *c)
        .map_or(&EMPTY, |index| &cells[index].1)
}

impl Sheet {
    pub fn new(name: &str, hidden: bool) -> Sheet {
        Sheet {
            name: name.to_string(),
            hidden,
            rows: BTreeMap::new(),
        }
    }

    /// Sets a cell; cells must arrive in any order, later writes win.
    pub fn set(&mut self, row: u32, col: u32, value: CellValue) {
        let cells = self.rows.entry(row).or_default();
        match cells.binary_search_by_key(&col, |(c, _)| *c) {
            Ok(index) => cells[index].1 = value,
            Err(index) => cells.insert(index, (col, value)),
        }
    }

    pub fn get(&self, row: u32, col: u32) -> &CellValue {
        cell_at(self.row(row), col)
    }

    /// Non-empty rows in order, each with its cells sorted by column.
    pub fn rows(&self) -> impl Iterator<Item = (u32, &[(u32, CellValue)])> {
        self.rows_from(0)
    }

    /// [`rows`](Sheet::rows) from row `first` on.
    pub fn rows_from(&self, first: u32) -> impl Iterator<Item = (u32, &[(u32, CellValue)])> {
        self.rows
            .range(first..)
            .map(|(row, cells)| (*row, cells.as_slice()))
    }

    pub fn row(&self, row: u32) -> &[(u32, CellValue)] {
        self.rows.get(&row).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Marks a numeric cell as shown in a percent format (its value is a fraction).
    /// Marks a number shown divided by `divisor` (see [`CellValue::Scaled`]).
    pub(super) fn mark_scaled(&mut self, row: u32, col: u32, divisor: f64) {
        if let CellValue::Number { value, .. } = *self.get(row, col) {
            self.set(row, col, CellValue::Scaled { value, divisor });
        }
    }

    pub(super) fn mark_percent(&mut self, row: u32, col: u32) {
        if let CellValue::Number { value, .. } = *self.get(row, col) {
            self.set(
                row,
                col,
                CellValue::Number {
                    value,
                    percent: true,
                },
            );
        }
    }

    pub fn last_row(&self) -> Option<u32> {
        self.rows.keys().next_back().copied()
    }

    /// Copies each merged region's top-left value into its other (empty) cells, so a merged
    /// cell reads the same wherever it is addressed. Regions are capped in area so a
    /// pathological merge cannot inflate memory.
    pub(super) fn fill_merged(&mut self, regions: &[Dimensions]) {
        const MAX_REGION_CELLS: u64 = 10_000;
        for region in regions {
            let (top, left) = region.start;
            let (bottom, right) = region.end;
            // An inverted region (bottom above top, as a corrupt .xls can declare) is no merge.
            let (Some(height), Some(width)) = (bottom.checked_sub(top), right.checked_sub(left))
            else {
                continue;
            };
            let area = (height as u64 + 1) * (width as u64 + 1);
            if area > MAX_REGION_CELLS || area <= 1 {
                continue;
            }
            let value = self.get(top, left).clone();
            if value.is_empty() {
                continue;
            }
            for row in top..=bottom {
                for col in left..=right {
                    if (row, col) != (top, left) && self.get(row, col).is_empty() {
                        self.set(row, col, value.clone());
                    }
                }
            }
        }
    }
}

/// A number format that shows a fraction as a percentage: `0%`, `0.00%`, not `"%"` literals.
/// What a number format divides a number by when it shows it, when it does: two commas after
/// the last digit (`#,##0,,` shows millions), or a literal point placed among the digits
/// (`0!.0000`, `0\.0000`, `0"."0000`: 240193600 shown as 24019.3600, 元 as 万元). Only the
/// format's first section (positive numbers) is read.
pub(super) fn display_divisor(code: &str) -> Option<f64> {
    let section = code.split(';').next().unwrap_or("");
    let (mut in_quotes, mut escaped, mut bracket) = (false, false, false);
    let mut literal_point = false;
    let (mut digits_after_point, mut trailing_commas, mut real_point) = (0u32, 0u32, false);
    let mut previous_digit = false;
    for c in section.chars() {
        if bracket {
            bracket = c != ']';
            continue;
        }
        if escaped {
            escaped = false;
            literal_point |= c == '.' && !real_point;
            previous_digit = false;
            continue;
        }
        if in_quotes {
            in_quotes = c != '"';
            literal_point |= c == '.' && !real_point;
            continue;
        }
        match c {
            '[' => bracket = true,
            '\\' | '!' => escaped = true,
            '"' => in_quotes = true,
            '.' => real_point = true,
            '0' | '#' | '?' => {
                if literal_point && !real_point {
                    digits_after_point += 1;
                }
                trailing_commas = 0;
                previous_digit = true;
                continue;
            }
            ',' if previous_digit || trailing_commas > 0 => {
                trailing_commas += 1;
                continue;
            }
            _ => {}
        }
        previous_digit = false;
    }
    // A comma among digits groups thousands; only those after the last digit divide.
    let divisor = 1000f64.powi(trailing_commas as i32) * 10f64.powi(digits_after_point as i32);
    (divisor > 1.0).then_some(divisor)
}

pub(super) fn is_percent_format(code: &str) -> bool {
    let mut in_quotes = false;
    let mut escaped = false;
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            '%' if !in_quotes => return true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_formats() {
        assert!(is_percent_format("0.00%"));
        assert!(is_percent_format("0%"));
        assert!(!is_percent_format("0.00\"%\""));
        assert!(!is_percent_format("0.00\\%"));
        assert!(!is_percent_format("General"));
    }

    #[test]
    fn formats_that_show_a_number_divided() {
        for (code, divisor) in [
            ("0!.0000", 1e4),
            ("0\\.0000", 1e4),
            ("0\".\"0000", 1e4),
            ("0!.0,", 1e4),
            ("#,##0,", 1e3),
            ("#,##0.00,,", 1e6),
            ("0.00,;-0.00,", 1e3),
        ] {
            assert_eq!(display_divisor(code), Some(divisor), "{code}");
        }
        for code in [
            "General",
            "0.00",
            "#,##0",
            "#,##0.00",
            "0.00%",
            "0.00\"万元\"",
            "[$-804]#,##0.00",
            "yyyy\"年\"m\"月\"",
            "#,##0.00_ ;[Red]-#,##0.00",
            "0.0\\.",
        ] {
            assert_eq!(display_divisor(code), None, "{code}");
        }
    }

    #[test]
    fn sparse_sheet_costs_what_it_holds() {
        let mut sheet = Sheet::new("s", false);
        sheet.set(1_000_000, 16_000, CellValue::Bool(true));
        sheet.set(0, 0, CellValue::Text("a".into()));
        assert_eq!(sheet.rows().count(), 2);
        assert_eq!(sheet.get(1_000_000, 16_000), &CellValue::Bool(true));
        assert_eq!(sheet.get(5, 5), &CellValue::Empty);
    }

    #[test]
    fn merged_regions_read_their_top_left_value() {
        let mut sheet = Sheet::new("s", false);
        sheet.set(2, 0, CellValue::Text("纺织".into()));
        sheet.fill_merged(&[Dimensions::new((2, 0), (5, 0))]);
        assert_eq!(sheet.get(5, 0), &CellValue::Text("纺织".into()));
        assert_eq!(sheet.get(6, 0), &CellValue::Empty);
    }
}
