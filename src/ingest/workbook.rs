//! The one adapter around calamine. Everything calamine returns becomes our [`CellValue`] in
//! [`cell_value`], and every way a file can fail to open becomes an [`OpenError`] whose
//! message tells the submitter what to do.
//!
//! Size is checked before anything large is allocated: zip entries from the central directory
//! (zip bombs), xlsx sheets streamed row by row and refused at the row limit, .xls and .ods
//! sheets measured from their own records before calamine lays them out densely
//! ([`super::layout`]), and an .xls container checked for sound sector chains ([`super::ole`]).
//! Sheets are held sparsely so a stray cell at XFD1048576 costs one entry, not a billion.

use super::layout::{check_extent, ods_layout, xls_layout, Layouts};
use super::ole::Compound;
use crate::config::Limits;
use calamine::{Data, DataRef, Dimensions, Ods, Reader, SheetVisible, Xls, Xlsx};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::Cursor;

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
    /// A date cell, as an Excel serial day number.
    Date(f64),
    /// An Excel error value such as `#DIV/0!`.
    Error(String),
    /// A formula whose cached value is absent; carries the formula text.
    FormulaNoValue(String),
}

impl CellValue {
    pub fn is_empty(&self) -> bool {
        match self {
            CellValue::Empty => true,
            CellValue::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, for labels and for `raw_value` columns.
    pub fn display(&self) -> String {
        match self {
            CellValue::Empty => String::new(),
            CellValue::Number { value, .. } => format_number(*value),
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

/// Shortest text that reads back as the same f64 (no trailing `.0` for whole numbers).
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
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
        self.rows
            .get(&row)
            .and_then(|cells| {
                cells
                    .binary_search_by_key(&col, |(c, _)| *c)
                    .ok()
                    .map(|index| &cells[index].1)
            })
            .unwrap_or(&EMPTY)
    }

    /// Non-empty rows in order, each with its cells sorted by column.
    pub fn rows(&self) -> impl Iterator<Item = (u32, &[(u32, CellValue)])> {
        self.rows
            .iter()
            .map(|(row, cells)| (*row, cells.as_slice()))
    }

    pub fn row(&self, row: u32) -> &[(u32, CellValue)] {
        self.rows.get(&row).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Marks a numeric cell as shown in a percent format (its value is a fraction).
    fn mark_percent(&mut self, row: u32, col: u32) {
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
    fn fill_merged(&mut self, regions: &[Dimensions]) {
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

/// The container a file's bytes hold, told from its content, never from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileFormat {
    Xlsx,
    Xlsm,
    Xls,
    Ods,
}

impl FileFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Xlsx => "xlsx",
            FileFormat::Xlsm => "xlsm",
            FileFormat::Xls => "xls",
            FileFormat::Ods => "ods",
        }
    }
}

/// Why a file could not be opened as a workbook. Each message is Chinese first, for the
/// submitter, then English, for the operator.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OpenError {
    /// The file has no bytes.
    #[error("文件为空，请重新导出后报送 (the file is empty)")]
    Empty,
    /// An OLE container with an encrypted OOXML package, or an .xls with a password.
    #[error("文件已加密，请取消密码后重新报送 (the workbook is password-protected)")]
    Encrypted,
    /// HTML (a web page export) saved under an Excel name.
    #[error(
        "文件实为网页(HTML)格式，请在Excel中另存为.xlsx后重新报送 (HTML saved under an Excel name)"
    )]
    Html,
    /// Plain text (CSV) saved under an Excel name.
    #[error("文件实为文本(CSV)格式，请在Excel中另存为.xlsx后重新报送 (CSV text saved under an Excel name)")]
    Csv,
    /// The file on disk is larger than the configured limit.
    #[error("文件过大({size}字节，上限{limit}字节)，请删除无关内容后重新报送 (file of {size} bytes exceeds the {limit}-byte limit)")]
    FileTooLarge { size: u64, limit: u64 },
    /// The zip entries would inflate beyond the configured limit (a zip bomb or a huge sheet).
    #[error("文件解压后过大({uncompressed}字节，上限{limit}字节)，请删除无关内容后重新报送 (workbook inflates to {uncompressed} bytes, over the {limit}-byte limit)")]
    Inflates { uncompressed: u64, limit: u64 },
    /// A sheet has more rows than the configured limit.
    #[error("工作表“{sheet}”超过{limit}行，请删除无关内容后重新报送 (sheet {sheet:?} has more than {limit} rows)")]
    TooManyRows { sheet: String, limit: u32 },
    /// A sheet that calamine would lay out densely over more cells than the workbook budget
    /// (a cell far from the others, or a cell repeated over millions of positions).
    #[error("工作表“{sheet}”的数据范围过大({rows}行×{cols}列)，请删除表格以外的多余内容后重新报送 (sheet {sheet:?} spans {rows} rows × {cols} columns, over the {limit}-cell limit)")]
    SheetTooLarge {
        sheet: String,
        rows: u64,
        cols: u64,
        limit: u64,
    },
    /// A zip or OLE container that holds no spreadsheet.
    #[error("文件不是电子表格，请以.xlsx格式重新报送 (the container holds no spreadsheet)")]
    NotAWorkbook,
    /// Truncated or corrupt bytes; calamine's or zip's own words follow.
    #[error("文件已损坏或不完整，无法读取，请重新导出后报送 (corrupt or truncated workbook: {0})")]
    Corrupt(String),
}

