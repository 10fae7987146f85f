//! How a report form lies on its worksheets, written with rust_xlsxwriter: a 基本信息 sheet of
//! label/value pairs, indicator sheets (`序号|指标名称|计量单位|<years>|备注`, or 行业名称 first
//! for the city form's long tables) and plain sheets (入园企业名单, unrelated extras).
//!
//! It exists so that `zlbd template` (blank forms) and `zlbd sample` (filled forms with the
//! SPEC §3.4 variations) lay forms out in exactly one way. Guarantees: every indicator cell is
//! written at a place the writer reports back ([`Placement`]), so a caller can say what each cell
//! holds without recomputing the layout; the same [`FormBook`] gives the same bytes (the
//! document's dates are fixed).

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign, Formula,
    Workbook, Worksheet, XlsxError,
};

pub const INFO_SHEET: &str = "基本信息";
pub const ENTERPRISE_SHEET: &str = "质量指标";
pub const PARK_SHEET: &str = "园区指标";
pub const CITY_OWN_SHEET: &str = "重点行业";
pub const CITY_PROVINCE_SHEET: &str = "全省重点行业";
pub const MEMBERS_SHEET: &str = "入园企业名单";

/// How one value is written into its cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    Number(f64),
    /// A fraction under a percent number format (0.952 shown as 95.2%).
    PercentFraction(f64),
    Text(String),
    /// A formula with its cached result; an empty result leaves no cached value.
    Formula {
        formula: String,
        result: String,
    },
    /// Nothing written (blank forms).
    Blank,
}

/// How the year columns are labelled.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum YearStyle {
    /// `2021年`
    #[default]
    Suffix,
    /// `2021年度`
    Fiscal,
    /// The number 2021.
    Number,
    /// `2021 年`
    Spaced,
}

/// Layout choices of one indicator sheet, all seen in real returns (SPEC §3.4).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetLayout {
    /// A merged 年份 cell over the year labels, the other headers merged over both rows.
    pub two_row_header: bool,
    /// An extra 数据来源 column after 计量单位.
    pub source_column: bool,
    pub year_style: YearStyle,
    /// Names like `1.营业收入`.
    pub numbered_names: bool,
    /// Names like `营业收入(万元)` with an empty unit column.
    pub unit_in_name: bool,
}

/// One indicator row: one cell per year column.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    pub name: String,
    pub unit: String,
    /// The 行业名称 of a city form's row; consecutive rows of one industry share a merged cell.
    pub industry: Option<String>,
    pub cells: Vec<Written>,
}

/// An indicator table on its own sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorSheet {
    pub name: String,
    pub title: String,
    /// A line between the title and the header row.
    pub subtitle: Option<String>,
    /// 行业名称 instead of 序号 in the first column.
    pub industry_column: bool,
    pub layout: SheetLayout,
    /// The year of each year column, in column order.
    pub years: Vec<i32>,
    pub rows: Vec<IndicatorRow>,
    /// Lines below the table (填表说明, signatures).
    pub notes: Vec<String>,
}

/// A sheet of plain rows from A1, e.g. the park's member list or an unrelated extra sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct PlainSheet {
    pub name: String,
    pub hidden: bool,
    pub rows: Vec<Vec<Written>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FormSheet {
    /// Label/value pairs from row 3, under a title.
    Info {
        name: String,
        pairs: Vec<(String, Written)>,
    },
    Indicators(IndicatorSheet),
    Plain(PlainSheet),
}

/// One workbook: its sheets in order.
#[derive(Debug, Clone, PartialEq)]
pub struct FormBook {
    pub sheets: Vec<FormSheet>,
}

/// Where the indicator cells landed: `placement[sheet][row][column]` is the A1 address of row
/// `row`, year column `column` of `book.sheets[sheet]` (no rows for sheets without indicators).
pub type Placement = Vec<Vec<Vec<String>>>;

