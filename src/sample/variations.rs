//! The deliberate departures from a clean form that make a sample inbox worth testing against:
//! the SPEC §3.4 layouts and spellings zlbd must tolerate, cell errors it must reject, a
//! cross-indicator inconsistency it must warn about, and the rows and columns it must skip.
//!
//! Each variation works on plans, not bytes, and picks its indicators by what the catalog
//! declares (kind, unit, range, `not_above`, `ratio_of`), never by code; which enterprise gets
//! which variation is [`super::targets`]' business. Guarantees: every changed cell's expected
//! outcome changes with it — a value spelt differently is still the same fact, an error is
//! expected as its rule, a marker as missing, and rows or columns zlbd must skip are not
//! expected at all; a variation without a candidate indicator changes nothing.

use super::forms::{scaled, CellPlan, Expected, FormPlan, RowPlan, SheetPlan};
use super::values::{fit, range, ratio_value, round2, valid, Series};
use crate::config::{Catalog, Indicator};
use crate::domain::{text, CatalogSection, Kind, Rule};
use crate::report::form_writer::{Written, YearStyle};

fn enterprise_indicators(catalog: &Catalog, keep: impl Fn(&Indicator) -> bool) -> Vec<&Indicator> {
    catalog
        .section(CatalogSection::Enterprise)
        .filter(|indicator| keep(indicator))
        .collect()
}

/// From the first non-empty tier, the item at `index` (`usize::MAX`: the last).
fn from_tiers(tiers: Vec<Vec<&Indicator>>, index: usize) -> Option<&Indicator> {
    let tier = tiers.into_iter().find(|tier| !tier.is_empty())?;
    let index = if index == usize::MAX {
        tier.len() - 1
    } else {
        index % tier.len()
    };
    tier.get(index).copied()
}

fn find_row<'r, 'a>(rows: &'r mut [RowPlan<'a>], code: &str) -> Option<&'r mut RowPlan<'a>> {
    rows.iter_mut().find(|row| row.code() == Some(code))
}

/// Rewrites every cell that holds a valid value.
fn rewrite_facts(row: &mut RowPlan, write: impl Fn(f64) -> Written) {
    for cell in &mut row.cells {
        if let Some(value) = cell.fact() {
            cell.written = write(value);
        }
    }
}

/// The look of an enterprise form, by roster position modulo 7.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Look {
    Plain,
    /// Header over two rows, a 数据来源 column.
    TwoRowHeader,
    /// `2021年度` labels, year columns newest first.
    FiscalReversed,
    /// Years as numbers, names like `1.营业收入(万元)`.
    NumberedUnitInName,
    /// Amounts in 元 and 亿元.
    OtherUnits,
    /// Numbers stored as text, flags as Y/N, missing markers.
    NumbersAsText,
    /// Sheets named Sheet1/Sheet2 with 基本信息 last, a hidden extra sheet, formulas and
    /// percent-formatted fractions.
    RenamedWithFormulas,
}

impl Look {
    pub fn of(position: usize) -> Look {
        match position % 7 {
            1 => Look::TwoRowHeader,
            2 => Look::FiscalReversed,
            3 => Look::NumberedUnitInName,
            4 => Look::OtherUnits,
            5 => Look::NumbersAsText,
            6 => Look::RenamedWithFormulas,
            _ => Look::Plain,
        }
    }

    /// Applies the look to an enterprise form whose rows are still in year order.
    pub fn apply(self, form: &mut FormPlan, catalog: &Catalog) {
        let Some(sheet) = form.sheets.first_mut() else {
            return;
        };
        let layout = &mut sheet.layout;
        match self {
            Look::Plain => {}
            Look::TwoRowHeader => {
                layout.two_row_header = true;
                layout.source_column = true;
            }
            Look::FiscalReversed => layout.year_style = YearStyle::Fiscal,
            Look::NumberedUnitInName => {
                layout.year_style = YearStyle::Number;
                layout.numbered_names = true;
                layout.unit_in_name = true;
            }
            Look::OtherUnits => {
                layout.year_style = YearStyle::Spaced;
                other_units(&mut sheet.rows);
            }
            Look::NumbersAsText => numbers_as_text(&mut sheet.rows, catalog),
            Look::RenamedWithFormulas => {
                sheet.name = "Sheet2".to_string();
                form.info_sheet = "Sheet1".to_string();
                form.info_last = true;
                form.hidden_extra = true;
                formulas(&mut sheet.rows, catalog);
            }
        }
    }
}

