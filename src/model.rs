//! The domain's vocabulary, shared by every stage: levels, forms, indicator kinds, rule codes.
//!
//! Each enum has exactly one string spelling, the one the warehouse stores and the pipeline
//! config uses, so a value read back from Parquet or TOML always maps to the same variant.

use serde::{Deserialize, Serialize};

/// Which kind of entity a fact describes (SPEC §4, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Enterprise,
    Park,
    CityIndustry,
    /// A city's part of a province-level key industry (entity id `PI01-370100`).
    ProvinceIndustryCity,
    /// Rolled up from the cities' parts; never read from a form.
    ProvinceIndustry,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Enterprise,
        Level::Park,
        Level::CityIndustry,
        Level::ProvinceIndustryCity,
        Level::ProvinceIndustry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Enterprise => "enterprise",
            Level::Park => "park",
            Level::CityIndustry => "city_industry",
            Level::ProvinceIndustryCity => "province_industry_city",
            Level::ProvinceIndustry => "province_industry",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.as_str() == text)
    }

    /// The catalog section whose indicators this level reports.
    pub fn catalog(self) -> CatalogSection {
        match self {
            Level::Enterprise => CatalogSection::Enterprise,
            Level::Park => CatalogSection::Park,
            _ => CatalogSection::Industry,
        }
    }
}

/// The three indicator lists of SPEC §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogSection {
    Enterprise,
    Park,
    Industry,
}

/// The three report forms the province sends out (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    Enterprise,
    Park,
    City,
}

impl Form {
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Enterprise => "enterprise",
            Form::Park => "park",
            Form::City => "city",
        }
    }

    /// The `submissions.level` of a form's submitter.
    pub fn submitter_level(self) -> &'static str {
        match self {
            Form::Enterprise => "enterprise",
            Form::Park => "park",
            Form::City => "city",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }
}

/// What sort of number an indicator holds; decides units, integer and range checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Amount,
    Rate,
    Count,
    Score,
    Flag,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Amount => "amount",
            Kind::Rate => "rate",
            Kind::Count => "count",
            Kind::Score => "score",
            Kind::Flag => "flag",
        }
    }
}

/// How city rows of one province industry roll up (SPEC §4 `agg`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method", content = "weight")]
pub enum Aggregation {
    Sum,
    /// Mean weighted by another indicator of the same city and year.
    WeightedMean(String),
}

impl Aggregation {
    pub fn describe(&self) -> String {
        match self {
            Aggregation::Sum => "sum".to_string(),
            Aggregation::WeightedMean(weight) => format!("mean weighted by {weight}"),
        }
    }
}

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
}

impl Rule {
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
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Rule::NotANumber
            | Rule::OutOfRange
            | Rule::NotInteger
            | Rule::UnknownUnit
            | Rule::CellError
            | Rule::FormulaNoValue
            | Rule::BadUscc => Severity::Error,
            Rule::UnknownIndicator
            | Rule::YearOutsideWindow
            | Rule::Inconsistent
            | Rule::YoyJump
            | Rule::NotInRoster
            | Rule::DuplicateValue => Severity::Warning,
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

/// Zero-based (row, column) to an A1 address: (0, 0) → "A1", (11, 3) → "D12".
pub fn a1(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col as u64 + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    let mut out = String::from_utf8(letters).unwrap_or_default();
    out.push_str(&(row as u64 + 1).to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_addresses() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(11, 3), "D12");
        assert_eq!(a1(0, 25), "Z1");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(9, 701), "ZZ10");
        assert_eq!(a1(0, 702), "AAA1");
    }

    #[test]
    fn level_strings_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
    }
}
