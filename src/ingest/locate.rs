//! Finds what a workbook holds by content, never by file or sheet name: the label/value pairs
//! of 基本信息 and every indicator table (header row, year columns, unit and industry columns,
//! every data row to the last used row of the sheet).

use super::workbook::{cell_at, excel_date, CellValue, Sheet};
use crate::domain::{a1, Kind};
use crate::domain::{text, units};
use serde::Serialize;
use std::collections::BTreeMap;

/// Rows searched for a header (SPEC §3.4: the first 30).
const HEADER_SEARCH_ROWS: u32 = 30;
/// Rows and columns searched for 基本信息 labels.
const INFO_SEARCH_ROWS: u32 = 60;
const INFO_SEARCH_COLS: u32 = 20;

/// The 基本信息 fields zlbd understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum InfoKey {
    EnterpriseName,
    Uscc,
    ParkName,
    ParkCode,
    City,
    RegionCode,
    ParkOfEnterprise,
    IndustryCode,
    FilledDate,
    Version,
    ContactName,
    ContactPhone,
}

/// Folded labels and the field each names (SPEC §3.1 with aliases).
const LABELS: &[(&str, InfoKey)] = &[
    ("企业名称", InfoKey::EnterpriseName),
    ("单位名称", InfoKey::EnterpriseName),
    ("统一社会信用代码", InfoKey::Uscc),
    ("信用代码", InfoKey::Uscc),
    ("社会信用代码", InfoKey::Uscc),
    ("园区名称", InfoKey::ParkName),
    ("园区代码", InfoKey::ParkCode),
    ("填报地市", InfoKey::City),
    ("所属地市", InfoKey::City),
    ("地市", InfoKey::City),
    ("所属城市", InfoKey::City),
    ("行政区划代码", InfoKey::RegionCode),
    ("所属园区", InfoKey::ParkOfEnterprise),
    ("所属行业", InfoKey::IndustryCode),
    ("行业代码", InfoKey::IndustryCode),
    ("填报日期", InfoKey::FilledDate),
    ("报表版本", InfoKey::Version),
    ("版本号", InfoKey::Version),
    ("版本", InfoKey::Version),
    ("填报人", InfoKey::ContactName),
    ("联系人", InfoKey::ContactName),
    ("联系电话", InfoKey::ContactPhone),
    ("电话", InfoKey::ContactPhone),
];

/// Labels that are not fields but must not be taken as a field's value either.
const OTHER_LABELS: &[&str] = &["填报单位", "审核人", "序号", "指标名称"];

fn label_key(folded: &str) -> Option<InfoKey> {
    LABELS
        .iter()
        .find(|(label, _)| *label == folded)
        .map(|(_, key)| *key)
}

/// Whether `text` may fold to one of [`LABELS`] (alone, or before a colon): its first character
/// once folded (half-width, lower case, after white space and `*`) begins one of them. Cheaper
/// than folding, and never false for a text that folds to a label.
fn may_be_label(text: &str) -> bool {
    let first = text::first_folded(text);
    // The first characters of [`LABELS`] (a unit test holds them to the list).
    matches!(
        first,
        Some(
            '企' | '单'
                | '统'
                | '信'
                | '社'
                | '园'
                | '填'
                | '所'
                | '地'
                | '行'
                | '报'
                | '版'
                | '联'
                | '电'
        )
    )
}

fn is_label(value: &CellValue) -> bool {
    match value {
        CellValue::Text(text) => {
            let folded = text::fold(text);
            label_key(&folded).is_some() || OTHER_LABELS.contains(&folded.as_str())
        }
        _ => false,
    }
}

/// Where a field's value was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InfoValue {
    pub sheet: String,
    pub cell: String,
    pub value: CellValue,
}

/// Every field found, first occurrence in the best sheet winning.
pub fn basic_info(sheets: &[Sheet]) -> BTreeMap<InfoKey, InfoValue> {
    let mut per_sheet: Vec<BTreeMap<InfoKey, InfoValue>> = sheets.iter().map(sheet_info).collect();
    let mut order: Vec<usize> = (0..sheets.len()).collect();
    order.sort_by_key(|&index| std::cmp::Reverse(per_sheet[index].len()));
    let mut info = BTreeMap::new();
    for index in order {
        for (key, value) in std::mem::take(&mut per_sheet[index]) {
            info.entry(key).or_insert(value);
        }
    }
    info
}

fn sheet_info(sheet: &Sheet) -> BTreeMap<InfoKey, InfoValue> {
    let mut found = BTreeMap::new();
    for (row, cells) in sheet.rows() {
        if row >= INFO_SEARCH_ROWS {
            break;
        }
        for (position, (col, value)) in cells.iter().enumerate() {
            if *col >= INFO_SEARCH_COLS {
                break;
            }
            let CellValue::Text(label_text) = value else {
                continue;
            };
            // Most texts here are indicator names: folded only when they may be a label.
            if !may_be_label(label_text) {
                continue;
            }
            let folded = text::fold(label_text);
            if let Some(key) = label_key(&folded) {
                // The value is the next non-empty cell to the right, within four columns.
                let value = cells[position + 1..]
                    .iter()
                    .take_while(|(value_col, _)| *value_col <= col + 4)
                    .find(|(_, value)| !value.is_empty());
                if let Some((value_col, value)) = value {
                    if !is_label(value) {
                        found.entry(key).or_insert(InfoValue {
                            sheet: sheet.name.clone(),
                            cell: a1(row, *value_col),
                            value: value.clone(),
                        });
                    }
                }
                continue;
            }
            // "企业名称：某公司" in one cell (a full-width colon folds to the ASCII one).
            if !label_text.contains([':', '：']) {
                continue;
            }
            let half = text::to_half_width(label_text);
            if let Some((left, right)) = half.split_once(':') {
                if let Some(key) = label_key(&text::fold(left)) {
                    if !right.trim().is_empty() {
                        found.entry(key).or_insert(InfoValue {
                            sheet: sheet.name.clone(),
                            cell: a1(row, *col),
                            value: CellValue::Text(right.trim().to_string()),
                        });
                    }
                }
            }
        }
    }
    found
}

/// A year column of a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearColumn {
    pub col: u32,
    pub year: i32,
    /// An amount unit the header names (`2021年（元）`): the column's amounts are in it.
    pub unit: Option<String>,
    /// The header cell that named the year, and what it said.
    pub header_cell: String,
    pub label: String,
}

/// A header cell that names a year, over a column that is no year column (SPEC v2 §3.2: no
/// indicator cell vanishes without a row): a formula with no cached value, whose year is
/// never guessed (§3.4), or part of a year or a plan (`2021年1-9月`, `2020年预计`, a date
/// within a year).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnreadYear {
    pub col: u32,
    pub header_cell: String,
    pub label: String,
    /// The year the label names; none for a formula with no cached value.
    pub year: Option<i32>,
    /// Cells under it that hold a value, in the table's rows.
    pub values: usize,
}