/// Rates in `%` that are not ratios of other indicators.
fn plain_percent_rates(catalog: &Catalog) -> Vec<&Indicator> {
    enterprise_indicators(catalog, |i| {
        i.kind == Kind::Rate && i.ratio_of.is_none() && text::fold(&i.unit) == "%"
    })
}

fn of_kind(catalog: &Catalog, kind: Kind) -> Vec<&Indicator> {
    enterprise_indicators(catalog, |indicator| indicator.kind == kind)
}

/// One amount in 元 and another in 亿元, both converted back to 万元 by zlbd.
fn other_units(rows: &mut [RowPlan]) {
    let amounts: Vec<String> = rows
        .iter()
        .filter_map(|row| row.indicator)
        .filter(|i| i.kind == Kind::Amount && text::fold(&i.unit) == "万元")
        .map(|indicator| indicator.code.clone())
        .collect();
    let second = amounts.get(2).or(amounts.get(1));
    for (code, unit, scale) in [(amounts.first(), "元", 10_000.0), (second, "亿元", 0.0001)] {
        if let Some(row) = code.and_then(|code| find_row(rows, code)) {
            row.unit = unit.to_string();
            row.scale = scale;
            rewrite_facts(row, |value| Written::Number(scaled(value, scale)));
        }
    }
}

/// How a number is spelt as text.
type Spelling = fn(f64) -> String;

/// 1,234.56 for amounts, `95.2%`, full-width digits, ` 88.5 `, Y/N, and — / 不适用.
fn numbers_as_text(rows: &mut [RowPlan], catalog: &Catalog) {
    for row in rows.iter_mut() {
        if row.indicator.is_some_and(|i| i.kind == Kind::Amount) {
            rewrite_facts(row, |value| Written::Text(thousands(value)));
        }
        if row.indicator.is_some_and(|i| i.kind == Kind::Flag) {
            rewrite_facts(row, |value| {
                Written::Text(if value == 1.0 { "Y" } else { "N" }.to_string())
            });
        }
    }
    let counts = of_kind(catalog, Kind::Count);
    let last = rows
        .first()
        .map_or(0, |row| row.cells.len().saturating_sub(1));
    let singles: [(Option<&Indicator>, usize, Spelling); 3] = [
        (plain_percent_rates(catalog).first().copied(), 1, |v| {
            format!("{v}%")
        }),
        (counts.first().copied(), 0, |v| full_width(&format!("{v}"))),
        (of_kind(catalog, Kind::Score).first().copied(), last, |v| {
            format!(" {v} ")
        }),
    ];
    for (indicator, year, show) in singles {
        let row = indicator.and_then(|indicator| find_row(rows, &indicator.code));
        if let Some(cell) = row.and_then(|row| row.cells.get_mut(year)) {
            if let Some(value) = cell.fact() {
                cell.written = Written::Text(show(value));
            }
        }
    }
    let not_flags = enterprise_indicators(catalog, |i| i.kind != Kind::Flag);
    let pool = if counts.is_empty() { not_flags } else { counts };
    let marked = pool.len().checked_sub(2).or(pool.len().checked_sub(1));
    let row = marked.and_then(|index| find_row(rows, &pool[index].code));
    for (cell, marker) in row
        .into_iter()
        .flat_map(|row| row.cells.iter_mut())
        .zip(["—", "不适用"])
    {
        *cell = CellPlan::expecting(Written::Text(marker.to_string()), Expected::Missing);
    }
}

/// Ratio rates as formulas with their cached value; a `%` rate as percent-formatted fractions.
fn formulas(rows: &mut [RowPlan], catalog: &Catalog) {
    for row in rows.iter_mut() {
        if row.indicator.is_some_and(|i| i.ratio_of.is_some()) {
            rewrite_facts(row, |value| Written::Formula {
                formula: format!("ROUND({value},2)"),
                result: format!("{value}"),
            });
        }
    }
    let rate = plain_percent_rates(catalog).first().copied();
    if let Some(row) = rate.and_then(|rate| find_row(rows, &rate.code)) {
        rewrite_facts(row, |value| Written::PercentFraction(value / 100.0));
    }
}

