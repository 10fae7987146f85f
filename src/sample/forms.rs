//! The forms of a sample inbox as plans: what each sheet holds and what zlbd must make of every
//! indicator cell, before any variation is applied or a byte is written.
//!
//! Guarantees: a plan built here is a clean form — one row per catalog indicator of its
//! section, one cell per comparison year, each the series value written in the catalog unit
//! and expected back as that fact; flags are written 是/否. Forms for entities with nothing to
//! report (an empty catalog section, a city without industries) are not built, because zlbd
//! would rightly refuse a form without an indicator table.

use super::values::Series;
use crate::config::{Catalog, City, Enterprise, Indicator, Industry, Park, Plan, Roster};
use crate::domain::{uscc, CatalogSection, Kind, Level, Rule};
use crate::report::form_writer::{
    info_text, span, SheetLayout, Written, CITY_OWN_SHEET, CITY_PROVINCE_SHEET, ENTERPRISE_SHEET,
    INFO_SHEET, PARK_SHEET,
};
use crate::report::template::{city_name, file_name, own_industries};

/// What zlbd must make of a cell.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expected {
    Fact(f64),
    Missing,
    Reject(Rule),
}

/// A cell to write and, when zlbd reads it as an indicator cell, what it must make of it.
#[derive(Debug, Clone)]
pub(super) struct CellPlan {
    pub written: Written,
    /// None for cells that are not indicator cells of a comparison year (a year outside the
    /// window, a second copy of a row, an unknown indicator).
    pub expected: Option<Expected>,
}

/// A number in a row whose unit is the catalog unit times `scale` (10 000 for 元 in a 万元
/// catalog), written so that zlbd's conversion gives the value back exactly.
pub(super) fn scaled(value: f64, scale: f64) -> f64 {
    if scale > 1.0 {
        (value * scale).round()
    } else {
        value * scale
    }
}

impl CellPlan {
    /// A valid value written as a plain number in the row's unit.
    pub fn number(value: f64, scale: f64) -> CellPlan {
        CellPlan {
            written: Written::Number(scaled(value, scale)),
            expected: Some(Expected::Fact(value)),
        }
    }

    pub fn expecting(written: Written, expected: Expected) -> CellPlan {
        CellPlan {
            written,
            expected: Some(expected),
        }
    }

    /// A cell zlbd does not load as an indicator cell.
    pub fn untracked(written: Written) -> CellPlan {
        CellPlan {
            written,
            expected: None,
        }
    }

    /// The value zlbd must load, when it must load one.
    pub fn fact(&self) -> Option<f64> {
        match self.expected {
            Some(Expected::Fact(value)) => Some(value),
            _ => None,
        }
    }
}

/// One indicator row of a sheet.
#[derive(Debug, Clone)]
pub(super) struct RowPlan<'a> {
    /// None for a row whose name the catalog does not know.
    pub indicator: Option<&'a Indicator>,
    pub name: String,
    pub unit: String,
    /// Written numbers are the catalog-unit value times this.
    pub scale: f64,
    pub industry: Option<String>,
    pub level: Level,
    pub entity_id: String,
    /// One per year column, in column order.
    pub cells: Vec<CellPlan>,
}

impl RowPlan<'_> {
    pub fn code(&self) -> Option<&str> {
        self.indicator.map(|indicator| indicator.code.as_str())
    }
}

#[derive(Debug, Clone)]
pub(super) struct SheetPlan<'a> {
    pub name: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub industry_column: bool,
    pub layout: SheetLayout,
    /// The year of each year column, in column order.
    pub years: Vec<i32>,
    pub rows: Vec<RowPlan<'a>>,
}

#[derive(Debug, Clone)]
pub(super) struct FormPlan<'a> {
    pub file: String,
    pub info_sheet: String,
    pub info: Vec<(String, Written)>,
    pub sheets: Vec<SheetPlan<'a>>,
    /// The 基本信息 sheet after the indicator sheets.
    pub info_last: bool,
    /// The park form's 入园企业名单 (name, USCC).
    pub members: Option<Vec<(String, String)>>,
    /// A hidden sheet of unrelated old data at the end.
    pub hidden_extra: bool,
}

