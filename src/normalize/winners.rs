//! Winners per (level, entity, year) (SPEC §6) and what follows from them: the winning facts
//! (the `fact_indicator` rows), the superseded values and each submission's cell counts.
//!
//! Read straight from the files' classified cells, a few passes over each file side by side:
//! no frame of every cell is built. Only the winning facts become columns, in the facts' key
//! order, and only the superseded values (few) a small frame.

use super::value::Outcome;
use super::{
    at_file, days_since_epoch, is_duplicate, Carriers, Cell, Content, FileResult, Ranking,
    Submission, Subs, SUB, WINNER,
};
use crate::config::Plan;
use crate::domain::columns as c;
use crate::domain::{EntityRef, Finding, Level, Rule};
use crate::frames::SharedTexts;
use polars::prelude::*;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// An accepted, non-duplicate file: its submission key, where it came from and its cells.
pub(super) struct Member<'a> {
    pub sub: u32,
    pub submission_id: &'a str,
    pub source_file: &'a str,
    pub modified_ns: i64,
    pub submission: &'a Submission,
}

/// Each file's member, in file order (None for a file that is not one).
pub(super) fn members<'a>(
    files: &'a [FileResult],
    carrier: &Carriers,
    subs: &Subs,
) -> Vec<Option<Member<'a>>> {
    files
        .iter()
        .map(|file| {
            if is_duplicate(carrier, file) {
                return None;
            }
            let Content::Accepted(submission) = &file.content else {
                return None;
            };
            Some(Member {
                sub: subs.key(&file.submission_id)?,
                submission_id: &file.submission_id,
                source_file: &file.source_file,
                modified_ns: file.modified_ns,
                submission,
            })
        })
        .collect()
}

/// The findings of every non-duplicate file in file order: a rejected file's own; an accepted
/// file's warnings, then a reject for each refused cell in cell order.
pub(super) fn findings(
    files: &[FileResult],
    members: &[Option<Member>],
    carrier: &Carriers,
) -> Vec<Finding> {
    let per_file: Vec<Vec<Finding>> = files
        .par_iter()
        .zip(members.par_iter())
        .map(|(file, member)| match (&file.content, member) {
            _ if is_duplicate(carrier, file) => Vec::new(),
            (
                Content::Rejected {
                    finding: Some(finding),
                    ..
                },
                _,
            ) => vec![at_file(finding, &file.submission_id, &file.source_file)],
            (Content::Accepted(_), Some(member)) => member.findings(),
            _ => Vec::new(),
        })
        .collect();
    per_file.into_iter().flatten().collect()
}

impl<'a> Member<'a> {
    fn cells(&self) -> &'a [Cell] {
        &self.submission.cells
    }

    fn findings(&self) -> Vec<Finding> {
        let (id, path) = (self.submission_id, self.source_file);
        let mut out: Vec<Finding> = self
            .submission
            .findings
            .iter()
            .map(|finding| at_file(finding, id, path))
            .collect();
        let submitter = &self.submission.submitter;
        for cell in self.cells() {
            if let Outcome::Rejected { rule, message } = &cell.outcome {
                // Its reject names the submitter, the city that sent the form (SPEC v2 §5).
                let (level, entity_id) = if of_no_entity(cell) {
                    (
                        self.submission.form.submitter_level(),
                        submitter.entity_id.as_str(),
                    )
                } else {
                    (cell.level.as_str(), cell.entity_id.as_str())
                };
                out.push(Finding {
                    submission_id: id.to_string(),
                    source_file: path.to_string(),
                    source_sheet: Some(cell.sheet.to_string()),
                    source_cell: Some(cell.cell.to_string()),
                    level: Some(level.to_string()),
                    entity_id: Some(entity_id.to_string()),
                    indicator_code: Some(cell.indicator_code.to_string()),
                    year: Some(cell.year),
                    rule: *rule,
                    message: message.clone(),
                    raw_value: cell.raw_value.as_ref().map(|raw| raw.to_string()),
                });
            }
        }
        out
    }

    fn ranking(&self, subs: &Subs) -> Ranking {
        Ranking {
            sub: self.sub,
            file_rank: subs.file_rank(self.sub),
            version: self.submission.version,
            filled_date: self.submission.filled_date.map(days_since_epoch),
            modified_ns: self.modified_ns,
        }
    }

    /// The (level, entity, year) keys this submission has a value for, each once: a column
    /// counts only where it holds a non-empty cell (SPEC v2), so a correction that keeps blank
    /// 2019/2020 columns replaces only 2021.
    fn present(&self) -> Vec<YearKey<'a>> {
        // A form of many entities (a city's industries, one per row) has many keys: a set.
        let mut seen: PlHashSet<YearKey> = PlHashSet::default();
        let mut keys: Vec<YearKey> = Vec::new();
        let mut last: Option<YearKey> = None;
        // A cell of no entity competes for nothing.
        for cell in
            (self.cells().iter()).filter(|cell| cell.raw_value.is_some() && !of_no_entity(cell))
        {
            let key = year_key(cell);
            if last != Some(key) && seen.insert(key) {
                keys.push(key);
            }
            last = Some(key);
        }
        keys
    }
}

