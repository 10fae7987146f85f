//! One cell's raw content → a canonical value, a missing marker, or a reject with its rule.
//!
//! Pure functions, run per file inside the parallel workers; property-tested in
//! `tests/value_parsing.rs`.

use crate::config::Indicator;
use crate::domain::text;
use crate::domain::text::format_number;
use crate::domain::units;
use crate::domain::{Kind, Rule, Word};
use crate::ingest::workbook::CellValue;
use serde::{Deserialize, Serialize};

/// What a cell holds once read, before units and ranges.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Number(f64),
    Missing,
    Reject(Rule),
}

/// Reads a cell under an indicator's kind. Percent-formatted numbers of a rate are fractions.
/// An amount, count or score in a percent format is no number of its unit: 71.8 typed into a
/// cell formatted as a percent (a format copied from a rate row) is shown as 71.8% and stored
/// as 0.718, and the text `71.8%` is refused alike.
pub fn parse(value: &CellValue, kind: Kind) -> Parsed {
    match value {
        CellValue::Empty => Parsed::Missing,
        CellValue::Number { value, .. } if !value.is_finite() => Parsed::Reject(Rule::OutOfRange),
        // 0 is 0 in any format.
        CellValue::Number {
            percent: true,
            value,
        } if shown_as_percent_wrongly(kind) && *value != 0.0 => Parsed::Reject(Rule::NotANumber),
        // Shown divided by its format: the unit of what was seen is not the unit of what is
        // stored.
        CellValue::Scaled { .. } => Parsed::Reject(Rule::UnknownUnit),
        CellValue::Number { value, percent } => {
            if *percent && kind == Kind::Rate {
                Parsed::Number(round(value * 100.0))
            } else {
                Parsed::Number(*value)
            }
        }
        CellValue::Bool(flag) if kind == Kind::Flag => {
            Parsed::Number(if *flag { 1.0 } else { 0.0 })
        }
        CellValue::Bool(_) | CellValue::Date(_) => Parsed::Reject(Rule::NotANumber),
        CellValue::Error(_) => Parsed::Reject(Rule::CellError),
        CellValue::FormulaNoValue(_) => Parsed::Reject(Rule::FormulaNoValue),
        CellValue::Text(raw) => parse_text(raw, kind),
    }
}

/// What a percent-formatted number shows, as a number: 71.8 for 0.718.
fn percent_shown(value: &CellValue) -> Option<f64> {
    match value {
        CellValue::Number {
            value,
            percent: true,
        } => Some(round(value * 100.0)),
        _ => None,
    }
}

/// Whether a percent format contradicts the kind: a flag's 100% is still yes.
fn shown_as_percent_wrongly(kind: Kind) -> bool {
    !matches!(kind, Kind::Rate | Kind::Flag)
}

fn parse_text(raw: &str, kind: Kind) -> Parsed {
    let folded = text::fold_cell(raw);
    if folded.is_empty() {
        return Parsed::Missing;
    }
    match kind.word(&folded) {
        Some(Word::Yes) => return Parsed::Number(1.0),
        Some(Word::No) => return Parsed::Number(0.0),
        Some(Word::Missing) => return Parsed::Missing,
        None => {}
    }
    let (digits, percent) = match folded.strip_suffix('%') {
        Some(rest) => (rest, true),
        None => (folded.as_str(), false),
    };
    if percent && kind != Kind::Rate {
        return Parsed::Reject(Rule::NotANumber);
    }
    if !spaced_as_thousands(raw) {
        return Parsed::Reject(Rule::NotANumber);
    }
    match parse_number(digits) {
        Some(number) => Parsed::Number(number),
        // NaN and ±∞ written out are numbers no range holds (SPEC v2 §5).
        None => match digits.trim_start_matches(['+', '-']) {
            "inf" | "infinity" | "∞" | "nan" => Parsed::Reject(Rule::OutOfRange),
            _ => Parsed::Reject(Rule::NotANumber),
        },
    }
}

/// Whether white space inside a number can only be a thousands separator (`5 325.92`): between
/// groups of three digits, on one line. `1 4` or `5⏎6` are two numbers, never 14 or 56.
fn spaced_as_thousands(raw: &str) -> bool {
    let core = raw.trim();
    let core = core
        .strip_prefix(['-', '+', '\u{2212}'])
        .unwrap_or(core)
        .trim_start();
    let core = core.trim_end_matches(['%', '％']).trim_end();
    if !core.contains(char::is_whitespace) {
        return true;
    }
    if core.contains(['\n', '\r']) {
        return false;
    }
    let mut groups = core
        .split(char::is_whitespace)
        .filter(|group| !group.is_empty());
    let first = groups.next().unwrap_or("");
    let three_digits = |group: &str| {
        let integer = group.split(['.', '．']).next().unwrap_or("");
        integer.chars().count() == 3 && integer.chars().all(char::is_numeric)
    };
    first.chars().count() <= 3 && groups.all(three_digits)
}