/// A label with a text value, for [`FormSheet::Info`].
pub fn info_text(label: &str, value: &str) -> (String, Written) {
    (label.to_string(), Written::Text(value.to_string()))
}

/// `2019—2021年`, the span a form's titles name.
pub fn span(years: &[i32]) -> String {
    match (years.first(), years.last()) {
        (Some(first), Some(last)) => format!("{first}—{last}年"),
        _ => String::new(),
    }
}

/// The notes printed below every table.
pub fn standard_notes(signed_by: Option<(&str, &str)>) -> Vec<String> {
    let (filler, checker) = signed_by.unwrap_or(("", ""));
    vec![
        "填表说明：1.金额单位为万元；2.比率保留两位小数。".to_string(),
        format!("填表人：{filler}    审核人：{checker}"),
    ]
}

/// The park form's 入园企业名单: `序号 | 企业名称 | 统一社会信用代码`, one row per (name, USCC).
pub fn members_sheet(members: &[(String, String)]) -> PlainSheet {
    let header = ["序号", "企业名称", "统一社会信用代码"]
        .iter()
        .map(|text| Written::Text(text.to_string()))
        .collect();
    let rows = members.iter().enumerate().map(|(index, (name, code))| {
        vec![
            Written::Number((index + 1) as f64),
            Written::Text(name.clone()),
            Written::Text(code.clone()),
        ]
    });
    PlainSheet {
        name: MEMBERS_SHEET.to_string(),
        hidden: false,
        rows: std::iter::once(header).chain(rows).collect(),
    }
}

/// What a submitter may type into an indicator row's year cells (Excel data validation).
#[derive(Debug, Clone, PartialEq)]
pub enum InputRule {
    /// A number within the bounds (amounts, rates, scores).
    Decimal { min: Option<f64>, max: Option<f64> },
    /// A whole number within the bounds (counts).
    Whole { min: Option<i32>, max: Option<i32> },
    /// 是 or 否 (flags).
    YesNo,
    /// One of a few names, from a dropdown (所属地市 from the roster's cities).
    OneOf(Vec<String>),
    /// A date (填报日期) as Excel enters one: text such as 2022年1月, which no reader can date,
    /// is refused where it is typed.
    Date,
}

/// Excel keeps a list validation's names in one formula of at most 255 characters.
const LIST_CHARS: usize = 255;

impl InputRule {
    /// The validation, with the message Excel shows when a value breaks it.
    pub fn validation(&self, what: &str) -> Result<DataValidation, XlsxError> {
        let (validation, rule) = match self {
            InputRule::Decimal { min, max } => {
                let rule = match (min, max) {
                    (Some(min), Some(max)) => DataValidationRule::Between(*min, *max),
                    (Some(min), None) => DataValidationRule::GreaterThanOrEqualTo(*min),
                    (None, Some(max)) => DataValidationRule::LessThanOrEqualTo(*max),
                    (None, None) => DataValidationRule::Between(-1e12, 1e12),
                };
                let text = match (min, max) {
                    (Some(min), Some(max)) => format!("{min} 到 {max} 之间的数字"),
                    (Some(min), None) => format!("不小于 {min} 的数字"),
                    (None, Some(max)) => format!("不大于 {max} 的数字"),
                    (None, None) => "数字（可为负数）".to_string(),
                };
                (DataValidation::new().allow_decimal_number(rule), text)
            }
            InputRule::Whole { min, max } => {
                let rule = match (min, max) {
                    (Some(min), Some(max)) => DataValidationRule::Between(*min, *max),
                    (Some(min), None) => DataValidationRule::GreaterThanOrEqualTo(*min),
                    (None, Some(max)) => DataValidationRule::LessThanOrEqualTo(*max),
                    (None, None) => DataValidationRule::Between(i32::MIN, i32::MAX),
                };
                let text = match min {
                    Some(min) => format!("不小于 {min} 的整数"),
                    None => "整数".to_string(),
                };
                (DataValidation::new().allow_whole_number(rule), text)
            }
            InputRule::YesNo => (
                DataValidation::new().allow_list_strings(&["是", "否"])?,
                "“是”或“否”".to_string(),
            ),
            InputRule::OneOf(names) => (
                DataValidation::new().allow_list_strings(names)?,
                "下拉列表中的一项".to_string(),
            ),
            InputRule::Date => {
                let (first, last) = (
                    ExcelDateTime::from_ymd(2000, 1, 1)?,
                    ExcelDateTime::from_ymd(2099, 12, 31)?,
                );
                let rule = DataValidationRule::Between(first, last);
                (
                    DataValidation::new().allow_date(rule),
                    "日期，如 2022-01-15".to_string(),
                )
            }
        };
        // A value a form may lack is left blank; a city or a date is not such a value.
        let blank = match self {
            InputRule::OneOf(_) | InputRule::Date => "",
            _ => "；无数据请留空",
        };
        let message: String = format!("{what}：请填写{rule}{blank}。")
            .chars()
            .take(250)
            .collect();
        // The same words as a prompt when the cell is selected, before anything is typed.
        let title: String = what.chars().take(32).collect();
        validation
            .set_input_title(title)?
            .set_input_message(message.clone())?
            .set_error_title("填写内容不符合要求")?
            .set_error_message(message)
    }