/// One data row of a table, before indicators are matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    pub row: u32,
    /// The 行业名称 of city tables (filled down over merged cells).
    pub industry: Option<String>,
    pub name: String,
    pub name_cell: String,
    /// The 计量单位 cell's text, if the column exists and the cell is not empty.
    pub unit: Option<String>,
    /// Cells of every year column, in the order of [`Table::years`].
    pub values: Vec<CellValue>,
}

/// An indicator table found in a sheet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub sheet: String,
    pub hidden: bool,
    pub header_row: u32,
    pub name_col: u32,
    pub unit_col: Option<u32>,
    pub industry_col: Option<u32>,
    pub years: Vec<YearColumn>,
    /// Columns headed by a year that are not read as one.
    pub unread: Vec<UnreadYear>,
    /// The amount unit the sheet states for its tables, in titles above a header or in notes
    /// (the first statement, when every statement on the sheet names the same unit).
    pub stated_unit: Option<StatedUnit>,
    /// Every unit statement found above this table's header or among its rows.
    pub statements: Vec<StatedUnit>,
    /// Two statements on the sheet that name different units, when they do: an amount with no
    /// unit of its own cannot be read in either.
    pub stated_conflict: Option<(StatedUnit, StatedUnit)>,
    /// The sheet whose header this table goes on with, when its own sheet has none.
    pub continues: Option<String>,
    pub rows: Vec<TableRow>,
}

/// An amount unit stated for a whole table, outside its unit column (`金额单位：元` in a title
/// row, `注：本表金额单位为元` below): the unit of its amount rows whose 计量单位 cell and name
/// give none. Read as 万元 instead, 5,325.92 万元 written in 元 would load 10,000 times too large.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatedUnit {
    pub unit: String,
    /// The cell that states it, and what it says.
    pub cell: String,
    pub text: String,
}

/// The amount unit a text states for a table: `金额单位：元`, `（单位：亿元）`, `单位为元`,
/// `单位：人民币元`, `以元为单位`, `单位：万元、%`. None when it names none, or two different
/// ones; a price (`单位：元/吨`), a name (`填报单位：元丰公司`) or a pointer (`单位：见计量单位列`)
/// names none.
pub fn stated_amount_unit(text: &str) -> Option<&'static str> {
    // Longest first: 万元 is not 元.
    const UNITS: [&str; 5] = ["百万元", "亿元", "万元", "千元", "元"];
    if !text.contains("单位") {
        return None;
    }
    // Words apart are apart: `金额单位：元  填报日期：…` is two statements, not 元填….
    let mut joined = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let glued = joined.is_empty() || joined.ends_with([':', '：', '为', '是']);
        if !glued {
            joined.push(';');
        }
        joined.push_str(word);
    }
    let folded = text::fold(&joined);
    // A unit at the start of `rest`, ending where a unit ends: 元 in `元)`, not in `元/吨`.
    let unit_at = |rest: &str, ends: &dyn Fn(&str) -> bool| {
        let rest = rest.trim_start_matches(['(', '[']);
        let rest = rest.strip_prefix("人民币").unwrap_or(rest);
        let unit = UNITS.iter().copied().find(|unit| rest.starts_with(unit))?;
        let after = &rest[unit.len()..];
        ends(after.strip_prefix("人民币").unwrap_or(after)).then_some(unit)
    };
    let closes = |after: &str| {
        (after.chars().next())
            .is_none_or(|c| matches!(c, ')' | ']' | '(' | ',' | ';' | '、' | '。' | '】' | '）'))
    };
    // Whose unit: the table's (nothing before 单位 but a label or a number: `单位：元`,
    // `1.金额单位为元`, `本表金额以元为单位`), or one named item's (`其中质量损失金额以元为单位`,
    // `注册资本单位为元`), which says nothing of the other amounts but forbids a guess when it
    // differs from the table's (`金额单位：元；利润单位：万元`). A price's (`单价单位为元`) is no
    // amount's at all.
    let noun_of = |before: &str| -> Noun {
        const TABLE_NOUNS: [&str; 12] = [
            "",
            "金额",
            "本表金额",
            "表中金额",
            "表内金额",
            "全表金额",
            "本表",
            "全表",
            "表中",
            "货币",
            "计量",
            "数据",
        ];
        let noun = before
            .rsplit(|c: char| !c.is_alphanumeric() || c.is_ascii_digit())
            .next()
            .unwrap_or("");
        let noun = ["注", "说明", "填表说明", "备注"]
            .iter()
            .find_map(|label| noun.strip_prefix(label))
            .unwrap_or(noun);
        match noun {
            _ if TABLE_NOUNS.contains(&noun) => Noun::Table,
            _ if noun.contains('价') => Noun::Price,
            _ => Noun::Item,
        }
    };
    let (mut units, mut items) = (Vec::new(), Vec::new());
    let mut keep = |noun: Noun, unit: Option<&'static str>| match noun {
        Noun::Table => units.extend(unit),
        Noun::Item => items.extend(unit),
        Noun::Price => {}
    };
    for (at, _) in folded.match_indices("单位") {
        let rest = &folded[at + "单位".len()..];
        let stated = rest
            .strip_prefix(':')
            .or_else(|| rest.strip_prefix('为'))
            .or_else(|| rest.strip_prefix('是'));
        keep(
            noun_of(&folded[..at]),
            stated.and_then(|rest| unit_at(rest, &closes)),
        );
        // 以元为单位: the unit between 以 and 为单位.
        if let Some(before) = folded[..at].strip_suffix('为') {
            if let Some(start) = before.rfind('以') {
                let unit = &before[start + '以'.len_utf8()..];
                keep(
                    noun_of(&before[..start]),
                    unit_at(unit, &|after| after.is_empty()),
                );
            }
        }
    }
    let first = *units.first()?;
    let agreed = units.iter().chain(&items).all(|unit| *unit == first);
    agreed.then_some(first)
}

/// Whose unit a statement gives: the table's, one named item's, or a price's.
#[derive(Debug, Clone, Copy)]
enum Noun {
    Table,
    Item,
    Price,
}

/// The amount unit in a year header's brackets (`2021年（元）`, `2021年（人民币万元）`).
fn stated_in_year_label(label: &str) -> Option<String> {
    let folded = text::fold(label);
    let note = folded.strip_suffix(')')?.rsplit_once('(')?.1;
    let unit = text::bare_unit(note);
    units::kind_factor(Kind::Amount, &unit).map(|_| unit)
}

