//! Reads every sheet through calamine after the safety checks: the container sniffed
//! ([`super::sniff`]), an .xls container's sector chains checked ([`super::ole`]), .xls and .ods
//! sheets measured from their own records ([`super::layout`]), xlsx sheets streamed and refused
//! at the row limit. calamine's `Data` becomes [`CellValue`] in exactly one function.

use super::cells::{display_divisor, is_percent_format, CellValue, Sheet};
use super::error::{FileFormat, OpenError};
use super::layout::{check_extent, ods_layout, xls_layout, Layouts};
use super::merges::none_merged;
use super::ole::Compound;
use super::sniff::sniff;
use crate::config::Limits;
use calamine::{Data, DataRef, ExcelDateTime, Ods, Reader, SheetVisible, Xls, Xlsx};
use std::io::Cursor;

/// An opened workbook: its format and every sheet, hidden ones included.
#[derive(Debug, Clone)]
pub struct Workbook {
    pub format: FileFormat,
    pub sheets: Vec<Sheet>,
}

/// Opens a workbook from its bytes, reading every sheet within the limits.
pub fn open(bytes: &[u8], limits: &Limits) -> Result<Workbook, OpenError> {
    let format = sniff(bytes, limits)?;
    let corrupt = |error: &dyn std::fmt::Display| OpenError::Corrupt(error.to_string());
    let sheets = match format {
        FileFormat::Xlsx | FileFormat::Xlsm => {
            let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|error| match error {
                calamine::XlsxError::Password => OpenError::Encrypted,
                other => corrupt(&other),
            })?;
            let epoch = epoch_days(workbook.has_1904_epoch());
            read_xlsx(&mut workbook, bytes, limits, epoch)?
        }
        FileFormat::Xls => {
            let compound = Compound::parse(bytes).ok_or_else(|| {
                OpenError::Corrupt(
                    "the OLE sector table loops or points outside the file".to_string(),
                )
            })?;
            let mut layouts = xls_layout(&compound.workbook_stream().unwrap_or_default())?;
            check_extents(&layouts, limits)?;
            let mut workbook = Xls::new(Cursor::new(bytes)).map_err(|error| match error {
                calamine::XlsError::Password => OpenError::Encrypted,
                other => corrupt(&other),
            })?;
            for (name, layout) in &mut layouts {
                layout.merges = workbook.merge_cells_by_sheet_name(name).unwrap_or_default();
            }
            let epoch = epoch_days(workbook.has_1904_epoch());
            read_ranges(&mut workbook, limits, layouts, epoch)?
        }
        FileFormat::Ods => {
            let layouts = ods_layout(bytes, limits)?;
            check_extents(&layouts, limits)?;
            let mut workbook: Ods<_> =
                Ods::new(Cursor::new(bytes)).map_err(|error| corrupt(&error))?;
            // OpenDocument dates are calendar dates, not serial numbers of an epoch.
            read_ranges(&mut workbook, limits, layouts, 0.0)?
        }
    };
    Ok(Workbook { format, sheets })
}

/// Days from the 1900 date system's day 0 to the workbook's own: a workbook saved with the
/// 1904 date system (old Mac Excel) counts from 1904-01-01, so its serial numbers are 1,462
/// days behind. Each date cell is kept as a 1900-system serial ([`CellValue::Date`]).
fn epoch_days(is_1904: bool) -> f64 {
    if is_1904 {
        1462.0
    } else {
        0.0
    }
}

/// A date cell's serial in the 1900 date system. A duration (`[h]:mm`) counts days from no
/// epoch and is kept as it is.
fn serial_1900(date: &ExcelDateTime, epoch: f64) -> f64 {
    if date.is_datetime() {
        date.as_f64() + epoch
    } else {
        date.as_f64()
    }
}

fn is_hidden(visible: SheetVisible) -> bool {
    !matches!(visible, SheetVisible::Visible)
}

