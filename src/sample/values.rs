//! Synthetic series for one entity: a value per comparison year for every indicator of a
//! catalog section, drawn from what the catalog declares about the indicator — kind, direction,
//! range, `not_above`, `ratio_of` and roll-up weights — never from its code.
//!
//! Guarantees: every value lies in its indicator's range (flags 0/1, counts whole), a value
//! with `not_above` stays at or below its bound, and a `ratio_of` rate is numerator /
//! denominator × 100 rounded to two places, so a clean form yields facts only. Entities have a
//! size that moves with a trend, rates and scores drift with the entity's quality, and counts
//! step by a little each year, so the three-year comparison has something real to compare.
//! The same RNG state and catalog give the same series.

use crate::config::{Catalog, Indicator};
use crate::domain::{Aggregation, CatalogSection, Direction, Kind};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

/// Indicator code → one value per comparison year, in the catalog unit.
pub(super) type Series = BTreeMap<String, Vec<f64>>;

pub(super) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// What all series of one entity share.
struct Entity {
    /// Its principal amount per year (revenue, output), in 万元.
    scale: Vec<f64>,
    /// Points per year by which its rates and scores drift.
    quality_trend: f64,
}

impl Entity {
    fn draw(rng: &mut ChaCha8Rng, section: CatalogSection, years: usize) -> Entity {
        let mut size: f64 = match section {
            CatalogSection::Enterprise => rng.random_range(8.5f64..13.0).exp(),
            CatalogSection::Park => rng.random_range(1e5..5e6),
            CatalogSection::Industry => rng.random_range(1e5..2e6),
        };
        let trend: f64 = rng.random_range(-0.05..0.15);
        let quality_trend = rng.random_range(-1.0..2.0);
        let mut scale = Vec::with_capacity(years);
        for year in 0..years {
            if year > 0 {
                size *= 1.0 + trend + rng.random_range(-0.05..0.05);
            }
            scale.push(size);
        }
        Entity {
            scale,
            quality_trend,
        }
    }
}

/// The section's indicators with every indicator after the ones it is checked against
/// (`not_above`, `ratio_of`), in catalog order otherwise; a cycle is cut where it closes.
fn dependency_order(catalog: &Catalog, section: CatalogSection) -> Vec<&Indicator> {
    fn visit<'a>(
        indicator: &'a Indicator,
        catalog: &'a Catalog,
        seen: &mut BTreeSet<&'a str>,
        order: &mut Vec<&'a Indicator>,
    ) {
        if !seen.insert(&indicator.code) {
            return;
        }
        let ratio = indicator.ratio_of.iter();
        let needs = indicator
            .not_above
            .iter()
            .chain(ratio.flat_map(|ratio| [&ratio.numerator, &ratio.denominator]));
        for code in needs {
            if let Some(needed) = catalog.get(code).filter(|n| n.section == indicator.section) {
                visit(needed, catalog, seen, order);
            }
        }
        order.push(indicator);
    }
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    for indicator in catalog.section(section) {
        visit(indicator, catalog, &mut seen, &mut order);
    }
    order
}

/// Codes other indicators measure against: bounds, ratio denominators, roll-up weights. A count
/// among them is a population (members, firms) rather than a tally of events.
fn referenced(catalog: &Catalog, section: CatalogSection) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for indicator in catalog.section(section) {
        codes.extend(indicator.not_above.clone());
        if let Some(ratio) = &indicator.ratio_of {
            codes.insert(ratio.denominator.clone());
        }
        if let Some(Aggregation::WeightedMean(weight)) = &indicator.agg {
            codes.insert(weight.clone());
        }
    }
    codes
}

