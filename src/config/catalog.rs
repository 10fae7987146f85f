//! The indicator catalog (SPEC §4): codes, names and aliases, canonical units, directions,
//! kinds, range checks, cross-indicator checks, score weights and roll-up rules.

use super::ConfigProblem;
use crate::domain::text;
use crate::domain::{Aggregation, CatalogSection, Direction, Kind};
use polars::prelude::PlHashMap;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    /// One table per indicator.
    indicator: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    /// Stable code (E01, P03, I10).
    code: String,
    /// Which form reports it: enterprise, park or industry.
    section: CatalogSection,
    /// The name printed on the form.
    name: String,
    /// Other names submitters use.
    #[serde(default)]
    aliases: Vec<String>,
    /// Canonical unit (万元, %, 家, 分, 是/否 …).
    unit: String,
    /// higher or lower is better.
    direction: Direction,
    /// amount, rate, count, score or flag.
    kind: Kind,
    /// Smallest valid value (OUT_OF_RANGE below).
    min: Option<f64>,
    /// Largest valid value (OUT_OF_RANGE above).
    max: Option<f64>,
    /// Code of an indicator this one must not exceed (INCONSISTENT warning).
    not_above: Option<String>,
    /// This rate should equal numerator / denominator × 100 (INCONSISTENT warning).
    ratio_of: Option<RawRatio>,
    /// Weight in the composite score; 0 leaves the indicator out.
    #[serde(default = "one")]
    weight: f64,
    /// Industry roll-up: "sum" or "weighted_mean".
    agg: Option<String>,
    /// With agg = "weighted_mean": the weighting indicator's code.
    agg_weight: Option<String>,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRatio {
    /// Code of the numerator indicator.
    numerator: String,
    /// Code of the denominator indicator.
    denominator: String,
    /// Largest accepted difference, in percentage points.
    tolerance: f64,
}

/// A rate that should equal numerator / denominator × 100.
#[derive(Debug, Clone, PartialEq)]
pub struct RatioCheck {
    pub numerator: String,
    pub denominator: String,
    pub tolerance: f64,
}

/// One validated indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub code: String,
    pub section: CatalogSection,
    pub name: String,
    pub aliases: Vec<String>,
    pub unit: String,
    pub direction: Direction,
    pub kind: Kind,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub not_above: Option<String>,
    pub ratio_of: Option<RatioCheck>,
    pub weight: f64,
    pub agg: Option<Aggregation>,
}

/// The whole catalog with a name index per section.
#[derive(Debug, Clone)]
pub struct Catalog {
    indicators: Vec<Indicator>,
    by_code: PlHashMap<String, usize>,
    /// Per section, folded name → index: looked up with a borrowed name, so a lookup
    /// allocates nothing (every indicator row of every form is looked up).
    by_name: PlHashMap<CatalogSection, PlHashMap<String, usize>>,
}

/// How an indicator rolls up (industry indicators only), reporting a bad `agg`/`agg_weight`.
fn aggregation(
    raw: &RawIndicator,
    same_section: &dyn Fn(&str, CatalogSection) -> bool,
    problem: &mut dyn FnMut(&str, String),
) -> Option<Aggregation> {
    match (raw.section, raw.agg.as_deref(), &raw.agg_weight) {
        (CatalogSection::Industry, Some("sum"), None) => Some(Aggregation::Sum),
        (CatalogSection::Industry, Some("weighted_mean"), Some(weight)) => {
            if !same_section(weight, CatalogSection::Industry) {
                problem(
                    "agg_weight",
                    format!("{weight:?} is not an industry indicator"),
                );
            }
            Some(Aggregation::WeightedMean(weight.clone()))
        }
        (CatalogSection::Industry, other, weight) => {
            problem(
                "agg",
                format!(
                    "industry indicators need agg = \"sum\", or agg = \"weighted_mean\" with agg_weight; got agg = {other:?}, agg_weight = {weight:?}"
                ),
            );
            None
        }
        (_, None, None) => None,
        (_, agg, _) => {
            problem(
                "agg",
                format!("only industry indicators roll up; got {agg:?}"),
            );
            None
        }
    }
}