/// Whether a cell belongs to no entity: a city-form row whose industry is unknown
/// (UNKNOWN_INDUSTRY), recorded under a made-up entity id that must neither win a year nor name
/// its reject.
fn of_no_entity(cell: &Cell) -> bool {
    matches!(
        cell.outcome,
        Outcome::Rejected {
            rule: Rule::UnknownIndustry,
            ..
        }
    )
}

/// (level, entity id, year): what a winner is chosen for.
type YearKey<'a> = (Level, &'a str, i32);

fn year_key(cell: &Cell) -> YearKey<'_> {
    (cell.level, cell.entity_id.as_str(), cell.year)
}

/// Which of two submissions wins a (level, entity, year) both fill (SPEC §6): the higher
/// version, then the later filled date (a missing date last), then the later modification
/// time, then the first file name. `Less` when `a` wins.
fn precedence(a: &Ranking, b: &Ranking) -> Ordering {
    // Descending, a missing date last: `None` orders below any date.
    b.version
        .total_cmp(&a.version)
        .then(b.filled_date.cmp(&a.filled_date))
        .then(b.modified_ns.cmp(&a.modified_ns))
        .then(a.file_rank.cmp(&b.file_rank))
}

/// Which rule of [`precedence`] decided between two submissions (`a` won): the reason a
/// superseded file is given, in Chinese and English. Only the version and 填报日期 say which
/// form is the correction; a file that lost on its modification time or name may be the
/// correction itself, and the reason asks to check.
pub(super) fn decided_by(a: &Ranking, b: &Ranking) -> (&'static str, &'static str) {
    if a.version != b.version {
        ("报表版本更高", "a higher version")
    } else if b.filled_date.is_none() && a.filled_date.is_some() {
        (
            "报表版本相同，被取代的报表未填填报日期或无法识别",
            "the same version, and this one has no readable filled date",
        )
    } else if a.filled_date != b.filled_date {
        ("填报日期更晚", "a later filled date")
    } else if a.modified_ns != b.modified_ns {
        (
            "两份报表版本和填报日期相同，按文件修改时间较晚者采用，请核实哪份是更正并在更正报表中填写更高的报表版本",
            "same version and filled date: the later-modified file is used; check which is the correction and give it a higher version",
        )
    } else {
        (
            "两份报表版本、填报日期和修改时间均相同，按文件名排序在前者采用，请核实哪份是更正并在更正报表中填写更高的报表版本",
            "same version, filled date and modification time: the first file name is used; check which is the correction and give it a higher version",
        )
    }
}

/// The words of a superseded file's reason when only its modification time or name decided:
/// the feedback then asks which file is the correction.
pub const ASK_WHICH_IS_THE_CORRECTION: &str = "请核实哪份是更正";

/// What the members hold beside their cells: rankings in member order, and each entity as the
/// highest-ranked file that names it describes it (a correction's 所属行业 or name wins over
/// the original's, whatever their paths).
pub(super) struct Survey {
    pub rankings: Vec<Ranking>,
    pub entities: BTreeMap<(Level, String), EntityRef>,
}

pub(super) fn survey(members: &[Option<Member>], subs: &Subs) -> Survey {
    let mut rankings: Vec<Ranking> = Vec::new();
    // Each entity with the position of the ranking of the file that describes it.
    let mut described: BTreeMap<(Level, String), (EntityRef, usize)> = BTreeMap::new();
    for member in members.iter().flatten() {
        let ranking = member.ranking(subs);
        for entity in &member.submission.entities {
            let key = (entity.level, entity.entity_id.clone());
            let better = described
                .get(&key)
                .is_none_or(|(_, at)| precedence(&ranking, &rankings[*at]) == Ordering::Less);
            if better {
                described.insert(key, (entity.clone(), rankings.len()));
            }
        }
        rankings.push(ranking);
    }
    let entities = described
        .into_iter()
        .map(|(key, (entity, _))| (key, entity))
        .collect();
    Survey { rankings, entities }
}

