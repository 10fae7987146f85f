//! Normalize: raw cells → typed facts, rejects and submission statuses.
//!
//! Two steps. [`submission`] classifies one file's cells (units, numbers, flags, ranges) and
//! runs inside the parallel per-file workers. [`combine`] then works across files with polars:
//! duplicates, cross-indicator checks, winners per (level, entity, year) (SPEC §6),
//! superseded values, corrections and the per-submission cell counts.
//!
//! Guarantee (SPEC §5): every indicator cell of an accepted submission is counted exactly once
//! as loaded, superseded, rejected or missing.

pub mod value;

use crate::config::Plan;
use crate::domain::columns as c;
use crate::domain::{CellOutcome, EntityRef, SubmissionStatus, Submitter};
use crate::domain::{Finding, Form, Level, Rule};
use crate::frames::{self, JoinOn};
use crate::ingest::workbook::CellValue;
use crate::ingest::{Extracted, FileContent, RawCell, Refusal};
use crate::timing::timed;
use compact_str::CompactString;
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use value::{Outcome, Place};

/// One classified indicator cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub level: Level,
    pub entity_id: CompactString,
    pub indicator_code: CompactString,
    pub year: i32,
    pub sheet: CompactString,
    pub cell: CompactString,
    /// The cell as written, None when empty.
    pub raw_value: Option<CompactString>,
    pub outcome: Outcome,
}

/// An accepted form with its classified cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub form: Form,
    pub submitter: Submitter,
    pub version: f64,
    pub filled_date: Option<chrono::NaiveDate>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub years: Vec<i32>,
    pub entities: Vec<EntityRef>,
    pub cells: Vec<Cell>,
    /// Warnings found while reading.
    pub findings: Vec<Finding>,
}

/// What one file became; this is what the parse cache stores.
pub type Content = FileContent<Submission>;

/// One inbox file with its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileResult {
    pub source_file: String,
    pub size_bytes: u64,
    pub modified_ns: i64,
    pub submission_id: String,
    pub file_format: String,
    pub content: Content,
}

/// Classifies every cell of an extracted form.
pub fn submission(extracted: Extracted, plan: &Plan) -> Submission {
    let cells: Vec<Cell> = extracted
        .cells
        .into_iter()
        .filter_map(|raw| {
            let indicator = plan.catalog.get(&raw.indicator_code)?;
            let place = Place {
                sheet: &raw.sheet,
                cell: &raw.cell,
                max_abs: plan.max_abs_value,
            };
            let classify =
                |value: &CellValue| value::classify(value, raw.unit.as_deref(), indicator, &place);
            let outcome = match (&raw.refused, raw.value.is_empty()) {
                (Some(refusal), false) => refused(refusal, &raw, indicator, &classify),
                _ => classify(&raw.value),
            };
            let raw_value = (!raw.value.is_empty()).then(|| raw.value.display());
            Some(Cell {
                level: raw.level,
                entity_id: raw.entity_id,
                indicator_code: raw.indicator_code,
                year: raw.year,
                sheet: raw.sheet,
                cell: raw.cell,
                raw_value: raw_value.map(CompactString::from),
                outcome,
            })
        })
        .collect();
    let mut findings = extracted.findings;
    findings.extend(consistency(&cells, plan));
    Submission {
        form: extracted.form,
        submitter: extracted.submitter,
        version: extracted.version,
        filled_date: extracted.filled_date,
        contact_name: extracted.contact_name,
        contact_phone: extracted.contact_phone,
        years: extracted.years,
        entities: extracted.entities,
        cells,
        findings,
    }
}

