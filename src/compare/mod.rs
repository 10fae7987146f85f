//! Compare: the three-year comparison of SPEC §7, in polars.
//!
//! In: the winning facts and the entities. Out: province-industry roll-ups (derived facts),
//! `fact_comparison`, `entity_score`, `entity_score_detail`, the typical demonstrations,
//! dimension tables, `roster_status` and YOY_JUMP warnings. Every output is sorted by its key,
//! so results do not depend on file or thread order.

pub(crate) mod entities;
mod robust;
mod score;
mod standing;

use crate::config::{Indicator, Plan};
use crate::domain::columns::{self as c, FACT_KEY};
use crate::domain::EntityRef;
use crate::domain::{Aggregation, Direction, Finding, Kind, Level, Rule};
use crate::frames::{self, JoinOn};
use crate::timing::timed;
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Everything compare produces.
pub struct Compared {
    /// Input facts plus derived province-industry rows, sorted.
    pub facts: DataFrame,
    pub comparison: DataFrame,
    pub scores: DataFrame,
    pub score_detail: DataFrame,
    pub dim_entity: DataFrame,
    pub dim_indicator: DataFrame,
    pub roster_status: DataFrame,
    /// YOY_JUMP warnings on loaded values.
    pub findings: Vec<Finding>,
}

/// Runs the whole comparison. `error_entities` are (level, entity_id) with error rejects in an
/// active submission: they cannot be typical demonstrations.
pub fn compare(
    plan: &Plan,
    facts: DataFrame,
    reported: &[EntityRef],
    error_entities: &HashSet<(String, String)>,
) -> PolarsResult<Compared> {
    let rows = entities::entity_rows(plan, reported);
    let dim_entity = entities::dim_entity(plan, &rows)?;
    let dim_indicator = entities::dim_indicator(plan)?;
    let derived = timed("compare: roll-up", || rollup(plan, &facts, &dim_entity))?;
    // The loaded facts are moved in: once merged with the derived ones, they are freed.
    let facts = timed("compare: facts", || with_derived(facts, derived))?;
    let indicators = indicator_frame(plan)?;
    // The scores and the roster status need only the facts: computed beside the comparison,
    // which leaves a core idle in its serial parts.
    let (compared, scored) = rayon::join(
        || -> PolarsResult<(DataFrame, Vec<Finding>)> {
            let (standing, members) = timed("compare: comparison", || {
                comparison(plan, &facts, &dim_entity)
            })?;
            // The yoy jumps read the changes over time, not the robust z: side by side.
            let (comparison, findings) = rayon::join(
                || {
                    timed("compare: robust z", || {
                        robust::with_robust_z(plan, standing.clone(), &members)
                    })
                },
                || timed("compare: yoy jumps", || yoy_jumps(plan, &facts, &standing)),
            );
            Ok((comparison?, findings?))
        },
        || -> PolarsResult<(DataFrame, DataFrame, DataFrame)> {
            let (scores, detail) = timed("compare: scores", || {
                scores(plan, &facts, &dim_entity, &indicators, error_entities)
            })?;
            let roster_status = timed("compare: roster status", || {
                entities::roster_status(plan, &rows, reported, &facts)
            })?;
            Ok((scores, detail, roster_status))
        },
    );
    let ((comparison, findings), (scores, score_detail, roster_status)) = (compared?, scored?);
    Ok(Compared {
        facts,
        comparison,
        scores,
        score_detail,
        dim_entity,
        dim_indicator,
        roster_status,
        findings,
    })
}

/// The loaded facts and the derived ones, sorted by [`FACT_KEY`]. The loaded facts come sorted
/// by that key from normalize (checked in one pass: other callers may pass any order), so each
/// level is one run of rows: only the runs of levels that have derived rows (the province
/// industries) are sorted again, with them; the million rows of the other levels are copied in
/// place. Facts in any other order are sorted whole.
fn with_derived(facts: DataFrame, derived: DataFrame) -> PolarsResult<DataFrame> {
    let union = |frames: Vec<DataFrame>| -> PolarsResult<DataFrame> {
        let frames: Vec<LazyFrame> = frames.into_iter().map(DataFrame::lazy).collect();
        concat(
            frames,
            UnionArgs {
                to_supertypes: true,
                ..Default::default()
            },
        )?
        .collect()
    };
    let sorted = |frame: DataFrame| {
        frame
            .lazy()
            .sort(FACT_KEY, SortMultipleOptions::default())
            .collect()
    };
    let runs = match by_fact_key(&facts)? {
        true => level_runs(&facts)?,
        false => None,
    };
    let (Some(runs), Some(derived_runs)) = (runs, level_runs(&derived)?) else {
        return sorted(union(vec![facts, derived])?);
    };
    let derived_levels: BTreeMap<&str, (usize, usize)> = derived_runs
        .iter()
        .map(|(level, start, len)| (level.as_str(), (*start, *len)))
        .collect();
    let mut blocks: BTreeMap<&str, Vec<DataFrame>> = BTreeMap::new();
    for (level, start, len) in &runs {
        blocks
            .entry(level.as_str())
            .or_default()
            .push(facts.slice(*start as i64, *len));
    }
    for (level, (start, len)) in &derived_levels {
        blocks
            .entry(level)
            .or_default()
            .push(derived.slice(*start as i64, *len));
    }
    let mut parts = Vec::with_capacity(blocks.len());
    for (level, block) in blocks {
        parts.push(if derived_levels.contains_key(level) {
            sorted(union(block)?)?
        } else {
            union(block)?
        });
    }
    if parts.is_empty() {
        return union(vec![facts, derived]);
    }
    let mut merged = union(parts)?;
    merged.rechunk_mut_par();
    Ok(merged)
}