/// The amount units stated in the text cells of `cells`, with their cells.
fn stated_in(row: u32, cells: &[(u32, CellValue)]) -> impl Iterator<Item = StatedUnit> + '_ {
    cells.iter().filter_map(move |(col, value)| match value {
        CellValue::Text(text) => stated_amount_unit(text).map(|unit| StatedUnit {
            unit: unit.to_string(),
            cell: a1(row, *col),
            text: text.trim().to_string(),
        }),
        _ => None,
    })
}

fn header_text(value: &CellValue) -> Option<String> {
    match value {
        CellValue::Text(text) => Some(text::fold(text)),
        _ => None,
    }
}

fn year_of(value: &CellValue) -> Option<i32> {
    match value {
        CellValue::Number { value, .. }
            if value.fract() == 0.0 && (1900.0..=2100.0).contains(value) =>
        {
            Some(*value as i32)
        }
        CellValue::Text(text) => text::parse_year_label(text),
        // A date in a header row on 1 January or 31 December is its year (a yyyy"年" format
        // over a date cell shows `2021年`; a year-end date names its year). Other days are
        // part of a year, no year column.
        CellValue::Date(serial) => {
            use chrono::Datelike;
            let date = excel_date(*serial)?;
            let whole_year =
                (date.month(), date.day()) == (1, 1) || (date.month(), date.day()) == (12, 31);
            (whole_year && (1900..=2100).contains(&date.year())).then_some(date.year())
        }
        _ => None,
    }
}

/// The year a header cell names when it makes no year column ([`UnreadYear`]): `Some(None)`
/// for a formula with no cached value.
fn unread_year(value: &CellValue) -> Option<Option<i32>> {
    match value {
        CellValue::FormulaNoValue(_) => Some(None),
        CellValue::Text(text) => text::part_of_year_label(text)
            .or_else(|| text::unknown_year_label(text))
            .map(Some),
        CellValue::Date(serial) => {
            use chrono::Datelike;
            let date = excel_date(*serial)?;
            (year_of(value).is_none() && (1900..=2100).contains(&date.year()))
                .then_some(Some(date.year()))
        }
        _ => None,
    }
}

/// A unit column's header, as folded: 计量单位 or 单位 and their usual variants (指标单位,
/// 度量单位, unit), also with a bracketed note (`计量单位（万元）`, `计量单位(注明)`). Missing
/// it would read 元 and 亿元 amounts as 万元, with no trace.
fn is_unit_label(text: &str) -> bool {
    const LABELS: [&str; 7] = [
        "计量单位",
        "单位",
        "指标单位",
        "度量单位",
        "计量单位名称",
        "unit",
        "units",
    ];
    let bare = match text.find('(') {
        Some(open) if text.ends_with(')') => &text[..open],
        _ => text,
    };
    LABELS.contains(&bare)
}

/// Notes and signature lines, inside or below a table: never indicator rows.
fn is_note(name: &str) -> bool {
    // As folded (ASCII colon). The colon belongs to the prefix: 注册资本 is no note, and a
    // note cell holding only 注： or 备注： folds to the prefix without its colon.
    const PREFIXES: [&str; 8] = [
        "填表说明",
        "填表人",
        "注:",
        "说明",
        "审核人",
        "备注:",
        "负责人",
        "单位负责人",
    ];
    // Every note starts with one of these (once blanks and leading stars are dropped, as
    // folding does): most names are told apart without being folded.
    let first = name
        .chars()
        .find(|c| !(c.is_whitespace() || matches!(c, '*' | '＊' | '\u{200B}')));
    if !first.is_some_and(|c| "填注说审备负单".contains(c)) {
        return false;
    }
    let folded = text::fold(name);
    PREFIXES.iter().any(|prefix| {
        folded.starts_with(prefix) || prefix.strip_suffix(':') == Some(folded.as_str())
    })
}

/// The header labels of the 指标名称 column.
const NAME_LABELS: [&str; 4] = ["指标名称", "指标", "指标项", "指标名"];

/// The indicator tables of a sheet: the one whose header is within its first
/// [`HEADER_SEARCH_ROWS`] rows, and after it one per header repeated further down (a 续表 below
/// the notes, with year columns of its own), so each block is read with its own years.
pub fn tables(sheet: &Sheet) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    let (mut from, mut until) = (0, HEADER_SEARCH_ROWS);
    // A header repeated below may carry no 指标名称, 计量单位 or 行业名称 label (项目, or blank):
    // those columns stay where they were.
    let mut columns_above: Option<Columns> = None;
    while let Some((found, next)) = table_from(sheet, from, until, columns_above) {
        columns_above = found.first().map(|table| Columns {
            name: table.name_col,
            unit: table.unit_col,
            industry: table.industry_col,
        });
        tables.extend(found);
        match next {
            Some(row) => (from, until) = (row, row + 1),
            None => break,
        }
    }
    // A unit stated anywhere on the sheet (a title, a note at the bottom) is the sheet's, for
    // every table on it; statements that disagree state none.
    let mut statements = (tables.iter()).flat_map(|table| table.statements.iter());
    let first = statements.next().cloned();
    let other = first
        .as_ref()
        .and_then(|first| statements.find(|other| other.unit != first.unit))
        .cloned();
    let (agreed, conflict) = match (first, other) {
        (Some(first), Some(other)) => (None, Some((first, other))),
        (first, None) => (first, None),
        (None, Some(_)) => (None, None),
    };
    for table in &mut tables {
        table.stated_unit.clone_from(&agreed);
        table.stated_conflict.clone_from(&conflict);
    }
    tables
}

/// A sheet that goes on with the table of the sheet before it without a header of its own
/// (`质量指标（续）`, its rows in the same columns): read with that table's columns, when its
/// name says so (续, or the name of the sheet before it) and a row holds a number in them.
/// Without it, the rows of a form split over two sheets vanished with no word.
pub fn continued(sheet: &Sheet, above: &Table) -> Option<Table> {
    let named = sheet.name.contains('续') || sheet.name.starts_with(above.sheet.as_str());
    if sheet.hidden || !named || sheet.name == above.sheet || names_a_year(sheet) {
        return None;
    }
    let mut block = Block {
        name_col: above.name_col,
        unit_col: above.unit_col,
        industry_col: above.industry_col,
        years: above.years.clone(),
        unread: Vec::new(),
        noted: Vec::new(),
    };
    let first = sheet.rows_from(0).next().map(|(row, _)| row)?;
    let mut rows = block_rows(sheet, &mut block, first, None);
    // A city's industry goes on too, until the sheet names one.
    let carried = above.rows.last().and_then(|row| row.industry.clone());
    for row in rows.iter_mut().take_while(|row| row.industry.is_none()) {
        row.industry.clone_from(&carried);
    }
    let numbers = (rows.iter().flat_map(|row| &row.values))
        .any(|value| matches!(value, CellValue::Number { .. }));
    numbers.then(|| Table {
        sheet: sheet.name.clone(),
        hidden: sheet.hidden,
        header_row: above.header_row,
        name_col: block.name_col,
        unit_col: block.unit_col,
        industry_col: block.industry_col,
        years: block.years,
        unread: Vec::new(),
        stated_unit: above.stated_unit.clone(),
        statements: block.noted,
        stated_conflict: above.stated_conflict.clone(),
        continues: Some(above.sheet.clone()),
        rows,
    })
}