/// Draws one entity's series for every indicator of `section`.
pub(super) fn draw(
    rng: &mut ChaCha8Rng,
    catalog: &Catalog,
    section: CatalogSection,
    years: usize,
) -> Series {
    let entity = Entity::draw(rng, section, years);
    let populations = referenced(catalog, section);
    // The principal amount: the first amount that nothing bounds.
    let principal = catalog
        .section(section)
        .find(|indicator| indicator.kind == Kind::Amount && indicator.not_above.is_none())
        .map(|indicator| indicator.code.clone());
    let mut series = Series::new();
    for indicator in dependency_order(catalog, section) {
        let bound = indicator
            .not_above
            .as_ref()
            .and_then(|code| series.get(code))
            .cloned();
        let values = match indicator.kind {
            Kind::Amount if principal.as_ref() == Some(&indicator.code) => {
                entity.scale.iter().copied().map(round2).collect()
            }
            Kind::Amount => amount(rng, indicator, &entity, bound.as_deref()),
            Kind::Rate if indicator.ratio_of.is_some() => ratio(indicator, &series, years),
            Kind::Rate | Kind::Score => level(rng, indicator, &entity),
            Kind::Count => {
                let population = populations.contains(&indicator.code);
                count(rng, indicator, bound.as_deref(), population, years)
            }
            Kind::Flag => flag(rng, indicator, years),
        };
        let values = values.into_iter().map(|value| fit(indicator, value));
        series.insert(indicator.code.clone(), values.collect());
    }
    series
}

/// An amount other than the principal: a share of its bound, a margin that may be negative
/// when the catalog allows it, or a small share of the entity's size.
fn amount(
    rng: &mut ChaCha8Rng,
    indicator: &Indicator,
    entity: &Entity,
    bound: Option<&[f64]>,
) -> Vec<f64> {
    if let Some(bound) = bound {
        // Log-uniform, so that small shares (R&D) are as likely as large ones (new products).
        let share = rng.random_range(0.01f64.ln()..0.25f64.ln()).exp();
        return bound
            .iter()
            .map(|b| round2(b.max(0.0) * share * rng.random_range(0.9..1.1)))
            .collect();
    }
    if indicator.min.is_none_or(|min| min < 0.0) {
        return entity
            .scale
            .iter()
            .map(|size| {
                let margin = if rng.random_bool(0.06) {
                    -rng.random_range(0.01..0.05)
                } else {
                    rng.random_range(0.02..0.12)
                };
                round2(size * margin)
            })
            .collect();
    }
    let share = rng.random_range(0.01..0.1);
    entity
        .scale
        .iter()
        .map(|size| round2(size * share * rng.random_range(0.9..1.1)))
        .collect()
}

/// numerator / denominator × 100, or 0 without a positive denominator.
pub(super) fn ratio_value(indicator: &Indicator, series: &Series, year: usize) -> Option<f64> {
    let ratio = indicator.ratio_of.as_ref()?;
    let numerator = *series.get(&ratio.numerator)?.get(year)?;
    let denominator = *series.get(&ratio.denominator)?.get(year)?;
    Some(if denominator > 0.0 {
        round2(numerator / denominator * 100.0)
    } else {
        0.0
    })
}

fn ratio(indicator: &Indicator, series: &Series, years: usize) -> Vec<f64> {
    (0..years)
        .map(|year| ratio_value(indicator, series, year).unwrap_or(0.0))
        .collect()
}

/// A rate or score on a 0–100 scale, mapped into the indicator's range. Higher-is-better ones
/// start high and drift with the entity's quality; lower-is-better ones stay low.
fn level(rng: &mut ChaCha8Rng, indicator: &Indicator, entity: &Entity) -> Vec<f64> {
    let rate = indicator.kind == Kind::Rate;
    let years = entity.scale.len();
    let values: Vec<f64> = if indicator.direction == Direction::Lower {
        let (low, high) = if rate { (0.2, 3.0) } else { (5.0, 30.0) };
        (0..years)
            .map(|_| round2(rng.random_range(low..high)))
            .collect()
    } else {
        let (start, floor, ceiling) = if rate {
            (86.0..97.0, 80.0, 99.9)
        } else {
            (70.0..95.0, 60.0, 99.0)
        };
        let mut value: f64 = rng.random_range(start);
        let mut values = Vec::with_capacity(years);
        for year in 0..years {
            if year > 0 {
                let step = entity.quality_trend + rng.random_range(-1.0..1.0);
                value = (value + step).clamp(floor, ceiling);
            }
            values.push(round1(value));
        }
        values
    };
    // A catalog range other than 0–100 gets the same shape, stretched into it.
    let low = indicator.min.unwrap_or(0.0);
    let high = indicator.max.unwrap_or(100.0).max(low);
    if low == 0.0 && high == 100.0 {
        return values;
    }
    values
        .into_iter()
        .map(|value| round2(low + value / 100.0 * (high - low)))
        .collect()
}