/// A plain decimal with optional sign and thousands separators: `1,234.5`, `-12`, `+3`.
/// Refuses exponents, `inf`, `NaN`, and anything else Rust's parser would take.
pub fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text.chars().filter(|c| *c != ',' && *c != '_').collect();
    let body = cleaned.strip_prefix(['-', '+']).unwrap_or(&cleaned);
    if body.is_empty() || body == "." {
        return None;
    }
    let mut dots = 0;
    for c in body.chars() {
        match c {
            '0'..='9' => {}
            '.' => dots += 1,
            _ => return None,
        }
    }
    if dots > 1 {
        return None;
    }
    // A thousands separator must sit between groups of three digits, before the decimal point:
    // `1.234,5` is a European 1234.5, never 1.2345.
    if text.contains(',') {
        if text
            .split_once('.')
            .is_some_and(|(_, fraction)| fraction.contains(','))
        {
            return None;
        }
        let integer = text
            .trim_start_matches(['-', '+'])
            .split('.')
            .next()
            .unwrap_or("");
        let groups: Vec<&str> = integer.split(',').collect();
        let well_formed = groups[0].len() <= 3
            && !groups[0].is_empty()
            && groups[1..].iter().all(|group| group.len() == 3);
        if !well_formed {
            return None;
        }
    }
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
}

/// Rounds away binary noise from unit conversions (1.2345 亿元 → 12345 万元, not 12345.000000000002).
fn round(value: f64) -> f64 {
    let scaled = (value * 1e8).round() / 1e8;
    if scaled.is_finite() {
        scaled
    } else {
        value
    }
}

/// The factor that takes a row's unit to the indicator's canonical unit, or None when the unit
/// cannot be converted. An absent unit means the canonical one.
pub fn unit_factor(unit: Option<&str>, indicator: &Indicator) -> Option<f64> {
    // Most rows give the catalog's own unit, as the template writes it.
    if unit == Some(indicator.unit.as_str()) {
        return Some(1.0);
    }
    let Some(unit) =
        (unit.map(units::bare_unit)).filter(|unit| !unit.is_empty() && !units::says_none(unit))
    else {
        return Some(1.0);
    };
    if unit == text::fold(&indicator.unit) {
        return Some(1.0);
    }
    units::kind_factor(indicator.kind, &unit)
}

/// The outcome of one indicator cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// A value in the canonical unit.
    Value(f64),
    Missing,
    Rejected {
        rule: Rule,
        message: String,
    },
}

/// Where a cell sits, for messages, and the largest absolute value a fact may have.
pub struct Place<'a> {
    pub sheet: &'a str,
    pub cell: &'a str,
    /// `limits.max_abs_value`, in the indicator's catalog unit.
    pub max_abs: f64,
}