    /// A dropdown of `names`, when Excel can hold them in one list (else none: the cell is
    /// typed freely and zlbd checks it).
    pub fn one_of(names: Vec<String>) -> Option<InputRule> {
        let chars = names
            .iter()
            .map(|name| name.chars().count() + 1)
            .sum::<usize>();
        let plain = names
            .iter()
            .all(|name| !name.is_empty() && !name.contains(','));
        (plain && !names.is_empty() && chars <= LIST_CHARS).then_some(InputRule::OneOf(names))
    }
}

/// How a template guards one sheet: input cells unlocked and validated, everything else locked
/// under sheet protection (no password). Samples are written without guards, as submitters
/// return forms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetGuard {
    /// Indicator sheets: the rule of each row's year cells, in row order.
    pub rules: Vec<Option<InputRule>>,
    /// Column widths from column A.
    pub widths: Vec<f64>,
    /// Plain sheets: rows after the first that are input cells, in the first `input_columns`.
    pub input_rows: u32,
    pub input_columns: u16,
    /// Info sheets: labels whose value stays editable when pre-filled (an empty value always is),
    /// with an optional rule.
    pub editable_labels: Vec<(String, Option<InputRule>)>,
    /// Codes typed as digits (统一社会信用代码, 联系电话): info labels and plain-sheet columns
    /// whose input cells are formatted as text, so Excel keeps every digit of an 18-digit code
    /// instead of storing a number rounded to 15.
    pub text_labels: Vec<String>,
    pub text_columns: Vec<u16>,
}

struct Formats {
    percent: Format,
    merged: Format,
    /// The unlocked format of input cells, when the form is guarded.
    input: Option<Format>,
    /// The same, as text (`@`), for codes.
    text_input: Option<Format>,
}

/// Writes a form to bytes and says where each indicator cell is.
pub fn write_form(book: &FormBook) -> Result<(Vec<u8>, Placement), XlsxError> {
    write_book(book, None)
}

/// Writes a form whose sheets are protected, with `guards[i]` for `book.sheets[i]`.
pub fn write_guarded_form(
    book: &FormBook,
    guards: &[SheetGuard],
) -> Result<(Vec<u8>, Placement), XlsxError> {
    write_book(book, Some(guards))
}