/// Whether the top of a sheet names a year or a 指标名称 column anywhere (`2018年`, a title
/// `上年度报送数据（2018—2020年）`): a sheet with years of its own is no continuation of
/// another's, even when they could not be read as a header.
fn names_a_year(sheet: &Sheet) -> bool {
    let years = |text: &str| {
        let digits: Vec<char> = text.chars().collect();
        digits.windows(4).any(|four| {
            matches!(four[..2], ['1', '9'] | ['2', '0'])
                && four[2..].iter().all(char::is_ascii_digit)
        })
    };
    (sheet.rows_from(0))
        .take_while(|(row, _)| *row < HEADER_SEARCH_ROWS)
        .flat_map(|(_, cells)| cells.iter())
        .any(|(_, value)| match value {
            CellValue::Text(text) => {
                years(text) || header_text(value).is_some_and(|t| NAME_LABELS.contains(&t.as_str()))
            }
            _ => false,
        })
}

/// The tables whose header is the first found in rows `from..until` (one per block of a header
/// that repeats 指标名称 after year columns: tables side by side), and the row where a header
/// repeated below them starts the next, if one does.
fn table_from(
    sheet: &Sheet,
    from: u32,
    until: u32,
    above: Option<Columns>,
) -> Option<(Vec<Table>, Option<u32>)> {
    const INDUSTRY_LABELS: [&str; 9] = [
        "行业名称",
        "行业",
        "重点行业",
        "重点行业名称",
        "所属行业",
        "行业类别",
        "产业名称",
        "产业",
        "重点产业",
    ];
    for (header_row, cells) in sheet.rows_from(from) {
        if header_row >= until {
            return None;
        }
        // Each cell of the row is folded once, for the headers looked for.
        let labels: Vec<(u32, String)> = cells
            .iter()
            .filter_map(|(col, value)| Some((*col, header_text(value)?)))
            .collect();
        let mut name_cols: Vec<u32> = labels
            .iter()
            .filter(|(_, text)| NAME_LABELS.contains(&text.as_str()))
            .map(|(col, _)| *col)
            .collect();
        if name_cols.is_empty() {
            name_cols.extend(above.map(|columns| columns.name));
        }
        let Some(&name_col) = name_cols.first() else {
            continue;
        };
        let Some(HeaderYears {
            years,
            unread,
            data_start,
        }) = header_years(sheet, header_row, name_col)
        else {
            continue;
        };
        // Blocks side by side: a 指标名称 after a year column starts another table (a
        // 指标名称 merged over two columns is one).
        let mut block_names = vec![name_col];
        for &col in &name_cols[1..] {
            let after = block_names.last().copied().unwrap_or(0);
            if years.iter().any(|year| year.col > after && year.col < col) {
                block_names.push(col);
            }
        }
        let mut blocks: Vec<Block> = Vec::with_capacity(block_names.len());
        for (index, &name_col) in block_names.iter().enumerate() {
            let next_name = block_names.get(index + 1).copied().unwrap_or(u32::MAX);
            // The first block also keeps year columns left of its names, as a lone table does.
            let after = if index == 0 { 0 } else { name_col };
            let own_years: Vec<YearColumn> = years
                .iter()
                .filter(|year| year.col >= after && year.col < next_name)
                .cloned()
                .collect();
            let own_unread: Vec<UnreadYear> = unread
                .iter()
                .filter(|column| column.col >= after && column.col < next_name)
                .cloned()
                .collect();
            let first_year = own_years.first().map_or(next_name, |year| year.col);
            let last_year = own_years.last().map_or(name_col, |year| year.col);
            // Left of its name, after the block before it (a 序号 or 行业名称 column).
            let left_from = blocks
                .last()
                .and_then(|before| before.years.last().map(|year| year.col + 1))
                .unwrap_or(0);
            // Between its name and its years, then after its years up to the next block's
            // name, then left of its name: its own columns before another block's.
            let regions = [
                (name_col + 1, first_year),
                (last_year + 1, next_name),
                (left_from, name_col),
            ];
            let find = |is_label: &dyn Fn(&str) -> bool, order: [usize; 3]| {
                order.iter().find_map(|&region| {
                    let (start, end) = regions[region];
                    labels
                        .iter()
                        .filter(|(col, _)| (start..end).contains(col))
                        .filter(|(col, _)| !block_names.contains(col))
                        .find(|(_, text)| is_label(text))
                        .map(|(col, _)| *col)
                })
            };
            // A header repeated below without the label keeps the column of the table above.
            let kept = |column: fn(&Columns) -> Option<u32>| {
                above
                    .filter(|above| above.name == name_col)
                    .and_then(|above| column(&above))
            };
            let unit_col = find(&is_unit_label, [0, 1, 2]).or_else(|| kept(|c| c.unit));
            // An industry column sits left of the names; side by side, the left table's serves
            // the block with none of its own.
            let industry_col = find(&|text| INDUSTRY_LABELS.contains(&text), [2, 0, 1])
                .or_else(|| blocks.last().and_then(|before| before.industry_col))
                .or_else(|| kept(|c| c.industry));
            blocks.push(Block {
                name_col,
                unit_col,
                industry_col,
                years: own_years,
                unread: own_unread,
                noted: Vec::new(),
            });
        }
        // The first row, in any block, where the header repeats with years of its own: every
        // block stops there, and the next table starts there.
        let next = blocks
            .iter()
            .filter_map(|block| repeated_header(sheet, block.name_col, &block.years, data_start))
            .min();
        // Units stated above the header, in the title rows (every block's).
        let titled = sheet
            .rows_from(from)
            .take_while(|(row, _)| *row < header_row)
            .flat_map(|(row, cells)| stated_in(row, cells))
            .collect::<Vec<_>>();
        let tables = blocks
            .into_iter()
            .map(|mut block| {
                let rows = block_rows(sheet, &mut block, data_start, next);
                Table {
                    sheet: sheet.name.clone(),
                    hidden: sheet.hidden,
                    header_row,
                    name_col: block.name_col,
                    unit_col: block.unit_col,
                    industry_col: block.industry_col,
                    rows,
                    years: block.years,
                    unread: block.unread,
                    stated_unit: None,
                    statements: titled.iter().cloned().chain(block.noted).collect(),
                    stated_conflict: None,
                    continues: None,
                }
            })
            .collect();
        return Some((tables, next));
    }
    None
}