/// Per (level, entity, year), the submission that wins it among those with a value there.
pub(super) fn winners<'a>(
    members: &[Option<Member<'a>>],
    rankings: &[Ranking],
) -> PlHashMap<YearKey<'a>, u32> {
    let present: Vec<Vec<YearKey<'a>>> = members
        .par_iter()
        .map(|member| member.as_ref().map(Member::present).unwrap_or_default())
        .collect();
    let by_sub: PlHashMap<u32, &Ranking> = rankings.iter().map(|r| (r.sub, r)).collect();
    let mut won: PlHashMap<YearKey<'a>, u32> =
        PlHashMap::with_capacity(present.iter().map(Vec::len).sum());
    for (member, keys) in members.iter().zip(present) {
        let Some(member) = member else { continue };
        let Some(ranking) = by_sub.get(&member.sub) else {
            continue;
        };
        for key in keys {
            won.entry(key)
                .and_modify(|winner| {
                    let ahead = by_sub
                        .get(winner)
                        .is_none_or(|best| precedence(ranking, best) == Ordering::Less);
                    if ahead {
                        *winner = member.sub;
                    }
                })
                .or_insert(member.sub);
        }
    }
    won
}

/// One submission's cell counts (SPEC §5: each cell is loaded, superseded, rejected or missing).
#[derive(Default)]
pub(super) struct Tally {
    pub loaded: i64,
    pub superseded: i64,
    pub rejected: i64,
    pub missing: i64,
    /// Whether it wins any (level, entity, year) it has a cell for.
    pub wins: bool,
    /// The smallest key of another submission that won a year it has a value in (else one of
    /// its cells' years).
    pub beaten_by: Option<u32>,
}

/// One member's cells against the winners: its counts, its winning facts and its superseded
/// facts (with their winner), both by cell position.
struct Judged {
    tally: Option<Tally>,
    facts: Vec<u32>,
    superseded: Vec<(u32, u32)>,
}

fn judge(member: &Member, winners: &PlHashMap<YearKey, u32>) -> Judged {
    let cells = member.cells();
    let mut tally = Tally::default();
    let (mut facts, mut superseded) = (Vec::new(), Vec::new());
    let mut last: Option<(YearKey, Option<u32>)> = None;
    // Who won a year this member has no value in (a correction's blank 2019 column): named only
    // when no year it did fill was won by another, as for a blank form beside a filled one.
    let mut beaten_where_blank: Option<u32> = None;
    for (at, cell) in cells.iter().enumerate() {
        let key = year_key(cell);
        let winner = match last {
            Some((seen, winner)) if seen == key => winner,
            _ => {
                let winner = winners.get(&key).copied();
                last = Some((key, winner));
                winner
            }
        };
        if let Some(winner) = winner.filter(|winner| *winner != member.sub) {
            // A non-empty cell: its year is one this member competed for.
            let beaten = match cell.raw_value.is_some() && !of_no_entity(cell) {
                true => &mut tally.beaten_by,
                false => &mut beaten_where_blank,
            };
            *beaten = Some(beaten.map_or(winner, |seen| seen.min(winner)));
        }
        tally.wins |= winner == Some(member.sub);
        match (&cell.outcome, winner) {
            (Outcome::Value(_), Some(winner)) if winner == member.sub => {
                tally.loaded += 1;
                facts.push(at as u32);
            }
            (Outcome::Value(_), Some(winner)) => {
                tally.superseded += 1;
                superseded.push((at as u32, winner));
            }
            (Outcome::Value(_), None) => {}
            (Outcome::Missing, _) => tally.missing += 1,
            (Outcome::Rejected { .. }, _) => tally.rejected += 1,
        }
    }
    tally.beaten_by = tally.beaten_by.or(beaten_where_blank);
    Judged {
        // A submission without cells has no counts (as a group-by over the cells gives none).
        tally: (!cells.is_empty()).then_some(tally),
        facts,
        superseded,
    }
}

/// What [`judge_all`] gives: the winning facts, the superseded values and each member's
/// counts by its submission key.
pub(super) struct Judgement {
    pub facts: DataFrame,
    pub superseded: DataFrame,
    pub tallies: Vec<(u32, Tally)>,
}

/// Every member's cells against the winners, side by side.
pub(super) fn judge_all(
    members: &[Option<Member>],
    winners: &PlHashMap<YearKey, u32>,
    subs: &Subs,
    plan: &Plan,
) -> PolarsResult<Judgement> {
    let mut judged: Vec<Option<Judged>> = members
        .par_iter()
        .map(|member| member.as_ref().map(|member| judge(member, winners)))
        .collect();
    let mut tallies = Vec::new();
    let mut superseded = Superseded::default();
    for (member, judged) in members.iter().zip(judged.iter_mut()) {
        let (Some(member), Some(judged)) = (member, judged.as_mut()) else {
            continue;
        };
        if let Some(tally) = judged.tally.take() {
            tallies.push((member.sub, tally));
        }
        for &(at, winner) in &judged.superseded {
            superseded.push(member, &member.cells()[at as usize], winner);
        }
    }
    let facts = winning_facts(members, &judged, subs, plan)?;
    Ok(Judgement {
        facts,
        superseded: superseded.frame()?,
        tallies,
    })
}