fn write_book(
    book: &FormBook,
    guards: Option<&[SheetGuard]>,
) -> Result<(Vec<u8>, Placement), XlsxError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2022, 1, 15)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&created)
            .set_author("zlbd"),
    );
    let input = guards.map(|_| {
        Format::new()
            .set_unlocked()
            .set_background_color("FFF9E5")
            .set_border(rust_xlsxwriter::FormatBorder::Thin)
            .set_border_color("BFBFBF")
    });
    let formats = Formats {
        percent: Format::new().set_num_format("0.0%"),
        merged: Format::new().set_align(FormatAlign::VerticalCenter),
        text_input: input.clone().map(|input| input.set_num_format("@")),
        input,
    };
    let default_guard = SheetGuard::default();
    let mut placement = Vec::with_capacity(book.sheets.len());
    for (index, sheet) in book.sheets.iter().enumerate() {
        let worksheet = workbook.add_worksheet();
        let guard = guards.map(|guards| guards.get(index).unwrap_or(&default_guard));
        let placed = match sheet {
            FormSheet::Info { name, pairs } => {
                write_info(worksheet, name, pairs, &formats)?;
                Vec::new()
            }
            FormSheet::Indicators(table) => write_indicators(worksheet, table, &formats)?,
            FormSheet::Plain(plain) => {
                write_plain(worksheet, plain, &formats)?;
                Vec::new()
            }
        };
        if let (Some(guard), Some(input), Some(text_input)) =
            (guard, &formats.input, &formats.text_input)
        {
            guard_sheet(worksheet, sheet, &placed, guard, [input, text_input])?;
        }
        placement.push(placed);
    }
    let bytes = workbook.save_to_buffer()?;
    let no_result =
        |value: &Written| matches!(value, Written::Formula { result, .. } if result.is_empty());
    let without_result = book.sheets.iter().any(|sheet| match sheet {
        FormSheet::Info { pairs, .. } => pairs.iter().any(|(_, value)| no_result(value)),
        FormSheet::Indicators(table) => table.rows.iter().flat_map(|row| &row.cells).any(no_result),
        FormSheet::Plain(plain) => plain.rows.iter().flatten().any(no_result),
    });
    let bytes = if without_result {
        without_empty_results(&bytes)
            .map_err(|error| XlsxError::IoError(std::io::Error::other(error)))?
    } else {
        bytes
    };
    Ok((bytes, placement))
}

/// rust_xlsxwriter saves every formula with a cached result: `<v></v>` for an empty one, which
/// Excel writes for a formula whose result is the empty text (`=IF(…,"",…)`). A formula given
/// no result must have none, as a program that does not calculate (openpyxl) saves it, so
/// its `<v></v>` is taken out of the worksheet parts; every other part is copied as it is.
fn without_empty_results(bytes: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::{Cursor, Read, Write};
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    for index in 0..archive.len() {
        let mut part = archive.by_index(index)?;
        let name = part.name()?.into_owned();
        if !(name.starts_with("xl/worksheets/") && name.ends_with(".xml")) {
            out.raw_copy_file(part)?;
            continue;
        }
        let mut xml = Vec::with_capacity(part.size() as usize);
        part.read_to_end(&mut xml)?;
        let xml = String::from_utf8_lossy(&xml).replace("</f><v></v></c>", "</f></c>");
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(part.compression())
            .last_modified_time(part.last_modified().unwrap_or_default());
        drop(part);
        out.start_file(name, options)?;
        out.write_all(xml.as_bytes())?;
    }
    Ok(out.finish()?.into_inner())
}

