//! Normalize: raw cells → typed facts, rejects and submission statuses.
//!
//! Two steps. [`submission`] classifies one file's cells (units, numbers, flags, ranges) and
//! runs inside the parallel per-file workers. [`combine`] then works across files: duplicates,
//! winners per (level, entity, year) (SPEC §6), superseded values and the per-submission cell
//! counts, read straight from the files' cells ([`winners`]), then corrections with polars.
//!
//! Guarantee (SPEC §5): every indicator cell of an accepted submission is counted exactly once
//! as loaded, superseded, rejected or missing.

pub mod value;
mod winners;
pub use winners::ASK_WHICH_IS_THE_CORRECTION;

/// In a DUPLICATE_VALUE message: the repeat is a second column headed with the same year (the
/// feedback then asks for the header to be fixed, not a cell deleted).
pub const SAME_YEAR_HEADERS: &str = "本行有两列的表头都是";

use crate::config::Plan;
use crate::domain::columns as c;
use crate::domain::{EntityRef, SubmissionStatus, Submitter};
use crate::domain::{Finding, Form, Level, Rule};
use crate::frames::{self, JoinOn};
use crate::ingest::workbook::CellValue;
use crate::ingest::{Contact, Extracted, FileContent, RawCell, Refusal, SecondUnit};
use crate::timing::timed;
use compact_str::CompactString;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
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
            let classify = |value: &CellValue, unit: Option<&str>| {
                value::classify(value, unit, indicator, &place)
            };
            let read = classify(&raw.value, raw.unit.as_deref());
            let read = match &raw.second_unit {
                Some(second) => units_agree(read, &raw, second, indicator),
                None => read,
            };
            let outcome = match (&raw.refused, read) {
                // A missing marker (—, /, 不适用) is missing wherever it stands: nothing in it
                // is refused (SPEC §3.4).
                (Some(refusal), read) if read != Outcome::Missing => {
                    refused(refusal, &raw, read, indicator, &classify)
                }
                (_, read) => read,
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

/// A value whose row names two units that convert differently (营业收入（亿元） over a
/// 计量单位 cell of 万元) is an UNKNOWN_UNIT reject: which one the clerk meant is a factor of
/// 10,000 no rule can tell. A bracket that is no unit (`（含税）`) is a note, not a second unit.
fn units_agree(
    read: Outcome,
    raw: &RawCell,
    second: &SecondUnit,
    indicator: &crate::config::Indicator,
) -> Outcome {
    let Outcome::Value(_) = read else {
        return read;
    };
    let column_unit = raw.unit.as_deref().unwrap_or_default();
    let factors = (
        value::unit_factor(Some(column_unit), indicator),
        value::unit_factor(Some(&second.unit), indicator),
    );
    // A name's unit that no kind of this indicator takes (‰ over %, 满分10分 over 分) disagrees
    // too; a bracket that is no unit at all is a note.
    let disagree = match factors {
        (Some(column), Some(name)) => column != name,
        (Some(_), None) => crate::domain::units::names_a_unit(&second.unit),
        _ => false,
    };
    match disagree {
        true => Outcome::Rejected {
            rule: Rule::UnknownUnit,
            message: format!(
                "{}!{} 的值“{}”：{}，两者不一致，本格未载入；请删去或改正其中之一（{}，UNKNOWN_UNIT: two units named for this cell disagree）",
                raw.sheet,
                raw.cell,
                raw.value.display(),
                second.said,
                indicator.name
            ),
        },
        false => read,
    }
}

/// The error reject of a non-empty cell refused for where it stands (SPEC v2 §3.2, §3.3).
/// `this` is how the cell itself reads; `classify` reads the used cell of a repeat.
fn refused(
    refusal: &Refusal,
    raw: &RawCell,
    this: Outcome,
    indicator: &crate::config::Indicator,
    classify: &dyn Fn(&CellValue, Option<&str>) -> Outcome,
) -> Outcome {
    let at = format!("{}!{}", raw.sheet, raw.cell);
    let written = raw.value.display();
    match refusal {
        Refusal::Duplicate {
            used_cell,
            used_value,
            used_unit,
        } => {
            // Compared as loaded, in the catalog unit: 300 万元 and 0.03 亿元 agree.
            let used = classify(used_value, used_unit.as_deref());
            let agree = match (this, used) {
                (Outcome::Value(this), Outcome::Value(used)) => this == used,
                // Neither loads (two unreadable texts): the same text agrees.
                (Outcome::Rejected { .. }, Outcome::Rejected { .. }) => {
                    written == used_value.display()
                }
                _ => false,
            };
            let agreement = if agree {
                "两处数值一致"
            } else {
                "两处数值不一致，请核实"
            };
            // The same row, another column: two year columns headed alike (a header typed
            // 2020年 over the 2019 column), which the header, not the cell, must fix.
            fn row_of(cell: &str) -> &str {
                cell.trim_start_matches(|c: char| c.is_ascii_alphabetic())
            }
            let same_row = (used_cell.strip_prefix(raw.sheet.as_str()))
                .and_then(|rest| rest.strip_prefix('!'))
                .is_some_and(|used| row_of(used) == row_of(&raw.cell));
            let header = if same_row {
                format!("；{SAME_YEAR_HEADERS}{}年，如其中一列应为其他年份，请改正该列表头", raw.year)
            } else {
                String::new()
            };
            Outcome::Rejected {
                rule: Rule::DuplicateValue,
                message: format!(
                    "{at} 的值“{written}”与{used_cell}重复填报{}({})，已采用{used_cell}“{}”，本格未载入；{agreement}{header} (DUPLICATE_VALUE: {used_cell} is used)",
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

/// The accepted, non-duplicate submissions by a small integer key, `sub`, numbered in
/// submission id order: winners, counts and the superseded values carry 4 bytes instead of
/// the id and the file name, and the smallest key is the smallest id.
struct Subs {
    ids: Vec<String>,
    files: Vec<String>,
    by_id: PlHashMap<String, u32>,
    /// Per key, the rank of its file name among all (the last tie-break between submissions).
    file_ranks: Vec<u32>,
}

/// The submission's key column of the superseded values.
const SUB: &str = "sub";
/// The winner's key, per (level, entity, year).
const WINNER: &str = "winner_sub";

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

    fn file(&self, sub: u32) -> Option<&str> {
        self.files.get(sub as usize).map(String::as_str)
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

/// Works across all files: duplicates, winners, superseded values, corrections, counts. The
/// cells of the accepted files are read where they are, never changed; the caller frees them
/// ([`free_cells`]) once nothing else reads them (until then a winning fact is held twice: as
/// a cell and as a row of the facts' columns).
pub fn combine(files: &[FileResult], plan: &Plan) -> PolarsResult<Normalized> {
    let carrier = carriers(files);
    let subs = Subs::of(files, &carrier);
    let (judgement, findings, entities, rankings) = {
        let members = winners::members(files, &carrier, &subs);
        let (survey, findings) = rayon::join(
            || winners::survey(&members, &subs),
            || winners::findings(files, &members, &carrier),
        );
        let won = timed("normalize: winners", || {
            winners::winners(&members, &survey.rankings)
        });
        let judgement = timed("normalize: winning facts", || {
            winners::judge_all(&members, &won, &subs, plan)
        })?;
        (judgement, findings, survey.entities, survey.rankings)
    };
    // Each submission's ranking by id, to say why a superseded one lost.
    let ranking: PlHashMap<&str, &Ranking> = rankings
        .iter()
        .filter_map(|ranking| Some((subs.id(ranking.sub)?, ranking)))
        .collect();
    let why_superseded = |loser: &str, winner: &str| -> String {
        let file = (subs.key(winner))
            .and_then(|sub| subs.file(sub))
            .unwrap_or(winner);
        let rule = match (ranking.get(winner), ranking.get(loser)) {
            (Some(won), Some(lost)) => winners::decided_by(won, lost),
            _ => ("排序在前", "it ranks first"),
        };
        format!(
            "已被“{file}”取代：{} (superseded by {file}: {})",
            rule.0, rule.1
        )
    };
    let winners::Judgement {
        facts,
        superseded,
        tallies,
    } = judgement;
    let counts = CountsBySubmission::of(tallies, &subs);
    let duplicate = |file: &FileResult| is_duplicate(&carrier, file);
    // Two serial steps of about 0.03 s each at 20,000 forms, side by side.
    let (corrections, submissions) = rayon::join(
        || {
            timed("normalize: corrections", || {
                corrections(superseded, &facts, &subs)
            })
        },
        || submissions_frame(files, &counts, &duplicate, &carrier, &why_superseded),
    );
    let (corrections, submissions) = (corrections?, submissions?);
    Ok(Normalized {
        submissions,
        facts,
        findings,
        corrections,
        entities: entities.into_values().collect(),
    })
}

/// Frees the accepted files' cells. Call once [`combine`] has made the facts and nothing else
/// reads them (`pipeline::build` also writes the parse cache from them).
pub fn free_cells(files: &mut [FileResult]) {
    for file in files {
        if let Content::Accepted(submission) = &mut file.content {
            submission.cells = Vec::new();
        }
    }
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

/// Each submission's cell counts, by its id.
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
    /// The counts of each submission key; a key met twice (two files of one id that are not
    /// duplicates of each other) has the sum of both, as a group-by over their cells gives.
    fn of(tallies: Vec<(u32, winners::Tally)>, subs: &Subs) -> CountsBySubmission {
        let mut rows: PlHashMap<String, Counts> = PlHashMap::with_capacity(tallies.len());
        for (sub, tally) in tallies {
            let Some(id) = subs.id(sub) else {
                continue;
            };
            let beaten_by = tally.beaten_by.and_then(|sub| subs.id(sub));
            let counts = rows.entry(id.to_string()).or_default();
            counts.loaded += tally.loaded;
            counts.superseded += tally.superseded;
            counts.rejected += tally.rejected;
            counts.missing += tally.missing;
            counts.wins |= tally.wins;
            // The smallest key is the smallest id.
            counts.beaten_by = match (counts.beaten_by.take(), beaten_by) {
                (Some(seen), Some(other)) => Some(seen.min(other.to_string())),
                (seen, other) => seen.or(other.map(str::to_string)),
            };
        }
        CountsBySubmission { rows }
    }
}

fn submissions_frame(
    files: &[FileResult],
    counts: &CountsBySubmission,
    is_duplicate: &dyn Fn(&FileResult) -> bool,
    carrier: &PlHashMap<String, (i64, String)>,
    why_superseded: &(dyn Fn(&str, &str) -> String + Sync),
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
                    contact,
                    ..
                } => {
                    row.status = STATUS_REJECTED;
                    row.reason = Some(reason.clone());
                    row.form = *form;
                    row.submitter = submitter.as_deref();
                    row.contact = contact.as_deref();
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
                        row.reason = (count.beaten_by.as_deref())
                            .map(|winner| why_superseded(&file.submission_id, winner));
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
    /// A rejected form's contact (an accepted one's is in its submission).
    contact: Option<&'a Contact>,
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
            contact: None,
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
        let (name, phone) = match (row.submission, row.contact) {
            (Some(submission), _) => (&submission.contact_name, &submission.contact_phone),
            (None, Some(contact)) => (&contact.name, &contact.phone),
            (None, None) => (&None, &None),
        };
        self.contact_name.push(name.clone());
        self.contact_phone.push(phone.clone());
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