/// Classifies one cell: parse, convert units, check kind and range.
pub fn classify(
    value: &CellValue,
    unit: Option<&str>,
    indicator: &Indicator,
    place: &Place,
) -> Outcome {
    // The value as written is only shown in a reject's message.
    let reject = |rule: Rule, detail: String| Outcome::Rejected {
        rule,
        message: format!(
            "{}!{} 的值“{}”{}（{}，{}）",
            place.sheet,
            place.cell,
            value.display(),
            detail,
            indicator.name,
            rule.as_str()
        ),
    };
    let number = match parse(value, indicator.kind) {
        Parsed::Missing => return Outcome::Missing,
        Parsed::Reject(rule) => {
            let detail = match rule {
                Rule::CellError => "是Excel错误值，请修正公式或直接填写数值".to_string(),
                Rule::OutOfRange => "不是有限数值（无穷大或非数），请填写实际数值".to_string(),
                Rule::FormulaNoValue => {
                    "是没有计算结果的公式，请在Excel中重新计算并保存后报送".to_string()
                }
                Rule::UnknownUnit => match value {
                    CellValue::Scaled { value, divisor } => format!(
                        "所在单元格的格式把数值缩小{}倍显示（显示为“{}”），所见数值与存储数值的单位不同，无法确定；请把单元格格式改为“常规”或“数值”后按{}填写实际数值",
                        format_number(*divisor),
                        format_number(round(value / divisor)),
                        indicator.unit
                    ),
                    _ => "的计量单位无法确定".to_string(),
                },
                Rule::NotANumber if percent_shown(value).is_some() => format!(
                    "所在单元格为百分比格式，显示为“{}%”，而该指标的单位是{}；请把单元格格式改为“常规”或“数值”后按{}重新填写",
                    percent_shown(value).map(format_number).unwrap_or_default(),
                    indicator.unit,
                    indicator.unit
                ),
                _ if indicator.kind == Kind::Flag => {
                    "不是有效的是/否值，请填写“是”或“否”".to_string()
                }
                _ => "不是有效数字，请填写数字；无数据请留空".to_string(),
            };
            return reject(rule, detail);
        }
        Parsed::Number(number) => number,
    };
    let Some(factor) = unit_factor(unit, indicator) else {
        return reject(
            Rule::UnknownUnit,
            format!(
                "的计量单位“{}”无法换算为{}，请改用{}",
                unit.unwrap_or_default(),
                indicator.unit,
                indicator.unit
            ),
        );
    };
    let value = if factor == 1.0 {
        number
    } else {
        round(number * factor)
    };
    let (min, max) = match indicator.kind {
        Kind::Flag => (Some(0.0), Some(1.0)),
        _ => (indicator.min, indicator.max),
    };
    if !value.is_finite() || value.abs() > place.max_abs {
        // NaN, ±∞, 1e400, or a value that overflows once converted (1e306 亿元): never a fact.
        return reject(
            Rule::OutOfRange,
            format!(
                "不是有效的有限数值或绝对值超过{}{}，请核实计量单位",
                format_number(place.max_abs),
                indicator.unit
            ),
        );
    }
    // A count within the integer tolerance is the whole number it stands for (3.0000000001 or
    // -1e-12 from a formula's binary noise is 3 or 0), before its range is asked.
    let whole = matches!(indicator.kind, Kind::Count | Kind::Flag);
    let value = if whole && (value - value.round()).abs() <= 1e-9 {
        value.round()
    } else {
        value
    };
    let below = min.is_some_and(|min| value < min);
    let above = max.is_some_and(|max| value > max);
    if below || above {
        let range = match (min, max) {
            (Some(min), Some(max)) => format!("{}–{}", format_number(min), format_number(max)),
            (Some(min), None) => format!("≥ {}", format_number(min)),
            (None, Some(max)) => format!("≤ {}", format_number(max)),
            (None, None) => String::new(),
        };
        return reject(
            Rule::OutOfRange,
            format!("超出有效范围（{range} {}），请核实", indicator.unit),
        );
    }
    if whole && value.fract() != 0.0 {
        return reject(Rule::NotInteger, "应为整数，请核实".to_string());
    }
    // "-0" is a zero: published as 0, never −0.0 (raw_value keeps what was typed).
    Outcome::Value(if value == 0.0 { 0.0 } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CatalogSection, Direction};

    fn indicator(kind: Kind, unit: &str, min: Option<f64>, max: Option<f64>) -> Indicator {
        Indicator {
            code: "X01".into(),
            section: CatalogSection::Enterprise,
            name: "测试指标".into(),
            aliases: vec![],
            unit: unit.into(),
            direction: Direction::Higher,
            kind,
            min,
            max,
            not_above: None,
            ratio_of: None,
            weight: 1.0,
            agg: None,
        }
    }

    fn text(value: &str) -> CellValue {
        CellValue::Text(value.into())
    }

    fn at() -> Place<'static> {
        Place {
            sheet: "质量指标",
            cell: "D12",
            max_abs: 1e12,
        }
    }

    fn rule_of(outcome: Outcome) -> Option<Rule> {
        match outcome {
            Outcome::Rejected { rule, .. } => Some(rule),
            _ => None,
        }
    }

    #[test]
    fn numbers_stored_as_text() {
        let amount = indicator(Kind::Amount, "万元", Some(0.0), None);
        for (raw, expected) in [
            ("1,234.5", 1234.5),
            ("１２３４", 1234.0),
            (" 95.2 ", 95.2),
            ("360,352.83", 360352.83),
            ("5 325.92", 5325.92),
            ("1\u{00A0}234\u{3000}567", 1234567.0),
        ] {
            assert_eq!(
                classify(&text(raw), None, &amount, &at()),
                Outcome::Value(expected),
                "{raw}"
            );
        }
        // Shapes that would read as another number: a European 1234.5, two numbers in one
        // cell (a space or a line between), a space not between groups of three.
        for raw in ["1.234,5", "5.101,86", "5\n6", "1 4", "12 34.5", "1234 567"] {
            assert_eq!(
                rule_of(classify(&text(raw), None, &amount, &at())),
                Some(Rule::NotANumber),
                "{raw}"
            );
        }
        let profit = indicator(Kind::Amount, "万元", None, None);
        // The minus as typed, full-width, as Word's minus sign, and as the small hyphen-minus.
        for raw in [
            "-12",
            "－12",
            "\u{2212}12",
            "\u{FE63}12",
            "\u{2212}1,234",
            "- 12",
        ] {
            let expected = if raw.contains(',') { -1234.0 } else { -12.0 };
            assert_eq!(
                classify(&text(raw), None, &profit, &at()),
                Outcome::Value(expected),
                "{raw}"
            );
        }
        assert_eq!(
            classify(&text("\u{2212}"), None, &profit, &at()),
            Outcome::Missing
        );
        let rate = indicator(Kind::Rate, "%", Some(0.0), Some(100.0));
        assert_eq!(
            classify(&text("95.2%"), None, &rate, &at()),
            Outcome::Value(95.2)
        );
    }

    #[test]
    fn a_negative_zero_is_a_zero() {
        let amount = indicator(Kind::Amount, "万元", Some(0.0), None);
        let number = |value: f64| CellValue::Number {
            value,
            percent: false,
        };
        for cell in [text("-0"), text("-0.00"), number(-0.0)] {
            let Outcome::Value(value) = classify(&cell, None, &amount, &at()) else {
                panic!("{cell:?} is not a value");
            };
            assert_eq!(value.to_bits(), 0.0f64.to_bits(), "{cell:?}");
        }
        // Through a unit's factor too.
        let Outcome::Value(value) = classify(&text("-0"), Some("亿元"), &amount, &at()) else {
            panic!("-0 亿元 is not a value");
        };
        assert_eq!(value.to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn missing_markers_and_flags() {
        let amount = indicator(Kind::Amount, "万元", Some(0.0), None);
        for raw in ["—", "-", "/", "无", "N/A", "不适用", ""] {
            assert_eq!(
                classify(&text(raw), None, &amount, &at()),
                Outcome::Missing,
                "{raw}"
            );
        }
        let flag = indicator(Kind::Flag, "是/否", Some(0.0), Some(1.0));
        for (raw, expected) in [
            ("是", 1.0),
            ("否", 0.0),
            ("有", 1.0),
            ("无", 0.0),
            ("Y", 1.0),
            ("n", 0.0),
        ] {
            assert_eq!(
                classify(&text(raw), None, &flag, &at()),
                Outcome::Value(expected),
                "{raw}"
            );
        }
        assert_eq!(classify(&text("—"), None, &flag, &at()), Outcome::Missing);
        assert_eq!(
            rule_of(classify(&text("也许"), None, &flag, &at())),
            Some(Rule::NotANumber)
        );
    }

    #[test]
    fn rejects_name_sheet_cell_and_raw_value() {
        let count = indicator(Kind::Count, "次", Some(0.0), None);
        let Outcome::Rejected { rule, message } = classify(&text("约50"), None, &count, &at())
        else {
            panic!("expected a reject");
        };
        assert_eq!(rule, Rule::NotANumber);
        assert!(
            message.contains("质量指标!D12") && message.contains("约50"),
            "{message}"
        );
        assert_eq!(
            rule_of(classify(&text("2.5"), None, &count, &at())),
            Some(Rule::NotInteger)
        );
        // Binary noise within the tolerance is the whole number.
        let noisy = CellValue::Number {
            value: 3.000_000_000_1,
            percent: false,
        };
        assert_eq!(classify(&noisy, None, &count, &at()), Outcome::Value(3.0));
        let below_zero = CellValue::Number {
            value: -1e-12,
            percent: false,
        };
        assert_eq!(
            classify(&below_zero, None, &count, &at()),
            Outcome::Value(0.0)
        );
        assert_eq!(
            rule_of(classify(&text("-3"), None, &count, &at())),
            Some(Rule::OutOfRange)
        );
        let rate = indicator(Kind::Rate, "%", Some(0.0), Some(100.0));
        assert_eq!(
            rule_of(classify(&text("103"), None, &rate, &at())),
            Some(Rule::OutOfRange)
        );
        assert_eq!(
            rule_of(classify(
                &CellValue::Error("#DIV/0!".into()),
                None,
                &rate,
                &at()
            )),
            Some(Rule::CellError)
        );
        assert_eq!(
            rule_of(classify(
                &CellValue::FormulaNoValue("B3/B4".into()),
                None,
                &rate,
                &at()
            )),
            Some(Rule::FormulaNoValue)
        );
    }

    #[test]
    fn units_convert_to_canonical() {
        let amount = indicator(Kind::Amount, "万元", Some(0.0), None);
        let number = |value| CellValue::Number {
            value,
            percent: false,
        };
        assert_eq!(
            classify(&number(1.2345), Some("亿元"), &amount, &at()),
            Outcome::Value(12345.0)
        );
        assert_eq!(
            classify(&number(123456.0), Some("元"), &amount, &at()),
            Outcome::Value(12.3456)
        );
        assert_eq!(
            classify(&number(5.0), Some("万元"), &amount, &at()),
            Outcome::Value(5.0)
        );
        assert_eq!(
            rule_of(classify(&number(5.0), Some("美元"), &amount, &at())),
            Some(Rule::UnknownUnit)
        );
        let rate = indicator(Kind::Rate, "%", Some(0.0), Some(100.0));
        let fraction = CellValue::Number {
            value: 0.952,
            percent: true,
        };
        assert_eq!(
            classify(&fraction, Some("%"), &rate, &at()),
            Outcome::Value(95.2)
        );
    }

    /// A percent format on an amount, a count or a score is refused with what the cell shows;
    /// a rate's is a fraction, a flag's 100% is yes.
    #[test]
    fn a_percent_format_outside_rates_and_flags_is_refused() {
        let shown = |value: f64| CellValue::Number {
            value,
            percent: true,
        };
        let score = indicator(Kind::Score, "分", Some(0.0), Some(100.0));
        let Outcome::Rejected { rule, message } = classify(&shown(0.718), None, &score, &at())
        else {
            panic!("a score shown as 71.8% was loaded");
        };
        assert_eq!(rule, Rule::NotANumber);
        assert!(
            message.contains("“71.8%”") && message.contains("分"),
            "{message}"
        );
        let amount = indicator(Kind::Amount, "万元", Some(0.0), None);
        assert_eq!(
            rule_of(classify(&shown(53.2592), None, &amount, &at())),
            Some(Rule::NotANumber)
        );
        let flag = indicator(Kind::Flag, "是/否", Some(0.0), Some(1.0));
        assert_eq!(
            classify(&shown(1.0), None, &flag, &at()),
            Outcome::Value(1.0)
        );
        let unformatted = CellValue::Number {
            value: 0.718,
            percent: false,
        };
        assert_eq!(
            classify(&unformatted, None, &score, &at()),
            Outcome::Value(0.718)
        );
    }

    /// A name's bracket names a unit when any kind takes it, or it is ‰ or a score out of N;
    /// a note (含税, 亏损以“-”号填列) names none. 人民币 and a 单位： before it change nothing.
    #[test]
    fn a_bracket_names_a_unit_or_is_a_note() {
        for unit in [
            "元",
            "人民币万元",
            "单位:元",
            "%",
            "‰",
            "个",
            "分",
            "满分10分",
            "满分100分",
            "美元",
            "万吨",
        ] {
            assert!(units::names_a_unit(unit), "{unit}");
        }
        for note in [
            "含税",
            "不含税",
            "亏损以“-”号填列",
            "满分",
            "注",
            "合并口径",
            "批次",
        ] {
            assert!(!units::names_a_unit(note), "{note}");
        }
        let amount = indicator(Kind::Amount, "万元", None, None);
        assert_eq!(unit_factor(Some("人民币元"), &amount), Some(1e-4));
        assert_eq!(unit_factor(Some("亿元人民币"), &amount), Some(1e4));
        assert_eq!(unit_factor(Some("单位：元"), &amount), Some(1e-4));
        let score = indicator(Kind::Score, "分", Some(0.0), Some(100.0));
        assert_eq!(unit_factor(Some("满分100分"), &score), Some(1.0));
        assert_eq!(unit_factor(Some("满分10分"), &score), None);
        // A unit cell saying there is none means the catalog's; 人民币 in brackets is no unit.
        let flag = indicator(Kind::Flag, "是/否", Some(0.0), Some(1.0));
        for none in ["—", "/", "无", "－"] {
            assert_eq!(unit_factor(Some(none), &flag), Some(1.0), "{none}");
        }
        assert_eq!(unit_factor(Some("万元（人民币）"), &amount), Some(1.0));
        let count = indicator(Kind::Count, "次", Some(0.0), None);
        assert_eq!(unit_factor(Some("次数"), &count), Some(1.0));
    }

    #[test]
    fn odd_numbers_are_not_numbers() {
        for raw in ["1e5", "inf", "NaN", "1.2.3", "12,34", "见附件", "+", "."] {
            assert_eq!(parse_number(&text::fold(raw)), None, "{raw}");
        }
    }
}