/// INCONSISTENT warnings within one submission, entity and year: a value above its
/// `not_above` bound, or a rate that disagrees with its numerator / denominator (beyond the
/// tolerance). Runs in the per-file workers, so its findings are cached with the file.
fn consistency(cells: &[Cell], plan: &Plan) -> Vec<Finding> {
    let mut values: PlHashMap<(Level, &str, i32, &str), f64> =
        PlHashMap::with_capacity(cells.len());
    for cell in cells {
        if let Outcome::Value(value) = cell.outcome {
            values.insert(
                (cell.level, &cell.entity_id, cell.year, &cell.indicator_code),
                value,
            );
        }
    }
    let name = |code: &str| {
        plan.catalog
            .get(code)
            .map(|indicator| indicator.name.as_str())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for cell in cells {
        let (Outcome::Value(value), Some(indicator)) =
            (&cell.outcome, plan.catalog.get(&cell.indicator_code))
        else {
            continue;
        };
        let partner = |code: &str| {
            values
                .get(&(cell.level, cell.entity_id.as_str(), cell.year, code))
                .copied()
        };
        let (sheet, at, code) = (&cell.sheet, &cell.cell, &cell.indicator_code);
        let raw = cell.raw_value.as_deref().unwrap_or_default().to_string();
        let mut inconsistent = |message: String| {
            out.push(Finding {
                submission_id: String::new(),
                source_file: String::new(),
                source_sheet: Some(sheet.to_string()),
                source_cell: Some(at.to_string()),
                level: Some(cell.level.as_str().to_string()),
                entity_id: Some(cell.entity_id.to_string()),
                indicator_code: Some(code.to_string()),
                year: Some(cell.year),
                rule: Rule::Inconsistent,
                message,
                raw_value: Some(raw.clone()),
            })
        };
        if let Some(bound) = &indicator.not_above {
            if let Some(bound_value) = partner(bound).filter(|bound| *value > bound + 1e-9) {
                inconsistent(format!(
                    "{sheet}!{at} {}“{raw}”大于{}（{}），请核实 (INCONSISTENT: {code} > {bound})",
                    indicator.name,
                    name(bound),
                    crate::domain::text::format_number(bound_value),
                ));
            }
        }
        if let Some(ratio) = &indicator.ratio_of {
            let (Some(numerator), Some(denominator)) =
                (partner(&ratio.numerator), partner(&ratio.denominator))
            else {
                continue;
            };
            let expected = numerator / denominator * 100.0;
            if denominator > 0.0 && (value - expected).abs() > ratio.tolerance {
                inconsistent(format!(
                    "{sheet}!{at} {}“{raw}”与按{}/{}计算的{expected:.2}相差超过允许误差，请核实 (INCONSISTENT: {code} ≠ ratio)",
                    indicator.name,
                    name(&ratio.numerator),
                    name(&ratio.denominator),
                ));
            }
        }
    }
    out
}

/// The error reject of a non-empty cell refused for where it stands (SPEC v2 §3.2, §3.3).
fn refused(
    refusal: &Refusal,
    raw: &RawCell,
    indicator: &crate::config::Indicator,
    classify: &dyn Fn(&CellValue) -> Outcome,
) -> Outcome {
    let at = format!("{}!{}", raw.sheet, raw.cell);
    let written = raw.value.display();
    match refusal {
        Refusal::Duplicate {
            used_cell,
            used_value,
        } => {
            let agree = match (classify(&raw.value), classify(used_value)) {
                (Outcome::Value(this), Outcome::Value(used)) => this == used,
                (this, used) => this == used,
            };
            let agreement = if agree {
                "两处数值一致"
            } else {
                "两处数值不一致，请核实"
            };
            Outcome::Rejected {
                rule: Rule::DuplicateValue,
                message: format!(
                    "{at} 的值“{written}”与{used_cell}重复填报{}({})，已采用{used_cell}“{}”，本格未载入；{agreement} (DUPLICATE_VALUE: {used_cell} is used)",
                    indicator.name,
                    raw.year,
                    used_value.display()
                ),
            }
        }
        Refusal::UnknownIndustry { industry } => Outcome::Rejected {
            rule: Rule::UnknownIndustry,
            message: match industry {
                Some(name) => format!(
                    "{at} 的值“{written}”所在行业“{name}”不是本市名单中的重点行业，未载入，请填写名单中的行业名称 (UNKNOWN_INDUSTRY)"
                ),
                None => format!(
                    "{at} 的值“{written}”所在行没有行业名称，未载入，请在行业名称列填写所属行业 (UNKNOWN_INDUSTRY)"
                ),
            },
        },
    }
}

/// Turns ingest's view of a file into normalize's.
pub fn content(ingested: FileContent, plan: &Plan) -> Content {
    ingested.map(|extracted| submission(extracted, plan))
}

/// Everything normalize hands to compare and the warehouse.
pub struct Normalized {
    /// The `submissions` table.
    pub submissions: DataFrame,
    /// Winning facts: the `fact_indicator` columns (without derived rows).
    pub facts: DataFrame,
    /// Error rejects and warnings found so far (`rejects` columns).
    pub findings: Vec<Finding>,
    /// The `corrections` table.
    pub corrections: DataFrame,
    /// Entities reported by accepted, non-duplicate submissions.
    pub entities: Vec<EntityRef>,
}

const STATUS_ACTIVE: &str = SubmissionStatus::Active.as_str();
const STATUS_SUPERSEDED: &str = SubmissionStatus::Superseded.as_str();
const STATUS_DUPLICATE: &str = SubmissionStatus::Duplicate.as_str();
const STATUS_REJECTED: &str = SubmissionStatus::Rejected.as_str();
const STATUS_IGNORED: &str = SubmissionStatus::Ignored.as_str();

/// Per-submission facts needed to order competing submissions.
struct Ranking {
    sub: u32,
    /// The submission's file name in sorting order among all (last tie-break).
    file_rank: u32,
    version: f64,
    /// Days since the epoch; None sorts last.
    filled_date: Option<i32>,
    modified_ns: i64,
}

/// Same bytes under two paths: per submission id, the (modification time, path) of the copy
/// that carries it, the earliest modified (then smallest path). Other paths are duplicates.
type Carriers = PlHashMap<String, (i64, String)>;

fn carriers(files: &[FileResult]) -> Carriers {
    let mut carrier: Carriers = PlHashMap::new();
    for file in files
        .iter()
        .filter(|file| !matches!(file.content, Content::Ignored { .. }))
    {
        let key = (file.modified_ns, file.source_file.clone());
        carrier
            .entry(file.submission_id.clone())
            .and_modify(|best| {
                if key < *best {
                    *best = key.clone()
                }
            })
            .or_insert(key);
    }
    carrier
}

fn is_duplicate(carrier: &Carriers, file: &FileResult) -> bool {
    !matches!(file.content, Content::Ignored { .. })
        && carrier
            .get(file.submission_id.as_str())
            .is_some_and(|(_, path)| *path != file.source_file)
}

/// What the accepted, non-duplicate files hold, gathered in one pass.
struct Gathered {
    cells: DataFrame,
    /// Per `sub` (the cells' integer submission key, in submission id order): id and file.
    subs: Subs,
    rankings: Vec<Ranking>,
    findings: Vec<Finding>,
    entities: BTreeMap<(Level, String), EntityRef>,
}

/// The accepted, non-duplicate submissions by a small integer key, `sub`, numbered in
/// submission id order: the cells frame carries 4 bytes a cell instead of the id and the file
/// name, joins compare integers, and the smallest key is the smallest id.
struct Subs {
    ids: Vec<String>,
    files: Vec<String>,
    by_id: PlHashMap<String, u32>,
    /// Per key, the rank of its file name among all (the last tie-break between submissions).
    file_ranks: Vec<u32>,
}

/// The key column of the cells frame.
const SUB: &str = "sub";
/// The winner's key, per (level, entity, year).
const WINNER: &str = "winner_sub";

/// The cells frame's outcome column: each cell's [`CellOutcome`] as its [`outcome_code`].
const OUTCOME: &str = "outcome";

/// A cell's outcome as the number the cells frame holds (compared as an integer, not a text).
const fn outcome_code(outcome: CellOutcome) -> u32 {
    match outcome {
        CellOutcome::Fact => 0,
        CellOutcome::Missing => 1,
        CellOutcome::Reject => 2,
    }
}

/// Whether a cell's outcome is `outcome`, as a polars expression.
fn is_outcome(outcome: CellOutcome) -> Expr {
    col(OUTCOME).eq(lit(outcome_code(outcome)))
}

impl Subs {
    fn of(files: &[FileResult], carrier: &Carriers) -> Subs {
        let mut pairs: Vec<(String, String)> = files
            .iter()
            .filter(|file| matches!(file.content, Content::Accepted(_)))
            .filter(|file| !is_duplicate(carrier, file))
            .map(|file| (file.submission_id.clone(), file.source_file.clone()))
            .collect();
        pairs.sort();
        pairs.dedup_by(|a, b| a.0 == b.0);
        let mut by_file: Vec<u32> = (0..pairs.len() as u32).collect();
        by_file.sort_by(|a, b| pairs[*a as usize].1.cmp(&pairs[*b as usize].1));
        let mut file_ranks = vec![0; pairs.len()];
        for (rank, sub) in by_file.into_iter().enumerate() {
            file_ranks[sub as usize] = rank as u32;
        }
        let by_id = pairs
            .iter()
            .enumerate()
            .map(|(sub, (id, _))| (id.clone(), sub as u32))
            .collect();
        let (ids, files) = pairs.into_iter().unzip();
        Subs {
            ids,
            files,
            by_id,
            file_ranks,
        }
    }

    fn key(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    fn file_rank(&self, sub: u32) -> u32 {
        self.file_ranks
            .get(sub as usize)
            .copied()
            .unwrap_or(u32::MAX)
    }

    fn id(&self, sub: u32) -> Option<&str> {
        self.ids.get(sub as usize).map(String::as_str)
    }

    /// The ids (or, with `files`, the file names) of a column of keys, as a string column
    /// that holds each text once ([`frames::shared_texts`]): a million facts do not carry a
    /// million 64-character ids and file names.
    fn texts(&self, frame: &DataFrame, key: &str, name: &str, files: bool) -> PolarsResult<Column> {
        let names = if files { &self.files } else { &self.ids };
        let rows = frame.column(key)?.u32()?.iter().map(|sub| {
            sub.filter(|sub| (*sub as usize) < names.len())
                .map(|sub| sub as IdxSize)
        });
        let rows = IdxCa::from_iter_options(name.into(), rows);
        frames::shared_texts(name, names.iter().map(String::as_str), rows)
    }
}

/// Moves every file's cells into one frame (each cell held once) and collects their rankings,
/// findings and entities.
fn gather(files: &mut [FileResult], carrier: &Carriers, plan: &Plan) -> PolarsResult<Gathered> {
    let subs = Subs::of(files, carrier);
    // Runs of files are gathered side by side, then joined in file order: the rows, findings
    // and rankings come out as one pass over the files would give them.
    let run = files
        .len()
        .div_ceil(4 * rayon::current_num_threads())
        .max(1);
    let parts = files
        .par_chunks_mut(run)
        .map(|files| gather_run(files, carrier, plan, &subs))
        .collect::<PolarsResult<Vec<Run>>>()?;
    let mut cells: Option<DataFrame> = None;
    let (mut rankings, mut findings, mut entities) = (Vec::new(), Vec::new(), BTreeMap::new());
    for part in parts {
        match &mut cells {
            None => cells = Some(part.cells),
            Some(all) => {
                all.vstack_mut_owned(part.cells)?;
            }
        }
        rankings.extend(part.rankings);
        findings.extend(part.findings);
        for (key, entity) in part.entities {
            // The first file that names an entity describes it.
            entities.entry(key).or_insert(entity);
        }
    }
    let mut cells = match cells {
        Some(cells) => cells,
        None => CellColumns::with_capacity(0).frame()?,
    };
    cells.rechunk_mut_par();
    Ok(Gathered {
        cells,
        subs,
        rankings,
        findings,
        entities,
    })
}

/// What one run of files adds to [`Gathered`].
struct Run {
    cells: DataFrame,
    rankings: Vec<Ranking>,
    findings: Vec<Finding>,
    entities: BTreeMap<(Level, String), EntityRef>,
}

fn gather_run(
    files: &mut [FileResult],
    carrier: &Carriers,
    plan: &Plan,
    subs: &Subs,
) -> PolarsResult<Run> {
    let mut findings = Vec::new();
    let capacity = files
        .iter()
        .map(|file| match &file.content {
            Content::Accepted(submission) => submission.cells.len(),
            _ => 0,
        })
        .sum();
    let mut cells = CellColumns::with_capacity(capacity);
    let mut rankings = Vec::new();
    let mut entities = BTreeMap::new();
    for file in files.iter_mut() {
        if is_duplicate(carrier, file) {
            continue;
        }
        let (id, path) = (file.submission_id.as_str(), file.source_file.as_str());
        match &mut file.content {
            Content::Rejected {
                finding: Some(finding),
                ..
            } => findings.push(at_file(finding, id, path)),
            Content::Accepted(submission) => {
                let Some(sub) = subs.key(id) else { continue };
                rankings.push(Ranking {
                    sub,
                    file_rank: subs.file_rank(sub),
                    version: submission.version,
                    filled_date: submission.filled_date.map(days_since_epoch),
                    modified_ns: file.modified_ns,
                });
                findings.extend(
                    submission
                        .findings
                        .iter()
                        .map(|finding| at_file(finding, id, path)),
                );
                for entity in &submission.entities {
                    entities
                        .entry((entity.level, entity.entity_id.clone()))
                        .or_insert_with(|| entity.clone());
                }
                for cell in std::mem::take(&mut submission.cells) {
                    cells.push((sub, id, path), cell, plan, &mut findings);
                }
            }
            _ => {}
        }
    }
    Ok(Run {
        cells: cells.frame()?,
        rankings,
        findings,
        entities,
    })
}

/// The key a winner is chosen for: one (level, entity, year).
const WINNER_KEY: [&str; 3] = [c::LEVEL, c::ENTITY_ID, c::YEAR];

/// Per (level, entity, year), the best submission that has that year's column (SPEC §6). A
/// column counts only where it holds a non-empty cell (SPEC v2): a correction that keeps
/// blank 2019/2020 columns replaces only 2021.
fn winners(cells: &DataFrame, ranking: DataFrame) -> PolarsResult<DataFrame> {
    let key = WINNER_KEY;
    let presence = cells
        .select([SUB, c::LEVEL, c::ENTITY_ID, c::YEAR])?
        .filter(&first_present(cells)?)?
        .lazy()
        .join_on(ranking.lazy(), [col(SUB)], JoinType::Inner);
    presence
        .sort(
            [
                c::LEVEL,
                c::ENTITY_ID,
                c::YEAR,
                "version",
                "filled_days",
                "modified_ns",
                "file_rank",
            ],
            SortMultipleOptions::default()
                .with_order_descending_multi([false, false, false, true, true, true, false])
                .with_nulls_last(true)
                .with_maintain_order(true),
        )
        .group_by_stable(key.map(col))
        .agg([col(SUB).first().alias(WINNER)])
        .collect()
}

/// (submission, level, entity id) of a cell, borrowed from the cells.
type SubmittedEntity<'a> = (Option<u32>, Option<&'a str>, Option<&'a str>);

/// Per cell, whether it is the first with a value of its (submission, level, entity, year):
/// the presence [`winners`] ranks, one row per submission and year it fills. A form's cells
/// name one entity in runs, so the texts are hashed once a run, not once a cell.
fn first_present(cells: &DataFrame) -> PolarsResult<BooleanChunked> {
    let subs = cells.column(SUB)?.u32()?;
    let (levels, ids) = (
        cells.column(c::LEVEL)?.str()?,
        cells.column(c::ENTITY_ID)?.str()?,
    );
    let years = cells.column(c::YEAR)?.cast(&DataType::Int32)?;
    let present = cells.column(c::RAW_VALUE)?.is_not_null();
    let mut entities: PlHashMap<SubmittedEntity, u32> = PlHashMap::default();
    let entity = frames::per_run(
        subs.iter().zip(levels.iter()).zip(ids.iter()),
        |((sub, level), id)| {
            let next = entities.len() as u32;
            *entities.entry((sub, level, id)).or_insert(next)
        },
    );
    // Per entity (by its number), the years it has shown a value in: a few each, so a
    // short list rather than a hash set of every (entity, year).
    let mut seen: Vec<Vec<Option<i32>>> = Vec::new();
    Ok(entity
        .zip(years.i32()?.iter())
        .zip(present.iter())
        .map(|((entity, year), present)| {
            if present != Some(true) {
                return false;
            }
            let entity = entity as usize;
            if seen.len() <= entity {
                seen.resize_with(entity + 1, Vec::new);
            }
            let years = &mut seen[entity];
            let first = !years.contains(&year);
            if first {
                years.push(year);
            }
            first
        })
        .collect())
}

/// An entity's years with the submission that won each.
type YearWinners = Vec<(i32, Option<u32>)>;

/// `cells` with each cell's winner: the submission that won its (level, entity, year), null
/// where none did. A form's cells name one entity in runs, so each run is looked up once
/// instead of joining the million cells to the winners.
fn with_winners(mut cells: DataFrame, winners: &DataFrame) -> PolarsResult<DataFrame> {
    let text = |frame: &DataFrame, name: &str| frame.column(name)?.str().cloned();
    let int = |frame: &DataFrame, name: &str| -> PolarsResult<Int32Chunked> {
        Ok(frame.column(name)?.cast(&DataType::Int32)?.i32()?.clone())
    };
    let (levels, ids, years) = (
        text(winners, c::LEVEL)?,
        text(winners, c::ENTITY_ID)?,
        int(winners, c::YEAR)?,
    );
    let subs = winners.column(WINNER)?.cast(&DataType::UInt32)?;
    // Per entity, its years' winners (a join matches no null key).
    let mut by_entity: PlHashMap<(&str, &str), YearWinners> = PlHashMap::default();
    for (((level, id), year), sub) in levels
        .iter()
        .zip(ids.iter())
        .zip(years.iter())
        .zip(subs.u32()?.iter())
    {
        if let (Some(level), Some(id), Some(year)) = (level, id, year) {
            by_entity.entry((level, id)).or_default().push((year, sub));
        }
    }
    let (levels, ids, years) = (
        text(&cells, c::LEVEL)?,
        text(&cells, c::ENTITY_ID)?,
        int(&cells, c::YEAR)?,
    );
    let none: &[(i32, Option<u32>)] = &[];
    let entity_years = frames::per_run(levels.iter().zip(ids.iter()), |key| match key {
        (Some(level), Some(id)) => by_entity.get(&(level, id)).map_or(none, Vec::as_slice),
        _ => none,
    });
    let won: UInt32Chunked = entity_years
        .zip(years.iter())
        .map(|(entity_years, year)| {
            let year = year?;
            entity_years.iter().find(|(won, _)| *won == year)?.1
        })
        .collect();
    cells.with_column(won.with_name(WINNER.into()).into_column())?;
    Ok(cells)
}

/// The superseded fact cells (another submission won their level, entity and year), and the
/// winning facts: the `fact_indicator` rows. Each is taken from the cells with only the
/// columns it needs.
fn winning_facts(cells: &DataFrame, subs: &Subs) -> PolarsResult<(DataFrame, DataFrame)> {
    // One pass over the cells: a fact cell whose submission won its year is a winning fact;
    // one another submission won is superseded; one whose year nobody won is neither.
    let fact_code = outcome_code(CellOutcome::Fact);
    let (outcomes, winners, subs_of) = (
        cells.column(OUTCOME)?.u32()?,
        cells.column(WINNER)?.u32()?,
        cells.column(SUB)?.u32()?,
    );
    // Room for every cell at once (pages are touched only as rows are pushed).
    let (mut rows, mut superseded) = (Vec::with_capacity(cells.height()), Vec::new());
    for (row, ((outcome, winner), sub)) in outcomes
        .iter()
        .zip(winners.iter())
        .zip(subs_of.iter())
        .enumerate()
    {
        match (winner, sub) {
            _ if outcome != Some(fact_code) => {}
            (Some(winner), Some(sub)) if winner == sub => rows.push(row as IdxSize),
            (Some(_), Some(_)) => superseded.push(row as IdxSize),
            _ => {}
        }
    }
    let superseded = cells
        .select(c::FACT_KEY.into_iter().chain([c::VALUE, SUB, WINNER]))?
        .take(&IdxCa::from_vec("superseded".into(), superseded))?;
    // The winning facts' rows, sorted by the facts' key: their columns are then taken from the
    // cells once, in that order.
    let rows = IdxCa::from_vec("rows".into(), rows);
    let order = frames::sorted_order(&cells.select(c::FACT_KEY)?.take(&rows)?, &c::FACT_KEY)?;
    let mut facts = cells
        .select(c::FACT_KEY.into_iter().chain([
            c::VALUE,
            c::UNIT,
            c::RAW_VALUE,
            SUB,
            c::SOURCE_SHEET,
            c::SOURCE_CELL,
        ]))?
        .take(&rows.take(&order)?)?;
    // The lineage strings, from the key, only for the facts.
    // Side by side: each is a fresh column of views, most of its cost the pages it first touches.
    let (file, id) = rayon::join(
        || subs.texts(&facts, SUB, c::SOURCE_FILE, true),
        || subs.texts(&facts, SUB, c::SUBMISSION_ID, false),
    );
    let (file, id) = (file?, id?);
    let derived = Column::new(c::IS_DERIVED.into(), vec![false; facts.height()]);
    facts.replace_column(facts.get_column_index(SUB).unwrap_or(7), file)?;
    facts.with_column(id)?;
    facts.with_column(derived)?;
    let facts = facts.select(c::FACT_KEY.into_iter().chain([
        c::VALUE,
        c::UNIT,
        c::RAW_VALUE,
        c::SOURCE_FILE,
        c::SOURCE_SHEET,
        c::SOURCE_CELL,
        c::SUBMISSION_ID,
        c::IS_DERIVED,
    ]))?;
    Ok((superseded, facts))
}

/// Every superseded value that the winner changed or dropped: the `corrections` rows.
fn corrections(superseded: DataFrame, facts: &DataFrame, subs: &Subs) -> PolarsResult<DataFrame> {
    let key = c::FACT_KEY.map(col);
    // The superseded cells are few, and so are their entities: only those entities' facts are
    // joined to them. The facts come in runs of an entity's rows, each looked up once.
    let theirs: BooleanChunked = {
        let text = |frame: &DataFrame, name: &str| frame.column(name)?.str().cloned();
        let (levels, ids) = (
            text(&superseded, c::LEVEL)?,
            text(&superseded, c::ENTITY_ID)?,
        );
        let entities: PlHashSet<(Option<&str>, Option<&str>)> =
            levels.iter().zip(ids.iter()).collect();
        let (levels, ids) = (text(facts, c::LEVEL)?, text(facts, c::ENTITY_ID)?);
        frames::per_run(levels.iter().zip(ids.iter()), |entity| {
            entities.contains(&entity)
        })
        .collect()
    };
    let restated = facts.filter(&theirs)?.lazy().select(
        key.iter()
            .cloned()
            .chain([col(c::VALUE).alias("new_value")])
            .collect::<Vec<_>>(),
    );
    let superseded = superseded
        .lazy()
        .join_on(restated, &key, JoinType::Left)
        .filter(
            col("new_value")
                .is_null()
                .or(col("new_value").neq(col(c::VALUE))),
        )
        .select(
            key.iter()
                .cloned()
                .chain([
                    col(c::VALUE).alias(c::OLD_VALUE),
                    col("new_value").alias(c::NEW_VALUE),
                    col(SUB).alias("old_sub"),
                    col(WINNER).alias("new_sub"),
                ])
                .collect::<Vec<_>>(),
        )
        // Keys are numbered in id order: this is the order of the old submission ids.
        .sort(
            c::FACT_KEY
                .into_iter()
                .chain(["old_sub"])
                .collect::<Vec<_>>(),
            SortMultipleOptions::default(),
        )
        .collect()?;
    let mut corrections = superseded;
    for (key, name, files) in [
        ("old_sub", c::OLD_SUBMISSION_ID, false),
        ("new_sub", c::NEW_SUBMISSION_ID, false),
        ("old_sub", c::OLD_SOURCE_FILE, true),
        ("new_sub", c::NEW_SOURCE_FILE, true),
    ] {
        let texts = subs.texts(&corrections, key, name, files)?;
        corrections.with_column(texts)?;
    }
    corrections.drop_many(["old_sub", "new_sub"]);
    Ok(corrections)
}

/// Cells per outcome for each submission, and which submissions still win something.
fn submission_counts(cells: &DataFrame, subs: &Subs) -> PolarsResult<CountsBySubmission> {
    let counts = cells
        .clone()
        .lazy()
        .group_by([col(SUB)])
        .agg([
            is_outcome(CellOutcome::Fact)
                .and(col(WINNER).eq(col(SUB)))
                .sum()
                .alias(c::CELLS_LOADED),
            is_outcome(CellOutcome::Fact)
                .and(col(WINNER).neq(col(SUB)))
                .sum()
                .alias(c::CELLS_SUPERSEDED),
            is_outcome(CellOutcome::Reject)
                .sum()
                .alias(c::CELLS_REJECTED),
            is_outcome(CellOutcome::Missing)
                .sum()
                .alias(c::CELLS_MISSING),
            col(WINNER).eq(col(SUB)).any(true).alias("wins"),
            col(WINNER)
                .filter(col(WINNER).neq(col(SUB)))
                .sort(SortOptions::default())
                .first()
                .alias("beaten_by"),
        ])
        .collect()?;
    CountsBySubmission::from_frame(&counts, subs)
}

/// Works across all files: duplicates, consistency, winners, counts. The files' cells are
/// moved into one frame as they are read, so each cell is held once.
pub fn combine(files: &mut [FileResult], plan: &Plan) -> PolarsResult<Normalized> {
    let carrier = carriers(files);
    let Gathered {
        cells,
        subs,
        rankings,
        findings,
        entities,
    } = timed("normalize: gather cells", || gather(files, &carrier, plan))?;
    let cells = timed("normalize: winners", || {
        let winners = winners(&cells, ranking_frame(&rankings)?)?;
        with_winners(cells, &winners)
    })?;
    // The counts read only the cells: they take the core the winning facts leave idle.
    let (winning, counts) = rayon::join(
        || timed("normalize: winning facts", || winning_facts(&cells, &subs)),
        || timed("normalize: counts", || submission_counts(&cells, &subs)),
    );
    let ((superseded, facts), counts) = (winning?, counts?);
    drop(cells);
    let corrections = timed("normalize: corrections", || {
        corrections(superseded, &facts, &subs)
    })?;
    let duplicate = |file: &FileResult| is_duplicate(&carrier, file);
    let submissions = submissions_frame(files, &counts, &duplicate, &carrier)?;
    Ok(Normalized {
        submissions,
        facts,
        findings,
        corrections,
        entities: entities.into_values().collect(),
    })
}

/// A finding as of this run: cached findings may come from the same bytes at another path.
fn at_file(finding: &Finding, submission_id: &str, source_file: &str) -> Finding {
    Finding {
        submission_id: submission_id.to_string(),
        source_file: source_file.to_string(),
        ..finding.clone()
    }
}

fn days_since_epoch(date: chrono::NaiveDate) -> i32 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (date - epoch).num_days() as i32
}

/// Columns of the per-cell frame, filled row by row straight into polars builders, so a
/// cell's strings are copied once into the column buffers and then freed.
struct CellColumns {
    sub: Vec<u32>,
    level: StringChunkedBuilder,
    /// Repeated on every cell of a form: each id held once.
    entity_id: frames::SharedTexts,
    indicator_code: StringChunkedBuilder,
    year: Vec<i32>,
    value: Vec<Option<f64>>,
    unit: StringChunkedBuilder,
    raw_value: StringChunkedBuilder,
    sheet: StringChunkedBuilder,
    cell: StringChunkedBuilder,
    outcome: Vec<u32>,
    /// The last indicator's code and unit: a row's years come one after another.
    last_unit: Option<(CompactString, CompactString)>,
}

impl CellColumns {
    fn with_capacity(capacity: usize) -> CellColumns {
        let text = |name: &str| StringChunkedBuilder::new(name.into(), capacity);
        CellColumns {
            sub: Vec::with_capacity(capacity),
            level: text(c::LEVEL),
            entity_id: frames::SharedTexts::with_capacity(capacity),
            indicator_code: text(c::INDICATOR_CODE),
            year: Vec::with_capacity(capacity),
            value: Vec::with_capacity(capacity),
            unit: text(c::UNIT),
            raw_value: text(c::RAW_VALUE),
            sheet: text(c::SOURCE_SHEET),
            cell: text(c::SOURCE_CELL),
            outcome: Vec::with_capacity(capacity),
            last_unit: None,
        }
    }

    /// Moves one cell into the columns; a rejected cell also becomes a finding.
    fn push(
        &mut self,
        (sub, submission_id, source_file): (u32, &str, &str),
        cell: Cell,
        plan: &Plan,
        findings: &mut Vec<Finding>,
    ) {
        let (value, outcome) = match cell.outcome {
            Outcome::Value(value) => (Some(value), CellOutcome::Fact),
            Outcome::Missing => (None, CellOutcome::Missing),
            Outcome::Rejected { rule, message } => {
                findings.push(Finding {
                    submission_id: submission_id.to_string(),
                    source_file: source_file.to_string(),
                    source_sheet: Some(cell.sheet.to_string()),
                    source_cell: Some(cell.cell.to_string()),
                    level: Some(cell.level.as_str().to_string()),
                    entity_id: Some(cell.entity_id.to_string()),
                    indicator_code: Some(cell.indicator_code.to_string()),
                    year: Some(cell.year),
                    rule,
                    message,
                    raw_value: cell.raw_value.as_ref().map(|raw| raw.to_string()),
                });
                (None, CellOutcome::Reject)
            }
        };
        let unit = match &self.last_unit {
            Some((code, unit)) if *code == cell.indicator_code => unit,
            _ => {
                let unit = plan
                    .catalog
                    .get(&cell.indicator_code)
                    .map(|indicator| indicator.unit.as_str())
                    .unwrap_or_default();
                &self
                    .last_unit
                    .insert((cell.indicator_code.clone(), unit.into()))
                    .1
            }
        };
        self.unit.append_value(unit);
        self.sub.push(sub);
        self.level.append_value(cell.level.as_str());
        self.entity_id.push(&cell.entity_id);
        self.indicator_code.append_value(&cell.indicator_code);
        self.year.push(cell.year);
        self.value.push(value);
        self.raw_value.append_option(cell.raw_value.as_deref());
        self.sheet.append_value(&cell.sheet);
        self.cell.append_value(&cell.cell);
        self.outcome.push(outcome_code(outcome));
    }

    fn frame(self) -> PolarsResult<DataFrame> {
        let text = |builder: StringChunkedBuilder| Column::from(builder.finish().into_series());
        DataFrame::new_infer_height(vec![
            Column::new(SUB.into(), self.sub),
            text(self.level),
            self.entity_id.finish(c::ENTITY_ID)?,
            text(self.indicator_code),
            Column::new(c::YEAR.into(), self.year),
            Column::new(c::VALUE.into(), self.value),
            text(self.unit),
            text(self.raw_value),
            text(self.sheet),
            text(self.cell),
            Column::new(OUTCOME.into(), self.outcome),
        ])
    }
}

fn ranking_frame(rankings: &[Ranking]) -> PolarsResult<DataFrame> {
    let each = |value: &dyn Fn(&Ranking) -> u32| rankings.iter().map(value).collect::<Vec<_>>();
    DataFrame::new_infer_height(vec![
        Column::new(SUB.into(), each(&|r| r.sub)),
        Column::new("file_rank".into(), each(&|r| r.file_rank)),
        Column::new(
            "version".into(),
            rankings.iter().map(|r| r.version).collect::<Vec<_>>(),
        ),
        Column::new(
            "filled_days".into(),
            rankings.iter().map(|r| r.filled_date).collect::<Vec<_>>(),
        ),
        Column::new(
            "modified_ns".into(),
            rankings.iter().map(|r| r.modified_ns).collect::<Vec<_>>(),
        ),
    ])
}

/// The per-submission results of [`combine`]'s group-by.
struct CountsBySubmission {
    rows: PlHashMap<String, Counts>,
}

#[derive(Default, Clone)]
struct Counts {
    loaded: i64,
    superseded: i64,
    rejected: i64,
    missing: i64,
    wins: bool,
    beaten_by: Option<String>,
}

impl CountsBySubmission {
    fn from_frame(frame: &DataFrame, subs: &Subs) -> PolarsResult<CountsBySubmission> {
        let ids = frame.column(SUB)?.u32()?;
        let number = |name: &str| -> PolarsResult<Vec<i64>> {
            Ok(frames::integers(frame, name)?
                .into_iter()
                .map(|v| v.unwrap_or(0))
                .collect())
        };
        let loaded = number(c::CELLS_LOADED)?;
        let superseded = number(c::CELLS_SUPERSEDED)?;
        let rejected = number(c::CELLS_REJECTED)?;
        let missing = number(c::CELLS_MISSING)?;
        let wins: Vec<bool> = frame
            .column("wins")?
            .bool()?
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect();
        let beaten_by: Vec<Option<String>> = frame
            .column("beaten_by")?
            .u32()?
            .iter()
            .map(|sub| sub.and_then(|sub| subs.id(sub)).map(str::to_string))
            .collect();
        let mut rows = PlHashMap::new();
        for (index, sub) in ids.iter().enumerate() {
            let Some(id) = sub.and_then(|sub| subs.id(sub)) else {
                continue;
            };
            rows.insert(
                id.to_string(),
                Counts {
                    loaded: loaded[index],
                    superseded: superseded[index],
                    rejected: rejected[index],
                    missing: missing[index],
                    wins: wins[index],
                    beaten_by: beaten_by[index].clone(),
                },
            );
        }
        Ok(CountsBySubmission { rows })
    }
}

fn submissions_frame(
    files: &[FileResult],
    counts: &CountsBySubmission,
    is_duplicate: &dyn Fn(&FileResult) -> bool,
    carrier: &PlHashMap<String, (i64, String)>,
) -> PolarsResult<DataFrame> {
    let mut rows = SubmissionColumns::default();
    for file in files {
        let mut row = SubmissionRow::new(file);
        if is_duplicate(file) {
            row.status = STATUS_DUPLICATE;
            let original = carrier
                .get(file.submission_id.as_str())
                .map(|(_, path)| path.clone())
                .unwrap_or_default();
            row.reason = Some(format!(
                "与“{original}”内容完全相同，按重复文件处理 (same bytes as {original})"
            ));
            if let Content::Accepted(submission) = &file.content {
                row.submission = Some(submission);
            }
        } else {
            match &file.content {
                Content::Ignored { reason } => {
                    row.status = STATUS_IGNORED;
                    row.reason = Some(reason.clone());
                }
                Content::Rejected {
                    reason,
                    form,
                    submitter,
                    ..
                } => {
                    row.status = STATUS_REJECTED;
                    row.reason = Some(reason.clone());
                    row.form = *form;
                    row.submitter = submitter.as_deref();
                }
                Content::Accepted(submission) => {
                    let count = counts
                        .rows
                        .get(&file.submission_id)
                        .cloned()
                        .unwrap_or_default();
                    // A submission with cells has a counts row; one without wins nothing and
                    // loses nothing, so it stays active.
                    let has_cells = counts.rows.contains_key(&file.submission_id);
                    if has_cells && !count.wins && count.beaten_by.is_some() {
                        row.status = STATUS_SUPERSEDED;
                        row.superseded_by = count.beaten_by.clone();
                        row.reason =
                            Some("已被更正报表取代 (superseded by a correction)".to_string());
                    } else {
                        row.status = STATUS_ACTIVE;
                    }
                    row.counts = count;
                    row.submission = Some(submission);
                }
            }
        }
        rows.push(row);
    }
    rows.frame()
}

struct SubmissionRow<'a> {
    file: &'a FileResult,
    status: &'static str,
    reason: Option<String>,
    superseded_by: Option<String>,
    form: Option<Form>,
    submitter: Option<&'a Submitter>,
    submission: Option<&'a Submission>,
    counts: Counts,
}