/// Unlocks and validates a sheet's input cells, sets its widths and protects it.
fn guard_sheet(
    worksheet: &mut Worksheet,
    sheet: &FormSheet,
    placed: &[Vec<String>],
    guard: &SheetGuard,
    [input, text_input]: [&Format; 2],
) -> Result<(), XlsxError> {
    for (col, width) in guard.widths.iter().enumerate() {
        worksheet.set_column_width(col as u16, *width)?;
    }
    match sheet {
        FormSheet::Info { pairs, .. } => {
            for (index, (label, value)) in pairs.iter().enumerate() {
                let row = index as u32 + 2;
                let editable = guard.editable_labels.iter().find(|(l, _)| l == label);
                let empty = matches!(value, Written::Blank)
                    || matches!(value, Written::Text(text) if text.is_empty());
                if !(empty || editable.is_some()) {
                    continue;
                }
                let input = if guard.text_labels.iter().any(|text| text == label) {
                    text_input
                } else {
                    input
                };
                match value {
                    Written::Number(number) => {
                        worksheet.write_number_with_format(row, 1, *number, input)?;
                    }
                    Written::Text(text) if !text.is_empty() => {
                        worksheet.write_string_with_format(row, 1, text, input)?;
                    }
                    _ => {
                        worksheet.write_blank(row, 1, input)?;
                    }
                }
                if let Some((_, Some(rule))) = editable {
                    worksheet.add_data_validation(row, 1, row, 1, &rule.validation(label)?)?;
                }
            }
        }
        FormSheet::Indicators(table) => {
            for ((row, addresses), rule) in table
                .rows
                .iter()
                .zip(placed)
                .zip(guard.rules.iter().cloned().chain(std::iter::repeat(None)))
            {
                let mut first: Option<(u32, u16)> = None;
                let mut last = (0, 0);
                for (cell, address) in row.cells.iter().zip(addresses) {
                    let Some((r, c)) = parse_a1(address) else {
                        continue;
                    };
                    match cell {
                        Written::Blank => {
                            worksheet.write_blank(r, c, input)?;
                        }
                        Written::Number(number) => {
                            worksheet.write_number_with_format(r, c, *number, input)?;
                        }
                        Written::Text(text) => {
                            worksheet.write_string_with_format(r, c, text, input)?;
                        }
                        _ => {}
                    }
                    first.get_or_insert((r, c));
                    last = (r, c);
                }
                if let (Some((r, c)), Some(rule)) = (first, rule) {
                    worksheet.add_data_validation(
                        r,
                        c,
                        last.0,
                        last.1,
                        &rule.validation(&row.name)?,
                    )?;
                }
                // 备注, right of the year columns.
                if let Some((r, _)) = first {
                    worksheet.write_blank(r, last.1 + 1, input)?;
                }
            }
        }
        FormSheet::Plain(_) => {
            for row in 1..=guard.input_rows {
                for col in 0..guard.input_columns {
                    let text = guard.text_columns.contains(&col);
                    worksheet.write_blank(row, col, if text { text_input } else { input })?;
                }
            }
        }
    }
    worksheet.protect();
    Ok(())
}

/// `D12` → (row 11, column 3), zero-based.
fn parse_a1(address: &str) -> Option<(u32, u16)> {
    let letters: String = address
        .chars()
        .take_while(|c| c.is_ascii_uppercase())
        .collect();
    let digits = &address[letters.len()..];
    let row: u32 = digits.parse().ok()?;
    let col = letters
        .chars()
        .fold(0u32, |acc, c| acc * 26 + (c as u32 - 'A' as u32 + 1));
    (row >= 1 && col >= 1).then(|| (row - 1, (col - 1) as u16))
}

fn write_written(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    written: &Written,
    formats: &Formats,
) -> Result<(), XlsxError> {
    match written {
        Written::Number(value) => {
            sheet.write_number(row, col, *value)?;
        }
        Written::PercentFraction(value) => {
            sheet.write_number_with_format(row, col, *value, &formats.percent)?;
        }
        Written::Text(text) => {
            sheet.write_string(row, col, text)?;
        }
        Written::Formula { formula, result } => {
            sheet.write_formula(row, col, Formula::new(formula).set_result(result))?;
        }
        Written::Blank => {}
    }
    Ok(())
}

fn write_info(
    sheet: &mut Worksheet,
    name: &str,
    pairs: &[(String, Written)],
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    sheet.write_string(0, 0, "质量提升比对报表")?;
    for (index, (label, value)) in pairs.iter().enumerate() {
        let row = index as u32 + 2;
        sheet.write_string(row, 0, label)?;
        write_written(sheet, row, 1, value, formats)?;
    }
    Ok(())
}

