//! The stable rule codes of SPEC §5 with their severities, and the `rejects` row they produce.
//! A rule's code string is what the warehouse stores; nothing else spells it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The stable, machine-readable rule codes of SPEC §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rule {
    NotANumber,
    OutOfRange,
    NotInteger,
    UnknownUnit,
    CellError,
    FormulaNoValue,
    UnknownIndicator,
    YearOutsideWindow,
    Inconsistent,
    YoyJump,
    BadUscc,
    NotInRoster,
    DuplicateValue,
    UnknownIndustry,
    BadVersion,
    BadDate,
    NameMismatch,
}

impl Rule {
    pub const ALL: [Rule; 17] = [
        Rule::NotANumber,
        Rule::OutOfRange,
        Rule::NotInteger,
        Rule::UnknownUnit,
        Rule::CellError,
        Rule::FormulaNoValue,
        Rule::DuplicateValue,
        Rule::UnknownIndustry,
        Rule::UnknownIndicator,
        Rule::YearOutsideWindow,
        Rule::Inconsistent,
        Rule::YoyJump,
        Rule::BadUscc,
        Rule::NotInRoster,
        Rule::BadVersion,
        Rule::BadDate,
        Rule::NameMismatch,
    ];

    /// The rule of a code as `rejects.rule` writes it.
    pub fn parse(code: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|rule| rule.as_str() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NotANumber => "NOT_A_NUMBER",
            Rule::OutOfRange => "OUT_OF_RANGE",
            Rule::NotInteger => "NOT_INTEGER",
            Rule::UnknownUnit => "UNKNOWN_UNIT",
            Rule::CellError => "CELL_ERROR",
            Rule::FormulaNoValue => "FORMULA_NO_VALUE",
            Rule::UnknownIndicator => "UNKNOWN_INDICATOR",
            Rule::YearOutsideWindow => "YEAR_OUTSIDE_WINDOW",
            Rule::Inconsistent => "INCONSISTENT",
            Rule::YoyJump => "YOY_JUMP",
            Rule::BadUscc => "BAD_USCC",
            Rule::NotInRoster => "NOT_IN_ROSTER",
            Rule::DuplicateValue => "DUPLICATE_VALUE",
            Rule::UnknownIndustry => "UNKNOWN_INDUSTRY",
            Rule::BadVersion => "BAD_VERSION",
            Rule::BadDate => "BAD_DATE",
            Rule::NameMismatch => "NAME_MISMATCH",
        }
    }

    /// What the rule means, in Chinese, for feedback and the data dictionary.
    pub fn describe_zh(self) -> &'static str {
        match self {
            Rule::NotANumber => "不是数值",
            Rule::OutOfRange => "超出取值范围",
            Rule::NotInteger => "应为整数",
            Rule::UnknownUnit => "计量单位无法换算",
            Rule::CellError => "单元格错误值",
            Rule::FormulaNoValue => "公式无计算结果",
            Rule::UnknownIndicator => "指标名称不在目录中",
            Rule::YearOutsideWindow => "年份不在比对年份内",
            Rule::Inconsistent => "指标间不一致",
            Rule::YoyJump => "同比变化异常",
            Rule::BadUscc => "统一社会信用代码有误",
            Rule::NotInRoster => "不在全省名单中",
            Rule::DuplicateValue => "同一指标同一年份重复填报",
            Rule::UnknownIndustry => "无法确定所属行业",
            Rule::BadVersion => "报表版本无法识别",
            Rule::BadDate => "填报日期无法识别",
            Rule::NameMismatch => "名称与名单不符",
        }
    }

    /// Whether the value beside the finding was loaded: a warning's, except a row or a year
    /// column left out (UNKNOWN_INDICATOR, YEAR_OUTSIDE_WINDOW).
    pub fn keeps_the_value(self) -> bool {
        self.severity() == Severity::Warning
            && !matches!(self, Rule::UnknownIndicator | Rule::YearOutsideWindow)
    }

    pub fn severity(self) -> Severity {
        match self {
            Rule::NotANumber
            | Rule::OutOfRange
            | Rule::NotInteger
            | Rule::UnknownUnit
            | Rule::CellError
            | Rule::FormulaNoValue
            | Rule::BadUscc
            | Rule::DuplicateValue
            | Rule::UnknownIndustry => Severity::Error,
            Rule::UnknownIndicator
            | Rule::YearOutsideWindow
            | Rule::Inconsistent
            | Rule::YoyJump
            | Rule::NotInRoster
            | Rule::BadVersion
            | Rule::BadDate
            | Rule::NameMismatch => Severity::Warning,
        }
    }
}

/// One row of the `rejects` table: an error that kept a value out, or a warning beside a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub submission_id: String,
    pub source_file: String,
    pub source_sheet: Option<String>,
    pub source_cell: Option<String>,
    pub level: Option<String>,
    pub entity_id: Option<String>,
    pub indicator_code: Option<String>,
    pub year: Option<i32>,
    pub rule: Rule,
    pub message: String,
    pub raw_value: Option<String>,
}
