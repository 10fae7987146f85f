//! The domain's vocabulary, shared by every stage: levels, forms, indicator kinds.
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

    pub const fn as_str(self) -> &'static str {
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

    /// The `submissions.level` of a form's submitter: the form's own name (a city sends the
    /// city form; its rows are industries at other levels).
    pub fn submitter_level(self) -> &'static str {
        self.as_str()
    }

    /// The catalog section whose indicators the form's tables hold.
    pub fn catalog_section(self) -> CatalogSection {
        match self {
            Form::Enterprise => CatalogSection::Enterprise,
            Form::Park => CatalogSection::Park,
            Form::City => CatalogSection::Industry,
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

    /// What a cell's text (folded by [`crate::domain::text::fold_cell`]) says before any number
    /// is read from it (SPEC §3.4): a missing marker, or a flag's yes or no. For a flag, 无
    /// means no, not missing.
    pub fn word(self, folded: &str) -> Option<Word> {
        if self == Kind::Flag {
            if YES.contains(&folded) {
                return Some(Word::Yes);
            }
            if NO.contains(&folded) {
                return Some(Word::No);
            }
        }
        MISSING.contains(&folded).then_some(Word::Missing)
    }
}

/// A cell's text that is no number: see [`Kind::word`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    Missing,
    Yes,
    No,
}

/// Missing markers (SPEC §3.4), folded.
const MISSING: &[&str] = &[
    "—",
    "——",
    "-",
    "--",
    "－",
    "/",
    "无",
    "n/a",
    "na",
    "不适用",
    "空",
    "暂无",
    "…",
];
const YES: &[&str] = &["是", "有", "y", "yes", "√", "true", "已设立"];
const NO: &[&str] = &["否", "无", "n", "no", "×", "false", "未设立"];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_strings_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
    }
}