/// Who an enterprise form is from, as its 基本信息 sheet says.
#[derive(Debug, Clone)]
pub(super) struct Card {
    pub uscc: String,
    pub name: String,
    pub city: String,
    pub park: String,
}

/// The roster's enterprises, then the `extras` beyond it ([`extra_enterprises`]).
pub(super) fn enterprise_cards(roster: &Roster, extras: &[Extra]) -> Vec<Card> {
    let card = |enterprise: &Enterprise| Card {
        uscc: enterprise.uscc.clone(),
        name: enterprise.enterprise_name.clone(),
        city: city_name(roster, &enterprise.city_code),
        park: enterprise
            .park_id
            .as_deref()
            .and_then(|id| roster.park(id))
            .map_or_else(|| "无".to_string(), |park| park.park_name.clone()),
    };
    let extras = extras.iter().map(|extra| &extra.enterprise);
    roster.enterprises.iter().chain(extras).map(card).collect()
}

/// An enterprise beyond the roster, and whether a listed roster names it.
pub(super) struct Extra {
    pub enterprise: Enterprise,
    pub listed: bool,
}

/// `count` enterprises beyond the roster, with codes that are not on it. The first `listed`
/// of them go into a listed roster (`zlbd sample --listed-roster`): each takes the city and
/// industry of a roster enterprise in turn (no park), so they fall into the province's own
/// peer groups as its enterprises do. The others (all of them when the roster has no
/// enterprise to take after) are on no roster: they name the roster's first city, and a run
/// reports them as unexpected.
pub(super) fn extra_enterprises(roster: &Roster, count: usize, listed: usize) -> Vec<Extra> {
    let first_city = roster
        .cities
        .first()
        .map(|city| city.city_code.clone())
        .unwrap_or_default();
    let mut serial = 0u64;
    (0..count)
        .map(|index| {
            let uscc = loop {
                let code = uscc::with_check_digit(&format!("91370100X{:08}", serial % 100_000_000));
                serial += 1;
                if roster.enterprise(&code).is_none() {
                    break code;
                }
            };
            let model = (!roster.enterprises.is_empty() && index < listed)
                .then(|| &roster.enterprises[index % roster.enterprises.len()]);
            let enterprise = match model {
                Some(model) => Enterprise {
                    uscc,
                    enterprise_name: format!("扩展企业{index:05}有限公司"),
                    city_code: model.city_code.clone(),
                    park_id: None,
                    industry_code: model.industry_code.clone(),
                },
                None => Enterprise {
                    uscc,
                    enterprise_name: format!("名单外企业{index:05}有限公司"),
                    city_code: first_city.clone(),
                    park_id: None,
                    industry_code: String::new(),
                },
            };
            Extra {
                enterprise,
                listed: model.is_some(),
            }
        })
        .collect()
}

/// One clean row per indicator of `section`, for the year positions `years` of the series.
pub(super) fn rows_for<'a>(
    catalog: &'a Catalog,
    section: CatalogSection,
    series: &Series,
    (level, entity_id): (Level, &str),
    industry: Option<&str>,
    years: &[usize],
) -> Vec<RowPlan<'a>> {
    catalog
        .section(section)
        .map(|indicator| {
            let values = series.get(&indicator.code);
            let cells = years
                .iter()
                .map(|&year| {
                    let value = values.and_then(|v| v.get(year)).copied().unwrap_or(0.0);
                    if indicator.kind == Kind::Flag {
                        let text = if value == 1.0 { "是" } else { "否" };
                        CellPlan::expecting(Written::Text(text.to_string()), Expected::Fact(value))
                    } else {
                        CellPlan::number(value, 1.0)
                    }
                })
                .collect();
            RowPlan {
                indicator: Some(indicator),
                name: indicator.name.clone(),
                unit: indicator.unit.clone(),
                scale: 1.0,
                industry: industry.map(str::to_string),
                level,
                entity_id: entity_id.to_string(),
                cells,
            }
        })
        .collect()
}

/// What an enterprise form says about its return besides the indicators.
pub(super) struct Return<'d> {
    pub version: u32,
    pub date: &'d str,
    pub years: Vec<i32>,
}

