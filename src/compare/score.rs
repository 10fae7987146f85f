//! The composite score of SPEC v2 §7: score groups with a minimum size, winsorised min-max
//! normalisation over every comparison year pooled, completeness, ranks and score change.
//!
//! Guarantees: an entity is never scaled against a group smaller than `score.min_group_size`
//! (a lone enterprise falls back to its GB/T 4754 section, else to `all`); one extreme cell
//! moves nobody's normalised value beyond the clipping; every number is finite or null.
//! Plain Rust over the facts (a few values per entity), sorted, so results do not depend on
//! input order.

use super::entities::ALL_PEERS;
use crate::config::Plan;
use crate::domain::columns as c;
use crate::frames::{self, SharedTexts};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// (level, entity_id), borrowed from the frames.
type EntityKey<'a> = (&'a str, &'a str);

/// One fact: (entity, indicator, year, value), borrowed from the facts frame.
type FactRow<'a> = (EntityKey<'a>, &'a str, i32, f64);

/// What the score needs of one entity.
struct Member<'a> {
    peer_group: &'a str,
    /// The GB/T 4754 section (first letter of the industry code), enterprises only.
    section: Option<&'a str>,
}

/// One usable indicator of one score group: its clipping bounds and direction.
struct Scale {
    low: f64,
    high: f64,
    higher: bool,
    weight: f64,
}

impl Scale {
    fn normalise(&self, value: f64) -> f64 {
        let scaled = (value.clamp(self.low, self.high) - self.low) / (self.high - self.low) * 100.0;
        if self.higher {
            scaled
        } else {
            100.0 - scaled
        }
    }
}

/// The p-th percentile with linear interpolation between closest ranks (numpy's default).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let position = (sorted.len() - 1) as f64 * p / 100.0;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (position - below as f64) * (sorted[above] - sorted[below])
}

/// The score tables: `entity_score` (without the typical picks) and `entity_score_detail`.
pub struct Scored {
    pub scores: DataFrame,
    pub detail: DataFrame,
}

pub fn scores(
    plan: &Plan,
    facts: &DataFrame,
    dim_entity: &DataFrame,
    indicators: &DataFrame,
) -> PolarsResult<Scored> {
    let members = members(dim_entity)?;
    let mut facts = fact_rows(facts)?;
    if !facts.windows(2).all(|pair| pair[0].0 <= pair[1].0) {
        // Stable: each entity's rows keep their order.
        facts.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let groups = score_groups(plan, &members, &facts);
    let scales = scales(plan, indicators, &members, &groups, &facts)?;
    // Runs of entities are scored side by side, then joined in order.
    let parts: Vec<(ScoreRows, DataFrame)> = entity_runs(&facts, 4 * rayon::current_num_threads())
        .into_par_iter()
        .map(|facts| score_entities(plan, facts, &groups, &scales))
        .collect::<PolarsResult<_>>()?;
    // The million-row intermediates go before the frames are built.
    drop(facts);
    let mut rows = ScoreRows::default();
    let mut detail: Option<DataFrame> = None;
    for (part_rows, part_detail) in parts {
        rows.extend(part_rows);
        match &mut detail {
            None => detail = Some(part_detail),
            Some(all) => {
                all.vstack_mut_owned(part_detail)?;
            }
        }
    }
    let mut detail = match detail {
        Some(detail) => detail,
        None => DetailRows::with_capacity(0).frame()?,
    };
    // Made one chunk here, inside compare (where freed memory goes back soonest), rather than
    // by the publish, beside the other tables being written. The peak measured the same.
    detail.rechunk_mut_par();
    Ok(Scored {
        scores: rows.frame(plan.first_year())?,
        detail,
    })
}

/// `facts` cut into about `parts` slices, each ending where an entity's rows end.
fn entity_runs<'f, 'a>(facts: &'f [FactRow<'a>], parts: usize) -> Vec<&'f [FactRow<'a>]> {
    let target = facts.len().div_ceil(parts.max(1)).max(1);
    let mut slices = Vec::new();
    let mut rest = facts;
    while !rest.is_empty() {
        let mut end = target.min(rest.len());
        while end < rest.len() && rest[end].0 == rest[end - 1].0 {
            end += 1;
        }
        let (slice, after) = rest.split_at(end);
        slices.push(slice);
        rest = after;
    }
    slices
}

