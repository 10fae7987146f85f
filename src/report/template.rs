//! `zlbd template`: the forms submitters fill in, built from the catalog and the roster so that
//! they are exactly what zlbd reads back — a blank enterprise and park form, one form per park
//! and per city (with the city's own key industries and its part of each province industry),
//! and with `--all` one per enterprise, each with its identity pre-filled in 基本信息 from the
//! roster (`--entity ID` writes one entity's form).
//!
//! Guarantees: every indicator of the catalog's section appears once per entity with one blank
//! cell per comparison year, so an unfilled template reads back as all-missing; a form is
//! written only when it has at least one indicator row (an empty table is not a form). Every
//! sheet is protected without a password: labels, names and units are locked, input cells
//! unlocked and validated from the catalog (numbers ≥ 0 for amounts that must be ≥ 0, 0–100 for
//! rates and scores, whole numbers for counts, 是/否 for flags). A 填表说明 sheet lists the
//! catalog and says what counts as missing. No person's name is made up.

use super::form_writer::{
    info_text, members_sheet, span, write_guarded_form, FormBook, FormSheet, IndicatorRow,
    IndicatorSheet, InputRule, PlainSheet, SheetGuard, SheetLayout, Written, CITY_OWN_SHEET,
    CITY_PROVINCE_SHEET, ENTERPRISE_SHEET, INFO_SHEET, PARK_SHEET,
};
use crate::config::{Catalog, City, Enterprise, Indicator, Industry, Park, Plan, Roster};
use crate::domain::{CatalogSection, Direction, Kind};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// rust_xlsxwriter refused a workbook.
    #[error("cannot write {file}: {source}")]
    Xlsx {
        file: String,
        source: rust_xlsxwriter::XlsxError,
    },
    /// The output folder or a file in it cannot be written.
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `--entity` names nobody in the roster.
    #[error("{0:?} is no USCC, park id, city code or name in the roster")]
    UnknownEntity(String),
}

/// Which forms to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// The blank enterprise and park forms, and one form per park and per city.
    Standard,
    /// The standard forms and one pre-filled form per roster enterprise.
    All,
    /// Only the form of one roster entity: USCC, park id, city code or exact name.
    Entity(String),
}

/// A city's own key industries (roster level city_industry), in roster order.
pub fn own_industries<'a>(
    roster: &'a Roster,
    city: &'a City,
) -> impl Iterator<Item = &'a Industry> {
    roster
        .industries
        .iter()
        .filter(move |industry| industry.city_code.as_deref() == Some(city.city_code.as_str()))
}

/// The name of a park's city, or "" when the roster does not list it.
pub fn city_name(roster: &Roster, city_code: &str) -> String {
    roster
        .city(city_code)
        .map(|city| city.city_name.clone())
        .unwrap_or_default()
}

/// A file name made of `prefix` and a roster name, with path separators replaced.
pub fn file_name(prefix: &str, name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!("{prefix}{safe}.xlsx")
}

/// `file`, or when a form of that name is already written, `file` with `_2`, `_3` … before its
/// extension: two roster entries may share a name, and one form must not overwrite the other.
pub fn distinct(used: &mut BTreeSet<String>, file: String) -> String {
    let mut candidate = file.clone();
    let (stem, extension) = match file.rfind('.') {
        Some(dot) => (&file[..dot], &file[dot..]),
        None => (file.as_str(), ""),
    };
    let mut number = 1;
    while used.contains(&candidate) {
        number += 1;
        candidate = format!("{stem}_{number}{extension}");
    }
    used.insert(candidate.clone());
    candidate
}