/// A winning fact's place in the table's order: (level, entity), indicator and year, the texts
/// by their ranks, then the member and the cell (file and cell order among equal keys).
type FactOrder = (u32, u32, i32, u32, u32);

/// The winning facts as `fact_indicator`'s columns (without derived rows), sorted by the facts'
/// key, equal keys in file and cell order.
fn winning_facts(
    members: &[Option<Member>],
    judged: &[Option<Judged>],
    subs: &Subs,
    plan: &Plan,
) -> PolarsResult<DataFrame> {
    // The winning facts' cells in file and cell order, by member position and cell position.
    let mut sources: Vec<(u32, &Member, &[u32])> = Vec::new();
    for (at, (member, judged)) in members.iter().zip(judged).enumerate() {
        if let (Some(member), Some(judged)) = (member, judged) {
            sources.push((at as u32, member, &judged.facts));
        }
    }
    // The facts are sorted on integers: each (level, entity) and each code ranked among the
    // distinct ones in byte order (the order polars sorts texts in). Each member's facts are
    // mostly one entity's, and an indicator's years come one after another.
    let seen: Vec<(PlHashSet<EntityTexts>, PlHashSet<&str>)> = sources
        .par_iter()
        .map(|&(_, member, facts)| {
            let (mut entities, mut codes) = (PlHashSet::default(), PlHashSet::default());
            let mut last: Option<&Cell> = None;
            for &at in facts {
                let this = cell_of(member, at);
                if last.is_none_or(|last| !same_entity(last, this)) {
                    entities.insert((this.level.as_str(), this.entity_id.as_str()));
                }
                if last.is_none_or(|last| last.indicator_code != this.indicator_code) {
                    codes.insert(this.indicator_code.as_str());
                }
                last = Some(this);
            }
            (entities, codes)
        })
        .collect();
    let (mut entities, mut codes) = (PlHashSet::default(), PlHashSet::default());
    for (member_entities, member_codes) in seen {
        entities.extend(member_entities);
        codes.extend(member_codes);
    }
    let (entities, codes) = (ranks(entities), ranks(codes));
    // Every text was ranked just above: a missing one is a bug, not a fact to sort anywhere.
    let unranked = |what: &str, text: &str| polars_err!(ComputeError: "{what} {text} has no rank");
    let per_member: Vec<Vec<FactOrder>> = sources
        .par_iter()
        .map(|&(at, member, facts)| {
            let mut order = Vec::with_capacity(facts.len());
            let mut entity: Option<(&Cell, u32)> = None;
            let mut code: Option<(&Cell, u32)> = None;
            for &cell_at in facts {
                let this = cell_of(member, cell_at);
                let entity_rank = match entity {
                    Some((seen, rank)) if same_entity(seen, this) => rank,
                    _ => {
                        let key = (this.level.as_str(), this.entity_id.as_str());
                        let rank = entities.get(&key).copied();
                        let rank = rank.ok_or_else(|| unranked("entity", &this.entity_id))?;
                        entity = Some((this, rank));
                        rank
                    }
                };
                let code_rank = match code {
                    Some((seen, rank)) if seen.indicator_code == this.indicator_code => rank,
                    _ => {
                        let rank = codes.get(this.indicator_code.as_str()).copied();
                        let rank = rank.ok_or_else(|| unranked("code", &this.indicator_code))?;
                        code = Some((this, rank));
                        rank
                    }
                };
                order.push((entity_rank, code_rank, this.year, at, cell_at));
            }
            Ok(order)
        })
        .collect::<PolarsResult<_>>()?;
    let mut order: Vec<FactOrder> = per_member.concat();
    order.par_sort_unstable();
    // Runs of the sorted facts become frames side by side, each cell read once, stacked in
    // order as chunks of one frame: compare merges the derived facts in and makes it one chunk.
    let run = order
        .len()
        .div_ceil(4 * rayon::current_num_threads())
        .max(1);
    let parts: Vec<DataFrame> = order
        .par_chunks(run)
        .map(|run| {
            let mut rows = FactRows::with_capacity(run.len());
            for &(.., at, cell_at) in run {
                if let Some(member) = &members[at as usize] {
                    rows.push(member.sub, cell_of(member, cell_at), subs, plan);
                }
            }
            rows.frame()
        })
        .collect::<PolarsResult<_>>()?;
    let mut facts = FactRows::with_capacity(0).frame()?;
    for part in parts {
        facts.vstack_mut_owned(part)?;
    }
    Ok(facts)
}