fn write_plain(
    sheet: &mut Worksheet,
    plain: &PlainSheet,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(&plain.name)?;
    for (row, cells) in plain.rows.iter().enumerate() {
        for (col, cell) in cells.iter().enumerate() {
            write_written(sheet, row as u32, col as u16, cell, formats)?;
        }
    }
    if plain.hidden {
        sheet.set_hidden(true);
    }
    Ok(())
}

fn year_label(year: i32, style: YearStyle) -> Written {
    match style {
        YearStyle::Suffix => Written::Text(format!("{year}年")),
        YearStyle::Fiscal => Written::Text(format!("{year}年度")),
        YearStyle::Number => Written::Number(year as f64),
        YearStyle::Spaced => Written::Text(format!("{year} 年")),
    }
}

/// Where the parts of an indicator table sit.
struct Columns {
    /// Row of the first indicator.
    data_row: u32,
    /// Column of the first year.
    first_year: u16,
    /// 数据来源, when present.
    source: Option<u16>,
}

const NAME_COL: u16 = 1;
const UNIT_COL: u16 = 2;

/// Title, optional subtitle and the header row(s); returns where the data goes.
fn write_header(
    sheet: &mut Worksheet,
    table: &IndicatorSheet,
    formats: &Formats,
) -> Result<Columns, XlsxError> {
    sheet.write_string(0, 0, &table.title)?;
    let header = 1 + u32::from(table.subtitle.is_some());
    if let Some(subtitle) = &table.subtitle {
        sheet.write_string(1, 0, subtitle)?;
    }
    let layout = &table.layout;
    let first = if table.industry_column {
        "行业名称"
    } else {
        "序号"
    };
    let mut headers = vec![first, "指标名称", "计量单位"];
    if layout.source_column {
        headers.push("数据来源");
    }
    for (col, text) in headers.iter().enumerate() {
        sheet.write_string(header, col as u16, *text)?;
    }
    let first_year = headers.len() as u16;
    let year_row = header + u32::from(layout.two_row_header);
    for (offset, year) in table.years.iter().enumerate() {
        let label = year_label(*year, layout.year_style);
        write_written(sheet, year_row, first_year + offset as u16, &label, formats)?;
    }
    if layout.two_row_header && !table.years.is_empty() {
        let last = first_year + table.years.len() as u16 - 1;
        sheet.merge_range(header, first_year, header, last, "年份", &formats.merged)?;
        for (col, text) in headers.iter().enumerate() {
            let col = col as u16;
            sheet.merge_range(header, col, header + 1, col, text, &formats.merged)?;
        }
    }
    sheet.write_string(header, first_year + table.years.len() as u16, "备注")?;
    Ok(Columns {
        data_row: year_row + 1,
        first_year,
        source: layout.source_column.then_some(UNIT_COL + 1),
    })
}

/// The name as the layout shows it.
fn shown_name(row: &IndicatorRow, number: usize, layout: &SheetLayout) -> String {
    let mut name = if layout.numbered_names {
        format!("{number}.{}", row.name)
    } else {
        row.name.clone()
    };
    if layout.unit_in_name && !row.unit.is_empty() {
        name = format!("{name}({})", row.unit);
    }
    name
}