/// Writes the forms of `selection` into `out` and returns their file names.
pub fn write_templates(
    plan: &Plan,
    out: &Path,
    selection: &Selection,
) -> Result<Vec<String>, TemplateError> {
    let books = match selection {
        Selection::Standard => standard_books(plan, false),
        Selection::All => standard_books(plan, true),
        Selection::Entity(key) => {
            vec![entity_book(plan, key).ok_or_else(|| TemplateError::UnknownEntity(key.clone()))?]
        }
    };
    std::fs::create_dir_all(out).map_err(|source| TemplateError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut written = Vec::with_capacity(books.len());
    let mut used = BTreeSet::new();
    for (file, form) in books
        .into_iter()
        .flat_map(|(file, form)| Some((file, form?)))
    {
        let file = distinct(&mut used, file);
        let (bytes, _) =
            write_guarded_form(&form.book, &form.guards).map_err(|source| TemplateError::Xlsx {
                file: file.clone(),
                source,
            })?;
        let path = out.join(&file);
        std::fs::write(&path, bytes).map_err(|source| TemplateError::Io { path, source })?;
        written.push(file);
    }
    Ok(written)
}

/// A form and the guard of each of its sheets.
pub struct Template {
    pub book: FormBook,
    pub guards: Vec<SheetGuard>,
}

type Named = (String, Option<Template>);

fn standard_books(plan: &Plan, every_enterprise: bool) -> Vec<Named> {
    let mut books: Vec<Named> = vec![
        (
            "企业报表模板.xlsx".to_string(),
            enterprise_template(plan, None),
        ),
        ("园区报表模板.xlsx".to_string(), park_template(plan, None)),
    ];
    for park in &plan.roster.parks {
        books.push((
            file_name("园区报表模板_", &park.park_name),
            park_template(plan, Some(park)),
        ));
    }
    for city in &plan.roster.cities {
        books.push((
            file_name("地市报表模板_", &city.city_name),
            city_template(plan, city),
        ));
    }
    if every_enterprise {
        for enterprise in &plan.roster.enterprises {
            books.push((
                file_name("企业报表模板_", &enterprise.enterprise_name),
                enterprise_template(plan, Some(enterprise)),
            ));
        }
    }
    books
}

/// The form of one roster entity, found by id or exact name.
fn entity_book(plan: &Plan, key: &str) -> Option<Named> {
    let roster = &plan.roster;
    let key = key.trim();
    if let Some(enterprise) = roster
        .enterprise(key)
        .or_else(|| roster.enterprises.iter().find(|e| e.enterprise_name == key))
    {
        return Some((
            file_name("企业报表模板_", &enterprise.enterprise_name),
            enterprise_template(plan, Some(enterprise)),
        ));
    }
    if let Some(park) = roster
        .park(key)
        .or_else(|| roster.parks.iter().find(|p| p.park_name == key))
    {
        return Some((
            file_name("园区报表模板_", &park.park_name),
            park_template(plan, Some(park)),
        ));
    }
    let city = roster
        .city(key)
        .or_else(|| roster.cities.iter().find(|c| c.city_name == key))?;
    Some((
        file_name("地市报表模板_", &city.city_name),
        city_template(plan, city),
    ))
}

/// The input rule of an indicator's cells, from its kind and catalog range.
pub fn input_rule(indicator: &Indicator) -> InputRule {
    match indicator.kind {
        Kind::Flag => InputRule::YesNo,
        Kind::Count => InputRule::Whole {
            min: indicator
                .min
                .map(|min| min.ceil().clamp(i32::MIN as f64, i32::MAX as f64) as i32),
            max: indicator
                .max
                .map(|max| max.floor().clamp(i32::MIN as f64, i32::MAX as f64) as i32),
        },
        Kind::Rate | Kind::Score => InputRule::Decimal {
            min: Some(indicator.min.unwrap_or(0.0)),
            max: Some(indicator.max.unwrap_or(100.0)),
        },
        Kind::Amount => InputRule::Decimal {
            min: indicator.min,
            max: indicator.max,
        },
    }
}

/// How the rule reads in the instructions.
fn rule_text(rule: &InputRule) -> String {
    match rule {
        InputRule::YesNo => "填“是”或“否”".to_string(),
        InputRule::Whole {
            min: Some(0),
            max: None,
        } => "非负整数".to_string(),
        InputRule::Whole { min, max } => match (min, max) {
            (Some(min), Some(max)) => format!("{min}～{max} 的整数"),
            (Some(min), None) => format!("不小于 {min} 的整数"),
            (None, Some(max)) => format!("不大于 {max} 的整数"),
            (None, None) => "整数".to_string(),
        },
        InputRule::Decimal { min, max } => match (min, max) {
            (Some(min), Some(max)) => format!("{min}～{max} 的数字"),
            (Some(min), None) => format!("不小于 {min} 的数字"),
            (None, Some(max)) => format!("不大于 {max} 的数字"),
            (None, None) => "数字，可为负数".to_string(),
        },
        InputRule::OneOf(_) => "从下拉列表中选择".to_string(),
        InputRule::Date => "日期，如 2022-01-15".to_string(),
    }
}

fn kind_zh(kind: Kind) -> &'static str {
    match kind {
        Kind::Amount => "金额",
        Kind::Rate => "比率",
        Kind::Count => "数量",
        Kind::Score => "得分/指数",
        Kind::Flag => "是否",
    }
}