/// The score rows and the detail rows of whole entities' facts (sorted by entity).
fn score_entities(
    plan: &Plan,
    facts: &[FactRow<'_>],
    groups: &BTreeMap<EntityKey<'_>, String>,
    scales: &Scales<'_>,
) -> PolarsResult<(ScoreRows, DataFrame)> {
    let mut rows = ScoreRows::default();
    let mut detail = DetailRows::with_capacity(facts.len());
    // Each entity's facts are one run of rows, and within it, per year, the indicators it
    // reports.
    let mut by_year: BTreeMap<i32, Vec<(&str, f64)>> = BTreeMap::new();
    for run in facts.chunk_by(|a, b| a.0 == b.0) {
        let key = &run[0].0;
        by_year.clear();
        for (_, code, year, value) in run {
            by_year.entry(*year).or_default().push((code, *value));
        }
        // The entity's score group and its usable indicators, the same every year.
        let group = &groups[key];
        let usable = scales.get(&(key.0, group.clone()));
        let weight_all: f64 = usable.map_or(0.0, |scales| scales.values().map(|s| s.weight).sum());
        for (year, values) in &by_year {
            let mut present = Vec::new();
            for (code, value) in values {
                if let Some(scale) = usable.and_then(|scales| scales.get(code)) {
                    present.push((*code, scale.normalise(*value), scale.weight));
                }
            }
            // Detail rows come out in table order, (level, entity) by the runs, the year by the
            // map and the indicator here, so the million-row frame is never sorted.
            present.sort_by(|a, b| a.0.cmp(b.0));
            let weight_present: f64 = present.iter().map(|(_, _, weight)| weight).sum();
            let weighted: f64 = present.iter().map(|(_, n, weight)| n * weight).sum();
            let completeness = (weight_all > 0.0).then(|| weight_present * 100.0 / weight_all);
            let score = completeness
                .filter(|&done| done >= plan.score_min_completeness && weight_present > 0.0)
                .map(|_| weighted / weight_present);
            for (code, normalized, weight) in present {
                detail.push(key, *year, code, normalized, weight, weight_present);
            }
            rows.push(key, *year, group, score, completeness);
        }
    }
    Ok((rows, detail.frame()?))
}

fn members(dim_entity: &DataFrame) -> PolarsResult<BTreeMap<EntityKey<'_>, Member<'_>>> {
    let levels = dim_entity.column(c::LEVEL)?.str()?;
    let ids = dim_entity.column(c::ENTITY_ID)?.str()?;
    let peers = dim_entity.column(c::PEER_GROUP)?.str()?;
    let industries = dim_entity.column(c::INDUSTRY_CODE)?.str()?;
    let mut out = BTreeMap::new();
    for row in 0..dim_entity.height() {
        let (Some(level), Some(id)) = (levels.get(row), ids.get(row)) else {
            continue;
        };
        let section = (level == "enterprise")
            .then(|| industries.get(row).and_then(|code| code.get(..1)))
            .flatten();
        out.insert(
            (level, id),
            Member {
                peer_group: peers.get(row).unwrap_or(ALL_PEERS),
                section,
            },
        );
    }
    Ok(out)
}

/// Every fact with a finite value. The room for every fact is taken at once: grown by
/// doubling, the million rows were copied and faulted in again about twenty times.
fn fact_rows(facts: &DataFrame) -> PolarsResult<Vec<FactRow<'_>>> {
    let columns = frames::FactColumns::of(facts)?;
    let mut rows = Vec::with_capacity(facts.height());
    rows.extend(
        columns
            .rows()
            .filter_map(|((level, id, code), year, value)| {
                let value = value.filter(|value| value.is_finite())?;
                Some(((level?, id?), code?, year?, value))
            }),
    );
    Ok(rows)
}