/// `fact_indicator`'s columns (without derived rows), filled fact by fact; `'p` is the
/// lifetime of the cells and the plan.
struct FactRows<'p> {
    level: SharedTexts,
    entity_id: SharedTexts,
    indicator_code: StringChunkedBuilder,
    year: Vec<i32>,
    value: PrimitiveChunkedBuilder<Float64Type>,
    unit: StringChunkedBuilder,
    raw_value: StringChunkedBuilder,
    source_file: SharedTexts,
    sheet: SharedTexts,
    cell: StringChunkedBuilder,
    submission_id: SharedTexts,
    /// The last indicator's code and unit: an indicator's years come one after another.
    last_unit: Option<(&'p str, &'p str)>,
}

impl<'p> FactRows<'p> {
    fn with_capacity(capacity: usize) -> FactRows<'p> {
        let text = |name: &str| StringChunkedBuilder::new(name.into(), capacity);
        FactRows {
            level: SharedTexts::with_capacity(capacity),
            entity_id: SharedTexts::with_capacity(capacity),
            indicator_code: text(c::INDICATOR_CODE),
            year: Vec::with_capacity(capacity),
            value: PrimitiveChunkedBuilder::new(c::VALUE.into(), capacity),
            unit: text(c::UNIT),
            raw_value: text(c::RAW_VALUE),
            source_file: SharedTexts::with_capacity(capacity),
            sheet: SharedTexts::with_capacity(capacity),
            cell: text(c::SOURCE_CELL),
            submission_id: SharedTexts::with_capacity(capacity),
            last_unit: None,
        }
    }

    fn push(&mut self, sub: u32, cell: &'p Cell, subs: &Subs, plan: &'p Plan) {
        let unit = match self.last_unit {
            Some((code, unit)) if code == cell.indicator_code.as_str() => unit,
            _ => {
                let unit = plan
                    .catalog
                    .get(&cell.indicator_code)
                    .map(|indicator| indicator.unit.as_str())
                    .unwrap_or_default();
                self.last_unit = Some((cell.indicator_code.as_str(), unit));
                unit
            }
        };
        self.unit.append_value(unit);
        self.level.push(cell.level.as_str());
        self.entity_id.push(&cell.entity_id);
        self.indicator_code.append_value(&cell.indicator_code);
        self.year.push(cell.year);
        self.value.append_option(match cell.outcome {
            Outcome::Value(value) => Some(value),
            _ => None,
        });
        self.raw_value.append_option(cell.raw_value.as_deref());
        self.source_file.push(subs.file(sub).unwrap_or_default());
        self.sheet.push(&cell.sheet);
        self.cell.append_value(&cell.cell);
        self.submission_id.push(subs.id(sub).unwrap_or_default());
    }

    fn frame(self) -> PolarsResult<DataFrame> {
        let text = |builder: StringChunkedBuilder| builder.finish().into_column();
        let rows = self.year.len();
        DataFrame::new_infer_height(vec![
            self.level.finish(c::LEVEL)?,
            self.entity_id.finish(c::ENTITY_ID)?,
            text(self.indicator_code),
            Column::new(c::YEAR.into(), self.year),
            self.value.finish().into_column(),
            text(self.unit),
            text(self.raw_value),
            self.source_file.finish(c::SOURCE_FILE)?,
            self.sheet.finish(c::SOURCE_SHEET)?,
            text(self.cell),
            self.submission_id.finish(c::SUBMISSION_ID)?,
            Column::new(c::IS_DERIVED.into(), vec![false; rows]),
        ])
    }
}

/// A cell of a member by its position.
fn cell_of<'a>(member: &Member<'a>, at: u32) -> &'a Cell {
    &member.cells()[at as usize]
}

/// (level, entity id) as texts.
type EntityTexts<'a> = (&'a str, &'a str);

/// Whether two cells are of one entity.
fn same_entity(a: &Cell, b: &Cell) -> bool {
    a.level == b.level && a.entity_id == b.entity_id
}

/// Each value's rank among `values` in their order (texts in byte order).
fn ranks<T: Ord + std::hash::Hash>(values: PlHashSet<T>) -> PlHashMap<T, u32> {
    let mut texts: Vec<T> = values.into_iter().collect();
    texts.sort_unstable();
    texts
        .into_iter()
        .enumerate()
        .map(|(rank, text)| (text, rank as u32))
        .collect()
}

/// The superseded fact cells (another submission won their level, entity and year): the
/// facts' key, the value and both submissions' keys, in file and cell order.
#[derive(Default)]
struct Superseded {
    levels: Vec<&'static str>,
    ids: Vec<String>,
    codes: Vec<String>,
    years: Vec<i32>,
    values: Vec<Option<f64>>,
    subs: Vec<u32>,
    winners: Vec<u32>,
}