/// Line 3 of 填表说明: how each kind of indicator of the section is written, from the catalog
/// (a programme whose scores run 0–5 is not told 0–100).
fn units_line(plan: &Plan, section: CatalogSection) -> String {
    let indicators: Vec<&Indicator> = plan.catalog.section(section).collect();
    let units = |kind: Kind| {
        let mut units: Vec<&str> = (indicators.iter())
            .filter(|indicator| indicator.kind == kind)
            .map(|indicator| indicator.unit.as_str())
            .collect();
        units.sort_unstable();
        units.dedup();
        units
    };
    let mut parts = Vec::new();
    if let [unit] = units(Kind::Amount)[..] {
        parts.push(format!("金额一律以{unit}填写"));
    }
    if !units(Kind::Rate).is_empty() {
        parts.push("比率填百分数的数字（95.2 表示 95.2%）".to_string());
    }
    if !units(Kind::Count).is_empty() {
        parts.push("数量填整数".to_string());
    }
    if !units(Kind::Flag).is_empty() {
        parts.push("是否类指标填“是”或“否”".to_string());
    }
    parts.push("各指标的单位和取值范围见下表“计量单位”“填写要求”".to_string());
    format!("3．{}。", parts.join("；"))
}

/// The 填表说明 sheet: how to fill in, what counts as missing, and the catalog of the form's
/// section. No line starts with a 基本信息 label and no row holds a year label, so the sheet is
/// never read as form data.
fn instructions(plan: &Plan, section: CatalogSection, prefilled: bool) -> (FormSheet, SheetGuard) {
    let text = |t: &str| Written::Text(t.to_string());
    let lines = [
        format!(
            "1．本表为{}质量提升比对报表，每个年份一列，请逐项填写。浅黄色单元格为填写区，其余（单位信息、指标名称、计量单位、年份）已锁定（工作表保护，无密码）。",
            span(&plan.years)
        ),
        if prefilled {
            "2．单位名称和代码已按全省名单预填；如有错误，请联系省局，不要自行修改。".to_string()
        } else {
            "2．请在“基本信息”中填写单位名称和代码（企业填统一社会信用代码），须与全省名单一致。".to_string()
        },
        units_line(plan, section),
        "4．缺失：没有数据的单元格请留空。系统把空白以及“—”“-”“/”“无”“N/A”“不适用”视为缺失，不计入比对，也不算错误。数量为零时请填 0，不要填“无”。".to_string(),
        "5．更正：报送后如需更正，请把基本信息中的版本号改为更大的数字（如 2）后重新报送，系统以版本号最大的报表为准。".to_string(),
        "6．请不要增删行列、修改指标名称或年份；需要说明的情况请写在“备注”列。".to_string(),
    ];
    let mut rows: Vec<Vec<Written>> = vec![vec![text("填表说明")]];
    rows.extend(lines.iter().map(|line| vec![text(line)]));
    rows.push(Vec::new());
    rows.push(
        ["代码", "指标名称", "计量单位", "类型", "填写要求", "方向"]
            .iter()
            .map(|t| text(t))
            .collect(),
    );
    for indicator in plan.catalog.section(section) {
        rows.push(vec![
            text(&indicator.code),
            text(&indicator.name),
            text(&indicator.unit),
            text(kind_zh(indicator.kind)),
            text(&rule_text(&input_rule(indicator))),
            text(match indicator.direction {
                Direction::Higher => "越高越好",
                Direction::Lower => "越低越好",
            }),
        ]);
    }
    (
        FormSheet::Plain(PlainSheet {
            name: "填表说明".to_string(),
            hidden: false,
            rows,
        }),
        SheetGuard {
            widths: vec![10.0, 30.0, 10.0, 10.0, 22.0, 12.0],
            ..SheetGuard::default()
        },
    )
}