/// Full-width digits for a number's text.
fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// 1234567.89 → "1,234,567.89".
fn thousands(value: f64) -> String {
    let text = format!("{value:.2}");
    let (integer, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let (sign, digits) = integer
        .strip_prefix('-')
        .map_or(("", integer), |digits| ("-", digits));
    let mut grouped = String::new();
    for (index, c) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{fraction}")
}

/// A deliberate cell error and the rule zlbd must reject it with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum CellError {
    /// `约50`
    Vague,
    AboveMax,
    /// A fraction in a count.
    Fraction,
    /// `#DIV/0!` as a formula's cached value.
    ErrorValue,
    /// A formula saved without its value.
    NoCachedValue,
    /// A whole row in 美元.
    ForeignUnit,
    /// `见附件`
    SeeAttachment,
    BelowMin,
}

pub(super) const CELL_ERRORS: [CellError; 8] = [
    CellError::Vague,
    CellError::AboveMax,
    CellError::Fraction,
    CellError::ErrorValue,
    CellError::NoCachedValue,
    CellError::ForeignUnit,
    CellError::SeeAttachment,
    CellError::BelowMin,
];

impl CellError {
    fn rule(self) -> Rule {
        match self {
            CellError::Vague | CellError::SeeAttachment => Rule::NotANumber,
            CellError::AboveMax | CellError::BelowMin => Rule::OutOfRange,
            CellError::Fraction => Rule::NotInteger,
            CellError::ErrorValue => Rule::CellError,
            CellError::NoCachedValue => Rule::FormulaNoValue,
            CellError::ForeignUnit => Rule::UnknownUnit,
        }
    }

    /// The year position it spoils, of `years` (None: every year).
    fn year(self, years: usize) -> Option<usize> {
        let last = years.saturating_sub(1);
        match self {
            CellError::Vague | CellError::ErrorValue => Some(0),
            CellError::AboveMax | CellError::SeeAttachment => Some(1.min(last)),
            CellError::ForeignUnit => None,
            _ => Some(last),
        }
    }

    /// A value of the indicator's kind that is whole and in range except for what is wrong.
    fn fraction(indicator: &Indicator) -> Option<f64> {
        let (min, max) = range(indicator);
        let base = min.unwrap_or(0.0).floor();
        [base + 2.5, base + 0.5].into_iter().find(|value| {
            max.is_none_or(|max| *value <= max) && min.is_none_or(|min| *value >= min)
        })
    }

    /// The indicator it goes to: by what the catalog declares, preferring the kind a real
    /// return gets this wrong in.
    pub fn pick(self, catalog: &Catalog) -> Option<&Indicator> {
        let counts = of_kind(catalog, Kind::Count);
        let not_flags = enterprise_indicators(catalog, |i| i.kind != Kind::Flag);
        let all = enterprise_indicators(catalog, |_| true);
        let ratios = enterprise_indicators(catalog, |i| i.ratio_of.is_some());
        let rates = of_kind(catalog, Kind::Rate);
        let (tiers, index) = match self {
            CellError::Vague => (vec![counts, not_flags, all], 0),
            CellError::SeeAttachment => (vec![counts, not_flags, all], 1),
            CellError::AboveMax => {
                let capped = enterprise_indicators(catalog, |i| range(i).1.is_some());
                let rates = plain_percent_rates(catalog);
                let rates = rates.into_iter().filter(|i| i.max.is_some()).collect();
                (vec![rates, capped], 0)
            }
            CellError::BelowMin => {
                let floored = enterprise_indicators(catalog, |i| range(i).0.is_some());
                let counts = counts.into_iter().filter(|i| i.min.is_some()).collect();
                (vec![counts, floored], usize::MAX)
            }
            CellError::Fraction => {
                let whole = enterprise_indicators(catalog, |i| {
                    matches!(i.kind, Kind::Count | Kind::Flag) && CellError::fraction(i).is_some()
                });
                let counts = whole
                    .iter()
                    .copied()
                    .filter(|i| i.kind == Kind::Count)
                    .collect();
                (vec![counts, whole], 2)
            }
            CellError::ErrorValue | CellError::NoCachedValue => (vec![ratios, rates, all], 0),
            CellError::ForeignUnit => {
                let convertible = |i: &Indicator| text::fold(&i.unit) != "美元";
                let amounts =
                    enterprise_indicators(catalog, |i| i.kind == Kind::Amount && convertible(i));
                (
                    vec![amounts, enterprise_indicators(catalog, convertible)],
                    3,
                )
            }
        };
        from_tiers(tiers, index)
    }