/// A count: a share of its bound, a population that grows, or a tally of events that steps by
/// −2…+2 a year.
fn count(
    rng: &mut ChaCha8Rng,
    indicator: &Indicator,
    bound: Option<&[f64]>,
    population: bool,
    years: usize,
) -> Vec<f64> {
    if let Some(bound) = bound {
        let share = rng.random_range(0.05..0.8);
        return bound
            .iter()
            .map(|b| (b.max(0.0) * share * rng.random_range(0.95..1.05)).floor())
            .collect();
    }
    let mut values = Vec::with_capacity(years);
    if population {
        let mut members: f64 = rng.random_range(20.0f64..300.0).round();
        for year in 0..years {
            if year > 0 {
                members = (members * (1.0 + rng.random_range(-0.05..0.12))).round();
            }
            values.push(members);
        }
        return values;
    }
    let most = if indicator.direction == Direction::Lower {
        8
    } else {
        15
    };
    let mut value = f64::from(rng.random_range(0..most));
    for year in 0..years {
        if year > 0 {
            value = (value + f64::from(rng.random_range(-2i32..=2))).max(0.0);
        }
        values.push(value);
    }
    values
}

/// A flag that most entities (fewer, when lower is better) have and that rarely changes.
fn flag(rng: &mut ChaCha8Rng, indicator: &Indicator, years: usize) -> Vec<f64> {
    let likely = if indicator.direction == Direction::Lower {
        0.3
    } else {
        0.7
    };
    let mut value = rng.random_bool(likely);
    let mut values = Vec::with_capacity(years);
    for year in 0..years {
        if year > 0 && rng.random_bool(0.1) {
            value = !value;
        }
        values.push(if value { 1.0 } else { 0.0 });
    }
    values
}

/// The indicator's valid range: the catalog's, and 0–1 for flags.
pub(super) fn range(indicator: &Indicator) -> (Option<f64>, Option<f64>) {
    match indicator.kind {
        Kind::Flag => (Some(0.0), Some(1.0)),
        _ => (indicator.min, indicator.max),
    }
}

/// Whether zlbd takes `value` as a valid value of the indicator.
pub(super) fn valid(indicator: &Indicator, value: f64) -> bool {
    let (min, max) = range(indicator);
    let whole = !matches!(indicator.kind, Kind::Count | Kind::Flag) || value.fract() == 0.0;
    value.is_finite()
        && whole
        && min.is_none_or(|min| value >= min)
        && max.is_none_or(|max| value <= max)
}

/// Brings a drawn value into the indicator's range, whole for counts and flags.
pub(super) fn fit(indicator: &Indicator, value: f64) -> f64 {
    let (min, max) = range(indicator);
    let mut value = if value.is_finite() {
        value
    } else {
        min.unwrap_or(0.0)
    };
    if let Some(max) = max {
        value = value.min(max);
    }
    if let Some(min) = min {
        value = value.max(min);
    }
    if matches!(indicator.kind, Kind::Count | Kind::Flag) {
        value = value.round();
        if let Some(max) = max.filter(|max| value > *max) {
            value = max.floor();
        }
        if let Some(min) = min.filter(|min| value < *min) {
            value = min.ceil();
        }
    }
    value
}