/// One blank row per indicator of `section`.
fn blank_rows(
    catalog: &Catalog,
    section: CatalogSection,
    years: usize,
    industry: Option<&str>,
) -> Vec<IndicatorRow> {
    catalog
        .section(section)
        .map(|indicator| IndicatorRow {
            name: indicator.name.clone(),
            unit: indicator.unit.clone(),
            industry: industry.map(str::to_string),
            cells: vec![Written::Blank; years],
        })
        .collect()
}

/// The notes below a template's table: where the instructions are; signature lines left blank.
fn template_notes() -> Vec<String> {
    vec![
        "注：填写要求见“填表说明”工作表；没有数据的单元格请留空，数量为零请填 0。".to_string(),
        "填表人：                审核人：".to_string(),
    ]
}

/// An indicator sheet with the default layout and its guard, or None without rows.
fn blank_sheet(
    plan: &Plan,
    name: &str,
    title: String,
    industry_column: bool,
    section: CatalogSection,
    rows: Vec<IndicatorRow>,
) -> Option<(FormSheet, SheetGuard)> {
    if rows.is_empty() {
        return None;
    }
    let rules = rows
        .iter()
        .map(|row| {
            plan.catalog
                .section(section)
                .find(|indicator| indicator.name == row.name)
                .map(input_rule)
        })
        .collect();
    let mut widths = vec![if industry_column { 16.0 } else { 6.0 }, 30.0, 10.0];
    widths.extend(plan.years.iter().map(|_| 14.0));
    widths.push(24.0);
    let sheet = FormSheet::Indicators(IndicatorSheet {
        name: name.to_string(),
        title,
        subtitle: None,
        industry_column,
        layout: SheetLayout::default(),
        years: plan.years.clone(),
        rows,
        notes: template_notes(),
    });
    Some((
        sheet,
        SheetGuard {
            rules,
            widths,
            ..SheetGuard::default()
        },
    ))
}

fn info_sheet(plan: &Plan, mut pairs: Vec<(String, Written)>) -> (FormSheet, SheetGuard) {
    pairs.push(("报表版本".to_string(), Written::Number(1.0)));
    let version = InputRule::Decimal {
        min: Some(1.0),
        max: None,
    };
    let mut editable = vec![
        ("填报人", None),
        ("联系电话", None),
        ("填报日期", Some(InputRule::Date)),
        ("报表版本", Some(version)),
    ];
    // A blank form's city is picked from the roster's, as zlbd matches it.
    let blank = |label: &str| {
        pairs.iter().any(|(l, value)| {
            l == label
                && match value {
                    Written::Blank => true,
                    Written::Text(text) => text.is_empty(),
                    _ => false,
                }
        })
    };
    if blank("所属地市") {
        let cities = plan.roster.cities.iter().map(|city| city.city_name.clone());
        editable.push(("所属地市", InputRule::one_of(cities.collect())));
    }
    (
        FormSheet::Info {
            name: INFO_SHEET.to_string(),
            pairs,
        },
        SheetGuard {
            widths: vec![20.0, 44.0],
            editable_labels: editable
                .into_iter()
                .map(|(label, rule)| (label.to_string(), rule))
                .collect(),
            text_labels: ["统一社会信用代码", "园区代码", "行政区划代码", "联系电话"]
                .map(String::from)
                .to_vec(),
            ..SheetGuard::default()
        },
    )
}

/// Assembles a template from its sheets and guards, the instructions last.
fn template(
    plan: &Plan,
    section: CatalogSection,
    prefilled: bool,
    sheets: Vec<(FormSheet, SheetGuard)>,
) -> Template {
    let (book, guards): (Vec<FormSheet>, Vec<SheetGuard>) = sheets
        .into_iter()
        .chain(std::iter::once(instructions(plan, section, prefilled)))
        .unzip();
    Template {
        book: FormBook { sheets: book },
        guards,
    }
}