impl Superseded {
    fn push(&mut self, member: &Member, cell: &Cell, winner: u32) {
        self.levels.push(cell.level.as_str());
        self.ids.push(cell.entity_id.to_string());
        self.codes.push(cell.indicator_code.to_string());
        self.years.push(cell.year);
        self.values.push(match cell.outcome {
            Outcome::Value(value) => Some(value),
            _ => None,
        });
        self.subs.push(member.sub);
        self.winners.push(winner);
    }

    fn frame(self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            Column::new(c::LEVEL.into(), self.levels),
            Column::new(c::ENTITY_ID.into(), self.ids),
            Column::new(c::INDICATOR_CODE.into(), self.codes),
            Column::new(c::YEAR.into(), self.years),
            Column::new(c::VALUE.into(), self.values),
            Column::new(SUB.into(), self.subs),
            Column::new(WINNER.into(), self.winners),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Form, Rule, Submitter};
    use crate::normalize::carriers;

    fn plan() -> Plan {
        Plan::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/shandong"))
            .unwrap()
    }

    /// A cell of enterprise `id`: a value, a missing cell (`None`), or (`Some(NaN)`) a reject.
    fn cell(id: &str, code: &str, year: i32, value: Option<f64>) -> Cell {
        let (raw, outcome) = match value {
            None => (None, Outcome::Missing),
            Some(value) if value.is_nan() => (
                Some("约5".into()),
                Outcome::Rejected {
                    rule: Rule::NotANumber,
                    message: "not a number".to_string(),
                },
            ),
            Some(value) => (Some(value.to_string().into()), Outcome::Value(value)),
        };
        Cell {
            level: Level::Enterprise,
            entity_id: id.into(),
            indicator_code: code.into(),
            year,
            sheet: "指标".into(),
            cell: format!("{code}{year}").into(),
            raw_value: raw,
            outcome,
        }
    }

    /// An accepted form at `path` with `version` and `cells`.
    fn file(path: &str, version: f64, modified_ns: i64, cells: Vec<Cell>) -> FileResult {
        let submitter = Submitter {
            form: Form::Enterprise,
            entity_id: cells
                .first()
                .map(|cell| cell.entity_id.to_string())
                .unwrap_or_default(),
            entity_name: String::new(),
            city_code: None,
            in_roster: true,
            industry_code: None,
        };
        FileResult {
            source_file: path.to_string(),
            size_bytes: 1,
            modified_ns,
            submission_id: format!("id-{path}"),
            file_format: "xlsx".to_string(),
            content: Content::Accepted(Box::new(Submission {
                form: Form::Enterprise,
                submitter,
                version,
                filled_date: None,
                contact_name: None,
                contact_phone: None,
                years: vec![2019, 2020, 2021],
                entities: Vec::new(),
                cells,
                findings: Vec::new(),
            })),
        }
    }