impl<'a> SubmissionRow<'a> {
    fn new(file: &'a FileResult) -> SubmissionRow<'a> {
        SubmissionRow {
            file,
            status: STATUS_ACTIVE,
            reason: None,
            superseded_by: None,
            form: None,
            submitter: None,
            submission: None,
            counts: Counts::default(),
        }
    }
}

#[derive(Default)]
struct SubmissionColumns {
    submission_id: Vec<String>,
    source_file: Vec<String>,
    file_format: Vec<String>,
    size_bytes: Vec<i64>,
    form: Vec<Option<&'static str>>,
    level: Vec<Option<String>>,
    entity_id: Vec<Option<String>>,
    entity_name: Vec<Option<String>>,
    city_code: Vec<Option<String>>,
    version: Vec<Option<f64>>,
    filled_date: Vec<Option<i32>>,
    contact_name: Vec<Option<String>>,
    contact_phone: Vec<Option<String>>,
    years: Vec<Option<String>>,
    status: Vec<&'static str>,
    superseded_by: Vec<Option<String>>,
    reason: Vec<Option<String>>,
    loaded: Vec<i64>,
    superseded: Vec<i64>,
    rejected: Vec<i64>,
    missing: Vec<i64>,
}

impl SubmissionColumns {
    fn push(&mut self, row: SubmissionRow) {
        let file = row.file;
        let submitter = row.submission.map(|s| &s.submitter).or(row.submitter);
        let form = row.submission.map(|s| s.form).or(row.form);
        self.submission_id.push(file.submission_id.clone());
        self.source_file.push(file.source_file.clone());
        self.file_format.push(file.file_format.clone());
        self.size_bytes.push(file.size_bytes as i64);
        self.form.push(form.map(Form::as_str));
        self.level
            .push(submitter.map(|s| s.form.submitter_level().to_string()));
        self.entity_id.push(submitter.map(|s| s.entity_id.clone()));
        self.entity_name
            .push(submitter.map(|s| s.entity_name.clone()));
        self.city_code
            .push(submitter.and_then(|s| s.city_code.clone()));
        self.version.push(row.submission.map(|s| s.version));
        self.filled_date.push(
            row.submission
                .and_then(|s| s.filled_date)
                .map(days_since_epoch),
        );
        self.contact_name
            .push(row.submission.and_then(|s| s.contact_name.clone()));
        self.contact_phone
            .push(row.submission.and_then(|s| s.contact_phone.clone()));
        self.years
            .push(row.submission.map(|s| Plan::years_text(&s.years)));
        self.status.push(row.status);
        self.superseded_by.push(row.superseded_by);
        self.reason.push(row.reason);
        self.loaded.push(row.counts.loaded);
        self.superseded.push(row.counts.superseded);
        self.rejected.push(row.counts.rejected);
        self.missing.push(row.counts.missing);
    }