/// The group whose pool an entity is scaled against, by the label stored in
/// `entity_score.score_group`: its peer group, else its section, else `all`.
fn score_groups<'a>(
    plan: &Plan,
    members: &BTreeMap<EntityKey<'a>, Member<'a>>,
    facts: &[FactRow<'a>],
) -> BTreeMap<EntityKey<'a>, String> {
    // The facts are sorted by entity: each reporting entity once, in order.
    let mut reporting: Vec<EntityKey<'a>> = facts.iter().map(|(key, ..)| *key).collect();
    reporting.dedup();
    let mut size: BTreeMap<(String, String), usize> = BTreeMap::new();
    for key in &reporting {
        if let Some(member) = members.get(key) {
            *size
                .entry((key.0.to_string(), member.peer_group.to_string()))
                .or_default() += 1;
            if let Some(section) = member.section {
                *size
                    .entry((key.0.to_string(), section_label(section)))
                    .or_default() += 1;
            }
        }
    }
    let enough = |level: &str, group: &str| {
        size.get(&(level.to_string(), group.to_string()))
            .copied()
            .unwrap_or(0)
            >= plan.score_min_group_size
    };
    reporting
        .into_iter()
        .map(|key| {
            let member = members.get(&key);
            let peer = member.map_or(ALL_PEERS, |m| m.peer_group).to_string();
            let group = if enough(key.0, &peer) {
                peer
            } else {
                match member.and_then(|m| m.section).map(section_label) {
                    Some(section) if enough(key.0, &section) => section,
                    _ => ALL_PEERS.to_string(),
                }
            };
            (key, group)
        })
        .collect()
}

/// A section's score-group label: `section:C`, so it never collides with a peer group.
fn section_label(section: &str) -> String {
    format!("section:{section}")
}

/// Whether an entity's values belong in a group's pool: the peer group's own members; for a
/// section, every enterprise of that section; for `all`, every entity of the level.
fn in_pool(member: Option<&Member>, group: &str) -> bool {
    if group == ALL_PEERS {
        return true;
    }
    let Some(member) = member else {
        return false;
    };
    match group.strip_prefix("section:") {
        Some(section) => member.section == Some(section),
        None => member.peer_group == group,
    }
}

/// Per (level, score group): the usable indicators (weight > 0, at least two distinct pooled
/// values, a clipped range above zero) with their bounds.
type Scales<'a> = BTreeMap<(&'a str, String), BTreeMap<&'a str, Scale>>;