/// Whether the facts are in [`FACT_KEY`] order (texts by bytes, nulls first, as polars sorts).
fn by_fact_key(facts: &DataFrame) -> PolarsResult<bool> {
    let columns = frames::FactColumns::of(facts)?;
    let mut keys = columns.rows().map(|(series, year, _)| (series, year));
    let Some(mut before) = keys.next() else {
        return Ok(true);
    };
    for key in keys {
        if key < before {
            return Ok(false);
        }
        before = key;
    }
    Ok(true)
}

/// The runs of equal `level` in a frame: (level, first row, rows), or None when a level
/// appears in more than one run or the runs are not in ascending order (or a level is null).
fn level_runs(frame: &DataFrame) -> PolarsResult<Option<Vec<(String, usize, usize)>>> {
    let mut runs: Vec<(String, usize, usize)> = Vec::new();
    for (row, level) in frame.column(c::LEVEL)?.str()?.iter().enumerate() {
        let Some(level) = level else {
            return Ok(None);
        };
        match runs.last_mut() {
            Some((last, _, len)) if last == level => *len += 1,
            Some((last, _, _)) if last.as_str() > level => return Ok(None),
            _ => runs.push((level.to_string(), row, 1)),
        }
    }
    Ok(Some(runs))
}

/// Per indicator: direction, weight, roll-up method.
fn indicator_frame(plan: &Plan) -> PolarsResult<DataFrame> {
    let all = plan.catalog.indicators();
    DataFrame::new_infer_height(vec![
        Column::new(
            c::INDICATOR_CODE.into(),
            all.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "higher".into(),
            all.iter()
                .map(|i| i.direction == Direction::Higher)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            c::WEIGHT.into(),
            all.iter().map(|i| i.weight).collect::<Vec<_>>(),
        ),
        Column::new(
            "agg_sum".into(),
            all.iter()
                .map(|i| i.agg.as_ref().map(|agg| *agg == Aggregation::Sum))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "agg_weight".into(),
            all.iter()
                .map(|i| match &i.agg {
                    Some(Aggregation::WeightedMean(weight)) => Some(weight.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            c::UNIT.into(),
            all.iter().map(|i| i.unit.as_str()).collect::<Vec<_>>(),
        ),
    ])
}

/// Province industries from the cities' parts: sums, and means weighted by another indicator
/// of the same city and year (only cities with both value and weight count).
fn rollup(plan: &Plan, facts: &DataFrame, dim_entity: &DataFrame) -> PolarsResult<DataFrame> {
    let indicators = indicator_frame(plan)?;
    let parts = facts
        .clone()
        .lazy()
        .filter(col(c::LEVEL).eq(lit(Level::ProvinceIndustryCity.as_str())))
        .join_on(
            dim_entity.clone().lazy().select([
                col(c::LEVEL),
                col(c::ENTITY_ID),
                col(c::PEER_GROUP),
            ]),
            [col(c::LEVEL), col(c::ENTITY_ID)],
            JoinType::Inner,
        )
        // Parts of cities or industries not on the roster have no province industry.
        .filter(col(c::PEER_GROUP).neq(lit(entities::UNKNOWN_PEERS)))
        .join_on(
            indicators.clone().lazy(),
            [col(c::INDICATOR_CODE)],
            JoinType::Inner,
        );
    // The weights are the parts' own facts: the join's key holds the level.
    let weights = facts
        .clone()
        .lazy()
        .filter(col(c::LEVEL).eq(lit(Level::ProvinceIndustryCity.as_str())))
        .select([
            col(c::LEVEL),
            col(c::ENTITY_ID),
            col(c::YEAR),
            col(c::INDICATOR_CODE).alias("agg_weight"),
            col(c::VALUE).alias("weight_value"),
        ]);
    let sums = parts
        .clone()
        .filter(col("agg_sum").eq(lit(true)))
        .group_by([col(c::PEER_GROUP), col(c::INDICATOR_CODE), col(c::YEAR)])
        .agg([col(c::VALUE).sum().alias(c::VALUE)]);
    // The parts' order is kept (whichever side polars hashes), so a group's weighted sum adds
    // its parts in the facts' order.
    let mut in_parts_order = JoinArgs::new(JoinType::Inner);
    in_parts_order.maintain_order = MaintainOrderJoin::Left;
    let weight_key = [
        col(c::LEVEL),
        col(c::ENTITY_ID),
        col(c::YEAR),
        col("agg_weight"),
    ];
    let means = parts
        .filter(col("agg_weight").is_not_null())
        .join(weights, weight_key.clone(), weight_key, in_parts_order)
        .filter(col("weight_value").gt(lit(0.0)))
        .group_by([col(c::PEER_GROUP), col(c::INDICATOR_CODE), col(c::YEAR)])
        .agg([
            ((col(c::VALUE) * col("weight_value")).sum() / col("weight_value").sum())
                .alias(c::VALUE),
        ]);
    concat([sums, means], UnionArgs::default())?
        .join_on(
            indicators
                .lazy()
                .select([col(c::INDICATOR_CODE), col(c::UNIT)]),
            [col(c::INDICATOR_CODE)],
            JoinType::Left,
        )
        .select([
            lit(Level::ProvinceIndustry.as_str()).alias(c::LEVEL),
            col(c::PEER_GROUP).alias(c::ENTITY_ID),
            col(c::INDICATOR_CODE),
            col(c::YEAR),
            col(c::VALUE),
            col(c::UNIT),
            lit(NULL).cast(DataType::String).alias(c::RAW_VALUE),
            lit(NULL).cast(DataType::String).alias(c::SOURCE_FILE),
            lit(NULL).cast(DataType::String).alias(c::SOURCE_SHEET),
            lit(NULL).cast(DataType::String).alias(c::SOURCE_CELL),
            lit(NULL).cast(DataType::String).alias(c::SUBMISSION_ID),
            lit(true).alias(c::IS_DERIVED),
        ])
        .collect()
}

/// Competition rank, 1 = best: ties share the lowest rank (1, 2, 2, 4).
fn competition_rank(expr: Expr) -> Expr {
    expr.rank(
        RankOptions {
            method: RankMethod::Min,
            descending: false,
        },
        None,
    )
    .cast(DataType::Int64)
}

/// `fact_comparison` but its robust z and anomaly (null; see [`robust::with_robust_z`]):
/// changes over time and standing among peers, per fact, with the rows of each group of
/// peers.
fn comparison(
    plan: &Plan,
    facts: &DataFrame,
    dim_entity: &DataFrame,
) -> PolarsResult<(DataFrame, Vec<Vec<u32>>)> {
    let mut frame = over_time(plan, facts, dim_entity)?.collect()?;
    let (peers, groups) = peer_keys(&frame)?;
    let members = standing::members(&peers, groups);
    let standing = match standing::peer_columns(&frame, &peers, &members)? {
        Some(columns) => {
            for column in columns {
                frame.with_column(column)?;
            }
            peer_relative(frame.lazy())
        }
        None => {
            frame.with_column(Column::new(PEERS.into(), peers.clone()))?;
            peer_relative(peer_windows(frame.lazy())?)
        }
    };
    let frame = standing
        .select(
            [
                c::LEVEL,
                c::ENTITY_ID,
                c::INDICATOR_CODE,
                c::YEAR,
                c::VALUE,
                c::PREV_VALUE,
                c::YOY_ABS,
                c::YOY_PCT,
                c::FIRST_VALUE,
                c::CHANGE_ABS,
                c::CHANGE_PCT,
                c::CAGR_PCT,
                c::IMPROVED,
                c::PEER_GROUP,
                c::PEER_N,
                c::RANK,
                c::PERCENTILE,
                c::PEER_MEDIAN,
                c::PEER_BEST,
                c::GAP_TO_BEST,
                c::ROBUST_Z,
                c::ANOMALY,
            ]
            .map(col),
        )
        .collect()?;
    Ok((frame, members))
}

/// The internal column numbering each row's peers: one number per (level, peer group,
/// indicator, year), so the peers are grouped on one integer instead of four texts. Only the
/// window expressions (`peer_windows`, the fallback) read it as a column; the numbers by hand
/// and the robust z take the numbers themselves.
const PEERS: &str = "peers";

/// (level, peer group, indicator) of a row, borrowed from the frame: its peers but the year.
type PeerTexts<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// Each row's peers as a number (first seen, first numbered), and how many numbers there are.
fn peer_keys(frame: &DataFrame) -> PolarsResult<(Vec<u32>, usize)> {
    let text = |name: &str| frame.column(name).and_then(|column| column.str().cloned());
    let (levels, groups, codes) = (
        text(c::LEVEL)?,
        text(c::PEER_GROUP)?,
        text(c::INDICATOR_CODE)?,
    );
    let years = frame.column(c::YEAR)?.cast(&DataType::Int32)?;
    let years = years.i32()?;
    // The rows come sorted by entity and indicator: the texts of a row's peers, (level, peer
    // group, indicator), repeat over the years of a run of rows, and are looked up once a run;
    // the year is then paired with their number.
    let mut series: PlHashMap<PeerTexts, u32> = PlHashMap::default();
    let texts = frames::per_run(
        levels.iter().zip(groups.iter()).zip(codes.iter()),
        |((level, group), code)| {
            let next = series.len() as u32;
            *series.entry((level, group, code)).or_insert(next)
        },
    );
    let mut numbers: PlHashMap<(u32, Option<i32>), u32> = PlHashMap::default();
    let keys = texts
        .zip(years.iter())
        .map(|key| {
            let next = numbers.len() as u32;
            *numbers.entry(key).or_insert(next)
        })
        .collect();
    Ok((keys, numbers.len()))
}

/// Per fact: the previous comparison year's value and the first one's, built straight into
/// their columns (a million rows: no vectors of options to convert).
type SeriesValues = (
    PrimitiveChunkedBuilder<Float64Type>,
    PrimitiveChunkedBuilder<Float64Type>,
);

/// Per fact, the value of the same series (level, entity, indicator) in the previous
/// comparison year and in the first one. `facts` is sorted by (level, entity, indicator,
/// year), so a series is a run of adjacent rows: one pass, no join over the million facts.
fn series_values(plan: &Plan, facts: &DataFrame) -> PolarsResult<(Float64Chunked, Float64Chunked)> {
    let columns = frames::FactColumns::of(facts)?;
    let previous_year: HashMap<i32, i32> = plan
        .years
        .windows(2)
        .map(|pair| (pair[1], pair[0]))
        .collect();
    let rows = facts.height();
    let column = |name: &str| PrimitiveChunkedBuilder::<Float64Type>::new(name.into(), rows);
    let mut out = (column(c::PREV_VALUE), column(c::FIRST_VALUE));
    // The rows of the series being read: (year, value), in order.
    let mut run: Vec<(Option<i32>, Option<f64>)> = Vec::new();
    let mut series = None;
    for (row, (key, year, value)) in columns.rows().enumerate() {
        if let Some(before) = series.filter(|before| *before != key) {
            if key < before {
                polars_bail!(ComputeError: "facts are not sorted by series at row {row}");
            }
            close_series(&mut run, &previous_year, plan.first_year(), &mut out);
        }
        series = Some(key);
        run.push((year, value));
    }
    close_series(&mut run, &previous_year, plan.first_year(), &mut out);
    Ok((out.0.finish(), out.1.finish()))
}

/// Appends the previous and first values of each row of one series, and empties it.
fn close_series(
    run: &mut Vec<(Option<i32>, Option<f64>)>,
    previous_year: &HashMap<i32, i32>,
    first_year: i32,
    (previous, first): &mut SeriesValues,
) {
    let in_year = |year: i32| {
        run.iter()
            .find(|(at, _)| *at == Some(year))
            .and_then(|(_, value)| *value)
    };
    let first_value = in_year(first_year);
    for (year, _) in run.iter() {
        first.append_option(first_value);
        previous.append_option(
            year.and_then(|year| previous_year.get(&year))
                .and_then(|&year| in_year(year)),
        );
    }
    run.clear();
}

/// Each fact beside its previous and first year's value, its peer group and direction, with
/// the changes over time (yoy, change since the first year, CAGR, improved).
fn over_time(plan: &Plan, facts: &DataFrame, dim_entity: &DataFrame) -> PolarsResult<LazyFrame> {
    let first_year = plan.first_year();
    let comparison_year = plan
        .years
        .iter()
        .map(|&year| col(c::YEAR).eq(lit(year)))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let (previous, first) = series_values(plan, facts)?;
    let mut base = facts.select([c::LEVEL, c::ENTITY_ID, c::INDICATOR_CODE, c::YEAR, c::VALUE])?;
    base.with_column(previous.into_column())?;
    base.with_column(first.into_column())?;
    let value = || col(c::VALUE);
    let pct_against = |base: Expr| {
        when(base.clone().is_not_null().and(base.clone().neq(lit(0.0))))
            .then((value() - base.clone()) / base.abs() * lit(100.0))
            .otherwise(lit(NULL).cast(DataType::Float64))
    };
    let (peer_groups, higher) = peers_and_directions(plan, facts, dim_entity)?;
    base.with_column(Column::new(c::PEER_GROUP.into(), peer_groups))?;
    base.with_column(Column::new("higher".into(), higher))?;
    // Row order is kept throughout (a filter, window expressions), so the result stays sorted
    // as the facts are.
    Ok(base.lazy().filter(comparison_year).with_columns([
        (value() - col(c::PREV_VALUE)).alias(c::YOY_ABS),
        pct_against(col(c::PREV_VALUE)).alias(c::YOY_PCT),
        (value() - col(c::FIRST_VALUE)).alias(c::CHANGE_ABS),
        pct_against(col(c::FIRST_VALUE)).alias(c::CHANGE_PCT),
        when(
            col(c::YEAR)
                .gt(lit(first_year))
                .and(value().gt(lit(0.0)))
                .and(col(c::FIRST_VALUE).gt(lit(0.0))),
        )
        .then(
            ((value() / col(c::FIRST_VALUE))
                .pow(lit(1.0) / (col(c::YEAR) - lit(first_year)).cast(DataType::Float64))
                - lit(1.0))
                * lit(100.0),
        )
        .otherwise(lit(NULL).cast(DataType::Float64))
        .alias(c::CAGR_PCT),
        when(col(c::PREV_VALUE).is_null())
            .then(lit(NULL).cast(DataType::Boolean))
            .when(col("higher"))
            .then(value().gt(col(c::PREV_VALUE)))
            .otherwise(value().lt(col(c::PREV_VALUE)))
            .alias(c::IMPROVED),
        // Smaller is better on this scale, whatever the direction.
        when(col("higher"))
            .then(-value())
            .otherwise(value())
            .alias("badness"),
    ]))
}

/// Each fact's peer group (`unknown` for an entity without one) and whether its indicator is
/// better higher (null for an indicator not in the catalog). The facts are sorted by entity and
/// indicator, so each is looked up once per run of rows, not joined over the million facts.
fn peers_and_directions(
    plan: &Plan,
    facts: &DataFrame,
    dim_entity: &DataFrame,
) -> PolarsResult<(StringChunked, BooleanChunked)> {
    let text = |name: &str| {
        dim_entity
            .column(name)
            .and_then(|column| column.str().cloned())
    };
    let (levels, ids, groups) = (text(c::LEVEL)?, text(c::ENTITY_ID)?, text(c::PEER_GROUP)?);
    let group_of: PlHashMap<(&str, &str), &str> = levels
        .iter()
        .zip(ids.iter())
        .zip(groups.iter())
        .filter_map(|((level, id), group)| Some(((level?, id?), group?)))
        .collect();
    let facts = frames::FactColumns::of(facts)?;
    let keys = facts.levels.iter().zip(facts.ids.iter());
    let peer_groups = frames::per_run(keys, |key| {
        match key {
            (Some(level), Some(id)) => group_of.get(&(level, id)).copied(),
            _ => None,
        }
        .unwrap_or(entities::UNKNOWN_PEERS)
    });
    let peer_groups = StringChunked::from_iter_values(c::PEER_GROUP.into(), peer_groups);
    let higher = indicators(plan, facts.codes)
        .map(|indicator| indicator.map(|indicator| indicator.direction == Direction::Higher));
    let higher = BooleanChunked::from_iter_options("higher".into(), higher);
    Ok((peer_groups, higher))
}

/// Each fact's count of peers, rank, median and best within its peer group (`PEERS`), as
/// polars window expressions: what `standing::peer_columns` computes by hand, and its fallback.
fn peer_windows(frame: LazyFrame) -> PolarsResult<LazyFrame> {
    let value = || col(c::VALUE);
    let group = [col(PEERS)];
    Ok(frame.with_columns([
        value()
            .count()
            .over(group.clone())?
            .cast(DataType::Int64)
            .alias(c::PEER_N),
        competition_rank(col("badness"))
            .over(group.clone())?
            .alias(c::RANK),
        value().median().over(group.clone())?.alias(c::PEER_MEDIAN),
        when(col("higher"))
            .then(value().max().over(group.clone())?)
            .otherwise(value().min().over(group.clone())?)
            .alias(c::PEER_BEST),
    ]))
}

/// The columns that follow from a row's standing among its peers: percentile and gap to the
/// best (and the robust z and anomaly, filled later).
fn peer_relative(frame: LazyFrame) -> LazyFrame {
    let value = || col(c::VALUE);
    frame.with_columns([
        when(col(c::PEER_N).eq(lit(1)))
            .then(lit(100.0))
            .otherwise(
                (col(c::PEER_N) - col(c::RANK)).cast(DataType::Float64) * lit(100.0)
                    / (col(c::PEER_N) - lit(1)).cast(DataType::Float64),
            )
            .alias(c::PERCENTILE),
        (col(c::PEER_BEST) - value()).abs().alias(c::GAP_TO_BEST),
        // Filled by `robust::with_robust_z` once the frame is collected.
        lit(NULL).cast(DataType::Float64).alias(c::ROBUST_Z),
        lit(NULL).cast(DataType::Boolean).alias(c::ANOMALY),
    ])
}

/// Each row's indicator in the catalog (None for a code not in it), looked up once per run of
/// equal codes: the frames hold an indicator's years one after another.
fn indicators<'a>(
    plan: &'a Plan,
    codes: &'a StringChunked,
) -> impl Iterator<Item = Option<&'a Indicator>> + 'a {
    frames::per_run(codes.iter(), |code| {
        code.and_then(|code| plan.catalog.get(code))
    })
}

/// Whether a year-over-year change is a YOY_JUMP for an indicator of this kind (SPEC v2 §5):
/// amounts by percent from a positive previous value, counts by percent and absolute size,
/// rates and scores by points, flags never.
pub fn is_yoy_jump(plan: &Plan, kind: Kind, prev: f64, yoy_abs: f64, yoy_pct: Option<f64>) -> bool {
    let pct_above = yoy_pct.is_some_and(|pct| pct.abs() > plan.yoy_jump_pct);
    match kind {
        Kind::Amount => prev > 0.0 && pct_above,
        Kind::Count => pct_above && yoy_abs.abs() >= plan.yoy_count_min_abs,
        Kind::Rate | Kind::Score => yoy_abs.abs() > plan.yoy_points,
        Kind::Flag => false,
    }
}

/// YOY_JUMP warnings for loaded (not derived) values, from the comparison frame's changes
/// over time (its robust z is not read).
fn yoy_jumps(plan: &Plan, facts: &DataFrame, comparison: &DataFrame) -> PolarsResult<Vec<Finding>> {
    // The jumps are found on the comparison's numbers first; only their rows are then looked
    // up in the facts for the cells to name.
    let codes = comparison.column(c::INDICATOR_CODE)?.str()?;
    let prevs = comparison.column(c::PREV_VALUE)?.f64()?;
    let changes = comparison.column(c::YOY_ABS)?.f64()?;
    let pcts = comparison.column(c::YOY_PCT)?.f64()?;
    let jumped: BooleanChunked = indicators(plan, codes)
        .map(|indicator| indicator.map(|indicator| indicator.kind))
        .enumerate()
        .map(|(row, kind)| {
            let (prev, change) = (prevs.get(row)?, changes.get(row)?);
            Some(is_yoy_jump(plan, kind?, prev, change, pcts.get(row)))
        })
        .map(|jumped| jumped.unwrap_or(false))
        .collect();
    // The comparison is the facts of the comparison years in the facts' order (see
    // `over_time`): a jumped row's fact is found by position, not by a join over the million
    // facts. The picked rows' keys are checked against the comparison's.
    let years = facts.column(c::YEAR)?.cast(&DataType::Int32)?;
    let mut jumps = jumped.iter().map(|jumped| jumped.unwrap_or(false));
    let in_facts: BooleanChunked = years
        .i32()?
        .iter()
        .map(|year| match year {
            Some(year) if plan.years.contains(&year) => jumps.next().unwrap_or(false),
            _ => false,
        })
        .collect();
    let picked = comparison.filter(&jumped)?;
    let mut changes = facts.filter(&in_facts)?;
    let mut aligned = jumps.next().is_none();
    for key in FACT_KEY {
        let (fact, compared) = (changes.column(key)?, picked.column(key)?);
        aligned &= fact
            .as_materialized_series()
            .equals_missing(compared.as_materialized_series());
    }
    if !aligned {
        polars_bail!(ComputeError: "the comparison rows are not the facts of the comparison years");
    }
    for column in [c::PREV_VALUE, c::YOY_ABS, c::YOY_PCT] {
        changes.with_column(picked.column(column)?.clone())?;
    }
    let changes = changes
        .lazy()
        .filter(col(c::YOY_ABS).is_not_null())
        .filter(col(c::IS_DERIVED).not())
        .collect()?;
    let sources = frames::CellSources::read(&changes)?;
    let prevs = frames::floats(&changes, c::PREV_VALUE)?;
    let absolute = frames::floats(&changes, c::YOY_ABS)?;
    let pcts = frames::floats(&changes, c::YOY_PCT)?;
    let mut out = Vec::new();
    for row in 0..changes.height() {
        let Some(indicator) = plan.catalog.get(&sources.code(row)) else {
            continue;
        };
        let (Some(prev), Some(change)) = (prevs[row], absolute[row]) else {
            continue;
        };
        if !is_yoy_jump(plan, indicator.kind, prev, change, pcts[row]) {
            continue;
        }
        let (sheet, cell, raw) = sources.place(row);
        let name = &indicator.name;
        let unit = &indicator.unit;
        let sign = if change >= 0.0 { "+" } else { "-" };
        let size = crate::domain::text::format_number((change.abs() * 100.0).round() / 100.0);
        let how = match (indicator.kind, pcts[row]) {
            // A rate moves in points: +97.03 个百分点, not a +97.03 % change.
            (Kind::Rate, _) => format!("变化{sign}{size}个百分点"),
            (Kind::Score, _) | (_, None) => format!("变化{sign}{size}{unit}"),
            (_, Some(pct)) => format!("同比变化{pct:+.1}%（{sign}{size}{unit}）"),
        };
        let message = format!(
            "{sheet}!{cell} {name}“{raw}”较上年（{}）{how}，变化异常，请核实 (YOY_JUMP)",
            crate::domain::text::format_number(prev)
        );
        out.push(sources.finding(row, Rule::YoyJump, message));
    }
    Ok(out)
}

/// `entity_score` and `entity_score_detail` (SPEC v2 §7 composite score and typical picks).
fn scores(
    plan: &Plan,
    facts: &DataFrame,
    dim_entity: &DataFrame,
    indicators: &DataFrame,
    error_entities: &HashSet<(String, String)>,
) -> PolarsResult<(DataFrame, DataFrame)> {
    let scored = score::scores(plan, facts, dim_entity, indicators)?;
    let listed = listed(dim_entity)?;
    let scores = typical(plan, scored.scores, error_entities, &listed)?;
    Ok((scores, scored.detail))
}

/// (level, entity_id) of the roster's entities: only they can be typical demonstrations.
fn listed(dim_entity: &DataFrame) -> PolarsResult<HashSet<(String, String)>> {
    let levels = frames::strings(dim_entity, c::LEVEL)?;
    let ids = frames::strings(dim_entity, c::ENTITY_ID)?;
    let listed = dim_entity.column(c::IN_ROSTER)?.bool()?;
    Ok((0..dim_entity.height())
        .filter(|&row| listed.get(row) == Some(true))
        .filter_map(|row| Some((levels[row].clone()?, ids[row].clone()?)))
        .collect())
}

/// Marks the typical demonstrations: at the last year, per level, the largest score changes
/// among roster entities complete enough and without error rejects; ties by score, then
/// entity_id.
fn typical(
    plan: &Plan,
    scores: DataFrame,
    error_entities: &HashSet<(String, String)>,
    listed: &HashSet<(String, String)>,
) -> PolarsResult<DataFrame> {
    let last = scores
        .clone()
        .lazy()
        .filter(
            col(c::YEAR)
                .eq(lit(plan.last_year()))
                .and(col(c::SCORE_CHANGE).is_not_null())
                .and(col(c::COMPLETENESS).gt_eq(lit(plan.typical_min_completeness))),
        )
        .sort(
            [c::LEVEL, c::SCORE_CHANGE, c::SCORE, c::ENTITY_ID],
            SortMultipleOptions::default().with_order_descending_multi([false, true, true, false]),
        )
        .collect()?;
    let levels = last.column(c::LEVEL)?.str()?;
    let ids = last.column(c::ENTITY_ID)?.str()?;
    let mut taken: BTreeMap<String, i64> = BTreeMap::new();
    let mut picks: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (level, id) in levels.iter().zip(ids.iter()) {
        let (Some(level), Some(id)) = (level, id) else {
            continue;
        };
        let quota = Level::parse(level)
            .and_then(|level| plan.typical_quota.get(&level))
            .copied()
            .unwrap_or(0) as i64;
        let key = (level.to_string(), id.to_string());
        if error_entities.contains(&key) || !listed.contains(&key) {
            continue;
        }
        let count = taken.entry(level.to_string()).or_insert(0);
        if *count < quota {
            *count += 1;
            picks.insert((level.to_string(), id.to_string()), *count);
        }
    }
    let levels = scores.column(c::LEVEL)?.str()?;
    let ids = scores.column(c::ENTITY_ID)?.str()?;
    let years = scores.column(c::YEAR)?.i32()?;
    let mut typical = Vec::with_capacity(scores.height());
    let mut rank = Vec::with_capacity(scores.height());
    for ((level, id), year) in levels.iter().zip(ids.iter()).zip(years.iter()) {
        let pick = match (level, id, year) {
            (Some(level), Some(id), Some(year)) if year == plan.last_year() => {
                picks.get(&(level.to_string(), id.to_string())).copied()
            }
            _ => None,
        };
        typical.push(pick.is_some());
        rank.push(pick);
    }
    let mut scores = scores;
    scores.with_column(Column::new(c::TYPICAL.into(), typical))?;
    scores.with_column(Column::new(c::TYPICAL_RANK.into(), rank))?;
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A facts frame of (level, entity, indicator, year, value) rows.
    pub(super) fn facts(rows: &[(&str, &str, &str, i32, f64)]) -> DataFrame {
        let column = |name: &str, values: Vec<&str>| Column::new(name.into(), values);
        DataFrame::new_infer_height(vec![
            column(c::LEVEL, rows.iter().map(|row| row.0).collect()),
            column(c::ENTITY_ID, rows.iter().map(|row| row.1).collect()),
            column(c::INDICATOR_CODE, rows.iter().map(|row| row.2).collect()),
            Column::new(
                c::YEAR.into(),
                rows.iter().map(|row| row.3).collect::<Vec<_>>(),
            ),
            Column::new(
                c::VALUE.into(),
                rows.iter().map(|row| row.4).collect::<Vec<_>>(),
            ),
        ])
        .unwrap()
    }

    /// Merging gives what sorting everything would.
    fn assert_merges(loaded: &DataFrame, derived: &DataFrame) {
        let merged = with_derived(loaded.clone(), derived.clone()).unwrap();
        let whole = loaded
            .vstack(derived)
            .unwrap()
            .sort(FACT_KEY, SortMultipleOptions::default())
            .unwrap();
        assert!(merged.equals_missing(&whole), "{merged}\n{whole}");
    }

    #[test]
    fn each_fact_has_its_entitys_peer_group_and_its_indicators_direction() {
        let plan = crate::config::Plan::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/shandong"),
        )
        .unwrap();
        let higher = plan.catalog.get("E01").unwrap().direction == Direction::Higher;
        let lower = plan
            .catalog
            .indicators()
            .iter()
            .find(|indicator| indicator.direction != Direction::Higher)
            .unwrap()
            .code
            .clone();
        let facts = facts(&[
            ("enterprise", "E1", "E01", 2019, 1.0),
            ("enterprise", "E1", &lower, 2019, 1.0),
            ("enterprise", "E1", "NOT_IN_CATALOG", 2019, 1.0),
            ("enterprise", "E2", "E01", 2019, 1.0),
            ("enterprise", "E3", "E01", 2019, 1.0),
            ("enterprise", "E4", "E01", 2019, 1.0),
            // The same id at another level is another entity.
            ("park", "E1", "E01", 2019, 1.0),
        ]);
        let dim_entity = DataFrame::new_infer_height(vec![
            Column::new(
                c::LEVEL.into(),
                ["enterprise", "enterprise", "enterprise", "park"],
            ),
            Column::new(c::ENTITY_ID.into(), ["E1", "E2", "E3", "E1"]),
            Column::new(
                c::PEER_GROUP.into(),
                [Some("C38"), Some("C39"), None, Some("all")],
            ),
        ])
        .unwrap();
        let (groups, directions) = peers_and_directions(&plan, &facts, &dim_entity).unwrap();
        let groups: Vec<_> = groups.iter().map(Option::unwrap).collect();
        // E3 has no peer group and E4 no row at all: both are compared with the unknowns.
        let unknown = entities::UNKNOWN_PEERS;
        assert_eq!(
            groups,
            ["C38", "C38", "C38", "C39", unknown, unknown, "all"]
        );
        let directions: Vec<_> = directions.iter().collect();
        let h = Some(higher);
        assert_eq!(directions, [h, Some(false), None, h, h, h, h]);
    }

    #[test]
    fn derived_facts_are_merged_where_a_whole_sort_puts_them() {
        let loaded = facts(&[
            ("city_industry", "C01", "I1", 2019, 1.0),
            ("city_industry", "C02", "I1", 2019, 2.0),
            ("enterprise", "E1", "E01", 2019, 3.0),
            ("enterprise", "E1", "E01", 2020, 4.0),
            ("park", "P1", "P01", 2021, 5.0),
            ("province_industry_city", "PI01-C01", "I1", 2019, 6.0),
            ("province_industry_city", "PI01-C02", "I1", 2019, 7.0),
        ]);
        let province = facts(&[
            ("province_industry", "PI02", "I1", 2020, 8.0),
            ("province_industry", "PI01", "I2", 2019, 9.0),
            ("province_industry", "PI01", "I1", 2021, 10.0),
            ("province_industry", "PI01", "I1", 2019, 11.0),
        ]);
        assert_merges(&loaded, &province);
        // A derived level that the loaded facts also hold, and one before them all.
        let derived = facts(&[
            ("park", "P0", "P01", 2019, 12.0),
            ("park", "P2", "P01", 2019, 13.0),
            ("a_first", "X", "I1", 2019, 14.0),
        ]);
        assert_merges(&loaded, &derived);
        // Loaded facts out of order within a level, or across levels, are sorted whole.
        let within = facts(&[
            ("enterprise", "E2", "E01", 2019, 3.0),
            ("enterprise", "E1", "E01", 2020, 4.0),
            ("park", "P1", "P01", 2021, 5.0),
        ]);
        assert_merges(&within, &derived);
        let across = facts(&[
            ("park", "P1", "P01", 2021, 5.0),
            ("enterprise", "E1", "E01", 2019, 3.0),
        ]);
        assert_merges(&across, &province);
        let empty = loaded.clear();
        let merged = with_derived(empty.clone(), empty.clone()).unwrap();
        assert_eq!(merged.height(), 0);
    }

    /// A zero typed as "-0" is a zero: the same peers' numbers as a plain 0, whichever path
    /// computes them (a −0.0 value sends `comparison` to the window expressions).
    #[test]
    fn a_negative_zero_stands_among_its_peers_as_a_zero() {
        let plan = crate::config::Plan::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/shandong"),
        )
        .unwrap();
        let lower = plan
            .catalog
            .indicators()
            .iter()
            .find(|indicator| {
                indicator.code.starts_with('E') && indicator.direction == Direction::Lower
            })
            .unwrap()
            .code
            .clone();
        let dim_entity = DataFrame::new_infer_height(vec![
            Column::new(c::LEVEL.into(), ["enterprise"; 4]),
            Column::new(c::ENTITY_ID.into(), ["E1", "E2", "E3", "E4"]),
            Column::new(c::PEER_GROUP.into(), ["C38"; 4]),
        ])
        .unwrap();
        // E1 and E2 tie at zero in 2019, every entity in 2021.
        let rows = |zero: f64| {
            let mut rows = Vec::new();
            for code in ["E01", lower.as_str()] {
                for (entity, first) in [("E1", zero), ("E2", 0.0), ("E3", 2.0), ("E4", -1.0)] {
                    rows.push(("enterprise", entity, code, 2019, first));
                    rows.push(("enterprise", entity, code, 2020, first + 1.0));
                    rows.push(("enterprise", entity, code, 2021, zero));
                }
            }
            rows.sort_by(|a, b| (a.0, a.1, a.2, a.3).cmp(&(b.0, b.1, b.2, b.3)));
            rows
        };
        let compared = |zero: f64| {
            let (standing, members) = comparison(&plan, &facts(&rows(zero)), &dim_entity).unwrap();
            robust::with_robust_z(&plan, standing, &members).unwrap()
        };
        // The −0.0 is left to the window expressions, the plain zero computed by hand.
        let by_hand = |zero: f64| {
            let frame = over_time(&plan, &facts(&rows(zero)), &dim_entity)
                .unwrap()
                .collect()
                .unwrap();
            let (peers, groups) = peer_keys(&frame).unwrap();
            let members = standing::members(&peers, groups);
            standing::peer_columns(&frame, &peers, &members)
                .unwrap()
                .is_some()
        };
        assert!(!by_hand(-0.0) && by_hand(0.0));
        let negative = compared(-0.0);
        let plain = compared(0.0);
        assert!(negative.equals_missing(&plain), "{negative}\n{plain}");
        let column = |frame: &DataFrame, name: &str| -> Vec<Option<i64>> {
            let column = frame.column(name).unwrap().cast(&DataType::Int64).unwrap();
            column.i64().unwrap().iter().collect()
        };
        for frame in [&negative, &plain] {
            let (years, ranks) = (column(frame, c::YEAR), column(frame, c::RANK));
            let texts = |name: &str| -> Vec<Option<&str>> {
                frame.column(name).unwrap().str().unwrap().iter().collect()
            };
            let (entities, codes) = (texts(c::ENTITY_ID), texts(c::INDICATOR_CODE));
            let rank_of = |entity: &str, code: &str, year: i64| {
                (0..frame.height())
                    .find(|&row| {
                        entities[row] == Some(entity)
                            && codes[row] == Some(code)
                            && years[row] == Some(year)
                    })
                    .and_then(|row| ranks[row])
            };
            for code in ["E01", lower.as_str()] {
                assert_eq!(
                    rank_of("E1", code, 2019),
                    rank_of("E2", code, 2019),
                    "{frame}"
                );
                for entity in ["E1", "E2", "E3", "E4"] {
                    assert_eq!(rank_of(entity, code, 2021), Some(1), "{frame}");
                }
            }
        }
    }
}
