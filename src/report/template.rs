//! `zlbd template`: the blank forms submitters fill in, built from the catalog and the roster so
//! that they are exactly what zlbd reads back — one enterprise form, one form per park, and one
//! per city with the city's own key industries and its part of each province industry.
//!
//! Guarantees: every indicator of the catalog's section appears once per entity with one blank
//! cell per comparison year, so an unfilled template reads back as all-missing; a form is
//! written only when it has at least one indicator row (an empty table is not a form).

use super::form_writer::{
    info_text, members_sheet, span, standard_notes, write_form, FormBook, FormSheet, IndicatorRow,
    IndicatorSheet, SheetLayout, Written, CITY_OWN_SHEET, CITY_PROVINCE_SHEET, ENTERPRISE_SHEET,
    INFO_SHEET, PARK_SHEET,
};
use crate::config::{Catalog, City, Industry, Park, Plan, Roster};
use crate::domain::CatalogSection;
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

/// Writes the blank forms into `out` and returns their file names.
pub fn write_templates(plan: &Plan, out: &Path) -> Result<Vec<String>, TemplateError> {
    std::fs::create_dir_all(out).map_err(|source| TemplateError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut books = Vec::new();
    if let Some(book) = enterprise_template(plan) {
        books.push(("企业报表模板.xlsx".to_string(), book));
    }
    for park in &plan.roster.parks {
        if let Some(book) = park_template(plan, park) {
            books.push((file_name("园区报表模板_", &park.park_name), book));
        }
    }
    for city in &plan.roster.cities {
        if let Some(book) = city_template(plan, city) {
            books.push((file_name("地市报表模板_", &city.city_name), book));
        }
    }
    let mut written = Vec::with_capacity(books.len());
    let mut used = BTreeSet::new();
    for (file, book) in books {
        let file = distinct(&mut used, file);
        let (bytes, _) = write_form(&book).map_err(|source| TemplateError::Xlsx {
            file: file.clone(),
            source,
        })?;
        let path = out.join(&file);
        std::fs::write(&path, bytes).map_err(|source| TemplateError::Io { path, source })?;
        written.push(file);
    }
    Ok(written)
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

/// An indicator sheet with the default layout, or None without rows.
fn blank_sheet(
    plan: &Plan,
    name: &str,
    title: String,
    industry_column: bool,
    rows: Vec<IndicatorRow>,
) -> Option<FormSheet> {
    (!rows.is_empty()).then(|| {
        FormSheet::Indicators(IndicatorSheet {
            name: name.to_string(),
            title,
            subtitle: None,
            industry_column,
            layout: SheetLayout::default(),
            years: plan.years.clone(),
            rows,
            notes: standard_notes(None),
        })
    })
}

fn info_sheet(mut pairs: Vec<(String, Written)>) -> FormSheet {
    pairs.push(("报表版本".to_string(), Written::Number(1.0)));
    FormSheet::Info {
        name: INFO_SHEET.to_string(),
        pairs,
    }
}

fn enterprise_template(plan: &Plan) -> Option<FormBook> {
    let labels = [
        "企业名称",
        "统一社会信用代码",
        "所属地市",
        "所属园区",
        "所属行业",
        "填报人",
        "联系电话",
        "填报日期",
    ];
    let rows = blank_rows(
        &plan.catalog,
        CatalogSection::Enterprise,
        plan.years.len(),
        None,
    );
    let title = format!("{}质量提升比对指标", span(&plan.years));
    let sheet = blank_sheet(plan, ENTERPRISE_SHEET, title, false, rows)?;
    let info = labels.iter().map(|label| info_text(label, "")).collect();
    Some(FormBook {
        sheets: vec![info_sheet(info), sheet],
    })
}

fn park_template(plan: &Plan, park: &Park) -> Option<FormBook> {
    let rows = blank_rows(&plan.catalog, CatalogSection::Park, plan.years.len(), None);
    let title = format!("{}园区质量提升比对指标", span(&plan.years));
    let sheet = blank_sheet(plan, PARK_SHEET, title, false, rows)?;
    let info = vec![
        info_text("园区名称", &park.park_name),
        info_text("园区代码", &park.park_id),
        info_text("填报地市", &city_name(&plan.roster, &park.city_code)),
        info_text("填报人", ""),
        info_text("联系电话", ""),
        info_text("填报日期", ""),
    ];
    Some(FormBook {
        sheets: vec![
            info_sheet(info),
            sheet,
            FormSheet::Plain(members_sheet(&[])),
        ],
    })
}

fn city_template(plan: &Plan, city: &City) -> Option<FormBook> {
    let years = plan.years.len();
    let industry_rows = |industry: &Industry| {
        blank_rows(
            &plan.catalog,
            CatalogSection::Industry,
            years,
            Some(&industry.industry_name),
        )
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
    let sheets: Vec<FormSheet> = [
        (CITY_OWN_SHEET, "重点行业", own),
        (CITY_PROVINCE_SHEET, "全省重点行业", province),
    ]
    .into_iter()
    .filter_map(|(name, what, rows)| {
        let title = format!("{}{what}{span}质量提升比对", city.city_name);
        blank_sheet(plan, name, title, true, rows)
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
    Some(FormBook {
        sheets: std::iter::once(info_sheet(info)).chain(sheets).collect(),
    })
}