fn scales<'a>(
    plan: &Plan,
    indicators: &DataFrame,
    members: &BTreeMap<EntityKey<'a>, Member<'a>>,
    groups: &BTreeMap<EntityKey<'a>, String>,
    facts: &[FactRow<'a>],
) -> PolarsResult<Scales<'a>> {
    let codes = frames::strings(indicators, c::INDICATOR_CODE)?;
    let weights = frames::floats(indicators, c::WEIGHT)?;
    let higher = indicators.column("higher")?.bool()?;
    let mut direction = BTreeMap::new();
    for row in 0..indicators.height() {
        if let (Some(code), Some(weight)) = (&codes[row], weights[row]) {
            direction.insert(code.clone(), (higher.get(row).unwrap_or(true), weight));
        }
    }
    // The wanted pools, sorted: a pool is found by its position in this list.
    let wanted: Vec<(&str, String)> = groups
        .iter()
        .map(|(key, group)| (key.0, group.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // One pass over the facts: each value goes into every wanted pool it belongs to (its peer
    // group, its section, `all`; see [`in_pool`]). An entity's pools are found once, at its
    // first fact.
    let mut pools: Vec<BTreeMap<&str, Vec<f64>>> = vec![BTreeMap::new(); wanted.len()];
    let mut candidates: Vec<usize> = Vec::with_capacity(3);
    let mut last_key: Option<&EntityKey> = None;
    for (key, code, _, value) in facts {
        if last_key != Some(key) {
            last_key = Some(key);
            let member = members.get(key);
            candidates.clear();
            let mut candidate = |group: String| {
                let wanted_group = (key.0, group);
                if let Ok(at) = wanted.binary_search(&wanted_group) {
                    if in_pool(member, &wanted_group.1) {
                        candidates.push(at);
                    }
                }
            };
            candidate(ALL_PEERS.to_string());
            if let Some(member) = member {
                if let Some(section) = member.section {
                    candidate(section_label(section));
                }
                if member.peer_group != ALL_PEERS {
                    candidate(member.peer_group.to_string());
                }
            }
        }
        for &at in &candidates {
            pools[at].entry(*code).or_default().push(*value);
        }
    }
    // Each group's bounds from its sorted pools, the groups side by side.
    let usable = pools.into_par_iter().map(|pools| {
        let mut usable = BTreeMap::new();
        for (code, mut pool) in pools {
            let Some(&(higher, weight)) = direction.get(code) else {
                continue;
            };
            pool.sort_by(f64::total_cmp);
            let low = percentile(&pool, plan.score_winsor_pct);
            let high = percentile(&pool, 100.0 - plan.score_winsor_pct);
            if weight > 0.0 && high - low > 0.0 && high.is_finite() && low.is_finite() {
                usable.insert(
                    code,
                    Scale {
                        low,
                        high,
                        higher,
                        weight,
                    },
                );
            }
        }
        usable
    });
    Ok(wanted.into_iter().zip(usable.collect::<Vec<_>>()).collect())
}

#[derive(Default)]
struct ScoreRows {
    levels: Vec<String>,
    ids: Vec<String>,
    years: Vec<i32>,
    groups: Vec<String>,
    scores: Vec<Option<f64>>,
    completeness: Vec<Option<f64>>,
}

impl ScoreRows {
    fn extend(&mut self, other: ScoreRows) {
        self.levels.extend(other.levels);
        self.ids.extend(other.ids);
        self.years.extend(other.years);
        self.groups.extend(other.groups);
        self.scores.extend(other.scores);
        self.completeness.extend(other.completeness);
    }

    fn push(
        &mut self,
        key: &EntityKey,
        year: i32,
        group: &str,
        score: Option<f64>,
        completeness: Option<f64>,
    ) {
        self.levels.push(key.0.to_string());
        self.ids.push(key.1.to_string());
        self.years.push(year);
        self.groups.push(group.to_string());
        self.scores.push(score);
        self.completeness.push(completeness);
    }

    /// Adds rank and peer count within (level, score group, year) and the change since the
    /// first year, sorted by (level, entity, year).
    fn frame(self, first_year: i32) -> PolarsResult<DataFrame> {
        let frame = DataFrame::new_infer_height(vec![
            Column::new(c::LEVEL.into(), self.levels),
            Column::new(c::ENTITY_ID.into(), self.ids),
            Column::new(c::YEAR.into(), self.years),
            Column::new(c::SCORE.into(), self.scores),
            Column::new(c::COMPLETENESS.into(), self.completeness),
            Column::new(c::SCORE_GROUP.into(), self.groups),
        ])?;
        let group = [col(c::LEVEL), col(c::SCORE_GROUP), col(c::YEAR)];
        let first = frame
            .clone()
            .lazy()
            .filter(col(c::YEAR).eq(lit(first_year)))
            .select([
                col(c::LEVEL),
                col(c::ENTITY_ID),
                col(c::SCORE).alias("first_score"),
            ]);
        frame
            .lazy()
            .with_columns([
                super::competition_rank(-col(c::SCORE))
                    .over(group.clone())?
                    .alias(c::SCORE_RANK),
                col(c::SCORE)
                    .count()
                    .over(group)?
                    .cast(DataType::Int64)
                    .alias(c::PEER_N),
            ])
            .with_column(
                when(col(c::SCORE).is_null())
                    .then(lit(NULL).cast(DataType::Int64))
                    .otherwise(col(c::SCORE_RANK))
                    .alias(c::SCORE_RANK),
            )
            .join(
                first,
                [col(c::LEVEL), col(c::ENTITY_ID)],
                [col(c::LEVEL), col(c::ENTITY_ID)],
                JoinArgs::new(JoinType::Left),
            )
            .with_column((col(c::SCORE) - col("first_score")).alias(c::SCORE_CHANGE))
            .select(
                [
                    c::LEVEL,
                    c::ENTITY_ID,
                    c::YEAR,
                    c::SCORE,
                    c::COMPLETENESS,
                    c::SCORE_RANK,
                    c::PEER_N,
                    c::SCORE_CHANGE,
                    c::SCORE_GROUP,
                ]
                .map(col),
            )
            .sort(
                [c::LEVEL, c::ENTITY_ID, c::YEAR],
                SortMultipleOptions::default(),
            )
            .collect()
    }
}

/// `entity_score_detail`'s columns, filled row by row straight into polars builders (level
/// and entity, repeated over an entity's rows, each held once).
struct DetailRows {
    levels: SharedTexts,
    ids: SharedTexts,
    years: Vec<i32>,
    codes: StringChunkedBuilder,
    normalized: Vec<f64>,
    weights: Vec<f64>,
    contributions: Vec<f64>,
}

impl DetailRows {
    fn with_capacity(capacity: usize) -> DetailRows {
        let text = |name: &str| StringChunkedBuilder::new(name.into(), capacity);
        DetailRows {
            levels: SharedTexts::with_capacity(capacity),
            ids: SharedTexts::with_capacity(capacity),
            years: Vec::with_capacity(capacity),
            codes: text(c::INDICATOR_CODE),
            normalized: Vec::with_capacity(capacity),
            weights: Vec::with_capacity(capacity),
            contributions: Vec::with_capacity(capacity),
        }
    }

    fn push(
        &mut self,
        key: &EntityKey,
        year: i32,
        code: &str,
        normalized: f64,
        weight: f64,
        weight_present: f64,
    ) {
        self.levels.push(key.0);
        self.ids.push(key.1);
        self.years.push(year);
        self.codes.append_value(code);
        self.normalized.push(normalized);
        self.weights.push(weight);
        self.contributions
            .push(weight * normalized / weight_present);
    }

    /// The rows as pushed: [`scores`] pushes them sorted by (level, entity, year, indicator).
    fn frame(self) -> PolarsResult<DataFrame> {
        let text = |builder: StringChunkedBuilder| builder.finish().into_column();
        DataFrame::new_infer_height(vec![
            self.levels.finish(c::LEVEL)?,
            self.ids.finish(c::ENTITY_ID)?,
            Column::new(c::YEAR.into(), self.years),
            text(self.codes),
            Column::new(c::NORMALIZED.into(), self.normalized),
            Column::new(c::WEIGHT.into(), self.weights),
            Column::new(c::CONTRIBUTION.into(), self.contributions),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_as_numpy_does() {
        let values = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(percentile(&values, 0.0), 1.0);
        assert_eq!(percentile(&values, 100.0), 100.0);
        assert_eq!(percentile(&values, 50.0), 3.0);
        // numpy.percentile([1, 2, 3, 4, 100], 95) == 80.8
        assert!((percentile(&values, 95.0) - 80.8).abs() < 1e-9);
        assert!((percentile(&values, 5.0) - 1.2).abs() < 1e-9);
    }
}
