//! `zlbd sample`: a synthetic inbox for the roster, written with rust_xlsxwriter, plus
//! `truth.json` (the fixtures' format) saying what zlbd must make of every indicator cell.
//!
//! Values are plausible and internally consistent (R&D ≤ revenue, E04 = E03/E01×100, P03 ≤ P02
//! …). A realistic minority of returns carries the SPEC §3.4 variations, a few carry cell
//! errors, and the inbox holds two corrections (one covering only 2021), a duplicate copy, a
//! file with a wrong USCC, an unreadable file, an Office lock file and a stray text file.
//! The same seed gives the same files, byte for byte.

use crate::config::Plan;
use crate::domain::uscc;
use crate::domain::{CatalogSection, Kind, Rule};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, Formula, Workbook, Worksheet, XlsxError,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// rust_xlsxwriter refused a workbook.
    #[error("cannot write {file}: {source}")]
    Xlsx { file: String, source: XlsxError },
    /// The output folder cannot be written.
    #[error("cannot write {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Default)]
pub struct SampleOptions {
    pub seed: u64,
    /// Synthetic enterprises beyond the roster (load tests).
    pub extra_enterprises: usize,
    /// Only clean forms.
    pub clean: bool,
}

/// One indicator cell's expected outcome (the format of ../shared/fixtures/truth.json, plus
/// `superseded` for values a correction replaces).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TruthCell {
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub level: String,
    pub entity_id: String,
    pub indicator: String,
    pub year: i32,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TruthFile {
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Truth {
    pub cells: Vec<TruthCell>,
    pub files: BTreeMap<String, TruthFile>,
    pub notes: BTreeMap<String, String>,
}

/// How one value is written into its cell.
#[derive(Debug, Clone, PartialEq)]
enum Written {
    Number(f64),
    /// A fraction under a percent number format.
    PercentFraction(f64),
    Text(String),
    Formula {
        formula: String,
        result: String,
    },
    /// Nothing written (templates).
    Blank,
}

/// A cell to write and what zlbd must make of it.
#[derive(Debug, Clone)]
struct CellPlan {
    written: Written,
    expected: Expected,
}

#[derive(Debug, Clone, PartialEq)]
enum Expected {
    Fact(f64),
    Missing,
    Reject(Rule),
}

/// One indicator row of a form.
#[derive(Debug, Clone)]
struct RowPlan {
    code: String,
    name: String,
    unit: String,
    industry: Option<String>,
    entity_id: String,
    level: &'static str,
    /// One per year column, in column order.
    cells: Vec<CellPlan>,
}

/// Layout choices of one indicator sheet.
#[derive(Debug, Clone, Default)]
struct Layout {
    two_row_header: bool,
    source_column: bool,
    /// Year labels as numbers / with 年度 / with a space.
    year_style: u8,
    reversed_years: bool,
    /// Names like "1.营业收入" or "营业收入(万元)" with an empty unit column.
    numbered_names: bool,
    unit_in_name: bool,
    /// A column for a year outside the window (2018).
    outside_year: bool,
    unknown_row: bool,
    duplicate_row: bool,
}

struct SheetPlan {
    name: String,
    title: String,
    industry_column: bool,
    layout: Layout,
    /// Years of the columns in column order.
    years: Vec<i32>,
    rows: Vec<RowPlan>,
}

struct FormPlan {
    file: String,
    info: Vec<(String, Written)>,
    info_sheet_name: String,
    sheets: Vec<SheetPlan>,
    info_last: bool,
    hidden_extra: bool,
    park_members: Option<Vec<(String, String)>>,
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Synthetic three-year series per indicator code for one entity.
fn enterprise_values(rng: &mut ChaCha8Rng, years: usize) -> BTreeMap<&'static str, Vec<f64>> {
    let mut values: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut revenue: f64 = (rng.random_range(8.5f64..13.0)).exp();
    let trend: f64 = rng.random_range(-0.05..0.15);
    let quality_trend: f64 = rng.random_range(-1.0..2.0);
    let mut pass: f64 = rng.random_range(86.0..97.0);
    for year in 0..years {
        if year > 0 {
            revenue *= 1.0 + trend + rng.random_range(-0.05..0.05);
            pass = (pass + quality_trend + rng.random_range(-1.0..1.0)).clamp(80.0, 99.9);
        }
        let e01 = round2(revenue);
        let e03 = round2(e01 * rng.random_range(0.01..0.06));
        let profit = if rng.random_bool(0.06) {
            -rng.random_range(0.01..0.05)
        } else {
            rng.random_range(0.02..0.12)
        };
        let previous = last_values(&values);
        let count = |code: &'static str, draw: u32| smoothed(&previous, code, draw);
        let mut push = |code: &'static str, value: f64| values.entry(code).or_default().push(value);
        push("E01", e01);
        push("E02", round2(e01 * profit));
        push("E03", e03);
        push("E04", round2(e03 / e01 * 100.0));
        push("E05", round2(e01 * rng.random_range(0.1..0.4)));
        push("E06", (pass * 10.0).round() / 10.0);
        push(
            "E07",
            (rng.random_range(88.0f64..99.9) * 10.0).round() / 10.0,
        );
        push("E08", round2(rng.random_range(0.2..3.0)));
        push(
            "E09",
            (rng.random_range(70.0f64..98.0) * 10.0).round() / 10.0,
        );
        push("E10", count("E10", rng.random_range(0..20)));
        push("E11", count("E11", rng.random_range(0..15)));
        push("E12", count("E12", rng.random_range(0..30)));
        push("E13", count("E13", rng.random_range(1..12)));
        push("E14", if rng.random_bool(0.7) { 1.0 } else { 0.0 });
        push("E15", count("E15", rng.random_range(0..6)));
        push("E16", count("E16", rng.random_range(0..15)));
        push(
            "E17",
            (rng.random_range(85.0f64..100.0) * 10.0).round() / 10.0,
        );
        push("E18", count("E18", rng.random_range(0..8)));
    }
    values
}

/// Each series' latest value.
fn last_values(values: &BTreeMap<&'static str, Vec<f64>>) -> BTreeMap<&'static str, f64> {
    values
        .iter()
        .filter_map(|(code, series)| Some((*code, *series.last()?)))
        .collect()
}

/// Counts move by a little each year, as real ones do, instead of jumping at random: the
/// first year takes the draw, later years step by −2…+2 from the last value.
fn smoothed(previous: &BTreeMap<&'static str, f64>, code: &'static str, draw: u32) -> f64 {
    match previous.get(code) {
        Some(last) => (last + (draw % 5) as f64 - 2.0).max(0.0),
        None => draw as f64,
    }
}

fn park_values(rng: &mut ChaCha8Rng, years: usize) -> BTreeMap<&'static str, Vec<f64>> {
    let mut values: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut output: f64 = rng.random_range(1e5..5e6);
    let mut members: f64 = rng.random_range(30.0f64..300.0).round();
    for year in 0..years {
        if year > 0 {
            output *= 1.0 + rng.random_range(-0.05..0.15);
            members = (members * (1.0 + rng.random_range(-0.05..0.12))).round();
        }
        let previous = last_values(&values);
        let count = |code: &'static str, draw: u32| smoothed(&previous, code, draw);
        let mut push = |code: &'static str, value: f64| values.entry(code).or_default().push(value);
        push("P01", round2(output));
        push("P02", members);
        push("P03", (members * rng.random_range(0.3..0.8)).floor());
        push("P04", (members * rng.random_range(0.2..0.7)).floor());
        push(
            "P05",
            (rng.random_range(86.0f64..99.5) * 10.0).round() / 10.0,
        );
        push("P06", count("P06", rng.random_range(1..20)));
        push("P07", count("P07", rng.random_range(0..30)));
        push("P08", count("P08", rng.random_range(0..20)));
        push("P09", (members * rng.random_range(0.05..0.5)).floor());
        push("P10", round2(output * rng.random_range(0.01..0.04)));
    }
    values
}

fn industry_values(rng: &mut ChaCha8Rng, years: usize) -> BTreeMap<&'static str, Vec<f64>> {
    let mut values: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut revenue: f64 = rng.random_range(1e5..2e6);
    let mut firms: f64 = rng.random_range(20.0f64..300.0).round();
    for year in 0..years {
        if year > 0 {
            revenue *= 1.0 + rng.random_range(-0.05..0.15);
            firms = (firms * (1.0 + rng.random_range(-0.05..0.1))).round();
        }
        let previous = last_values(&values);
        let count = |code: &'static str, draw: u32| smoothed(&previous, code, draw);
        let mut push = |code: &'static str, value: f64| values.entry(code).or_default().push(value);
        push("I01", firms);
        push("I02", round2(revenue));
        push("I03", round2(revenue * rng.random_range(0.03..0.1)));
        push("I04", round2(revenue * rng.random_range(0.01..0.05)));
        push(
            "I05",
            (rng.random_range(86.0f64..99.5) * 10.0).round() / 10.0,
        );
        push("I06", round2(rng.random_range(0.3..3.0)));
        push("I07", count("I07", rng.random_range(0..30)));
        push("I08", count("I08", rng.random_range(0..20)));
        push("I09", (firms * rng.random_range(0.05..0.3)).floor());
        push(
            "I10",
            (rng.random_range(70.0f64..95.0) * 10.0).round() / 10.0,
        );
    }
    values
}