    fn written(self, indicator: &Indicator, scale: f64) -> Option<Written> {
        let (min, max) = range(indicator);
        Some(match self {
            CellError::Vague => Written::Text("约50".to_string()),
            CellError::SeeAttachment => Written::Text("见附件".to_string()),
            CellError::AboveMax => Written::Number(scaled(max? + 3.0, scale)),
            CellError::BelowMin => Written::Number(scaled(min? - 1.0, scale)),
            CellError::Fraction => Written::Number(CellError::fraction(indicator)?),
            CellError::ErrorValue => Written::Formula {
                formula: "E5/0".to_string(),
                result: "#DIV/0!".to_string(),
            },
            CellError::NoCachedValue => Written::Formula {
                formula: "G5/G3*100".to_string(),
                result: String::new(),
            },
            CellError::ForeignUnit => return None,
        })
    }

    /// Spoils the indicator's row (rows in year order).
    pub fn apply(self, rows: &mut [RowPlan], indicator: &Indicator) {
        let Some(row) = find_row(rows, &indicator.code) else {
            return;
        };
        let rule = Expected::Reject(self.rule());
        match (
            self.year(row.cells.len()),
            self.written(indicator, row.scale),
        ) {
            (None, _) => {
                row.unit = "美元".to_string();
                for cell in row.cells.iter_mut().filter(|cell| cell.fact().is_some()) {
                    cell.expected = Some(rule.clone());
                }
            }
            (Some(year), Some(written)) => {
                if let Some(cell) = row.cells.get_mut(year) {
                    *cell = CellPlan::expecting(written, rule);
                }
            }
            (Some(_), None) => {}
        }
    }
}

/// The indicator for the inconsistency warning: one with a `not_above` bound, else a ratio.
pub(super) fn inconsistent_indicator(catalog: &Catalog) -> Option<&Indicator> {
    let bounded = enterprise_indicators(catalog, |i| {
        i.not_above.as_ref().is_some_and(|bound| {
            catalog
                .get(bound)
                .is_some_and(|b| b.section == CatalogSection::Enterprise)
        })
    });
    let ratios = enterprise_indicators(catalog, |i| i.ratio_of.is_some());
    from_tiers(vec![bounded, ratios], 0)
}

/// A valid value for the last year that breaks the indicator's cross-check: above its bound,
/// or off its ratio by more than the tolerance.
fn inconsistent_value(indicator: &Indicator, series: &Series) -> Option<f64> {
    let last = series.get(&indicator.code)?.len().checked_sub(1)?;
    if let Some(bound) = &indicator.not_above {
        let bound = *series.get(bound)?.get(last)?;
        let above = bound + (bound.abs() * 0.2).max(1.0);
        let above = match indicator.kind {
            Kind::Count | Kind::Flag => above.ceil(),
            _ => round2(above),
        };
        return (above > bound && valid(indicator, above)).then_some(above);
    }
    let ratio = indicator.ratio_of.as_ref()?;
    let expected = ratio_value(indicator, series, last)?;
    let off = ratio.tolerance.abs() + 2.0;
    [expected + off, expected - off]
        .into_iter()
        .map(round2)
        .find(|value| valid(indicator, *value))
}

/// Raises the last year of the indicator so that its cross-check fails (a warning: the value
/// is still loaded).
pub(super) fn make_inconsistent(rows: &mut [RowPlan], indicator: &Indicator, series: &Series) {
    let Some(value) = inconsistent_value(indicator, series) else {
        return;
    };
    if let Some(row) = find_row(rows, &indicator.code) {
        let scale = row.scale;
        if let Some(cell) = row.cells.last_mut() {
            *cell = CellPlan::number(fit(indicator, value), scale);
        }
    }
}