    /// A text column's values.
    fn texts<'f>(frame: &'f DataFrame, name: &str) -> Vec<Option<&'f str>> {
        frame.column(name).unwrap().str().unwrap().iter().collect()
    }

    /// The files judged as `combine` judges them, with their submission keys.
    /// v1 fills three years, v2 only 2021 (its 2019 and 2020 columns blank), v3 2021 and one
    /// cell of 2019. v1 keeps 2020 and stays active; v2 loses its only year to v3, and is
    /// superseded by v3, not by v1, which won only a year v2 left blank.
    #[test]
    fn a_correction_is_superseded_by_the_winner_of_a_year_it_filled() {
        let years = |values: [Option<f64>; 3]| -> Vec<Cell> {
            (2019..)
                .zip(values)
                .map(|(year, value)| cell("E9", "E01", year, value))
                .collect()
        };
        let files = [
            file("v1.xlsx", 1.0, 0, years([Some(1.0), Some(2.0), Some(3.0)])),
            file("v2.xlsx", 2.0, 0, years([None, None, Some(4.0)])),
            file("v3.xlsx", 3.0, 0, years([Some(5.0), None, Some(6.0)])),
        ];
        let of = outcomes(&files);
        assert!(of["v1.xlsx"].0 && of["v3.xlsx"].0);
        assert_eq!(of["v2.xlsx"], (false, Some("v3.xlsx".to_string())));
        // A blank form beside a filled one is still superseded by it.
        let files = [
            file(
                "filled.xlsx",
                1.0,
                0,
                years([Some(1.0), Some(2.0), Some(3.0)]),
            ),
            file("blank.xlsx", 2.0, 0, years([None, None, None])),
        ];
        let of = outcomes(&files);
        assert_eq!(of["blank.xlsx"].1.as_deref(), Some("filled.xlsx"));
    }

    /// Each file's (wins a year, the file that beat it), by path.
    fn outcomes(files: &[FileResult]) -> BTreeMap<String, (bool, Option<String>)> {
        let (subs, judged) = judge_files(files);
        let path = |sub: u32| {
            subs.id(sub)
                .map(|id| id.trim_start_matches("id-").to_string())
        };
        (judged.tallies.iter())
            .filter_map(|(sub, tally)| {
                Some((path(*sub)?, (tally.wins, tally.beaten_by.and_then(path))))
            })
            .collect()
    }

    fn judge_files(files: &[FileResult]) -> (Subs, Judgement) {
        let carrier = carriers(files);
        let subs = Subs::of(files, &carrier);
        let members = members(files, &carrier, &subs);
        let survey = survey(&members, &subs);
        let won = winners(&members, &survey.rankings);
        let judged = judge_all(&members, &won, &subs, &plan()).unwrap();
        (subs, judged)
    }

    fn ranking(
        version: f64,
        filled_date: Option<i32>,
        modified_ns: i64,
        file_rank: u32,
    ) -> Ranking {
        Ranking {
            sub: file_rank,
            file_rank,
            version,
            filled_date,
            modified_ns,
        }
    }

    #[test]
    fn precedence_is_version_then_filled_date_then_modification_then_file_name() {
        let base = ranking(1.0, Some(100), 5, 0);
        let wins = |a: &Ranking, b: &Ranking| precedence(a, b) == Ordering::Less;
        assert!(
            wins(&ranking(2.0, None, 0, 9), &base),
            "a higher version wins"
        );
        assert!(
            wins(&ranking(1.0, Some(101), 0, 9), &base),
            "then a later date"
        );
        assert!(
            wins(&base, &ranking(1.0, None, 9, 0)),
            "a missing date comes last"
        );
        assert!(
            wins(&ranking(1.0, Some(100), 6, 9), &base),
            "then a later change"
        );
        assert!(
            wins(&base, &ranking(1.0, Some(100), 5, 1)),
            "then the first file name"
        );
        assert_eq!(precedence(&base, &base), Ordering::Equal);
    }

    #[test]
    fn the_reason_names_the_rule_that_decided_and_asks_only_after_a_tie() {
        let base = ranking(1.0, Some(100), 5, 0);
        let asks = |won: &Ranking, lost: &Ranking| {
            assert_eq!(precedence(won, lost), Ordering::Less);
            decided_by(won, lost)
                .0
                .contains(ASK_WHICH_IS_THE_CORRECTION)
        };
        assert_eq!(
            decided_by(&ranking(2.0, None, 0, 9), &base).0,
            "报表版本更高"
        );
        assert!(!asks(&ranking(2.0, None, 0, 9), &base));
        assert_eq!(
            decided_by(&ranking(1.0, Some(101), 0, 9), &base).0,
            "填报日期更晚"
        );
        assert!(decided_by(&base, &ranking(1.0, None, 9, 0))
            .0
            .contains("未填填报日期"));
        assert!(asks(&ranking(1.0, Some(100), 6, 9), &base));
        assert!(asks(&base, &ranking(1.0, Some(100), 5, 1)));
    }

    #[test]
    fn a_submission_is_present_once_for_each_year_it_fills() {
        let files = [file(
            "a.xlsx",
            1.0,
            0,
            vec![
                cell("E1", "E01", 2019, None),
                cell("E1", "E01", 2020, Some(1.0)),
                cell("E1", "E02", 2020, Some(2.0)),
                cell("E2", "E01", 2020, Some(f64::NAN)),
                cell("E1", "E02", 2019, None),
            ],
        )];
        let subs = Subs::of(&files, &carriers(&files));
        let members = members(&files, &carriers(&files), &subs);
        let present = members[0].as_ref().unwrap().present();
        // An empty cell does not count; a refused one with text does.
        assert_eq!(
            present,
            [
                (Level::Enterprise, "E1", 2020),
                (Level::Enterprise, "E2", 2020)
            ]
        );
    }

    /// An original and a correction that fills only 2021: the correction wins 2021 alone.
    /// Every cell is counted once; the facts come in the table's order, texts by bytes.
    #[test]
    fn every_cell_is_counted_once_and_the_facts_come_in_key_order() {
        let original = vec![
            cell("E9", "E02", 2019, Some(1.0)),
            cell("E9", "E02", 2020, Some(2.0)),
            cell("E9", "E02", 2021, Some(3.0)),
            cell("E9", "E01", 2019, Some(4.0)),
            cell("E9", "E01", 2020, None),
            cell("E9", "E01", 2021, Some(f64::NAN)),
        ];
        let correction = vec![
            cell("E9", "E02", 2019, None),
            cell("E9", "E02", 2021, Some(30.0)),
            cell("E9", "E01", 2021, Some(40.0)),
        ];
        let other = vec![cell("E10", "E01", 2019, Some(7.0))];
        let files = [
            file("b-original.xlsx", 1.0, 0, original),
            file("a-correction.xlsx", 2.0, 0, correction),
            file("c-other.xlsx", 1.0, 0, other),
        ];
        let (subs, judged) = judge_files(&files);
        let sub = |path: &str| subs.key(&format!("id-{path}")).unwrap();
        let (original, correction) = (sub("b-original.xlsx"), sub("a-correction.xlsx"));
        let tally = |key: u32| {
            let (_, tally) = judged.tallies.iter().find(|(sub, _)| *sub == key).unwrap();
            (
                tally.loaded,
                tally.superseded,
                tally.rejected,
                tally.missing,
            )
        };
        // 6 cells: 3 loaded (2019, 2020), 1 superseded (E02 2021), 1 rejected, 1 missing.
        assert_eq!(tally(original), (3, 1, 1, 1));
        assert_eq!(tally(correction), (2, 0, 0, 1));
        let of = |key: u32| {
            &judged
                .tallies
                .iter()
                .find(|(sub, _)| *sub == key)
                .unwrap()
                .1
        };
        assert_eq!(of(original).beaten_by, Some(correction));
        assert!(of(original).wins && of(correction).wins);
        // Sorted by (level, entity, indicator, year), "E10" before "E9" (bytes).
        let facts = &judged.facts;
        let key: Vec<(String, String, i32, f64)> = (0..facts.height())
            .map(|row| {
                let text = |name: &str| facts.column(name).unwrap().str().unwrap().get(row);
                (
                    text(c::ENTITY_ID).unwrap().to_string(),
                    text(c::INDICATOR_CODE).unwrap().to_string(),
                    facts
                        .column(c::YEAR)
                        .unwrap()
                        .i32()
                        .unwrap()
                        .get(row)
                        .unwrap(),
                    facts
                        .column(c::VALUE)
                        .unwrap()
                        .f64()
                        .unwrap()
                        .get(row)
                        .unwrap(),
                )
            })
            .collect();
        let expected = [
            ("E10", "E01", 2019, 7.0),
            ("E9", "E01", 2019, 4.0),
            ("E9", "E01", 2021, 40.0),
            ("E9", "E02", 2019, 1.0),
            ("E9", "E02", 2020, 2.0),
            ("E9", "E02", 2021, 30.0),
        ];
        let expected: Vec<(String, String, i32, f64)> = expected
            .iter()
            .map(|(id, code, year, value)| (id.to_string(), code.to_string(), *year, *value))
            .collect();
        assert_eq!(key, expected);
        // Each fact names the file and submission it came from.
        let files_of = texts(facts, c::SOURCE_FILE);
        assert_eq!(files_of[2], Some("a-correction.xlsx"));
        assert_eq!(files_of[3], Some("b-original.xlsx"));
        // The superseded value: the original's E02 2021, won by the correction.
        let superseded = &judged.superseded;
        assert_eq!(superseded.height(), 1);
        let value = superseded.column(c::VALUE).unwrap().f64().unwrap().get(0);
        assert_eq!(value, Some(3.0));
        let winner = superseded.column(WINNER).unwrap().u32().unwrap().get(0);
        assert_eq!(winner, Some(correction));
    }

    /// The facts come in the order polars' own sort gives (texts by bytes, ties in file and cell
    /// order): ids beyond ASCII, two levels, an entity met again after another within one
    /// form, and a form without cells (which has no counts).
    #[test]
    fn the_facts_come_in_polars_own_order() {
        let mut park = cell("园区乙", "E01", 2019, Some(5.0));
        park.level = Level::Park;
        let files = [
            file(
                "a.xlsx",
                1.0,
                0,
                vec![
                    cell("企业甲", "E02", 2020, Some(1.0)),
                    cell("E1", "E01", 2019, Some(2.0)),
                    cell("企业甲", "E01", 2020, Some(3.0)),
                    park,
                    cell("e1", "E01", 2019, Some(6.0)),
                ],
            ),
            file("b.xlsx", 1.0, 0, vec![cell("E0", "E02", 2021, Some(4.0))]),
            file("c.xlsx", 1.0, 0, Vec::new()),
        ];
        let (_, judged) = judge_files(&files);
        let facts = &judged.facts;
        assert_eq!(facts.height(), 6);
        let sorted = facts
            .sort(
                c::FACT_KEY,
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .unwrap();
        assert!(facts.equals_missing(&sorted), "{facts}\n{sorted}");
        let ids = texts(facts, c::ENTITY_ID);
        assert_eq!(
            ids,
            [
                Some("E0"),
                Some("E1"),
                Some("e1"),
                Some("企业甲"),
                Some("企业甲"),
                Some("园区乙")
            ]
        );
        // Two forms with cells have counts; the one without has none.
        assert_eq!(judged.tallies.len(), 2);
    }
}
