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
    DocProperties, ExcelDateTime, Format, FormatAlign, Formula, Workbook, Worksheet, XlsxError,
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

struct Formats {
    percent: Format,
    merged: Format,
}

/// Writes a form to bytes and says where each indicator cell is.
pub fn write_form(book: &FormBook) -> Result<(Vec<u8>, Placement), XlsxError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2022, 1, 15)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&created)
            .set_author("zlbd"),
    );
    let formats = Formats {
        percent: Format::new().set_num_format("0.0%"),
        merged: Format::new().set_align(FormatAlign::VerticalCenter),
    };
    let mut placement = Vec::with_capacity(book.sheets.len());
    for sheet in &book.sheets {
        let worksheet = workbook.add_worksheet();
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
        placement.push(placed);
    }
    Ok((workbook.save_to_buffer()?, placement))
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