fn write_indicators(
    sheet: &mut Worksheet,
    table: &IndicatorSheet,
    formats: &Formats,
) -> Result<Vec<Vec<String>>, XlsxError> {
    sheet.set_name(&table.name)?;
    // A formula written without a result has no cached value, as from a script.
    sheet.set_formula_result_default("");
    let columns = write_header(sheet, table, formats)?;
    let mut placed = Vec::with_capacity(table.rows.len());
    let mut industry_start: Option<(u32, &str)> = None;
    let mut row_index = columns.data_row;
    for (number, row) in table.rows.iter().enumerate() {
        if table.industry_column {
            let industry = row.industry.as_deref().unwrap_or_default();
            if industry_start.is_none_or(|(_, current)| current != industry) {
                if let Some((start, name)) = industry_start.take() {
                    merge_industry(sheet, start, row_index - 1, name, formats)?;
                }
                industry_start = Some((row_index, industry));
            }
        } else {
            sheet.write_number(row_index, 0, (number + 1) as f64)?;
        }
        sheet.write_string(
            row_index,
            NAME_COL,
            shown_name(row, number + 1, &table.layout),
        )?;
        if !table.layout.unit_in_name {
            sheet.write_string(row_index, UNIT_COL, &row.unit)?;
        }
        if let Some(source) = columns.source {
            sheet.write_string(row_index, source, "财务报表")?;
        }
        let mut addresses = Vec::with_capacity(row.cells.len());
        for (offset, cell) in row.cells.iter().enumerate() {
            let col = columns.first_year + offset as u16;
            write_written(sheet, row_index, col, cell, formats)?;
            addresses.push(crate::domain::a1(row_index, col as u32));
        }
        placed.push(addresses);
        row_index += 1;
    }
    if let Some((start, name)) = industry_start {
        merge_industry(sheet, start, row_index - 1, name, formats)?;
    }
    for (offset, note) in table.notes.iter().enumerate() {
        sheet.write_string(row_index + 1 + offset as u32, 0, note)?;
    }
    Ok(placed)
}

/// The 行业名称 cell over one industry's rows: merged when it spans more than one row.
fn merge_industry(
    sheet: &mut Worksheet,
    first: u32,
    last: u32,
    name: &str,
    formats: &Formats,
) -> Result<(), XlsxError> {
    if first == last {
        sheet.write_string(first, 0, name)?;
    } else {
        sheet.merge_range(first, 0, last, 0, name, &formats.merged)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(layout: SheetLayout, industry_column: bool) -> IndicatorSheet {
        let row = |name: &str, industry: &str| IndicatorRow {
            name: name.to_string(),
            unit: "万元".to_string(),
            industry: Some(industry.to_string()),
            cells: vec![Written::Number(1.0), Written::Text("2".to_string())],
        };
        IndicatorSheet {
            name: ENTERPRISE_SHEET.to_string(),
            title: "标题".to_string(),
            subtitle: None,
            industry_column,
            layout,
            years: vec![2020, 2021],
            rows: vec![
                row("营业收入", "纺织"),
                row("利润总额", "纺织"),
                row("营业收入", "家电"),
            ],
            notes: standard_notes(None),
        }
    }

    #[test]
    fn placement_names_every_indicator_cell_under_each_layout() {
        let plain = FormBook {
            sheets: vec![
                FormSheet::Info {
                    name: INFO_SHEET.to_string(),
                    pairs: vec![info_text("企业名称", "甲")],
                },
                FormSheet::Indicators(table(SheetLayout::default(), false)),
            ],
        };
        let (bytes, placement) = write_form(&plain).unwrap();
        assert!(!bytes.is_empty());
        assert!(placement[0].is_empty());
        assert_eq!(placement[1][0], vec!["D3", "E3"]);
        assert_eq!(placement[1][2], vec!["D5", "E5"]);

        let varied = SheetLayout {
            two_row_header: true,
            source_column: true,
            ..SheetLayout::default()
        };
        let mut sheet = table(varied, true);
        sheet.subtitle = Some("单位：见计量单位列".to_string());
        let book = FormBook {
            sheets: vec![FormSheet::Indicators(sheet)],
        };
        let (_, placement) = write_form(&book).unwrap();
        // Title, subtitle, two header rows, then data from row 5 and years from column E.
        assert_eq!(placement[0][0], vec!["E5", "F5"]);
    }

    #[test]
    fn the_same_book_gives_the_same_bytes() {
        let book = FormBook {
            sheets: vec![
                FormSheet::Indicators(table(SheetLayout::default(), true)),
                FormSheet::Plain(members_sheet(&[("甲".to_string(), "X".to_string())])),
            ],
        };
        assert_eq!(write_form(&book).unwrap(), write_form(&book).unwrap());
    }
}