/// The year columns of a header row and the first data row: years in the header row itself,
/// or in the row under it when the header row names none and the row under has no indicator
/// name of its own (a merged 年份 group above the years; a merged 指标名称 repeats the label).
/// A data row's 2015 revenue or 2021 备注 never makes a header.
fn header_years(sheet: &Sheet, header_row: u32, name_col: u32) -> Option<HeaderYears> {
    let years_in = |row: u32| -> HeaderYears {
        let mut found = HeaderYears {
            years: Vec::new(),
            unread: Vec::new(),
            data_start: row + 1,
        };
        for (col, value) in sheet.row(row) {
            let (header_cell, label) = (a1(row, *col), value.display());
            if let Some(year) = year_of(value) {
                let unit = match value {
                    CellValue::Text(text) => stated_in_year_label(text),
                    _ => None,
                };
                found.years.push(YearColumn {
                    col: *col,
                    year,
                    unit,
                    header_cell,
                    label,
                });
            } else if let Some(year) = unread_year(value) {
                found.unread.push(UnreadYear {
                    col: *col,
                    header_cell,
                    label,
                    year,
                    values: 0,
                });
            }
        }
        found
    };
    let found = years_in(header_row);
    if !found.years.is_empty() {
        return Some(with_sub_headers(sheet, header_row, name_col, found));
    }
    let name_below = header_text(sheet.get(header_row + 1, name_col));
    let second_header = name_below.is_none()
        || name_below == header_text(sheet.get(header_row, name_col))
        || sheet.get(header_row + 1, name_col).is_empty();
    let found = years_in(header_row + 1);
    (second_header && !found.years.is_empty()).then_some(found)
}