pub(super) fn enterprise_form<'a>(
    file: String,
    card: &Card,
    rows: Vec<RowPlan<'a>>,
    filed: Return,
) -> FormPlan<'a> {
    FormPlan {
        file,
        info_sheet: INFO_SHEET.to_string(),
        info: vec![
            info_text("企业名称", &card.name),
            info_text("统一社会信用代码", &card.uscc),
            info_text("所属地市", &card.city),
            info_text("所属园区", &card.park),
            info_text("填报人", "张三"),
            info_text("联系电话", "0531-88888888"),
            info_text("填报日期", filed.date),
            (
                "报表版本".to_string(),
                Written::Number(f64::from(filed.version)),
            ),
        ],
        sheets: vec![SheetPlan {
            name: ENTERPRISE_SHEET.to_string(),
            title: format!("{}质量提升比对指标", span(&filed.years)),
            subtitle: None,
            industry_column: false,
            layout: SheetLayout::default(),
            years: filed.years,
            rows,
        }],
        info_last: false,
        members: None,
        hidden_extra: false,
    }
}

pub(super) fn park_form<'a>(plan: &Plan, park: &Park, rows: Vec<RowPlan<'a>>) -> FormPlan<'a> {
    let members = plan
        .roster
        .enterprises
        .iter()
        .filter(|e| e.park_id.as_deref() == Some(park.park_id.as_str()))
        .map(|e| (e.enterprise_name.clone(), e.uscc.clone()))
        .collect();
    FormPlan {
        file: file_name("园区_", &park.park_name),
        info_sheet: INFO_SHEET.to_string(),
        info: vec![
            info_text("园区名称", &park.park_name),
            info_text("园区代码", &park.park_id),
            info_text("填报地市", &city_name(&plan.roster, &park.city_code)),
            info_text("填报人", "李四"),
            info_text("填报日期", "2022年1月18日"),
        ],
        sheets: vec![SheetPlan {
            name: PARK_SHEET.to_string(),
            title: "园区质量提升比对指标".to_string(),
            subtitle: None,
            industry_column: false,
            layout: SheetLayout::default(),
            years: plan.years.clone(),
            rows,
        }],
        info_last: false,
        members: Some(members),
        hidden_extra: false,
    }
}

/// Industries with the entity id a city form's rows about them carry.
pub(super) type Reported<'r> = Vec<(&'r Industry, String)>;

/// The industries a city form reports: the city's own key industries, then its part of each
/// province industry.
pub(super) fn city_entities<'r>(
    roster: &'r Roster,
    city: &'r City,
) -> (Reported<'r>, Reported<'r>) {
    let own = own_industries(roster, city)
        .map(|industry| (industry, industry.industry_id.clone()))
        .collect();
    let province = roster
        .province_industries()
        .map(|industry| {
            let entity = format!("{}-{}", industry.industry_id, city.city_code);
            (industry, entity)
        })
        .collect();
    (own, province)
}

/// A city form from its own and province rows, or None when it has neither.
pub(super) fn city_form<'a>(
    plan: &Plan,
    city: &City,
    own: Vec<RowPlan<'a>>,
    province: Vec<RowPlan<'a>>,
) -> Option<FormPlan<'a>> {
    let sheet = |name: &str, what: &str, rows| SheetPlan {
        name: name.to_string(),
        title: format!("{}{what}质量提升比对", city.city_name),
        subtitle: None,
        industry_column: true,
        layout: SheetLayout::default(),
        years: plan.years.clone(),
        rows,
    };
    let sheets: Vec<SheetPlan> = [
        sheet(CITY_OWN_SHEET, "重点行业", own),
        sheet(CITY_PROVINCE_SHEET, "全省重点行业", province),
    ]
    .into_iter()
    .filter(|sheet| !sheet.rows.is_empty())
    .collect();
    if sheets.is_empty() {
        return None;
    }
    Some(FormPlan {
        file: file_name("地市_", &city.city_name),
        info_sheet: INFO_SHEET.to_string(),
        info: vec![
            info_text("填报地市", &city.city_name),
            info_text("行政区划代码", &city.city_code),
            info_text("填报单位", &format!("{}市场监督管理局", city.city_name)),
            info_text("填报日期", "2022-01-20"),
        ],
        sheets,
        info_last: false,
        members: None,
        hidden_extra: false,
    })
}