/// Year columns newest first.
pub(super) fn reverse_years(sheet: &mut SheetPlan) {
    sheet.years.reverse();
    for row in &mut sheet.rows {
        row.cells.reverse();
    }
}

const SUBTITLE: &str = "单位：见计量单位列";

/// A row the catalog does not know (UNKNOWN_INDICATOR), or nothing when it knows every name.
pub(super) fn add_unknown_row(sheet: &mut SheetPlan, catalog: &Catalog) {
    let known = |name: &str| {
        let folded = text::split_indicator_name(name).0;
        [
            CatalogSection::Enterprise,
            CatalogSection::Park,
            CatalogSection::Industry,
        ]
        .into_iter()
        .any(|section| catalog.lookup(section, &folded).is_some())
    };
    let candidates = [
        ("员工人数", "人"),
        ("从业人员平均人数", "人"),
        ("办公面积", "平方米"),
    ];
    let Some((name, unit)) = candidates.into_iter().find(|(name, _)| !known(name)) else {
        return;
    };
    let Some(template) = sheet.rows.first() else {
        return;
    };
    let cells = (0..template.cells.len())
        .map(|offset| CellPlan::untracked(Written::Number(120.0 + offset as f64)))
        .collect();
    let row = RowPlan {
        indicator: None,
        name: name.to_string(),
        unit: unit.to_string(),
        scale: 1.0,
        industry: None,
        cells,
        ..template.clone()
    };
    sheet.rows.push(row);
    sheet.subtitle = Some(SUBTITLE.to_string());
}

/// A last column for the year before the window (YEAR_OUTSIDE_WINDOW: not loaded).
pub(super) fn add_outside_year(sheet: &mut SheetPlan, first_year: i32) {
    sheet.years.push(first_year - 1);
    for row in &mut sheet.rows {
        let value = row.cells.iter().find_map(CellPlan::fact);
        let written = value.map_or(Written::Number(1.0), |v| {
            Written::Number(scaled(v, row.scale))
        });
        row.cells.push(CellPlan::untracked(written));
    }
    sheet.subtitle = Some(SUBTITLE.to_string());
}

/// A second copy of the first row whose cells are all values: each cell is a DUPLICATE_VALUE
/// error, the first copy's values are loaded (SPEC v2 §3.2).
pub(super) fn add_duplicate_row(sheet: &mut SheetPlan) {
    let original = sheet
        .rows
        .iter()
        .find(|row| row.indicator.is_some() && row.cells.iter().all(|cell| cell.fact().is_some()));
    if let Some(original) = original {
        let mut copy = original.clone();
        for cell in &mut copy.cells {
            cell.expected = Some(Expected::Reject(Rule::DuplicateValue));
        }
        sheet.rows.push(copy);
    }
}

/// The USCC with its check digit changed, which no valid code has.
pub(super) fn misspelt_uscc(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = if *last == '0' { '1' } else { '0' };
    }
    chars.into_iter().collect()
}

/// City forms with sheets named 表1/表2/表3: zlbd tells a province sheet by 全省 in its name,
/// so the renamed form must be one whose own industries share no name with a province one.
pub(super) fn rename_city_sheets(form: &mut FormPlan) {
    form.info_sheet = "表1".to_string();
    for sheet in &mut form.sheets {
        let province = sheet.name.contains("全省");
        sheet.name = if province { "表3" } else { "表2" }.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_of_numbers() {
        assert_eq!(thousands(1234567.891), "1,234,567.89");
        assert_eq!(thousands(-1234.5), "-1,234.50");
        assert_eq!(thousands(12.0), "12.00");
        assert_eq!(full_width("12.5"), "１２.５");
    }

    #[test]
    fn a_misspelt_uscc_fails_its_check_digit() {
        let code = "91370100AAAA00001T";
        let misspelt = misspelt_uscc(code);
        assert_ne!(misspelt, code);
        assert!(crate::domain::uscc::validate(&misspelt).is_err());
    }
}