/// Streams each xlsx worksheet, refusing it at the row limit, with formula and percent
/// information taken in the same pass. Merged regions are asked of calamine only when the
/// container may hold some ([`none_merged`]).
fn read_xlsx(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    bytes: &[u8],
    limits: &Limits,
    epoch: f64,
) -> Result<Vec<Sheet>, OpenError> {
    let metadata: Vec<(String, bool, calamine::SheetType)> = workbook
        .sheets_metadata()
        .iter()
        .map(|sheet| (sheet.name.clone(), is_hidden(sheet.visible), sheet.typ))
        .collect();
    let worksheets = metadata
        .iter()
        .filter(|(_, _, typ)| *typ == calamine::SheetType::WorkSheet)
        .count();
    let merges = !none_merged(bytes, worksheets, limits);
    let mut sheets = Vec::new();
    for (name, hidden, typ) in metadata {
        if typ != calamine::SheetType::WorkSheet {
            continue;
        }
        let mut sheet = Sheet::new(&name, hidden);
        let percent_styles: Vec<bool>;
        let scaled_styles: Vec<Option<f64>>;
        {
            let mut reader = match workbook.worksheet_cells_reader(&name) {
                Ok(reader) => reader,
                Err(error) => return Err(OpenError::Corrupt(format!("sheet {name:?}: {error}"))),
            };
            let formats = || {
                (reader.styles().iter())
                    .map(|style| style.number_format.as_ref().map(|f| f.format_code.as_str()))
            };
            percent_styles = formats()
                .map(|code| code.is_some_and(is_percent_format))
                .collect();
            scaled_styles = formats()
                .map(|code| code.and_then(display_divisor))
                .collect();
            while let Some(record) = reader
                .next_cell_with_formula()
                .map_err(|error| OpenError::Corrupt(format!("sheet {name:?}: {error}")))?
            {
                let (row, col) = record.pos;
                // A formula whose cached result is the empty string (`=IF(…,"",…)`, saved as
                // `<v></v>`) has a value: blank. Only a formula with no `<v>` at all has none.
                let cached = !matches!(record.value, DataRef::Empty);
                let value = match (cell_value_ref(&record.value, epoch), record.formula) {
                    (CellValue::Empty, Some(formula)) if !formula.is_empty() && !cached => {
                        CellValue::FormulaNoValue(formula)
                    }
                    // Formatting alone (a styled cell far below the table, as Excel's used
                    // range leaves behind) holds nothing and counts against no limit.
                    (CellValue::Empty, _) => continue,
                    (value, _) => value,
                };
                if row >= limits.max_rows {
                    return Err(OpenError::TooManyRows {
                        sheet: name.clone(),
                        limit: limits.max_rows,
                    });
                }
                sheet.set(row, col, value);
            }
        }
        let scaled = scaled_styles.iter().any(Option::is_some);
        if scaled || percent_styles.iter().any(|&percent| percent) {
            mark_formatted_cells(workbook, &mut sheet, &percent_styles, &scaled_styles);
        }
        if merges {
            if let Ok(regions) = workbook.merge_cells_by_sheet_name(&name) {
                sheet.fill_merged(&regions);
            }
        }
        sheets.push(sheet);
    }
    Ok(sheets)
}

/// A second, style-only pass over a sheet that uses a percent format, or one that shows
/// numbers divided, somewhere.
fn mark_formatted_cells(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &mut Sheet,
    percent_styles: &[bool],
    scaled_styles: &[Option<f64>],
) {
    let Ok(mut reader) = workbook.worksheet_cells_reader(&sheet.name) else {
        return;
    };
    while let Ok(Some((row, col, style))) = reader.next_style_id() {
        if percent_styles.get(style).copied().unwrap_or(false) {
            sheet.mark_percent(row, col);
        } else if let Some(Some(divisor)) = scaled_styles.get(style) {
            sheet.mark_scaled(row, col, *divisor);
        }
    }
}

fn check_extents(layouts: &Layouts, limits: &Limits) -> Result<(), OpenError> {
    layouts
        .iter()
        .try_for_each(|(sheet, layout)| check_extent(sheet, layout.extent, limits))
}