/// An opened workbook: its format and every sheet, hidden ones included.
#[derive(Debug, Clone)]
pub struct Workbook {
    pub format: FileFormat,
    pub sheets: Vec<Sheet>,
}

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Tells the container from the first bytes and, for zips, the entry names.
fn sniff(bytes: &[u8], limits: &Limits) -> Result<FileFormat, OpenError> {
    if bytes.is_empty() {
        return Err(OpenError::Empty);
    }
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(OpenError::FileTooLarge {
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    if bytes.starts_with(&OLE_MAGIC) {
        let marker: Vec<u8> = "EncryptedPackage"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        if bytes
            .windows(marker.len())
            .any(|window| window == marker.as_slice())
        {
            return Err(OpenError::Encrypted);
        }
        return Ok(FileFormat::Xls);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return sniff_zip(bytes, limits);
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    if trimmed.starts_with('<') {
        return Err(OpenError::Html);
    }
    let printable = head
        .iter()
        .filter(|&&b| b == b'\n' || b == b'\r' || b == b'\t' || b >= 0x20)
        .count();
    if std::str::from_utf8(head).is_ok()
        && printable * 100 >= head.len() * 95
        && (text.contains(',') || text.contains('\t'))
    {
        return Err(OpenError::Csv);
    }
    Err(OpenError::Corrupt("unknown file signature".to_string()))
}

/// Checks the zip's central directory against the inflate limit before any entry is read.
fn sniff_zip(bytes: &[u8], limits: &Limits) -> Result<FileFormat, OpenError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| OpenError::Corrupt(error.to_string()))?;
    let mut total: u64 = 0;
    let mut names = HashSet::new();
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|error| OpenError::Corrupt(error.to_string()))?;
        total = total.saturating_add(entry.size());
        names.insert(
            entry
                .name()
                .map(|name| name.to_string())
                .unwrap_or_default(),
        );
    }
    if total > limits.max_uncompressed_bytes {
        return Err(OpenError::Inflates {
            uncompressed: total,
            limit: limits.max_uncompressed_bytes,
        });
    }
    if names.contains("EncryptedPackage") {
        return Err(OpenError::Encrypted);
    }
    if names.contains("xl/workbook.xml")
        || names
            .iter()
            .any(|name| name.starts_with("xl/") && name.ends_with("workbook.xml"))
    {
        if names.contains("xl/vbaProject.bin") {
            return Ok(FileFormat::Xlsm);
        }
        return Ok(FileFormat::Xlsx);
    }
    if names.contains("content.xml") {
        return Ok(FileFormat::Ods);
    }
    Err(OpenError::NotAWorkbook)
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
            read_xlsx(&mut workbook, limits)?
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
            read_ranges(&mut workbook, limits, layouts)?
        }
        FileFormat::Ods => {
            let layouts = ods_layout(bytes, limits)?;
            check_extents(&layouts, limits)?;
            let mut workbook: Ods<_> =
                Ods::new(Cursor::new(bytes)).map_err(|error| corrupt(&error))?;
            read_ranges(&mut workbook, limits, layouts)?
        }
    };
    Ok(Workbook { format, sheets })
}

fn is_hidden(visible: SheetVisible) -> bool {
    !matches!(visible, SheetVisible::Visible)
}

