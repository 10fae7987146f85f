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

/// The facts with a finite value, sorted by entity (each entity's rows one run, in their
/// order), their entities and codes held once and named by position.
struct Facts<'a> {
    /// Each entity once, in (level, entity_id) order.
    entities: Vec<EntityKey<'a>>,
    /// The indicator codes in byte order, so that positions sort as the codes do.
    codes: Vec<&'a str>,
    /// Sorted by entity, each entity's rows in the frame's order.
    rows: Vec<FactRow>,
}

/// One fact: its entity and indicator (positions in [`Facts`]), year and value.
#[derive(Clone, Copy)]
struct FactRow {
    entity: u32,
    code: u32,
    year: i32,
    value: f64,
}

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
    let facts = Facts::of(facts)?;
    let groups = score_groups(plan, &members, &facts.entities);
    let scales = scales(plan, indicators, &members, &groups, &facts)?;
    // Runs of entities are scored side by side, then joined in order.
    let parts: Vec<(ScoreRows, DataFrame)> =
        entity_runs(&facts.rows, 4 * rayon::current_num_threads())
            .into_par_iter()
            .map(|rows| score_entities(plan, rows, &facts, &groups, &scales))
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
fn entity_runs(facts: &[FactRow], parts: usize) -> Vec<&[FactRow]> {
    let target = facts.len().div_ceil(parts.max(1)).max(1);
    let mut slices = Vec::new();
    let mut rest = facts;
    while !rest.is_empty() {
        let mut end = target.min(rest.len());
        while end < rest.len() && rest[end].entity == rest[end - 1].entity {
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
    run: &[FactRow],
    facts: &Facts<'_>,
    groups: &[String],
    scales: &Scales<'_>,
) -> PolarsResult<(ScoreRows, DataFrame)> {
    let mut rows = ScoreRows::default();
    let mut detail = DetailRows::with_capacity(run.len());
    // Each entity's facts are one run of rows, and within it, per year, the indicators it
    // reports.
    let mut by_year: BTreeMap<i32, Vec<(u32, f64)>> = BTreeMap::new();
    for facts_of in run.chunk_by(|a, b| a.entity == b.entity) {
        let entity = facts_of[0].entity as usize;
        let key = &facts.entities[entity];
        by_year.clear();
        for fact in facts_of {
            by_year
                .entry(fact.year)
                .or_default()
                .push((fact.code, fact.value));
        }
        // The entity's score group and its usable indicators, the same every year.
        let group = &groups[entity];
        let usable = scales.get(&(key.0, group.clone()));
        // Summed in the codes' order.
        let weight_all: f64 = usable.map_or(0.0, |scales| {
            scales.iter().flatten().map(|scale| scale.weight).sum()
        });
        for (year, values) in &by_year {
            let mut present = Vec::new();
            for &(code, value) in values {
                let scale = usable.and_then(|scales| scales.get(code as usize)?.as_ref());
                if let Some(scale) = scale {
                    present.push((code, scale.normalise(value), scale.weight));
                }
            }
            // Detail rows come out in table order, (level, entity) by the runs, the year by the
            // map and the indicator here (positions sort as the codes do), so the million-row
            // frame is never sorted.
            present.sort_by_key(|&(code, ..)| code);
            let weight_present: f64 = present.iter().map(|(_, _, weight)| weight).sum();
            let weighted: f64 = present.iter().map(|(_, n, weight)| n * weight).sum();
            let completeness = (weight_all > 0.0).then(|| weight_present * 100.0 / weight_all);
            let score = completeness
                .filter(|&done| done >= plan.score_min_completeness && weight_present > 0.0)
                .map(|_| weighted / weight_present);
            for (code, normalized, weight) in present {
                let code = facts.codes[code as usize];
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

impl<'a> Facts<'a> {
    /// Every fact with a finite value. The room for every fact is taken at once: grown by
    /// doubling, the million rows were copied and faulted in again about twenty times.
    fn of(frame: &'a DataFrame) -> PolarsResult<Facts<'a>> {
        let columns = frames::FactColumns::of(frame)?;
        let mut codes: Vec<&str> = {
            let mut distinct = PlHashSet::default();
            // An indicator's years repeat its code: one insert per run of equal codes.
            distinct.extend(frames::per_run(columns.codes.iter(), |code| code).flatten());
            distinct.into_iter().collect()
        };
        codes.sort_unstable();
        let position: PlHashMap<&str, u32> = codes
            .iter()
            .enumerate()
            .map(|(at, code)| (*code, at as u32))
            .collect();
        let mut entities: Vec<EntityKey> = Vec::new();
        let mut sorted = true;
        let mut rows = Vec::with_capacity(frame.height());
        let mut last_code: Option<(&str, u32)> = None;
        for ((level, id, code), year, value) in columns.rows() {
            let (Some(level), Some(id), Some(code), Some(year), Some(value)) = (
                level,
                id,
                code,
                year,
                value.filter(|value| value.is_finite()),
            ) else {
                continue;
            };
            // Every code of the column has its position; the code is found before the
            // entity is counted, so no entity is counted without a fact.
            let code = match last_code {
                Some((text, at)) if text == code => at,
                _ => {
                    let Some(&at) = position.get(code) else {
                        continue;
                    };
                    last_code = Some((code, at));
                    at
                }
            };
            let key = (level, id);
            if entities.last() != Some(&key) {
                sorted &= entities.last().is_none_or(|last| *last < key);
                entities.push(key);
            }
            rows.push(FactRow {
                entity: (entities.len() - 1) as u32,
                code,
                year,
                value,
            });
        }
        if !sorted {
            // Stable: each entity's rows keep their order. An entity met in several runs
            // becomes one.
            rows.sort_by(|a, b| entities[a.entity as usize].cmp(&entities[b.entity as usize]));
            let mut merged: Vec<EntityKey> = Vec::new();
            for row in &mut rows {
                let key = entities[row.entity as usize];
                if merged.last() != Some(&key) {
                    merged.push(key);
                }
                row.entity = (merged.len() - 1) as u32;
            }
            entities = merged;
        }
        Ok(Facts {
            entities,
            codes,
            rows,
        })
    }
}

/// Each reporting entity's group, by its position in `reporting`: the group whose pool it is
/// scaled against, by the label stored in `entity_score.score_group`: its peer group, else its
/// section, else `all`.
fn score_groups<'a>(
    plan: &Plan,
    members: &BTreeMap<EntityKey<'a>, Member<'a>>,
    reporting: &[EntityKey<'a>],
) -> Vec<String> {
    let mut size: BTreeMap<(String, String), usize> = BTreeMap::new();
    for key in reporting {
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
        .iter()
        .map(|key| {
            let member = members.get(key);
            let peer = member.map_or(ALL_PEERS, |m| m.peer_group).to_string();
            if enough(key.0, &peer) {
                peer
            } else {
                match member.and_then(|m| m.section).map(section_label) {
                    Some(section) if enough(key.0, &section) => section,
                    _ => ALL_PEERS.to_string(),
                }
            }
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
/// values, a clipped range above zero) with their bounds, by the code's position in [`Facts`].
type Scales<'a> = BTreeMap<(&'a str, String), Vec<Option<Scale>>>;

fn scales<'a>(
    plan: &Plan,
    indicators: &DataFrame,
    members: &BTreeMap<EntityKey<'a>, Member<'a>>,
    groups: &[String],
    facts: &Facts<'a>,
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
    let wanted: Vec<(&str, String)> = facts
        .entities
        .iter()
        .zip(groups)
        .map(|(key, group)| (key.0, group.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // One pass over the facts: each value goes into every wanted pool it belongs to (its peer
    // group, its section, `all`; see [`in_pool`]), by its code's position. An entity's pools
    // are found once, at its first fact.
    let mut pools: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); facts.codes.len()]; wanted.len()];
    let mut candidates: Vec<usize> = Vec::with_capacity(3);
    let mut last_entity: Option<u32> = None;
    for fact in &facts.rows {
        if last_entity != Some(fact.entity) {
            last_entity = Some(fact.entity);
            let key = &facts.entities[fact.entity as usize];
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
            pools[at][fact.code as usize].push(fact.value);
        }
    }
    // Each group's bounds from its sorted pools, the groups side by side.
    let usable = pools.into_par_iter().map(|pools| {
        let scale = |(code, mut pool): (&str, Vec<f64>)| {
            let &(higher, weight) = direction.get(code)?;
            if pool.is_empty() {
                return None;
            }
            pool.sort_by(f64::total_cmp);
            let low = percentile(&pool, plan.score_winsor_pct);
            let high = percentile(&pool, 100.0 - plan.score_winsor_pct);
            (weight > 0.0 && high - low > 0.0 && high.is_finite() && low.is_finite()).then_some(
                Scale {
                    low,
                    high,
                    higher,
                    weight,
                },
            )
        };
        facts
            .codes
            .iter()
            .copied()
            .zip(pools)
            .map(scale)
            .collect::<Vec<_>>()
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
    use crate::domain::CatalogSection;

    /// (level, entity, indicator, year, value).
    type Fact = (String, String, String, i32, f64);

    /// Enterprises of two peer groups (one too small, scored by its section) and a park, three
    /// years of every weighted indicator, in table order.
    fn province() -> (Plan, DataFrame, Vec<Fact>) {
        let plan = Plan::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/shandong"),
        )
        .unwrap();
        let mut entities = Vec::new();
        for (at, peers) in ["C38", "C38", "C38", "C38", "C38", "C38", "C39"]
            .iter()
            .enumerate()
        {
            entities.push(("enterprise", format!("E{at}"), *peers, format!("{peers}1")));
        }
        entities.push(("park", "P0".to_string(), "parks", String::new()));
        let text = |at: usize| -> Vec<String> {
            entities
                .iter()
                .map(|e| [e.0.to_string(), e.1.clone(), e.2.to_string(), e.3.clone()][at].clone())
                .collect()
        };
        let dim_entity = DataFrame::new_infer_height(vec![
            Column::new(c::LEVEL.into(), text(0)),
            Column::new(c::ENTITY_ID.into(), text(1)),
            Column::new(c::PEER_GROUP.into(), text(2)),
            Column::new(c::INDUSTRY_CODE.into(), text(3)),
        ])
        .unwrap();
        let mut rows = Vec::new();
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / 1e6
        };
        for (level, id, ..) in &entities {
            let section = match *level {
                "enterprise" => CatalogSection::Enterprise,
                _ => CatalogSection::Park,
            };
            let mut codes: Vec<String> = plan
                .catalog
                .section(section)
                .filter(|indicator| indicator.weight > 0.0)
                .map(|indicator| indicator.code.clone())
                .collect();
            codes.sort();
            for code in codes {
                for year in plan.years.clone() {
                    rows.push((level.to_string(), id.clone(), code.clone(), year, next()));
                }
            }
        }
        (plan, dim_entity, rows)
    }

    fn frame(rows: &[Fact]) -> DataFrame {
        let rows: Vec<_> = rows
            .iter()
            .map(|row| (row.0.as_str(), row.1.as_str(), row.2.as_str(), row.3, row.4))
            .collect();
        super::super::tests::facts(&rows)
    }

    #[test]
    fn facts_out_of_entity_order_score_as_the_sorted_facts_do() {
        let (plan, dim_entity, rows) = province();
        let indicators = super::super::indicator_frame(&plan).unwrap();
        let sorted = scores(&plan, &frame(&rows), &dim_entity, &indicators).unwrap();
        assert!(sorted.detail.height() > 100, "{}", sorted.detail);
        assert!(sorted.scores.column(c::SCORE).unwrap().null_count() < sorted.scores.height());
        // Every third row first, then the others: each entity is met in several runs, the
        // first entity last, its years and indicators out of order.
        let mut shuffled: Vec<_> = rows.iter().skip(1).step_by(3).cloned().collect();
        shuffled.extend(
            rows.iter()
                .enumerate()
                .filter(|(at, _)| at % 3 != 1)
                .map(|(_, row)| row.clone())
                .rev(),
        );
        let unsorted = scores(&plan, &frame(&shuffled), &dim_entity, &indicators).unwrap();
        assert!(
            unsorted.scores.equals_missing(&sorted.scores),
            "{}\n{}",
            unsorted.scores,
            sorted.scores
        );
        let detail = |frame: &DataFrame| {
            frame
                .sort(
                    [c::LEVEL, c::ENTITY_ID, c::YEAR, c::INDICATOR_CODE],
                    Default::default(),
                )
                .unwrap()
        };
        assert!(detail(&unsorted.detail).equals_missing(&detail(&sorted.detail)));
        // The sorted facts' detail comes out in table order as it is.
        assert!(sorted.detail.equals_missing(&detail(&sorted.detail)));
        // The small group is scored against its section, the park against its level's peers.
        let groups = frames::strings(&sorted.scores, c::SCORE_GROUP).unwrap();
        assert!(
            groups.contains(&Some("section:C".to_string())),
            "{groups:?}"
        );
    }

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