/// Reads .xls and .ods sheets through calamine's ranges (their size checked beforehand), with
/// what zlbd read of each sheet's layout itself: merged regions and percent-formatted numbers.
fn read_ranges<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(
    workbook: &mut R,
    limits: &Limits,
    layouts: Layouts,
    epoch: f64,
) -> Result<Vec<Sheet>, OpenError>
where
    R::Error: std::fmt::Display,
{
    let metadata: Vec<(String, bool)> = workbook
        .sheets_metadata()
        .iter()
        .map(|sheet| (sheet.name.clone(), is_hidden(sheet.visible)))
        .collect();
    let mut sheets = Vec::new();
    for (name, hidden) in metadata {
        let layout = layouts
            .iter()
            .find(|(sheet, _)| *sheet == name)
            .map(|(_, layout)| layout);
        let range = workbook
            .worksheet_range(&name)
            .map_err(|error| OpenError::Corrupt(format!("sheet {name:?}: {error}")))?;
        let formulas = workbook.worksheet_formula(&name).ok();
        let mut sheet = Sheet::new(&name, hidden);
        let (top, left) = range.start().unwrap_or((0, 0));
        // Cells whose cached value is an empty text: a formula there has a value (blank).
        let mut cached_blank: std::collections::HashSet<(u32, u32)> = layout
            .map(|layout| layout.blank_results.clone())
            .unwrap_or_default();
        for (row, col, data) in range.used_cells() {
            let (row, col) = (top + row as u32, left + col as u32);
            let value = cell_value(data, epoch);
            if value == CellValue::Empty {
                if matches!(data, Data::String(_)) {
                    cached_blank.insert((row, col));
                }
                continue;
            }
            // As for .xlsx: only a cell that holds something counts against the row limit
            // (the layout check before caps what calamine lays out).
            if row >= limits.max_rows {
                return Err(OpenError::TooManyRows {
                    sheet: name,
                    limit: limits.max_rows,
                });
            }
            sheet.set(row, col, value);
        }
        if let Some(formulas) = formulas {
            for (row, col, formula) in formulas.used_cells() {
                let (start_row, start_col) = formulas.start().unwrap_or((0, 0));
                let (row, col) = (start_row + row as u32, start_col + col as u32);
                if !formula.is_empty()
                    && *sheet.get(row, col) == CellValue::Empty
                    && !cached_blank.contains(&(row, col))
                {
                    sheet.set(row, col, CellValue::FormulaNoValue(formula.clone()));
                }
            }
        }
        if let Some(layout) = layout {
            for &(row, col) in &layout.percent {
                sheet.mark_percent(row, col);
            }
            sheet.fill_merged(&layout.merges);
        }
        sheets.push(sheet);
    }
    Ok(sheets)
}

/// The one conversion from calamine's owned cell type. `epoch` is the workbook's
/// [`epoch_days`].
pub(super) fn cell_value(data: &Data, epoch: f64) -> CellValue {
    match data {
        Data::Int(value) => CellValue::Number {
            value: *value as f64,
            percent: false,
        },
        Data::Float(value) => CellValue::Number {
            value: *value,
            percent: false,
        },
        Data::String(text) => text_value(text),
        Data::Bool(value) => CellValue::Bool(*value),
        Data::DateTime(date) => CellValue::Date(serial_1900(date, epoch)),
        Data::DateTimeIso(text) | Data::DurationIso(text) => CellValue::Text(text.clone()),
        Data::Error(error) => CellValue::Error(error.to_string()),
        Data::Empty => CellValue::Empty,
    }
}

/// The same conversion for the streaming reader's borrowed cells.
fn cell_value_ref(data: &DataRef<'_>, epoch: f64) -> CellValue {
    match data {
        DataRef::SharedString(text) => text_value(text),
        DataRef::Int(value) => cell_value(&Data::Int(*value), epoch),
        DataRef::Float(value) => cell_value(&Data::Float(*value), epoch),
        DataRef::String(text) => text_value(text),
        DataRef::Bool(value) => CellValue::Bool(*value),
        DataRef::DateTime(date) => CellValue::Date(serial_1900(date, epoch)),
        DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => CellValue::Text(text.clone()),
        DataRef::Error(error) => CellValue::Error(error.to_string()),
        DataRef::Empty => CellValue::Empty,
    }
}

/// Text cells that hold an Excel error literal (as LibreOffice writes some) stay errors.
fn text_value(text: &str) -> CellValue {
    const ERRORS: [&str; 8] = [
        "#DIV/0!",
        "#N/A",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#GETTING_DATA",
    ];
    let trimmed = text.trim();
    if ERRORS.contains(&trimmed) {
        return CellValue::Error(trimmed.to_string());
    }
    if trimmed.is_empty() {
        return CellValue::Empty;
    }
    CellValue::Text(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn a_1904_date_becomes_a_1900_serial_and_a_duration_stays_as_it_is() {
        let epoch = epoch_days(true);
        // 2022-01-15: serial 43,114 counted from 1904-01-01, 44,576 from the 1900 epoch.
        let date = Data::DateTime(ExcelDateTime::new(
            43_114.0,
            ExcelDateTimeType::DateTime,
            true,
        ));
        assert_eq!(cell_value(&date, epoch), CellValue::Date(44_576.0));
        let same = Data::DateTime(ExcelDateTime::new(
            44_576.0,
            ExcelDateTimeType::DateTime,
            false,
        ));
        assert_eq!(
            cell_value(&same, epoch_days(false)),
            CellValue::Date(44_576.0)
        );
        let hours = Data::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, true));
        assert_eq!(cell_value(&hours, epoch), CellValue::Date(1.5));
    }
}