/// A year merged over sub-columns with a label row below (`2019年` over `目标值 | 完成值`): each
/// column is what its year and label say together. `2019年完成值` stays the year's column,
/// `2019年目标值` is a plan (reported, not read), a label nobody knows is reported too, and the
/// data start below the labels. Without the labels both columns were 2019: the target loaded
/// and the actual value was refused as its repeat.
fn with_sub_headers(
    sheet: &Sheet,
    header_row: u32,
    name_col: u32,
    found: HeaderYears,
) -> HeaderYears {
    let below = header_row + 1;
    let label_below = |col: u32| match sheet.get(below, col) {
        CellValue::Text(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        _ => None,
    };
    // The name column's cell below is empty or merged down from the header (the same label).
    let name_below = sheet.get(below, name_col);
    let spans = name_below.is_empty()
        || header_text(name_below).is_some_and(|text| NAME_LABELS.contains(&text.as_str()));
    let labelled = found
        .years
        .iter()
        .all(|year| label_below(year.col).is_some());
    let repeated = |year: &YearColumn| {
        found
            .years
            .iter()
            .filter(|other| other.year == year.year)
            .count()
            > 1
    };
    if !spans || !labelled || !found.years.iter().any(repeated) {
        return found;
    }
    let mut split = HeaderYears {
        years: Vec::new(),
        unread: found.unread,
        data_start: below + 1,
    };
    for year in found.years {
        let sub = label_below(year.col).unwrap_or_default();
        let label = format!("{}年{sub}", year.year);
        let header_cell = a1(below, year.col);
        if text::parse_year_label(&label) == Some(year.year) {
            // `完成值（元）` under the year: its unit, else the year cell's.
            let unit = stated_in_year_label(&label).or(year.unit.clone());
            split.years.push(YearColumn {
                header_cell,
                label,
                unit,
                ..year
            });
        } else if text::part_of_year_label(&label).is_some()
            || text::unknown_year_label(&label).is_some()
        {
            split.unread.push(UnreadYear {
                col: year.col,
                header_cell,
                label,
                year: Some(year.year),
                values: 0,
            });
        }
    }
    split
}

/// A header row's year columns, the columns headed by a year that are not read as one, and
/// the first data row.
struct HeaderYears {
    years: Vec<YearColumn>,
    unread: Vec<UnreadYear>,
    data_start: u32,
}

/// The first row from `data_start` where a block's 指标名称 column holds the label again and
/// the row makes a header (as [`header_years`] decides): a 续表 with year columns of its own.
fn repeated_header(
    sheet: &Sheet,
    name_col: u32,
    years: &[YearColumn],
    data_start: u32,
) -> Option<u32> {
    sheet.rows_from(data_start).find_map(|(row, cells)| {
        let named = match cell_at(cells, name_col) {
            // Every name label starts with 指: an indicator name is told apart without folding.
            CellValue::Text(name) if text::first_folded(name) == Some('指') => {
                NAME_LABELS.contains(&text::fold(name).as_str())
            }
            _ => false,
        };
        // A section's own header under another label (项目, 指标内容) or none: a row of year
        // labels, which no indicator row holds, that puts a year where the table above has
        // another (2021 | 2020 | 2019 below 2019 | 2020 | 2021 would swap the years in
        // silence). The same years again, or some of them, change nothing: the table goes on.
        let years_again = || {
            let labels: Vec<(u32, i32)> = (cells.iter())
                .filter_map(|(col, value)| match value {
                    CellValue::Text(label) if label.contains('年') => {
                        Some((*col, text::parse_year_label(label)?))
                    }
                    _ => None,
                })
                .collect();
            let moved = |(col, year): &(u32, i32)| {
                !years
                    .iter()
                    .any(|above| above.col == *col && above.year == *year)
            };
            labels.len() >= 2 && labels.iter().any(moved)
        };
        ((named || years_again()) && header_years(sheet, row, name_col).is_some()).then_some(row)
    })
}

/// A header row's year cell written as a formula with no cached value, when the sheet's only
/// header has no readable year (`2019` itself a formula): no table is found, and the form's
/// rejection says why instead of "not recognised". Called only for a form not recognised.
pub fn formula_year_header(sheet: &Sheet) -> Option<(String, String)> {
    for (row, cells) in sheet.rows_from(0) {
        if row >= HEADER_SEARCH_ROWS {
            break;
        }
        let named = cells.iter().any(|(_, value)| {
            header_text(value).is_some_and(|text| NAME_LABELS.contains(&text.as_str()))
        });
        if !named {
            continue;
        }
        for look in [row, row + 1] {
            let found = sheet.row(look).iter().find_map(|(col, value)| match value {
                CellValue::FormulaNoValue(_) => Some((a1(look, *col), value.display())),
                _ => None,
            });
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

/// One table's columns within a header row.
struct Block {
    name_col: u32,
    unit_col: Option<u32>,
    industry_col: Option<u32>,
    years: Vec<YearColumn>,
    unread: Vec<UnreadYear>,
    /// The amount units note rows among its rows state.
    noted: Vec<StatedUnit>,
}

/// The name, unit and industry columns of a table, for a header repeated below it without
/// their labels.
#[derive(Debug, Clone, Copy)]
struct Columns {
    name: u32,
    unit: Option<u32>,
    industry: Option<u32>,
}

/// A block's rows from `data_start`, up to `stop` (where the header repeats below), counting
/// the values under its unread year columns.
fn block_rows(
    sheet: &Sheet,
    block: &mut Block,
    data_start: u32,
    stop: Option<u32>,
) -> Vec<TableRow> {
    let mut rows = Vec::new();
    let mut industry: Option<String> = None;
    // Each row's cells are looked up in the row itself, not in the sheet again.
    for (row, cells) in sheet.rows_from(data_start) {
        if stop.is_some_and(|stop| row >= stop) {
            break;
        }
        let at = |col: u32| cell_at(cells, col);
        if let Some(col) = block.industry_col {
            if let CellValue::Text(text) = at(col) {
                if !is_note(text) {
                    industry = Some(text.trim().to_string());
                }
            }
        }
        let name = at(block.name_col).display_text();
        let name = name.trim();
        let first_text = cells.iter().find_map(|(_, value)| match value {
            CellValue::Text(text) => Some(text.as_str()),
            _ => None,
        });
        // Blank rows, notes, signatures and section rows are skipped, never the end of the
        // table: the table runs to the last used row of the sheet (SPEC v2 §3.2).
        if is_note(name) || (name.is_empty() && first_text.is_some_and(is_note)) {
            block.noted.extend(stated_in(row, cells));
            continue;
        }
        let values: Vec<CellValue> = block
            .years
            .iter()
            .map(|year| at(year.col).clone())
            .collect();
        // A row with numbers but no name is kept, to be reported: its cells must not vanish.
        // Blanks and missing markers (—, /) alone are no numbers.
        if name.is_empty() && !values.iter().any(|value| value.holds_value(Kind::Amount)) {
            continue;
        }
        for column in &mut block.unread {
            column.values += usize::from(at(column.col).holds_value(Kind::Amount));
        }
        let unit = block
            .unit_col
            .map(|col| at(col).display_text().trim().to_string())
            .filter(|unit| !unit.is_empty());
        rows.push(TableRow {
            row,
            industry: industry.clone(),
            name: name.to_string(),
            name_cell: a1(row, block.name_col),
            unit,
            values,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table's year columns as (column, year).
    fn years(table: &Table) -> Vec<(u32, i32)> {
        table.years.iter().map(|y| (y.col, y.year)).collect()
    }

    /// `repeated_header` asks only cells whose first folded character is 指.
    #[test]
    fn every_name_label_starts_with_zhi() {
        assert!(NAME_LABELS.iter().all(|label| label.starts_with('指')));
    }

    #[test]
    fn year_columns_left_of_the_names_belong_to_the_table() {
        let mut sheet = Sheet::new("质量指标", false);
        for (col, label) in ["2019年", "2020年", "指标名称", "计量单位"]
            .iter()
            .enumerate()
        {
            sheet.set(0, col as u32, text(label));
        }
        sheet.set(1, 0, number(1.0));
        sheet.set(1, 2, text("营业收入"));
        let found = tables(&sheet);
        assert_eq!(found.len(), 1);
        assert_eq!(years(&found[0]), [(0, 2019), (1, 2020)]);
        assert_eq!(found[0].unit_col, Some(3));
        assert_eq!(found[0].rows[0].values[0], number(1.0));
    }

    /// The shortcut never refuses a text that folds to a label, alone or before a colon, and
    /// refuses indicator names.
    #[test]
    fn a_text_that_folds_to_a_label_may_be_one() {
        for (label, _) in LABELS {
            let fancy: String = label.chars().map(|c| format!("{c} ")).collect();
            for written in [
                label.to_string(),
                format!(" \u{3000}*{label}："),
                format!("＊\u{200B}{fancy}:"),
                format!("{label}：某某"),
            ] {
                let folded = text::fold(written.split([':', '：']).next().unwrap_or_default());
                assert!(label_key(&folded).is_some(), "{written}");
                assert!(may_be_label(&written), "{written}");
            }
        }
        for name in [
            "营业收入",
            "1.营业收入（亿元）",
            "（一）研发投入",
            "",
            "  ",
            "：：",
        ] {
            assert!(!may_be_label(name), "{name}");
        }
    }

    fn text(value: &str) -> CellValue {
        CellValue::Text(value.to_string())
    }

    fn number(value: f64) -> CellValue {
        CellValue::Number {
            value,
            percent: false,
        }
    }

    #[test]
    fn an_amount_unit_is_stated_by_a_unit_label_and_a_money_unit() {
        for (text, unit) in [
            ("金额单位：元", "元"),
            ("（单位：亿元）", "亿元"),
            ("单位: 千元", "千元"),
            ("注：本表金额单位为元。", "元"),
            ("填表说明：1.金额单位为万元；2.比率保留两位小数。", "万元"),
            ("单位：万元、%、个", "万元"),
            ("单位：万元人民币", "万元"),
            ("计量单位：百万元", "百万元"),
            ("单位：人民币元", "元"),
            ("注：1.本表金额以元为单位；2.比率保留两位小数", "元"),
            ("说明：金额单位为人民币元", "元"),
            ("金额以万元为单位", "万元"),
            ("注：1.金额单位：万元（现价）；2.单价单位为元", "万元"),
            ("本表金额以元为单位，单价以元/吨为单位", "元"),
            ("金额单位：元    填报日期：2022年1月15日", "元"),
            ("单位： 万元", "万元"),
        ] {
            assert_eq!(stated_amount_unit(text), Some(unit), "{text}");
        }
        for text in [
            "单位：元/吨",
            "填报单位：元丰机械有限公司",
            "单位：见计量单位列",
            "单位名称：元",
            "单位",
            "金额单位：元；利润单位：万元",
            "2019—2021年质量提升比对指标",
            "以元/吨为单位",
            "所以为单位",
            "注：产品单价以元为单位",
            "吨钢价格单位为元",
            "注：质量损失率=质量损失金额÷营业收入×100%，其中质量损失金额以元为单位。",
            "说明：检验检测费用单位为元。",
            "注：注册资本单位为元。",
            "注：1.万元产值质量损失单位为元；2.比率保留两位小数",
        ] {
            assert_eq!(stated_amount_unit(text), None, "{text}");
        }
    }

    /// A unit stated above the header serves every table of the sheet, a 续表 below included;
    /// without one, a note among the rows states it.
    #[test]
    fn a_table_takes_the_unit_stated_above_it_or_in_its_notes() {
        let mut sheet = Sheet::new("质量指标", false);
        sheet.set(0, 0, text("质量提升比对指标"));
        sheet.set(1, 4, text("金额单位：元"));
        for (col, label) in ["指标名称", "计量单位", "2019年", "2020年", "2021年"]
            .iter()
            .enumerate()
        {
            sheet.set(2, col as u32, text(label));
            sheet.set(10, col as u32, text(label));
        }
        sheet.set(3, 0, text("营业收入"));
        sheet.set(3, 2, number(1e8));
        sheet.set(11, 0, text("利润总额"));
        sheet.set(11, 2, number(1e6));
        let found = tables(&sheet);
        assert_eq!(found.len(), 2);
        for table in &found {
            let stated = table.stated_unit.as_ref().expect("a stated unit");
            assert_eq!((stated.unit.as_str(), stated.cell.as_str()), ("元", "E2"));
        }

        let mut noted = Sheet::new("质量指标", false);
        for (col, label) in ["指标名称", "计量单位", "2019年"].iter().enumerate() {
            noted.set(0, col as u32, text(label));
        }
        noted.set(1, 0, text("营业收入"));
        noted.set(1, 2, number(1e8));
        noted.set(3, 0, text("注：本表金额单位为亿元"));
        let found = tables(&noted);
        let stated = found[0].stated_unit.as_ref().expect("a stated unit");
        assert_eq!((stated.unit.as_str(), stated.cell.as_str()), ("亿元", "A4"));
        assert_eq!(found[0].rows.len(), 1, "the note is no indicator row");
    }

    /// A sheet's statements that disagree state no unit; one note at the bottom serves every
    /// table of the sheet, the ones above it too.
    #[test]
    fn the_sheet_states_one_unit_or_none() {
        let sheet_with = |title: Option<&str>, note: &str| {
            let mut sheet = Sheet::new("质量指标", false);
            if let Some(title) = title {
                sheet.set(0, 4, text(title));
            }
            let years = [("2019年", "2020年"), ("2020年", "2019年")];
            for ((at, name), (first, second)) in
                [(1, "营业收入"), (4, "利润总额")].into_iter().zip(years)
            {
                for (col, label) in ["指标名称", "计量单位", first, second].iter().enumerate()
                {
                    sheet.set(at, col as u32, text(label));
                }
                sheet.set(at + 1, 0, text(name));
                sheet.set(at + 1, 2, number(1e8));
            }
            sheet.set(7, 0, text(note));
            sheet
        };
        let found = tables(&sheet_with(None, "注：本表金额单位为元"));
        assert_eq!(found.len(), 2);
        assert!(found
            .iter()
            .all(|table| table.stated_unit.as_ref().is_some_and(|s| s.unit == "元")));
        let found = tables(&sheet_with(Some("单位：万元"), "注：本表金额单位为元"));
        assert!(found.iter().all(|table| table.stated_unit.is_none()));
    }

    /// A row of the same years again (a section row) goes on with the table above; a row of
    /// other years starts a table that keeps the columns above it has no label for.
    #[test]
    fn a_row_of_year_labels_splits_only_when_the_years_move() {
        let mut sheet = Sheet::new("质量指标", false);
        for (col, label) in [
            "行业名称",
            "指标名称",
            "计量单位",
            "2019年",
            "2020年",
            "2021年",
        ]
        .iter()
        .enumerate()
        {
            sheet.set(0, col as u32, text(label));
        }
        let row = |sheet: &mut Sheet, at: u32, unit: &str| {
            sheet.set(at, 0, text("家电"));
            sheet.set(at, 1, text("营业收入"));
            sheet.set(at, 2, text(unit));
            sheet.set(at, 3, number(1.0));
        };
        row(&mut sheet, 1, "万元");
        // A section row repeating the years: the same table.
        sheet.set(2, 1, text("二、质量指标"));
        for (col, label) in [(3, "2019年"), (4, "2020年"), (5, "2021年")] {
            sheet.set(2, col, text(label));
        }
        row(&mut sheet, 3, "亿元");
        assert_eq!(tables(&sheet).len(), 1);
        // Some of the years again: still the same table, its 2019 column still read.
        sheet.set(2, 3, CellValue::Empty);
        assert_eq!(tables(&sheet).len(), 1);
        // The years in another order, no labels for units or industries: a new table with the
        // columns above.
        for (col, label) in [(3, "2021年"), (4, "2020年"), (5, "2019年")] {
            sheet.set(2, col, text(label));
        }
        let found = tables(&sheet);
        assert_eq!(found.len(), 2);
        let below = &found[1];
        assert_eq!((below.unit_col, below.industry_col), (Some(2), Some(0)));
        assert_eq!(below.years[0].year, 2021);
        assert_eq!(below.rows[0].unit.as_deref(), Some("亿元"));
    }

    /// A year merged over 目标值（元） | 完成值（元）: the actual column is the year's, in 元.
    #[test]
    fn a_sub_header_names_the_column_and_its_unit() {
        let mut sheet = Sheet::new("质量指标", false);
        for (col, label) in [(0, "指标名称"), (1, "2019年"), (2, "2019年")] {
            sheet.set(0, col, text(label));
        }
        sheet.set(1, 1, text("目标值（元）"));
        sheet.set(1, 2, text("完成值（元）"));
        sheet.set(2, 0, text("营业收入"));
        sheet.set(2, 1, number(2e8));
        sheet.set(2, 2, number(1.9e8));
        let found = tables(&sheet);
        let years = &found[0].years;
        assert_eq!(years.len(), 1);
        assert_eq!((years[0].col, years[0].unit.as_deref()), (2, Some("元")));
        assert_eq!(found[0].unread.len(), 1);
        assert_eq!(found[0].rows.len(), 1);
    }

    /// Notes are told by their folded start, whatever blanks or stars come before it.
    #[test]
    fn notes_are_known_by_their_start_after_blanks_and_stars() {
        let notes = [
            "填表说明：金额单位为万元",
            " ＊ 填表人：张三",
            "*注：初步数",
            "注：",
            "备注：",
            "　单位负责人",
        ];
        for note in notes {
            assert!(is_note(note), "{note:?} is a note");
        }
        // An indicator that starts like a note is read (or reported as unknown), never skipped.
        for name in [
            "营业收入",
            "单位",
            "注册资本",
            "备注栏目数",
            "研发投入（万元）",
            "",
            "**",
        ] {
            assert!(!is_note(name), "{name:?} is no note");
        }
    }

    #[test]
    fn finds_a_two_row_header_below_a_title() {
        let mut sheet = Sheet::new("指标", false);
        sheet.set(0, 0, text("2019—2021年质量提升比对指标"));
        sheet.set(2, 1, text("指标名称"));
        sheet.set(2, 2, text("计量单位"));
        sheet.set(2, 4, text("年份"));
        sheet.set(3, 4, text("2021年度"));
        sheet.set(3, 5, number(2019.0));
        sheet.set(4, 1, text("营业收入"));
        sheet.set(4, 4, number(3.0));
        sheet.set(4, 5, number(1.0));
        sheet.set(6, 0, text("填表说明：金额单位为万元"));
        sheet.set(7, 1, text("注：以上为初步数"));
        let table = tables(&sheet).into_iter().next().unwrap();
        assert_eq!(table.header_row, 2);
        assert_eq!(
            table
                .years
                .iter()
                .map(|y| (y.col, y.year))
                .collect::<Vec<_>>(),
            vec![(4, 2021), (5, 2019)]
        );
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].name_cell, "B5");
        assert_eq!(table.rows[0].values, vec![number(3.0), number(1.0)]);
    }

    #[test]
    fn years_in_the_first_data_row_never_make_a_header() {
        let mut sheet = Sheet::new("质量指标", false);
        for (col, label) in [
            "序号",
            "指标名称",
            "计量单位",
            "2019年",
            "2020年",
            "2021年",
            "备注",
        ]
        .iter()
        .enumerate()
        {
            sheet.set(0, col as u32, text(label));
        }
        sheet.set(1, 1, text("营业收入"));
        for (col, value) in [(3, 2015.0), (4, 2016.0), (5, 2020.0), (6, 2021.0)] {
            sheet.set(1, col, number(value));
        }
        let table = tables(&sheet).into_iter().next().unwrap();
        assert_eq!(table.header_row, 0);
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].values[0], number(2015.0));
    }

    #[test]
    fn a_header_repeated_below_starts_a_table_with_its_own_years() {
        let mut sheet = Sheet::new("质量指标", false);
        for (col, label) in ["指标名称", "2019年", "2020年", "2021年"]
            .iter()
            .enumerate()
        {
            sheet.set(0, col as u32, text(label));
        }
        sheet.set(1, 0, text("营业收入"));
        sheet.set(1, 1, number(1.0));
        sheet.set(3, 0, text("续表"));
        for (col, label) in ["指标名称", "2021年", "2020年", "2019年", "2018年"]
            .iter()
            .enumerate()
        {
            sheet.set(4, col as u32, text(label));
        }
        sheet.set(5, 0, text("利润总额"));
        sheet.set(5, 1, number(9.0));
        let found = tables(&sheet);
        assert_eq!(found.len(), 2);
        let first: Vec<&str> = found[0].rows.iter().map(|row| row.name.as_str()).collect();
        assert_eq!(
            first,
            ["营业收入", "续表"],
            "the second header is no row of the first"
        );
        assert_eq!(years(&found[0]), [(1, 2019), (2, 2020), (3, 2021)]);
        assert_eq!(
            years(&found[1]),
            [(1, 2021), (2, 2020), (3, 2019), (4, 2018)]
        );
        assert_eq!(found[1].rows[0].name, "利润总额");
        assert_eq!(found[1].rows[0].values[0], number(9.0));
    }

    #[test]
    fn tables_side_by_side_are_read_each_with_its_own_names_and_years() {
        let mut sheet = Sheet::new("质量指标", false);
        // 指标名称 merged over A:B (the label in both), then a second table from F.
        let header = [
            "指标名称",
            "指标名称",
            "2019年",
            "2020年",
            "备注",
            "指标名称",
            "单位",
            "2020年",
            "2019年",
        ];
        for (col, label) in header.iter().enumerate() {
            sheet.set(0, col as u32, text(label));
        }
        sheet.set(1, 0, text("营业收入"));
        sheet.set(1, 2, number(1.0));
        sheet.set(1, 3, number(2.0));
        sheet.set(1, 5, text("质量投诉次数"));
        sheet.set(1, 6, text("次"));
        sheet.set(1, 7, number(7.0));
        sheet.set(1, 8, number(6.0));
        let found = tables(&sheet);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].name_col, found[0].unit_col), (0, None));
        assert_eq!(years(&found[0]), [(2, 2019), (3, 2020)]);
        assert_eq!((found[1].name_col, found[1].unit_col), (5, Some(6)));
        assert_eq!(years(&found[1]), [(7, 2020), (8, 2019)]);
        assert_eq!(found[0].rows[0].name, "营业收入");
        assert_eq!(found[1].rows[0].name, "质量投诉次数");
        assert_eq!(found[1].rows[0].values, [number(7.0), number(6.0)]);
    }

    #[test]
    fn a_date_in_the_header_is_its_year() {
        let mut sheet = Sheet::new("质量指标", false);
        sheet.set(0, 0, text("指标名称"));
        // 2019-01-01, 2020-12-31, 2021-06-30 (serials of the 1900 date system): the last is
        // part of a year.
        for (col, serial) in [(1, 43466.0), (2, 44196.0), (3, 44377.0)] {
            sheet.set(0, col, CellValue::Date(serial));
        }
        sheet.set(1, 0, text("营业收入"));
        let found = tables(&sheet);
        assert_eq!(years(&found[0]), [(1, 2019), (2, 2020)]);
    }

    #[test]
    fn blank_and_note_rows_inside_a_table_do_not_end_it() {
        let mut sheet = Sheet::new("质量指标", false);
        sheet.set(0, 1, text("指标名称"));
        sheet.set(0, 2, number(2021.0));
        sheet.set(1, 1, text("营业收入"));
        sheet.set(1, 2, number(1.0));
        sheet.set(3, 0, text("注：以下为质量指标"));
        sheet.set(4, 1, text("利润总额"));
        sheet.set(4, 2, number(2.0));
        sheet.set(6, 0, text("填表人：王芳"));
        sheet.set(7, 1, text("质量投诉次数"));
        sheet.set(7, 2, number(3.0));
        let names: Vec<String> = tables(&sheet)
            .into_iter()
            .next()
            .unwrap()
            .rows
            .into_iter()
            .map(|row| row.name)
            .collect();
        assert_eq!(names, ["营业收入", "利润总额", "质量投诉次数"]);
    }

    #[test]
    fn reads_labels_right_of_them() {
        let mut sheet = Sheet::new("基本信息", false);
        sheet.set(2, 0, text("企业名称："));
        sheet.set(2, 2, text("某公司"));
        sheet.set(3, 0, text("统一社会信用代码"));
        sheet.set(3, 1, text("913701002DG83HG909"));
        sheet.set(4, 0, text("填报日期:2022-01-15"));
        let info = basic_info(&[sheet]);
        assert_eq!(info[&InfoKey::EnterpriseName].cell, "C3");
        assert_eq!(info[&InfoKey::Uscc].value, text("913701002DG83HG909"));
        assert_eq!(info[&InfoKey::FilledDate].value, text("2022-01-15"));
    }

    #[test]
    fn a_header_row_is_not_a_label_value() {
        let mut sheet = Sheet::new("入园企业名单", false);
        sheet.set(0, 0, text("序号"));
        sheet.set(0, 1, text("企业名称"));
        sheet.set(0, 2, text("统一社会信用代码"));
        assert!(basic_info(&[sheet]).is_empty());
    }
}