impl Catalog {
    pub(super) fn parse(
        file: &Path,
        text: &str,
        problems: &mut Vec<ConfigProblem>,
    ) -> Option<Catalog> {
        let mut problem = |key: String, message: String| {
            problems.push(ConfigProblem {
                file: file.to_path_buf(),
                key,
                message,
            })
        };
        let file_content: CatalogFile = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(error) => {
                problem(
                    super::toml_position(text, error.span()),
                    error.message().trim_end().to_string(),
                );
                return None;
            }
        };
        let all = &file_content.indicator;
        let codes: BTreeMap<&str, CatalogSection> = all
            .iter()
            .map(|indicator| (indicator.code.as_str(), indicator.section))
            .collect();
        let same_section = |code: &str, section: CatalogSection| codes.get(code) == Some(&section);
        let mut indicators = Vec::new();
        let mut by_code = PlHashMap::default();
        let mut by_name: PlHashMap<CatalogSection, PlHashMap<String, usize>> = PlHashMap::default();
        for (index, raw) in all.iter().enumerate() {
            let key = |field: &str| format!("indicator[{index}] ({}).{field}", raw.code);
            if by_code.insert(raw.code.clone(), index).is_some() {
                problem(key("code"), format!("duplicate code {:?}", raw.code));
            }
            for (position, name) in std::iter::once(&raw.name).chain(&raw.aliases).enumerate() {
                let folded = text::split_indicator_name(name).0;
                let names = by_name.entry(raw.section).or_default();
                if let Some(other) = names.insert(folded, index) {
                    // Forms are matched by name: two indicators of a section read alike.
                    let (field, what) = match position {
                        0 => ("name", "name"),
                        _ => ("aliases", "alias"),
                    };
                    problem(
                        key(field),
                        format!(
                            "{what} {name:?} reads the same as a name or alias of {} in the {} section: a form's row could not tell them apart",
                            all[other].code,
                            format!("{:?}", raw.section).to_lowercase()
                        ),
                    );
                }
            }
            // A flag reads 是/否 as 1/0: a range beyond that is never checked, so it is refused
            // rather than silently ignored.
            if raw.kind == Kind::Flag
                && (raw.min.is_some_and(|min| min != 0.0) || raw.max.is_some_and(|max| max != 1.0))
            {
                problem(
                    key("max"),
                    format!(
                        "a flag is 0 or 1 (是/否); min and max may only be 0 and 1, got {:?} and {:?} (for a score, use kind = \"score\")",
                        raw.min, raw.max
                    ),
                );
            }
            if !raw.weight.is_finite() || raw.weight < 0.0 {
                problem(key("weight"), format!("must be ≥ 0, got {}", raw.weight));
            }
            if let (Some(min), Some(max)) = (raw.min, raw.max) {
                if min > max {
                    problem(key("min"), format!("min {min} is above max {max}"));
                }
            }
            if let Some(bound) = &raw.not_above {
                if !same_section(bound, raw.section) {
                    problem(
                        key("not_above"),
                        format!("{bound:?} is not an indicator of the same section"),
                    );
                }
            }
            if let Some(ratio) = &raw.ratio_of {
                if !(ratio.tolerance.is_finite() && ratio.tolerance >= 0.0) {
                    problem(
                        key("ratio_of.tolerance"),
                        format!("must be ≥ 0 percentage points, got {}", ratio.tolerance),
                    );
                }
                for code in [&ratio.numerator, &ratio.denominator] {
                    if !same_section(code, raw.section) {
                        problem(
                            key("ratio_of"),
                            format!("{code:?} is not an indicator of the same section"),
                        );
                    }
                }
            }
            let agg = aggregation(raw, &same_section, &mut |field, message| {
                problem(key(field), message)
            });
            indicators.push(Indicator {
                code: raw.code.clone(),
                section: raw.section,
                name: raw.name.clone(),
                aliases: raw.aliases.clone(),
                unit: raw.unit.clone(),
                direction: raw.direction,
                kind: raw.kind,
                min: raw.min,
                max: raw.max,
                not_above: raw.not_above.clone(),
                ratio_of: raw.ratio_of.as_ref().map(|ratio| RatioCheck {
                    numerator: ratio.numerator.clone(),
                    denominator: ratio.denominator.clone(),
                    tolerance: ratio.tolerance,
                }),
                weight: raw.weight,
                agg,
            });
        }
        Some(Catalog {
            indicators,
            by_code,
            by_name,
        })
    }

    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    pub fn section(&self, section: CatalogSection) -> impl Iterator<Item = &Indicator> {
        self.indicators
            .iter()
            .filter(move |indicator| indicator.section == section)
    }

    pub fn get(&self, code: &str) -> Option<&Indicator> {
        self.by_code.get(code).map(|&index| &self.indicators[index])
    }

    /// Finds an indicator by a folded name (see [`text::split_indicator_name`]).
    pub fn lookup(&self, section: CatalogSection, folded_name: &str) -> Option<&Indicator> {
        self.by_name
            .get(&section)?
            .get(folded_name)
            .map(|&index| &self.indicators[index])
    }
}