/// Streams each xlsx worksheet, refusing it at the row limit, with formula and percent
/// information taken in the same pass.
fn read_xlsx(workbook: &mut Xlsx<Cursor<&[u8]>>, limits: &Limits) -> Result<Vec<Sheet>, OpenError> {
    let metadata: Vec<(String, bool, calamine::SheetType)> = workbook
        .sheets_metadata()
        .iter()
        .map(|sheet| (sheet.name.clone(), is_hidden(sheet.visible), sheet.typ))
        .collect();
    let mut sheets = Vec::new();
    for (name, hidden, typ) in metadata {
        if typ != calamine::SheetType::WorkSheet {
            continue;
        }
        let mut sheet = Sheet::new(&name, hidden);
        let percent_styles: Vec<bool>;
        {
            let mut reader = match workbook.worksheet_cells_reader(&name) {
                Ok(reader) => reader,
                Err(error) => return Err(OpenError::Corrupt(format!("sheet {name:?}: {error}"))),
            };
            percent_styles = reader
                .styles()
                .iter()
                .map(|style| {
                    style
                        .number_format
                        .as_ref()
                        .is_some_and(|format| is_percent_format(&format.format_code))
                })
                .collect();
            while let Some(record) = reader
                .next_cell_with_formula()
                .map_err(|error| OpenError::Corrupt(format!("sheet {name:?}: {error}")))?
            {
                let (row, col) = record.pos;
                if row >= limits.max_rows {
                    return Err(OpenError::TooManyRows {
                        sheet: name.clone(),
                        limit: limits.max_rows,
                    });
                }
                let value = cell_value_ref(&record.value);
                match (value, record.formula) {
                    (CellValue::Empty, Some(formula)) if !formula.is_empty() => {
                        sheet.set(row, col, CellValue::FormulaNoValue(formula));
                    }
                    (CellValue::Empty, _) => {}
                    (value, _) => sheet.set(row, col, value),
                }
            }
        }
        if percent_styles.iter().any(|&percent| percent) {
            mark_percent_cells(workbook, &mut sheet, &percent_styles);
        }
        if let Ok(regions) = workbook.merge_cells_by_sheet_name(&name) {
            sheet.fill_merged(&regions);
        }
        sheets.push(sheet);
    }
    Ok(sheets)
}

/// A second, style-only pass over a sheet that uses a percent format somewhere.
fn mark_percent_cells(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &mut Sheet,
    percent_styles: &[bool],
) {
    let Ok(mut reader) = workbook.worksheet_cells_reader(&sheet.name) else {
        return;
    };
    while let Ok(Some((row, col, style))) = reader.next_style_id() {
        if percent_styles.get(style).copied().unwrap_or(false) {
            sheet.mark_percent(row, col);
        }
    }
}

/// A number format that shows a fraction as a percentage: `0%`, `0.00%`, not `"%"` literals.
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
        if range.height() as u64 > limits.max_rows as u64 {
            return Err(OpenError::TooManyRows {
                sheet: name,
                limit: limits.max_rows,
            });
        }
        let formulas = workbook.worksheet_formula(&name).ok();
        let mut sheet = Sheet::new(&name, hidden);
        let (top, left) = range.start().unwrap_or((0, 0));
        for (row, col, data) in range.used_cells() {
            let (row, col) = (top + row as u32, left + col as u32);
            let value = cell_value(data);
            if value != CellValue::Empty {
                sheet.set(row, col, value);
            }
        }
        if let Some(formulas) = formulas {
            for (row, col, formula) in formulas.used_cells() {
                let (start_row, start_col) = formulas.start().unwrap_or((0, 0));
                let (row, col) = (start_row + row as u32, start_col + col as u32);
                if !formula.is_empty() && *sheet.get(row, col) == CellValue::Empty {
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

/// The one conversion from calamine's owned cell type.
pub fn cell_value(data: &Data) -> CellValue {
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
        Data::DateTime(date) => CellValue::Date(date.as_f64()),
        Data::DateTimeIso(text) | Data::DurationIso(text) => CellValue::Text(text.clone()),
        Data::Error(error) => CellValue::Error(error.to_string()),
        Data::Empty => CellValue::Empty,
    }
}

/// The same conversion for the streaming reader's borrowed cells.
fn cell_value_ref(data: &DataRef<'_>) -> CellValue {
    match data {
        DataRef::SharedString(text) => text_value(text),
        DataRef::Int(value) => cell_value(&Data::Int(*value)),
        DataRef::Float(value) => cell_value(&Data::Float(*value)),
        DataRef::String(text) => text_value(text),
        DataRef::Bool(value) => CellValue::Bool(*value),
        DataRef::DateTime(date) => CellValue::Date(date.as_f64()),
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

    fn limits() -> Limits {
        Limits::small()
    }

    #[test]
    fn sniffs_bad_files_by_content() {
        assert_eq!(sniff(b"", &limits()), Err(OpenError::Empty));
        assert_eq!(
            sniff(b"<html><table></table></html>", &limits()),
            Err(OpenError::Html)
        );
        assert_eq!(
            sniff("\u{feff}  <!DOCTYPE html>".as_bytes(), &limits()),
            Err(OpenError::Html)
        );
        assert_eq!(
            sniff("企业名称,营业收入\n甲,1\n".as_bytes(), &limits()),
            Err(OpenError::Csv)
        );
        assert!(matches!(
            sniff(&[0x00, 0xFF, 0x13, 0x37, 0x99], &limits()),
            Err(OpenError::Corrupt(_))
        ));
        assert!(matches!(
            sniff(b"PK\x03\x04truncated", &limits()),
            Err(OpenError::Corrupt(_))
        ));
    }

    #[test]
    fn percent_formats() {
        assert!(is_percent_format("0.00%"));
        assert!(is_percent_format("0%"));
        assert!(!is_percent_format("0.00\"%\""));
        assert!(!is_percent_format("0.00\\%"));
        assert!(!is_percent_format("General"));
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