    fn frame(self) -> PolarsResult<DataFrame> {
        let frame = DataFrame::new_infer_height(vec![
            Column::new(c::SUBMISSION_ID.into(), self.submission_id),
            Column::new(c::SOURCE_FILE.into(), self.source_file),
            Column::new(c::FILE_FORMAT.into(), self.file_format),
            Column::new(c::SIZE_BYTES.into(), self.size_bytes),
            Column::new(c::FORM.into(), self.form),
            Column::new(c::LEVEL.into(), self.level),
            Column::new(c::ENTITY_ID.into(), self.entity_id),
            Column::new(c::ENTITY_NAME.into(), self.entity_name),
            Column::new(c::CITY_CODE.into(), self.city_code),
            Column::new(c::VERSION.into(), self.version),
            Column::new(c::FILLED_DATE.into(), self.filled_date),
            Column::new(c::YEARS.into(), self.years),
            Column::new(c::STATUS.into(), self.status),
            Column::new(c::SUPERSEDED_BY.into(), self.superseded_by),
            Column::new(c::REASON.into(), self.reason),
            Column::new(c::CELLS_LOADED.into(), self.loaded),
            Column::new(c::CELLS_SUPERSEDED.into(), self.superseded),
            Column::new(c::CELLS_REJECTED.into(), self.rejected),
            Column::new(c::CELLS_MISSING.into(), self.missing),
            Column::new(c::CONTACT_NAME.into(), self.contact_name),
            Column::new(c::CONTACT_PHONE.into(), self.contact_phone),
        ])?;
        frame.sort([c::SOURCE_FILE], SortMultipleOptions::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A (submission, level, entity, year) is present at its first cell with a value: an empty
    /// cell does not count, an entity met again after another counts once, and a null level or
    /// year is a key of its own, as polars' `unique` would count them.
    #[test]
    fn presence_is_each_keys_first_cell_with_a_value() {
        let (city, firm) = (Some("city_industry"), Some("enterprise"));
        // (sub, level, entity id, year, raw value, present)
        type Text = Option<&'static str>;
        type Row = (u32, Text, Text, Option<i32>, Text, bool);
        let rows: [Row; 13] = [
            (1, city, Some("I1"), Some(2019), None, false),
            (1, city, Some("I1"), Some(2019), Some("1"), true),
            (1, city, Some("I2"), Some(2019), Some("2"), true),
            // I1 again after I2: already present.
            (1, city, Some("I1"), Some(2019), Some("3"), false),
            (1, city, Some("I1"), Some(2020), None, false),
            (1, None, Some("I1"), Some(2019), Some("4"), true),
            // Another submission of the same entity and year is present of its own.
            (2, city, Some("I1"), Some(2019), Some("x"), true),
            (2, firm, Some("E1"), None, Some("5"), true),
            (2, firm, Some("E1"), None, Some("6"), false),
            (2, firm, Some("E1"), Some(2019), Some("7"), true),
            (2, firm, None, Some(2019), Some("8"), true),
            (2, firm, None, Some(2019), Some("9"), false),
            (3, firm, Some("E1"), Some(2019), None, false),
        ];
        let cells = DataFrame::new_infer_height(vec![
            Column::new(SUB.into(), rows.map(|row| row.0)),
            Column::new(c::LEVEL.into(), rows.map(|row| row.1)),
            Column::new(c::ENTITY_ID.into(), rows.map(|row| row.2)),
            Column::new(c::YEAR.into(), rows.map(|row| row.3)),
            Column::new(c::RAW_VALUE.into(), rows.map(|row| row.4)),
        ])
        .unwrap();
        let present = first_present(&cells).unwrap();
        let marked: Vec<Option<bool>> = present.iter().collect();
        assert_eq!(marked, rows.map(|row| Some(row.5)));
        // The rows polars' own `unique` keeps, in first-seen order.
        let key = [SUB, c::LEVEL, c::ENTITY_ID, c::YEAR];
        let ours = cells.select(key).unwrap().filter(&present).unwrap();
        let theirs = cells
            .clone()
            .lazy()
            .filter(col(c::RAW_VALUE).is_not_null())
            .select(key.map(col))
            .unique_stable(None, UniqueKeepStrategy::First)
            .collect()
            .unwrap();
        assert!(ours.equals_missing(&theirs), "{ours}\n{theirs}");
    }

    #[test]
    fn each_cell_gets_the_winner_of_its_entity_and_year() {
        let cells = DataFrame::new_infer_height(vec![
            Column::new(SUB.into(), [1u32, 1, 1, 2, 2, 3, 3, 4]),
            Column::new(
                c::LEVEL.into(),
                [
                    Some("enterprise"),
                    Some("enterprise"),
                    Some("enterprise"),
                    Some("enterprise"),
                    Some("enterprise"),
                    // The same id at another level is another entity.
                    Some("park"),
                    Some("park"),
                    None,
                ],
            ),
            Column::new(
                c::ENTITY_ID.into(),
                ["E1", "E1", "E1", "E1", "E1", "E1", "E1", "E1"],
            ),
            Column::new(
                c::YEAR.into(),
                [
                    Some(2019),
                    Some(2020),
                    Some(2021),
                    Some(2021),
                    None,
                    Some(2019),
                    Some(2022),
                    Some(2019),
                ],
            ),
        ])
        .unwrap();
        let winners = DataFrame::new_infer_height(vec![
            Column::new(c::LEVEL.into(), ["enterprise", "enterprise", "park"]),
            Column::new(c::ENTITY_ID.into(), ["E1", "E1", "E1"]),
            Column::new(c::YEAR.into(), [2019, 2021, 2019]),
            Column::new(WINNER.into(), [1u32, 2, 3]),
        ])
        .unwrap();
        let cells = with_winners(cells, &winners).unwrap();
        let won: Vec<Option<u32>> = cells
            .column(WINNER)
            .unwrap()
            .u32()
            .unwrap()
            .iter()
            .collect();
        // 2020 and 2022 have no winner; no year or no level matches nothing, as in a join.
        assert_eq!(
            won,
            [Some(1), None, Some(2), Some(2), None, Some(3), None, None]
        );
    }
}