/// Full-width digits for a number's text.
fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// 1234567.89 → "1,234,567.89".
fn thousands(value: f64) -> String {
    let text = format!("{value:.2}");
    let (integer, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let (sign, digits) = integer
        .strip_prefix('-')
        .map(|d| ("-", d))
        .unwrap_or(("", integer));
    let mut grouped = String::new();
    for (index, c) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{fraction}")
}

fn plain(value: f64) -> CellPlan {
    CellPlan {
        written: Written::Number(value),
        expected: Expected::Fact(value),
    }
}

/// Builds the rows of one entity's indicators with plain cells.
fn rows_for(
    plan: &Plan,
    section: CatalogSection,
    values: &BTreeMap<&'static str, Vec<f64>>,
    level: &'static str,
    entity_id: &str,
    industry: Option<&str>,
    years: &[usize],
) -> Vec<RowPlan> {
    plan.catalog
        .section(section)
        .map(|indicator| {
            let series = values
                .get(indicator.code.as_str())
                .cloned()
                .unwrap_or_default();
            RowPlan {
                code: indicator.code.clone(),
                name: indicator.name.clone(),
                unit: indicator.unit.clone(),
                industry: industry.map(str::to_string),
                entity_id: entity_id.to_string(),
                level,
                cells: years
                    .iter()
                    .map(|&year| {
                        let value = series.get(year).copied().unwrap_or_default();
                        if indicator.kind == Kind::Flag {
                            CellPlan {
                                written: Written::Text(
                                    if value == 1.0 { "是" } else { "否" }.to_string(),
                                ),
                                expected: Expected::Fact(value),
                            }
                        } else {
                            plain(value)
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

fn find_row<'a>(rows: &'a mut [RowPlan], code: &str) -> Option<&'a mut RowPlan> {
    rows.iter_mut().find(|row| row.code == code)
}

/// Applies the number-as-text and marker variations to an enterprise's rows.
fn text_variations(rows: &mut [RowPlan]) {
    for row in rows.iter_mut() {
        for (index, cell) in row.cells.iter_mut().enumerate() {
            let Expected::Fact(value) = cell.expected else {
                continue;
            };
            cell.written = match (row.code.as_str(), index) {
                ("E01" | "E05", _) => Written::Text(thousands(value)),
                ("E06", 1) => Written::Text(format!("{value}%")),
                ("E10", 0) => Written::Text(full_width(&format!("{value}"))),
                ("E14", _) => Written::Text(if value == 1.0 { "Y" } else { "N" }.to_string()),
                ("E09", 2) => Written::Text(format!(" {value} ")),
                _ => continue,
            };
        }
    }
    if let Some(row) = find_row(rows, "E16") {
        row.cells[0] = CellPlan {
            written: Written::Text("—".to_string()),
            expected: Expected::Missing,
        };
        row.cells[1] = CellPlan {
            written: Written::Text("不适用".to_string()),
            expected: Expected::Missing,
        };
    }
}

/// Rewrites amounts in 元 and 亿元.
fn unit_variations(rows: &mut [RowPlan]) {
    for (code, unit, factor) in [("E01", "元", 10_000.0), ("E03", "亿元", 0.0001)] {
        if let Some(row) = find_row(rows, code) {
            row.unit = unit.to_string();
            for cell in &mut row.cells {
                if let Expected::Fact(value) = cell.expected {
                    let written = if factor > 1.0 {
                        (value * factor).round()
                    } else {
                        value * factor
                    };
                    cell.written = Written::Number(written);
                }
            }
        }
    }
}

/// E04 as a formula with its cached value, E06 as percent-formatted fractions.
fn formula_variations(rows: &mut [RowPlan]) {
    if let Some(row) = find_row(rows, "E04") {
        for cell in &mut row.cells {
            if let Expected::Fact(value) = cell.expected {
                cell.written = Written::Formula {
                    formula: "ROUND(100*1,2)".to_string(),
                    result: format!("{value}"),
                };
            }
        }
    }
    if let Some(row) = find_row(rows, "E06") {
        for cell in &mut row.cells {
            if let Expected::Fact(value) = cell.expected {
                cell.written = Written::PercentFraction(value / 100.0);
            }
        }
    }
}

/// One deliberate error, by enterprise index.
fn error_variation(rows: &mut [RowPlan], kind: usize) {
    let set = |rows: &mut [RowPlan], code: &str, year: usize, written: Written, rule: Rule| {
        if let Some(row) = find_row(rows, code) {
            row.cells[year] = CellPlan {
                written,
                expected: Expected::Reject(rule),
            };
        }
    };
    match kind {
        0 => set(
            rows,
            "E10",
            0,
            Written::Text("约50".into()),
            Rule::NotANumber,
        ),
        1 => set(rows, "E06", 1, Written::Number(103.0), Rule::OutOfRange),
        2 => set(rows, "E12", 2, Written::Number(2.5), Rule::NotInteger),
        3 => set(
            rows,
            "E04",
            0,
            Written::Formula {
                formula: "E5/0".into(),
                result: "#DIV/0!".into(),
            },
            Rule::CellError,
        ),
        4 => set(
            rows,
            "E04",
            2,
            Written::Formula {
                formula: "G5/G3*100".into(),
                result: String::new(),
            },
            Rule::FormulaNoValue,
        ),
        5 => {
            if let Some(row) = find_row(rows, "E05") {
                row.unit = "美元".to_string();
                for cell in &mut row.cells {
                    cell.expected = Expected::Reject(Rule::UnknownUnit);
                }
            }
        }
        6 => set(
            rows,
            "E11",
            1,
            Written::Text("见附件".into()),
            Rule::NotANumber,
        ),
        _ => set(rows, "E18", 2, Written::Number(-1.0), Rule::OutOfRange),
    }
}

fn info_text(label: &str, value: &str) -> (String, Written) {
    (label.to_string(), Written::Text(value.to_string()))
}

/// Writes all sample forms into `out` and returns the truth.
pub fn generate(plan: &Plan, out: &Path, options: &SampleOptions) -> Result<Truth, SampleError> {
    std::fs::create_dir_all(out).map_err(|source| SampleError::Io {
        file: out.display().to_string(),
        source,
    })?;
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let years = plan.years.clone();
    let all_years: Vec<usize> = (0..years.len()).collect();
    let roster = &plan.roster;
    let mut forms: Vec<FormPlan> = Vec::new();
    let mut truth = Truth::default();
    let variations = !options.clean;

    let enterprise_form = |file: String,
                           uscc: &str,
                           name: &str,
                           city: &str,
                           park: &str,
                           rows: Vec<RowPlan>,
                           layout: Layout,
                           version: i64,
                           date: &str,
                           sheet_years: Vec<i32>| FormPlan {
        file,
        info: vec![
            info_text("企业名称", name),
            info_text("统一社会信用代码", uscc),
            info_text("所属地市", city),
            info_text("所属园区", park),
            info_text("填报人", "张三"),
            info_text("联系电话", "0531-88888888"),
            info_text("填报日期", date),
            ("报表版本".to_string(), Written::Number(version as f64)),
        ],
        info_sheet_name: "基本信息".to_string(),
        sheets: vec![SheetPlan {
            name: "质量指标".to_string(),
            title: format!(
                "{}—{}年质量提升比对指标",
                sheet_years.first().copied().unwrap_or_default(),
                sheet_years.last().copied().unwrap_or_default()
            ),
            industry_column: false,
            layout,
            years: sheet_years,
            rows,
        }],
        info_last: false,
        hidden_extra: false,
        park_members: None,
    };

    let mut enterprises: Vec<(String, String, String, String)> = roster
        .enterprises
        .iter()
        .map(|e| {
            let city = roster
                .city(&e.city_code)
                .map(|c| c.city_name.clone())
                .unwrap_or_default();
            let park = e
                .park_id
                .as_deref()
                .and_then(|id| roster.park(id))
                .map(|p| p.park_name.clone())
                .unwrap_or_else(|| "无".to_string());
            (e.uscc.clone(), e.enterprise_name.clone(), city, park)
        })
        .collect();
    // An enterprise that is not on the roster (NOT_IN_ROSTER), and synthetic extras.
    let extras = options.extra_enterprises + usize::from(variations);
    for index in 0..extras {
        let body: String = format!("91370100X{:08}", index % 100_000_000);
        let code = uscc::with_check_digit(&body);
        enterprises.push((
            code,
            format!("名单外企业{index:05}有限公司"),
            "济南市".to_string(),
            "无".to_string(),
        ));
    }

    for (index, (code, name, city, park)) in enterprises.iter().enumerate() {
        let values = enterprise_values(&mut rng, years.len());
        let mut rows = rows_for(
            plan,
            CatalogSection::Enterprise,
            &values,
            "enterprise",
            code,
            None,
            &all_years,
        );
        let mut layout = Layout::default();
        let mut sheet_years = years.clone();
        let mut info_last = false;
        let mut hidden_extra = false;
        let mut sheet_name = "质量指标".to_string();
        let mut info_name = "基本信息".to_string();
        if variations && index < roster.enterprises.len() {
            match index % 7 {
                1 => {
                    layout.two_row_header = true;
                    layout.source_column = true;
                }
                2 => {
                    layout.year_style = 1;
                    layout.reversed_years = true;
                }
                3 => {
                    layout.year_style = 2;
                    layout.numbered_names = true;
                    layout.unit_in_name = true;
                }
                4 => unit_variations(&mut rows),
                5 => text_variations(&mut rows),
                6 => {
                    sheet_name = "Sheet2".to_string();
                    info_name = "Sheet1".to_string();
                    info_last = true;
                    hidden_extra = true;
                    formula_variations(&mut rows);
                }
                _ => {}
            }
            if index % 13 == 10 {
                error_variation(&mut rows, index / 13);
            }
            match index {
                20 => layout.unknown_row = true,
                33 => layout.outside_year = true,
                47 => layout.duplicate_row = true,
                _ => {}
            }
            if index == 58 {
                // E03 above E01 in the last year: loaded, with an INCONSISTENT warning.
                let e01 = values["E01"][years.len() - 1];
                if let Some(row) = find_row(&mut rows, "E03") {
                    let last = row.cells.len() - 1;
                    row.cells[last] = plain(round2(e01 * 1.2));
                }
            }
        }
        if layout.reversed_years {
            sheet_years.reverse();
            for row in &mut rows {
                row.cells.reverse();
            }
        }
        let file = format!("企业_{name}.xlsx");
        let mut form = enterprise_form(
            file,
            code,
            name,
            city,
            park,
            rows,
            layout,
            1,
            "2022-01-15",
            sheet_years,
        );
        form.sheets[0].name = sheet_name;
        form.info_sheet_name = info_name;
        form.info_last = info_last;
        form.hidden_extra = hidden_extra;
        forms.push(form);
    }

    if variations {
        // Two corrections: one restating all years, one covering only the last year.
        let last = years.len() - 1;
        for (target, only_last) in [(3usize, false), (9usize, true)] {
            let (code, name, city, park) = &enterprises[target];
            let original_rows = forms[target].sheets[0].rows.clone();
            let mut rows: Vec<RowPlan> = original_rows
                .into_iter()
                .map(|mut row| {
                    for cell in &mut row.cells {
                        if let (Expected::Fact(value), "E01" | "E02" | "E05" | "E11") =
                            (cell.expected.clone(), row.code.as_str())
                        {
                            let changed = if row.code == "E11" {
                                value + 1.0
                            } else {
                                round2(value * 1.05)
                            };
                            *cell = plain(changed);
                        }
                    }
                    row
                })
                .collect();
            let mut sheet_years = forms[target].sheets[0].years.clone();
            if only_last {
                let keep = sheet_years
                    .iter()
                    .position(|year| *year == years[last])
                    .unwrap_or(0);
                sheet_years = vec![years[last]];
                for row in &mut rows {
                    row.cells = vec![row.cells[keep].clone()];
                }
            }
            let file = format!("企业_{name}_更正.xlsx");
            let mut form = enterprise_form(
                file,
                code,
                name,
                city,
                park,
                rows,
                Layout::default(),
                2,
                "2022-02-20",
                sheet_years,
            );
            form.info_sheet_name = "基本信息".to_string();
            forms.push(form);
        }
    }

    for park in &roster.parks {
        let values = park_values(&mut rng, years.len());
        let rows = rows_for(
            plan,
            CatalogSection::Park,
            &values,
            "park",
            &park.park_id,
            None,
            &all_years,
        );
        let city = roster
            .city(&park.city_code)
            .map(|c| c.city_name.clone())
            .unwrap_or_default();
        let members: Vec<(String, String)> = roster
            .enterprises
            .iter()
            .filter(|e| e.park_id.as_deref() == Some(park.park_id.as_str()))
            .map(|e| (e.enterprise_name.clone(), e.uscc.clone()))
            .collect();
        forms.push(FormPlan {
            file: format!("园区_{}.xlsx", park.park_name),
            info: vec![
                info_text("园区名称", &park.park_name),
                info_text("园区代码", &park.park_id),
                info_text("填报地市", &city),
                info_text("填报人", "李四"),
                info_text("填报日期", "2022年1月18日"),
            ],
            info_sheet_name: "基本信息".to_string(),
            sheets: vec![SheetPlan {
                name: "园区指标".to_string(),
                title: "园区质量提升比对指标".to_string(),
                industry_column: false,
                layout: Layout::default(),
                years: years.clone(),
                rows,
            }],
            info_last: false,
            hidden_extra: false,
            park_members: Some(members),
        });
    }

    for (city_index, city) in roster.cities.iter().enumerate() {
        let mut own = Vec::new();
        for industry in roster
            .industries
            .iter()
            .filter(|i| i.city_code.as_deref() == Some(city.city_code.as_str()))
        {
            let values = industry_values(&mut rng, years.len());
            own.extend(rows_for(
                plan,
                CatalogSection::Industry,
                &values,
                "city_industry",
                &industry.industry_id,
                Some(&industry.industry_name),
                &all_years,
            ));
        }
        let mut province = Vec::new();
        for industry in roster.province_industries() {
            let values = industry_values(&mut rng, years.len());
            let entity = format!("{}-{}", industry.industry_id, city.city_code);
            province.extend(rows_for(
                plan,
                CatalogSection::Industry,
                &values,
                "province_industry_city",
                &entity,
                Some(&industry.industry_name),
                &all_years,
            ));
        }
        let renamed = variations && city_index == 5;
        let mut sheets = Vec::new();
        if !own.is_empty() {
            sheets.push(SheetPlan {
                name: if renamed {
                    "表2".to_string()
                } else {
                    "重点行业".to_string()
                },
                title: format!("{}重点行业质量提升比对", city.city_name),
                industry_column: true,
                layout: Layout::default(),
                years: years.clone(),
                rows: own,
            });
        }
        sheets.push(SheetPlan {
            name: if renamed {
                "表3".to_string()
            } else {
                "全省重点行业".to_string()
            },
            title: format!("{}全省重点行业质量提升比对", city.city_name),
            industry_column: true,
            layout: Layout {
                two_row_header: variations && city_index == 7,
                ..Layout::default()
            },
            years: years.clone(),
            rows: province,
        });
        forms.push(FormPlan {
            file: format!("地市_{}.xlsx", city.city_name),
            info: vec![
                info_text("填报地市", &city.city_name),
                info_text("行政区划代码", &city.city_code),
                info_text("填报单位", &format!("{}市场监督管理局", city.city_name)),
                info_text("填报日期", "2022-01-20"),
            ],
            info_sheet_name: if renamed {
                "表1".to_string()
            } else {
                "基本信息".to_string()
            },
            sheets,
            info_last: false,
            hidden_extra: false,
            park_members: None,
        });
    }

    // Write every form and record the truth.
    let mut bytes_by_file = BTreeMap::new();
    for form in &forms {
        let bytes = write_form(form, &mut truth).map_err(|source| SampleError::Xlsx {
            file: form.file.clone(),
            source,
        })?;
        bytes_by_file.insert(form.file.clone(), bytes);
    }
    // Statuses: the all-years correction supersedes its original; the last-year one does not.
    for form in &forms {
        truth.files.insert(
            form.file.clone(),
            TruthFile {
                status: "active".to_string(),
            },
        );
    }
    if variations {
        let full_original = forms[3].file.clone();
        truth.files.insert(
            full_original.clone(),
            TruthFile {
                status: "superseded".to_string(),
            },
        );
        let partial_original = forms[9].file.clone();
        let last_year = *years.last().unwrap_or(&0);
        for cell in &mut truth.cells {
            let superseded = cell.file == full_original
                || (cell.file == partial_original && cell.year == last_year);
            if superseded && cell.outcome == "fact" {
                cell.outcome = "superseded".to_string();
                cell.value = None;
            }
        }
        // A duplicate copy, a wrong USCC, an unreadable file, a lock file, a stray text file.
        let duplicate_of = forms[12].file.clone();
        let copy = format!("副本_{duplicate_of}");
        bytes_by_file.insert(copy.clone(), bytes_by_file[&duplicate_of].clone());
        truth.files.insert(
            copy,
            TruthFile {
                status: "duplicate".to_string(),
            },
        );

        let (code, name, city, park) = &enterprises[6];
        let mut typo: Vec<char> = code.chars().collect();
        typo[17] = if typo[17] == '0' { '1' } else { '0' };
        let typo: String = typo.into_iter().collect();
        let rows = forms[6].sheets[0].rows.clone();
        let mut bad = enterprise_form(
            format!("企业_{name}_代码有误.xlsx"),
            &typo,
            name,
            city,
            park,
            rows,
            Layout::default(),
            1,
            "2022-01-10",
            years.clone(),
        );
        bad.info_sheet_name = "基本信息".to_string();
        let mut ignored_truth = Truth::default();
        let bad_bytes =
            write_form(&bad, &mut ignored_truth).map_err(|source| SampleError::Xlsx {
                file: bad.file.clone(),
                source,
            })?;
        truth.files.insert(
            bad.file.clone(),
            TruthFile {
                status: "rejected".to_string(),
            },
        );
        bytes_by_file.insert(bad.file.clone(), bad_bytes);

        let truncated = bytes_by_file[&forms[20].file][..1500].to_vec();
        bytes_by_file.insert("企业_传输中断.xlsx".to_string(), truncated);
        truth.files.insert(
            "企业_传输中断.xlsx".to_string(),
            TruthFile {
                status: "rejected".to_string(),
            },
        );
        bytes_by_file.insert(
            "~$地市_济南市.xlsx".to_string(),
            b"\x05locked by zhangsan".to_vec(),
        );
        truth.files.insert(
            "~$地市_济南市.xlsx".to_string(),
            TruthFile {
                status: "ignored".to_string(),
            },
        );
        bytes_by_file.insert(
            "填报说明.txt".to_string(),
            "请于1月31日前报送。\n".as_bytes().to_vec(),
        );
        truth.files.insert(
            "填报说明.txt".to_string(),
            TruthFile {
                status: "ignored".to_string(),
            },
        );
    }
    truth.files.insert(
        "truth.json".to_string(),
        TruthFile {
            status: "ignored".to_string(),
        },
    );
    truth.notes.insert(
        "about".to_string(),
        "Written by `zlbd sample`: the expected outcome of every indicator cell.".to_string(),
    );
    truth
        .notes
        .insert("seed".to_string(), options.seed.to_string());

    for (file, bytes) in &bytes_by_file {
        let path = out.join(file);
        std::fs::write(&path, bytes).map_err(|source| SampleError::Io {
            file: path.display().to_string(),
            source,
        })?;
    }
    truth.cells.sort_by(|a, b| {
        (&a.file, &a.sheet, a.cell.len(), &a.cell).cmp(&(&b.file, &b.sheet, b.cell.len(), &b.cell))
    });
    let json = serde_json::to_string_pretty(&truth).unwrap_or_default();
    let path = out.join("truth.json");
    std::fs::write(&path, json + "\n").map_err(|source| SampleError::Io {
        file: path.display().to_string(),
        source,
    })?;
    Ok(truth)
}

fn write_written(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    written: &Written,
    percent: &Format,
) -> Result<(), XlsxError> {
    match written {
        Written::Number(value) => {
            sheet.write_number(row, col, *value)?;
        }
        Written::PercentFraction(value) => {
            sheet.write_number_with_format(row, col, *value, percent)?;
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

fn year_label(year: i32, style: u8) -> Written {
    match style {
        1 => Written::Text(format!("{year}年度")),
        2 => Written::Number(year as f64),
        3 => Written::Text(format!("{year} 年")),
        _ => Written::Text(format!("{year}年")),
    }
}

/// Writes one form to bytes and appends its cells' expected outcomes to `truth`.
fn write_form(form: &FormPlan, truth: &mut Truth) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2022, 1, 15)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&created)
            .set_author("zlbd sample"),
    );
    let percent = Format::new().set_num_format("0.0%");
    let merged = Format::new().set_align(rust_xlsxwriter::FormatAlign::VerticalCenter);

    let write_info = |workbook: &mut Workbook| -> Result<(), XlsxError> {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&form.info_sheet_name)?;
        sheet.write_string(0, 0, "质量提升比对报表")?;
        for (index, (label, value)) in form.info.iter().enumerate() {
            let row = index as u32 + 2;
            sheet.write_string(row, 0, label)?;
            write_written(sheet, row, 1, value, &percent)?;
        }
        Ok(())
    };
    if !form.info_last {
        write_info(&mut workbook)?;
    }
    for plan in &form.sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&plan.name)?;
        // A formula written without a result has no cached value, as from a script.
        sheet.set_formula_result_default("");
        sheet.write_string(0, 0, &plan.title)?;
        let layout = &plan.layout;
        let header = 1u32 + u32::from(layout.unknown_row || layout.outside_year);
        if layout.unknown_row || layout.outside_year {
            sheet.write_string(1, 0, "单位：见计量单位列")?;
        }
        let mut headers: Vec<&str> = vec![
            if plan.industry_column {
                "行业名称"
            } else {
                "序号"
            },
            "指标名称",
            "计量单位",
        ];
        if layout.source_column {
            headers.push("数据来源");
        }
        for (col, text) in headers.iter().enumerate() {
            sheet.write_string(header, col as u16, *text)?;
        }
        let (name_col, unit_col) = (1u16, 2u16);
        let col = headers.len() as u16;
        let data_row = if layout.two_row_header {
            header + 2
        } else {
            header + 1
        };
        let year_row = if layout.two_row_header {
            header + 1
        } else {
            header
        };
        let first_year_col = col;
        let mut years: Vec<Written> = plan
            .years
            .iter()
            .map(|year| year_label(*year, layout.year_style))
            .collect();
        if layout.outside_year {
            years.push(year_label(2018, layout.year_style));
        }
        for (offset, label) in years.iter().enumerate() {
            write_written(
                sheet,
                year_row,
                first_year_col + offset as u16,
                label,
                &percent,
            )?;
        }
        if layout.two_row_header {
            let last = first_year_col + years.len() as u16 - 1;
            sheet.merge_range(header, first_year_col, header, last, "年份", &merged)?;
            for (merge_col, text) in headers.iter().enumerate() {
                sheet.merge_range(
                    header,
                    merge_col as u16,
                    header + 1,
                    merge_col as u16,
                    text,
                    &merged,
                )?;
            }
        }
        let remark_col = first_year_col + years.len() as u16;
        sheet.write_string(header, remark_col, "备注")?;
        let mut row_index = data_row;
        let mut industry_start: Option<(u32, String)> = None;
        let mut rows: Vec<&RowPlan> = plan.rows.iter().collect();
        let duplicate = layout
            .duplicate_row
            .then(|| plan.rows.iter().find(|row| row.code == "E02"))
            .flatten();
        if let Some(duplicate) = duplicate {
            rows.push(duplicate);
        }
        for (number, row) in rows.iter().enumerate() {
            let is_duplicate = duplicate.is_some() && number == rows.len() - 1;
            if plan.industry_column {
                let industry = row.industry.clone().unwrap_or_default();
                match &industry_start {
                    Some((_, current)) if *current == industry => {}
                    _ => {
                        if let Some((start, name)) = industry_start.take() {
                            merge_industry(sheet, start, row_index - 1, &name, &merged)?;
                        }
                        industry_start = Some((row_index, industry));
                    }
                }
            } else {
                sheet.write_number(row_index, 0, (number + 1) as f64)?;
            }
            let shown_name = if layout.numbered_names {
                format!("{}.{}", number + 1, row.name)
            } else {
                row.name.clone()
            };
            let shown_name = if layout.unit_in_name {
                format!("{shown_name}({})", row.unit)
            } else {
                shown_name
            };
            sheet.write_string(row_index, name_col, &shown_name)?;
            if !layout.unit_in_name {
                sheet.write_string(row_index, unit_col, &row.unit)?;
            }
            if layout.source_column {
                sheet.write_string(row_index, unit_col + 1, "财务报表")?;
            }
            for (offset, cell) in row.cells.iter().enumerate() {
                let col = first_year_col + offset as u16;
                write_written(sheet, row_index, col, &cell.written, &percent)?;
                if is_duplicate {
                    continue;
                }
                let (outcome, value, rule) = match &cell.expected {
                    Expected::Fact(value) => ("fact", Some(*value), None),
                    Expected::Missing => ("missing", None, None),
                    Expected::Reject(rule) => ("reject", None, Some(rule.as_str().to_string())),
                };
                truth.cells.push(TruthCell {
                    file: form.file.clone(),
                    sheet: plan.name.clone(),
                    cell: crate::domain::a1(row_index, col as u32),
                    level: row.level.to_string(),
                    entity_id: row.entity_id.clone(),
                    indicator: row.code.clone(),
                    year: plan.years[offset],
                    outcome: outcome.to_string(),
                    value,
                    rule,
                });
            }
            if layout.outside_year {
                sheet.write_number(row_index, first_year_col + plan.years.len() as u16, 1.0)?;
            }
            row_index += 1;
        }
        if let Some((start, name)) = industry_start.take() {
            merge_industry(sheet, start, row_index - 1, &name, &merged)?;
        }
        if layout.unknown_row {
            sheet.write_string(row_index, name_col, "员工人数")?;
            sheet.write_string(row_index, unit_col, "人")?;
            for offset in 0..plan.years.len() {
                sheet.write_number(
                    row_index,
                    first_year_col + offset as u16,
                    120.0 + offset as f64,
                )?;
            }
            row_index += 1;
        }
        sheet.write_string(
            row_index + 1,
            0,
            "填表说明：1.金额单位为万元；2.比率保留两位小数。",
        )?;
        sheet.write_string(row_index + 2, 0, "填表人：张三    审核人：李四")?;
    }
    if let Some(members) = &form.park_members {
        let sheet = workbook.add_worksheet();
        sheet.set_name("入园企业名单")?;
        for (col, header) in ["序号", "企业名称", "统一社会信用代码"].iter().enumerate()
        {
            sheet.write_string(0, col as u16, *header)?;
        }
        for (index, (name, code)) in members.iter().enumerate() {
            let row = index as u32 + 1;
            sheet.write_number(row, 0, row as f64)?;
            sheet.write_string(row, 1, name)?;
            sheet.write_string(row, 2, code)?;
        }
    }
    if form.info_last {
        write_info(&mut workbook)?;
    }
    if form.hidden_extra {
        let sheet = workbook.add_worksheet();
        sheet.set_name("旧数据")?;
        sheet.write_string(0, 0, "历史备份，请勿修改")?;
        sheet.write_string(1, 0, "项目")?;
        sheet.write_string(1, 1, "金额")?;
        sheet.write_string(2, 0, "办公用品")?;
        sheet.write_number(2, 1, 3200.0)?;
        sheet.set_hidden(true);
    }
    workbook.save_to_buffer()
}

fn merge_industry(
    sheet: &mut Worksheet,
    first: u32,
    last: u32,
    name: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if first == last {
        sheet.write_string(first, 0, name)?;
    } else {
        sheet.merge_range(first, 0, last, 0, name, format)?;
    }
    Ok(())
}

/// Blank forms for submitters: one enterprise form, one per park and one per city (with the
/// city's own key industries and the province industries filled in).
pub fn write_templates(plan: &Plan, out: &Path) -> Result<Vec<String>, SampleError> {
    std::fs::create_dir_all(out).map_err(|source| SampleError::Io {
        file: out.display().to_string(),
        source,
    })?;
    let years: Vec<usize> = (0..plan.years.len()).collect();
    let none = BTreeMap::new();
    let blank_rows = |section, level, entity: &str, industry: Option<&str>| {
        let mut rows = rows_for(plan, section, &none, level, entity, industry, &years);
        for row in &mut rows {
            for cell in &mut row.cells {
                cell.written = Written::Blank;
                cell.expected = Expected::Missing;
            }
        }
        rows
    };
    let sheet = |name: &str, title: &str, industry_column: bool, rows: Vec<RowPlan>| SheetPlan {
        name: name.to_string(),
        title: title.to_string(),
        industry_column,
        layout: Layout::default(),
        years: plan.years.clone(),
        rows,
    };
    let blank = |label: &str| info_text(label, "");
    let span = format!("{}—{}年", plan.first_year(), plan.last_year());
    let mut forms = vec![FormPlan {
        file: "企业报表模板.xlsx".to_string(),
        info: [
            "企业名称",
            "统一社会信用代码",
            "所属地市",
            "所属园区",
            "所属行业",
            "填报人",
            "联系电话",
            "填报日期",
        ]
        .iter()
        .map(|label| blank(label))
        .chain(std::iter::once((
            "报表版本".to_string(),
            Written::Number(1.0),
        )))
        .collect(),
        info_sheet_name: "基本信息".to_string(),
        sheets: vec![sheet(
            "质量指标",
            &format!("{span}质量提升比对指标"),
            false,
            blank_rows(CatalogSection::Enterprise, "enterprise", "", None),
        )],
        info_last: false,
        hidden_extra: false,
        park_members: None,
    }];
    for park in &plan.roster.parks {
        let city = plan
            .roster
            .city(&park.city_code)
            .map(|c| c.city_name.clone())
            .unwrap_or_default();
        forms.push(FormPlan {
            file: format!("园区报表模板_{}.xlsx", park.park_name),
            info: vec![
                info_text("园区名称", &park.park_name),
                info_text("园区代码", &park.park_id),
                info_text("填报地市", &city),
                blank("填报人"),
                blank("联系电话"),
                blank("填报日期"),
                ("报表版本".to_string(), Written::Number(1.0)),
            ],
            info_sheet_name: "基本信息".to_string(),
            sheets: vec![sheet(
                "园区指标",
                &format!("{span}园区质量提升比对指标"),
                false,
                blank_rows(CatalogSection::Park, "park", &park.park_id, None),
            )],
            info_last: false,
            hidden_extra: false,
            park_members: Some(Vec::new()),
        });
    }
    for city in &plan.roster.cities {
        let mut sheets = Vec::new();
        let own: Vec<RowPlan> = plan
            .roster
            .industries
            .iter()
            .filter(|i| i.city_code.as_deref() == Some(city.city_code.as_str()))
            .flat_map(|i| {
                blank_rows(
                    CatalogSection::Industry,
                    "city_industry",
                    &i.industry_id,
                    Some(&i.industry_name),
                )
            })
            .collect();
        if !own.is_empty() {
            sheets.push(sheet(
                "重点行业",
                &format!("{}重点行业{span}质量提升比对", city.city_name),
                true,
                own,
            ));
        }
        let province: Vec<RowPlan> = plan
            .roster
            .province_industries()
            .flat_map(|i| {
                blank_rows(
                    CatalogSection::Industry,
                    "province_industry_city",
                    &i.industry_id,
                    Some(&i.industry_name),
                )
            })
            .collect();
        sheets.push(sheet(
            "全省重点行业",
            &format!("{}全省重点行业{span}质量提升比对", city.city_name),
            true,
            province,
        ));
        forms.push(FormPlan {
            file: format!("地市报表模板_{}.xlsx", city.city_name),
            info: vec![
                info_text("填报地市", &city.city_name),
                info_text("行政区划代码", &city.city_code),
                blank("填报人"),
                blank("联系电话"),
                blank("填报日期"),
                ("报表版本".to_string(), Written::Number(1.0)),
            ],
            info_sheet_name: "基本信息".to_string(),
            sheets,
            info_last: false,
            hidden_extra: false,
            park_members: None,
        });
    }
    let mut written = Vec::new();
    for form in &forms {
        let bytes =
            write_form(form, &mut Truth::default()).map_err(|source| SampleError::Xlsx {
                file: form.file.clone(),
                source,
            })?;
        let path = out.join(&form.file);
        std::fs::write(&path, bytes).map_err(|source| SampleError::Io {
            file: path.display().to_string(),
            source,
        })?;
        written.push(form.file.clone());
    }
    Ok(written)
}