/// The series a correction restates: amounts 5 % higher and one count one higher, with the
/// rates that are ratios of them recomputed.
pub(super) fn restate(catalog: &Catalog, section: CatalogSection, series: &Series) -> Series {
    let mut restated = series.clone();
    let counts: Vec<&Indicator> = catalog
        .section(section)
        .filter(|indicator| indicator.kind == Kind::Count)
        .collect();
    let recounted = counts
        .iter()
        .find(|indicator| indicator.direction == Direction::Higher)
        .or(counts.first());
    for indicator in catalog.section(section) {
        let Some(values) = restated.get_mut(&indicator.code) else {
            continue;
        };
        let change: Option<fn(f64) -> f64> = match indicator.kind {
            Kind::Amount => Some(|value| round2(value * 1.05)),
            Kind::Count if recounted.is_some_and(|c| c.code == indicator.code) => {
                Some(|value| value + 1.0)
            }
            _ => None,
        };
        if let Some(change) = change {
            for value in values.iter_mut() {
                *value = fit(indicator, change(*value));
            }
        }
    }
    for indicator in dependency_order(catalog, section) {
        let years = restated.get(&indicator.code).map_or(0, Vec::len);
        let values: Option<Vec<f64>> = (0..years)
            .map(|year| ratio_value(indicator, &restated, year).map(|v| fit(indicator, v)))
            .collect();
        if let Some(values) = values.filter(|values| !values.is_empty()) {
            restated.insert(indicator.code.clone(), values);
        }
    }
    restated
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A pipeline folder with `catalog` and a one-city roster, loaded as zlbd loads one.
    fn plan(catalog: &str) -> crate::config::Plan {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        let pipeline =
            "name = \"t\"\nyears = [2019, 2020]\ncatalog = \"catalog.toml\"\nroster = \"roster\"\n";
        std::fs::write(path.join("pipeline.toml"), pipeline).unwrap();
        std::fs::write(path.join("catalog.toml"), catalog).unwrap();
        std::fs::create_dir(path.join("roster")).unwrap();
        let roster = [
            ("cities.csv", "city_code,city_name\n370100,甲市\n"),
            (
                "industries.csv",
                "industry_id,level,city_code,industry_name,industry_code\n",
            ),
            ("parks.csv", "park_id,park_name,city_code\n"),
            (
                "enterprises.csv",
                "uscc,enterprise_name,city_code,park_id,industry_code\n",
            ),
        ];
        for (file, text) in roster {
            std::fs::write(path.join("roster").join(file), text).unwrap();
        }
        crate::config::Plan::load(path).unwrap()
    }

    const CATALOG: &str = r#"
[[indicator]]
code = "A2"
section = "enterprise"
name = "研发"
unit = "万元"
direction = "higher"
kind = "amount"
min = 0
not_above = "A1"
[[indicator]]
code = "A1"
section = "enterprise"
name = "收入"
unit = "万元"
direction = "higher"
kind = "amount"
min = 0
[[indicator]]
code = "R"
section = "enterprise"
name = "强度"
unit = "%"
direction = "higher"
kind = "rate"
min = 0
max = 100
ratio_of = { numerator = "A2", denominator = "A1", tolerance = 0.5 }
[[indicator]]
code = "S"
section = "enterprise"
name = "得分"
unit = "分"
direction = "higher"
kind = "score"
min = 0
max = 10
[[indicator]]
code = "C"
section = "enterprise"
name = "次数"
unit = "次"
direction = "lower"
kind = "count"
min = 0
max = 3
[[indicator]]
code = "F"
section = "enterprise"
name = "是否"
unit = "是/否"
direction = "higher"
kind = "flag"
"#;

    #[test]
    fn series_respect_ranges_bounds_and_ratios_whatever_the_codes() {
        let plan = plan(CATALOG);
        let catalog = &plan.catalog;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..200 {
            let series = draw(&mut rng, catalog, CatalogSection::Enterprise, 5);
            for indicator in catalog.indicators() {
                for value in &series[&indicator.code] {
                    assert!(valid(indicator, *value), "{} {value}", indicator.code);
                }
            }
            let (incomes, spent, ratios) = (&series["A1"], &series["A2"], &series["R"]);
            for ((income, spent), ratio) in incomes.iter().zip(spent).zip(ratios) {
                assert!(spent <= income);
                assert_eq!(*ratio, round2(spent / income * 100.0));
            }
        }
    }

    #[test]
    fn a_restatement_raises_amounts_and_keeps_ratios() {
        let plan = plan(CATALOG);
        let catalog = &plan.catalog;
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let series = draw(&mut rng, catalog, CatalogSection::Enterprise, 3);
        let restated = restate(catalog, CatalogSection::Enterprise, &series);
        assert!(restated["A1"][0] > series["A1"][0]);
        assert_eq!(
            restated["R"][2],
            ratio_value(catalog.get("R").unwrap(), &restated, 2).unwrap()
        );
        assert!(restated["C"].iter().all(|value| *value <= 3.0));
    }
}