fn enterprise_template(plan: &Plan, enterprise: Option<&Enterprise>) -> Option<Template> {
    let section = CatalogSection::Enterprise;
    let rows = blank_rows(&plan.catalog, section, plan.years.len(), None);
    let title = format!("{}质量提升比对指标", span(&plan.years));
    let sheet = blank_sheet(plan, ENTERPRISE_SHEET, title, false, section, rows)?;
    let roster = &plan.roster;
    let (name, uscc, city, park, industry) = match enterprise {
        Some(e) => (
            e.enterprise_name.clone(),
            e.uscc.clone(),
            city_name(roster, &e.city_code),
            e.park_id
                .as_deref()
                .and_then(|id| roster.park(id))
                .map(|p| p.park_name.clone())
                .unwrap_or_else(|| "无".to_string()),
            e.industry_code.clone(),
        ),
        None => Default::default(),
    };
    let info = vec![
        info_text("企业名称", &name),
        info_text("统一社会信用代码", &uscc),
        info_text("所属地市", &city),
        info_text("所属园区", &park),
        info_text("所属行业", &industry),
        info_text("填报人", ""),
        info_text("联系电话", ""),
        info_text("填报日期", ""),
    ];
    let prefilled = enterprise.is_some();
    Some(template(
        plan,
        section,
        prefilled,
        vec![info_sheet(plan, info), sheet],
    ))
}

fn park_template(plan: &Plan, park: Option<&Park>) -> Option<Template> {
    let section = CatalogSection::Park;
    let rows = blank_rows(&plan.catalog, section, plan.years.len(), None);
    let title = format!("{}园区质量提升比对指标", span(&plan.years));
    let sheet = blank_sheet(plan, PARK_SHEET, title, false, section, rows)?;
    let (name, id, city) = match park {
        Some(p) => (
            p.park_name.clone(),
            p.park_id.clone(),
            city_name(&plan.roster, &p.city_code),
        ),
        None => Default::default(),
    };
    let info = vec![
        info_text("园区名称", &name),
        info_text("园区代码", &id),
        info_text("填报地市", &city),
        info_text("填报人", ""),
        info_text("联系电话", ""),
        info_text("填报日期", ""),
    ];
    let members = (
        FormSheet::Plain(members_sheet(&[])),
        SheetGuard {
            widths: vec![8.0, 40.0, 24.0],
            input_rows: 300,
            input_columns: 3,
            // 统一社会信用代码
            text_columns: vec![2],
            ..SheetGuard::default()
        },
    );
    Some(template(
        plan,
        section,
        park.is_some(),
        vec![info_sheet(plan, info), sheet, members],
    ))
}

fn city_template(plan: &Plan, city: &City) -> Option<Template> {
    let section = CatalogSection::Industry;
    let years = plan.years.len();
    let industry_rows = |industry: &Industry| {
        blank_rows(&plan.catalog, section, years, Some(&industry.industry_name))
    };
    let own = own_industries(&plan.roster, city)
        .flat_map(industry_rows)
        .collect();
    let province = plan
        .roster
        .province_industries()
        .flat_map(industry_rows)
        .collect();
    let span = span(&plan.years);
    let sheets: Vec<(FormSheet, SheetGuard)> = [
        (CITY_OWN_SHEET, "重点行业", own),
        (CITY_PROVINCE_SHEET, "全省重点行业", province),
    ]
    .into_iter()
    .filter_map(|(name, what, rows)| {
        let title = format!("{}{what}{span}质量提升比对", city.city_name);
        blank_sheet(plan, name, title, true, section, rows)
    })
    .collect();
    if sheets.is_empty() {
        return None;
    }
    let info = vec![
        info_text("填报地市", &city.city_name),
        info_text("行政区划代码", &city.city_code),
        info_text("填报人", ""),
        info_text("联系电话", ""),
        info_text("填报日期", ""),
    ];
    Some(template(
        plan,
        section,
        true,
        std::iter::once(info_sheet(plan, info))
            .chain(sheets)
            .collect(),
    ))
}
