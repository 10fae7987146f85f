//! Feedback for submitters (`zlbd validate --out DIR`): one workbook per submitter listing every
//! rejected or warned cell (sheet, A1 address, raw value, rule, what happened to the value, the
//! Chinese message), and `汇总.xlsx` across submitters with their contacts and the roster
//! entities that have not submitted yet.
//!
//! Guarantees:
//! - each file has exactly one verdict ([`verdict`]), and the submitter's workbook and the
//!   summary print the same one: a rejected file never reads as 未发现问题, a file with rejected
//!   cells never as plain 已载入;
//! - each finding says what became of the value ([`handling`]): errors and the warnings
//!   UNKNOWN_INDICATOR / YEAR_OUTSIDE_WINDOW were not loaded, the other warnings were;
//! - a count cell holding `无` (read as missing, neither fact nor reject) is listed as a
//!   notice, so a clerk who meant 0 learns to write 0; so is a correction that replaced a
//!   year's earlier values it left blank ([`dropped_by_corrections`]);
//! - the folder's marker file lists what this command wrote; the next run removes exactly
//!   those files and nothing else.

use super::model::{level_zh, roster_entries, RosterEntry, Standing};
use super::snapshot::Table;
use super::ReportError;
use crate::config::Plan;
use crate::domain::columns as c;
use crate::domain::{text, Finding, Kind, Rule, Severity, SubmissionStatus};
use crate::ingest::FEEDBACK_MARKER;
use crate::normalize::value::Outcome;
use crate::normalize::{Content, FileResult, SAME_YEAR_HEADERS};
use polars::prelude::{DataFrame, DataType, PlHashMap, PolarsResult};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Something a submitter should know although no cell was rejected: a count cell whose `无`
/// was read as missing (the clerk may have meant 0), or a correction whose year columns
/// replaced values it left blank.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub source_file: String,
    pub sheet: String,
    pub cell: String,
    pub raw_value: String,
    /// The feedback's own code (no SPEC rule: nothing was rejected).
    pub code: &'static str,
    pub handling: &'static str,
    pub message: String,
}

/// Per correction and year: the earlier values of that year it left blank, which no longer
/// load (SPEC v2 §6: a year column with a value replaces the whole year). A clerk who fixed
/// one cell of 2019 learns that the rest of 2019 is gone. From the `corrections` table
/// (`new_value` null).
pub fn dropped_by_corrections(corrections: &DataFrame) -> PolarsResult<Vec<Notice>> {
    let text = |name: &str| {
        corrections
            .column(name)
            .and_then(|column| column.str().cloned())
    };
    let (new_files, old_files) = (text(c::NEW_SOURCE_FILE)?, text(c::OLD_SOURCE_FILE)?);
    let years = corrections.column(c::YEAR)?.i32()?.clone();
    let new_values = corrections.column(c::NEW_VALUE)?.f64()?.clone();
    // (correction, year) → (values dropped, the files they came from)
    let mut dropped: BTreeMap<(&str, i32), (usize, BTreeSet<&str>)> = BTreeMap::new();
    for row in 0..corrections.height() {
        let (Some(new_file), Some(year), None) =
            (new_files.get(row), years.get(row), new_values.get(row))
        else {
            continue;
        };
        let entry = dropped.entry((new_file, year)).or_default();
        entry.0 += 1;
        entry.1.extend(old_files.get(row));
    }
    Ok(dropped
        .into_iter()
        .map(|((file, year), (count, from))| {
            let from: Vec<String> = from.iter().map(|file| format!("“{file}”")).collect();
            Notice {
                source_file: file.to_string(),
                sheet: String::new(),
                cell: String::new(),
                raw_value: String::new(),
                code: "CORRECTION_DROPS_VALUES",
                handling: "提示（原有数值不再载入）",
                message: format!(
                    "本报表的{year}年列有填写内容（数值或“—”“/”等标记），因此替换了{}的{year}年全部数值；其中 {count} 个原有数值在本报表中为空或为缺失标记，现已不再载入。如只想更正个别数值，请在更正报表中保留该年其他数值后重新报送 (this correction replaced the whole of {year}: {count} earlier values it leaves blank no longer load)",
                    from.join("、")
                ),
            }
        })
        .collect())
}

/// The notices of every accepted file: count cells whose `无` was read as missing. Call before
/// `pipeline::build`, which frees the files' cells.
pub fn notices(files: &[FileResult], plan: &Plan) -> Vec<Notice> {
    let mut out = Vec::new();
    for file in files {
        let Content::Accepted(submission) = &file.content else {
            continue;
        };
        for cell in &submission.cells {
            let is_count = plan
                .catalog
                .get(&cell.indicator_code)
                .is_some_and(|indicator| indicator.kind == Kind::Count);
            let Some(raw) = cell.raw_value.as_deref() else {
                continue;
            };
            if is_count && cell.outcome == Outcome::Missing && text::fold(raw) == "无" {
                out.push(Notice {
                    source_file: file.source_file.clone(),
                    sheet: cell.sheet.to_string(),
                    cell: cell.cell.to_string(),
                    raw_value: raw.to_string(),
                    code: "MISSING_AS_NONE",
                    handling: "提示（按缺失处理，未载入）",
                    message: format!(
                        "{}!{} 填写“{raw}”，数量类指标按缺失处理（未载入，也不算错误）；如实际数量为0，请填写0 (read as missing; write 0 if the count is zero)",
                        cell.sheet, cell.cell
                    ),
                });
            }
        }
    }
    out
}

/// What became of a finding's cell, as the feedback labels it: a year header that is a
/// formula with no value (no indicator of its own) is a column not read, not one cell.
fn handling_of(finding: &Finding) -> &'static str {
    match finding.rule {
        Rule::FormulaNoValue if finding.indicator_code.is_none() => "错误（该列未载入）",
        Rule::DuplicateValue if finding.message.contains(SAME_YEAR_HEADERS) => {
            "错误（本单元格未载入；两列表头为同一年份，请改正表头，不要删除数值）"
        }
        rule => handling(rule),
    }
}

/// What became of a finding's value, as the feedback labels it.
pub fn handling(rule: Rule) -> &'static str {
    match rule {
        Rule::BadUscc => "错误（整份文件未载入）",
        Rule::UnknownIndicator => "警告（整行未载入）",
        Rule::YearOutsideWindow => "警告（该年份列未载入）",
        Rule::NotInRoster => "警告（已载入，请核实单位身份）",
        Rule::NameMismatch => "警告（已载入，请核实单位名称）",
        Rule::BadVersion => "警告（已载入，报表版本按1处理）",
        Rule::BadDate => "警告（已载入，填报日期按未填处理）",
        Rule::Inconsistent | Rule::YoyJump => "警告（已载入，请核实）",
        // The other cell's value is loaded: the repeat is what to remove.
        Rule::DuplicateValue => "错误（本单元格未载入，已采用另一处的值；请删去重复填报的一处）",
        rule if rule.severity() == Severity::Error => "错误（本单元格未载入）",
        _ => "警告（请核实）",
    }
}

/// One submissions row, as the feedback needs it.
#[derive(Debug, Clone, Default)]
pub struct FileRow {
    pub submission_id: String,
    pub superseded_by: String,
    pub source_file: String,
    pub form: String,
    pub entity_id: String,
    pub entity_name: String,
    pub status: String,
    pub reason: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// loaded, superseded, rejected, missing.
    pub counts: [i64; 4],
}

fn file_rows(submissions: &Table) -> Vec<FileRow> {
    (0..submissions.len())
        .map(|i| {
            let s = |name: &str| submissions.str(name, i).to_string();
            let n = |name: &str| submissions.integer(name, i).unwrap_or(0);
            FileRow {
                submission_id: s(c::SUBMISSION_ID),
                superseded_by: s(c::SUPERSEDED_BY),
                source_file: s(c::SOURCE_FILE),
                form: s(c::FORM),
                entity_id: s(c::ENTITY_ID),
                entity_name: s(c::ENTITY_NAME),
                status: s(c::STATUS),
                reason: s(c::REASON),
                contact_name: s(c::CONTACT_NAME),
                contact_phone: s(c::CONTACT_PHONE),
                counts: [
                    n(c::CELLS_LOADED),
                    n(c::CELLS_SUPERSEDED),
                    n(c::CELLS_REJECTED),
                    n(c::CELLS_MISSING),
                ],
            }
        })
        .collect()
}

/// A notice on each superseded file whose winner names another 填报人 (or another phone, both
/// given): a correction is usually filed by the same person, and a file filled by someone else
/// may be another unit's numbers on this unit's template (a city form copied from the wrong
/// city), which only this submitter can tell. Its feedback must not read 无需处理 alone.
const SUPERSEDED_BY_ANOTHER_CONTACT: &str = "SUPERSEDED_BY_ANOTHER_CONTACT";

/// Whether two files name different people. Names folded, phones by their digits
/// (0531-88001234 is 053188001234). Another person: both names given and different, and the
/// phones too when both are given (a colleague sending the correction from the same office
/// line is no alarm).
fn another_person(a: &FileRow, b: &FileRow) -> bool {
    let digits = |phone: &str| -> String { phone.chars().filter(char::is_ascii_digit).collect() };
    let (name_a, name_b) = (text::fold(&a.contact_name), text::fold(&b.contact_name));
    let (phone_a, phone_b) = (digits(&a.contact_phone), digits(&b.contact_phone));
    let names_differ = !name_a.is_empty() && !name_b.is_empty() && name_a != name_b;
    let phones_same = !phone_a.is_empty() && !phone_b.is_empty() && phone_a == phone_b;
    names_differ && !phones_same
}

/// A file's contact as a clerk reads it: 王芳（0531-86001234）.
fn who(file: &FileRow) -> String {
    match file.contact_phone.is_empty() {
        true => file.contact_name.clone(),
        false => format!("{}（{}）", file.contact_name, file.contact_phone),
    }
}

/// Which submission took values over from which: (earlier, later) for each pair the
/// `corrections` table lists, so a file that kept some years (still active) is known as taken
/// over too, not only a superseded one.
pub fn takeovers(corrections: &DataFrame) -> PolarsResult<BTreeSet<(String, String)>> {
    let text = |name: &str| {
        corrections
            .column(name)
            .and_then(|column| column.str().cloned())
    };
    let (old, new) = (text(c::OLD_SUBMISSION_ID)?, text(c::NEW_SUBMISSION_ID)?);
    Ok((old.iter().zip(new.iter()))
        .filter_map(|pair| match pair {
            (Some(old), Some(new)) if old != new => Some((old.to_string(), new.to_string())),
            _ => None,
        })
        .collect())
}

/// The files another person's active file took values over from (superseded, or active with
/// the years it kept), each with that file.
fn taken_over_by_another_person<'a>(
    rows: &'a [FileRow],
    takeovers: &BTreeSet<(String, String)>,
) -> Vec<(&'a FileRow, &'a FileRow)> {
    let with_status = |status: SubmissionStatus| {
        (rows.iter())
            .filter(move |row| row.status == status.as_str())
            .map(|row| (row.submission_id.as_str(), row))
    };
    let active: BTreeMap<&str, &FileRow> = with_status(SubmissionStatus::Active).collect();
    let losers: BTreeMap<&str, &FileRow> = with_status(SubmissionStatus::Active)
        .chain(with_status(SubmissionStatus::Superseded))
        .collect();
    let superseded = (rows.iter())
        .filter(|row| row.status == SubmissionStatus::Superseded.as_str())
        .map(|row| (row.submission_id.as_str(), row.superseded_by.as_str()));
    let listed = (takeovers.iter()).map(|(old, new)| (old.as_str(), new.as_str()));
    let pairs: BTreeSet<(&str, &str)> = superseded.chain(listed).collect();
    (pairs.into_iter())
        .filter_map(|(old, new)| Some((*losers.get(old)?, *active.get(new)?)))
        .filter(|(row, winner)| another_person(row, winner))
        .collect()
}

fn superseded_by_another_contact(
    rows: &[FileRow],
    takeovers: &BTreeSet<(String, String)>,
) -> Vec<Notice> {
    let mut out = Vec::new();
    for (row, winner) in taken_over_by_another_person(rows, takeovers) {
        let notice = |on: &FileRow, code, handling, message| Notice {
            source_file: on.source_file.clone(),
            sheet: String::new(),
            cell: String::new(),
            raw_value: String::new(),
            code,
            handling,
            message,
        };
        out.push(notice(
            row,
            SUPERSEDED_BY_ANOTHER_CONTACT,
            "提示（请核实取代本报表的文件）",
            format!(
                "{}“{}”由{}填报，与本报表的填报人{}不同。如该文件不是本单位的更正（例如他人误用了本单位的模板），请立即与省局联系 (the file that supersedes this one, in whole or in part, names another contact)",
                // A file that keeps some years is taken over in part.
                match row.status == SubmissionStatus::Active.as_str() {
                    true => "取代了本报表部分年份数据的",
                    false => "取代本报表的",
                },
                winner.source_file,
                who(winner),
                who(row)
            ),
        ));
        // And the winner's clerk, who may have filled in the wrong unit's template.
        out.push(notice(
            winner,
            "SUPERSEDES_ANOTHER_CONTACT",
            "提示（请核实本报表的填报单位）",
            format!(
                "本报表作为“{}”的更正，取代了{}填报的“{}”。如本报表不是该单位的数据（例如误用了其他单位的模板），请改用本单位的模板重新报送 (this file supersedes one filled by another contact: check it is this unit's form)",
                winner.entity_name,
                who(row),
                row.source_file
            ),
        ));
    }
    out
}

/// Loaded values that look like a unit slip against their peers (the comparison's peer
/// median): a rate written as a fraction (0.985 for 98.5 %: nothing rejects it, since 0.985 %
/// is a valid rate), or an amount a thousand times above or below the median (元 or 亿元
/// written as 万元). Nothing in the warehouse changes; the feedback asks the clerk to check the
/// cell. Peers are needed: a group of fewer than `MIN_PEERS` has no median to trust.
pub fn unit_slips(compared: &crate::compare::Compared, plan: &Plan) -> PolarsResult<Vec<Notice>> {
    const MIN_PEERS: f64 = 5.0;
    const AMOUNT_FACTOR: f64 = 1000.0;
    let comparison = &compared.comparison;
    let float = |frame: &DataFrame, name: &str| -> PolarsResult<Vec<Option<f64>>> {
        let series = frame
            .column(name)?
            .as_materialized_series()
            .cast(&DataType::Float64)?;
        Ok(series.f64()?.iter().collect())
    };
    let text = |frame: &DataFrame, name: &str| frame.column(name).and_then(|c| c.str().cloned());
    let (levels, entities, codes) = (
        text(comparison, c::LEVEL)?,
        text(comparison, c::ENTITY_ID)?,
        text(comparison, c::INDICATOR_CODE)?,
    );
    let years = comparison.column(c::YEAR)?.i32()?.clone();
    let (values, medians, peers) = (
        float(comparison, c::VALUE)?,
        float(comparison, c::PEER_MEDIAN)?,
        float(comparison, c::PEER_N)?,
    );
    // key → (what it looks like, its peers' median)
    let mut slips: PlHashMap<(String, String, String, i32), (&'static str, f64)> =
        PlHashMap::default();
    for row in 0..comparison.height() {
        let (Some(level), Some(entity), Some(code), Some(year)) = (
            levels.get(row),
            entities.get(row),
            codes.get(row),
            years.get(row),
        ) else {
            continue;
        };
        let (Some(value), Some(median), Some(peers)) = (values[row], medians[row], peers[row])
        else {
            continue;
        };
        let Some(indicator) = plan.catalog.get(code) else {
            continue;
        };
        if peers < MIN_PEERS || median <= 0.0 || value <= 0.0 {
            continue;
        }
        let slip = match indicator.kind {
            Kind::Rate if value <= 1.0 && median >= 20.0 => "fraction",
            // Only too large: a small amount is often real (a profit of 2 万元 beside a median of
            // 2,000), an amount of 元 as 万元 never is.
            Kind::Amount if value >= median * AMOUNT_FACTOR => "too_large",
            _ => continue,
        };
        slips.insert(
            (
                level.to_string(),
                entity.to_string(),
                code.to_string(),
                year,
            ),
            (slip, median),
        );
    }
    if slips.is_empty() {
        return Ok(Vec::new());
    }
    let facts = &compared.facts;
    let (levels, entities, codes, files, sheets, cells, raws) = (
        text(facts, c::LEVEL)?,
        text(facts, c::ENTITY_ID)?,
        text(facts, c::INDICATOR_CODE)?,
        text(facts, c::SOURCE_FILE)?,
        text(facts, c::SOURCE_SHEET)?,
        text(facts, c::SOURCE_CELL)?,
        text(facts, c::RAW_VALUE)?,
    );
    let years = facts.column(c::YEAR)?.i32()?.clone();
    let values = float(facts, c::VALUE)?;
    let mut out = Vec::new();
    for (row, value) in values.iter().enumerate() {
        let (Some(level), Some(entity), Some(code), Some(year), Some(file)) = (
            levels.get(row),
            entities.get(row),
            codes.get(row),
            years.get(row),
            files.get(row),
        ) else {
            continue;
        };
        let key = (
            level.to_string(),
            entity.to_string(),
            code.to_string(),
            year,
        );
        let (Some(&(slip, median)), Some(indicator)) = (slips.get(&key), plan.catalog.get(code))
        else {
            continue;
        };
        let (sheet, cell) = (sheets.get(row).unwrap_or(""), cells.get(row).unwrap_or(""));
        let raw = raws.get(row).unwrap_or("");
        let value = value.unwrap_or(0.0);
        // An amount converted from the unit the clerk named (元, 亿元) was not written in the
        // wrong unit: the row said which.
        let as_written = raw.replace(',', "").trim().parse::<f64>().ok();
        if slip == "too_large" && as_written.is_some_and(|written| written != value) {
            continue;
        }
        let (name, unit) = (&indicator.name, &indicator.unit);
        let times = (value / median).round();
        let median = crate::domain::text::format_number((median * 100.0).round() / 100.0);
        let message = match slip {
            "fraction" => {
                // 0.952 × 100 is 95.19999…: shown as 95.2.
                let percent = crate::domain::text::format_number(
                    (value * 100.0 * 1e6).round() / 1e6,
                );
                let loaded = crate::domain::text::format_number((value * 1e6).round() / 1e6);
                format!(
                    "{sheet}!{cell} {name}填写“{raw}”，按 {loaded}% 载入，而同组中位数为 {median}%；比率按百分数填写，如实为 {percent}%，请填写 {percent} (a rate written as a fraction?)"
                )
            }
            _ => format!(
                "{sheet}!{cell} {name}填写“{raw}”，按 {} {unit} 载入，是同组中位数（{median} {unit}）的 {} 倍；请核对是否以“元”填写（本指标单位为{unit}）(an amount {} times its peers' median: written in 元?)",
                crate::domain::text::format_number(value),
                crate::domain::text::format_number(times),
                crate::domain::text::format_number(times)
            ),
        };
        out.push(Notice {
            source_file: file.to_string(),
            sheet: sheet.to_string(),
            cell: cell.to_string(),
            raw_value: raw.to_string(),
            code: "UNIT_SLIP",
            handling: "提示（已载入，请核对单位）",
            message,
        });
    }
    Ok(out)
}

/// Per (level, entity, indicator, year), the submission whose fact is published for it: a
/// finding on a cell that another submission's value replaced (a later correction restated
/// it) is settled, listed as such, and asks nothing of the submitter. A cell whose year a
/// correction won but left blank is not settled: its value is still wanted.
#[derive(Debug, Default)]
pub struct YearWinners(PlHashMap<(String, String, String, i32), String>);

impl YearWinners {
    /// From the winning facts (`fact_indicator` columns).
    pub fn of(facts: &DataFrame) -> PolarsResult<YearWinners> {
        let text = |name: &str| facts.column(name).and_then(|column| column.str().cloned());
        let (levels, entities, codes, ids) = (
            text(c::LEVEL)?,
            text(c::ENTITY_ID)?,
            text(c::INDICATOR_CODE)?,
            text(c::SUBMISSION_ID)?,
        );
        let years = facts.column(c::YEAR)?.i32()?.clone();
        let mut winners = PlHashMap::default();
        let keys = levels
            .iter()
            .zip(entities.iter())
            .zip(codes.iter())
            .zip(years.iter());
        for ((((level, entity), code), year), id) in keys.zip(ids.iter()) {
            if let (Some(level), Some(entity), Some(code), Some(year), Some(id)) =
                (level, entity, code, year, id)
            {
                let key = (
                    level.to_string(),
                    entity.to_string(),
                    code.to_string(),
                    year,
                );
                winners.entry(key).or_insert_with(|| id.to_string());
            }
        }
        Ok(YearWinners(winners))
    }

    /// The (level, entity, indicator, year) of a finding on a cell; none for one on a file, a
    /// row or a column.
    fn key_of(finding: &Finding) -> Option<(String, String, String, i32)> {
        Some((
            finding.level.clone()?,
            finding.entity_id.clone()?,
            finding.indicator_code.clone()?,
            finding.year?,
        ))
    }

    /// Whether another submission's value stands for the finding's cell.
    pub fn settles(&self, finding: &Finding) -> bool {
        (Self::key_of(finding).and_then(|key| self.0.get(&key)))
            .is_some_and(|winner| *winner != finding.submission_id)
    }

    /// Whether no value stands for the finding's cell at all: a year another submission won
    /// and left blank there (a correction's year replaces the whole year, SPEC v2 §6).
    pub fn none_loaded(&self, finding: &Finding) -> bool {
        Self::key_of(finding).is_some_and(|key| !self.0.contains_key(&key))
    }
}

/// A file's one verdict: the status line and what the submitter should do.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: String,
    pub action: String,
    /// Nothing to report: the only case that thanks the submitter.
    pub clean: bool,
}

/// The verdict of a file from its status, its findings and notices.
pub fn verdict(file: &FileRow, findings: &[&Finding], notices: usize) -> Verdict {
    let errors = findings
        .iter()
        .filter(|f| f.rule.severity() == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let not_loaded_warnings = findings
        .iter()
        .filter(|f| f.rule.severity() == Severity::Warning && !f.rule.keeps_the_value())
        .count();
    let status = SubmissionStatus::parse(&file.status);
    let v = |status: String, action: &str, clean: bool| Verdict {
        status,
        action: action.to_string(),
        clean,
    };
    match status {
        Some(SubmissionStatus::Rejected) => v(
            "未通过：整份文件未载入".to_string(),
            "请按“原因”修改后重新报送。",
            false,
        ),
        Some(SubmissionStatus::Ignored) => {
            v("已忽略：不是报表文件".to_string(), "无需处理。", false)
        }
        Some(SubmissionStatus::Duplicate) => v(
            "重复文件：与另一文件内容完全相同，未重复载入".to_string(),
            "无需处理。",
            false,
        ),
        // Lost on its modification time or name only: which file is the correction is a
        // guess, and the reason asks the submitter to check it.
        Some(SubmissionStatus::Superseded)
            if file
                .reason
                .contains(crate::normalize::ASK_WHICH_IS_THE_CORRECTION) =>
        {
            v(
                "已被同版本、同填报日期的另一份报表取代".to_string(),
                "请核实哪份是更正（见“原因”）；更正报表请填写更高的报表版本后重新报送。",
                false,
            )
        }
        // Taken over by a file someone else filled in: perhaps another unit's numbers on this
        // unit's template, which only this submitter can tell.
        Some(SubmissionStatus::Superseded) if notices > 0 => v(
            format!("已被另一填报人报送的报表取代（提示 {notices} 条）"),
            "请查看“提示”：如取代本报表的文件不是本单位的更正，请立即与省局联系，否则本单位的数据以该文件为准。",
            false,
        ),
        Some(SubmissionStatus::Superseded) => v(
            "已被更正报表取代：数据以更正后的报表为准".to_string(),
            "无需处理；如更正报表仍有问题，见其反馈。",
            false,
        ),
        Some(SubmissionStatus::Active) if errors > 0 || file.counts[2] > 0 => v(
            format!(
                "部分载入：{} 个单元格未载入（错误 {} 条）",
                file.counts[2].max(errors as i64),
                errors
            ),
            // Repeats only: the first cell of each was loaded, so nothing is missing unless
            // the wrong one came first.
            if errors > 0
                && findings
                    .iter()
                    .filter(|f| f.rule.severity() == Severity::Error)
                    .all(|f| f.rule == Rule::DuplicateValue && f.message.contains(SAME_YEAR_HEADERS))
            {
                "两列表头为同一年份：请把其中填错的年份表头改正（见“说明”），不要删除数值，并将报表版本改为更大的数字后重新报送。"
            } else if errors > 0
                && findings
                    .iter()
                    .filter(|f| f.rule.severity() == Severity::Error)
                    .all(|f| f.rule == Rule::DuplicateValue)
            {
                "均为重复填报：每处已采用第一次填报的值（见“说明”）。如所采用的值有误，请删去错误的一处，并将报表版本改为更大的数字后重新报送。"
            } else {
                "请修改标为“错误”的单元格，并将报表版本改为更大的数字后重新报送。"
            },
            false,
        ),
        Some(SubmissionStatus::Active) if warnings > 0 => v(
            if not_loaded_warnings > 0 {
                format!(
                    "已载入，但有 {not_loaded_warnings} 条警告所涉数据未载入（警告共 {warnings} 条）"
                )
            } else {
                format!("已载入（警告 {warnings} 条，请核实）")
            },
            "请核实标为“警告”的内容；如有误，请更正后重新报送。",
            false,
        ),
        Some(SubmissionStatus::Active) if notices > 0 => v(
            format!("已载入（提示 {notices} 条）"),
            "请查看“提示”中每条的说明；如有误，请更正后重新报送。",
            false,
        ),
        Some(SubmissionStatus::Active) => v("已载入".to_string(), "未发现问题，无需处理。", true),
        None => v("未知".to_string(), "", false),
    }
}

/// A file name safe on Windows and Linux.
fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if "\\/:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// Builds a workbook with `fill` and saves it to `path`.
fn save(
    path: PathBuf,
    fill: impl FnOnce(&mut Workbook) -> Result<(), XlsxError>,
) -> Result<PathBuf, ReportError> {
    let mut workbook = Workbook::new();
    fill(&mut workbook)
        .and_then(|()| workbook.save(&path))
        .map_err(|source| ReportError::Xlsx {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

/// The files a previous `validate --out` wrote into `out`, from its marker.
fn previous_outputs(out: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(out.join(FEEDBACK_MARKER)) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        // Only plain names of files in this folder: a marker can never point elsewhere.
        .filter(|name| {
            !name.contains('/') && !name.contains('\\') && !name.starts_with('.') && *name != ".."
        })
        .map(|name| out.join(name))
        .filter(|path| path.is_file())
        .collect()
}

fn marker_text(written: &[PathBuf]) -> String {
    let mut text = String::from(
        "# written by zlbd validate: this folder holds feedback, not forms.\n# The files below were written by the last run; the next run replaces exactly these.\n",
    );
    for path in written {
        if let Some(name) = path.file_name() {
            text.push_str(&name.to_string_lossy());
            text.push('\n');
        }
    }
    text
}

/// Writes the feedback workbooks and `汇总.xlsx` into `out`, after removing the files the
/// previous run listed in the folder's marker; returns the paths written.
pub fn write_feedback(
    out: &Path,
    submissions: &DataFrame,
    findings: &[Finding],
    notices: &[Notice],
    winners: &YearWinners,
    takeovers: &BTreeSet<(String, String)>,
    plan: &Plan,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out).map_err(|source| ReportError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    for stale in previous_outputs(out) {
        std::fs::remove_file(&stale).map_err(|source| ReportError::Io {
            path: stale.clone(),
            source,
        })?;
    }
    let table = Table::from_frame(submissions)?;
    let rows = file_rows(&table);
    let taken_over = superseded_by_another_contact(&rows, takeovers);
    let notices: Vec<&Notice> = notices.iter().chain(&taken_over).collect();
    let (mut by_file, mut settled): (ByFile, ByFile) = (BTreeMap::new(), BTreeMap::new());
    for finding in findings {
        let list = match winners.settles(finding) {
            true => &mut settled,
            false => &mut by_file,
        };
        list.entry(finding.source_file.as_str())
            .or_default()
            .push(finding);
    }
    let mut notices_by_file: BTreeMap<&str, Vec<&Notice>> = BTreeMap::new();
    for notice in notices {
        notices_by_file
            .entry(notice.source_file.as_str())
            .or_default()
            .push(notice);
    }
    let context = Context {
        winners,
        by_file,
        settled,
        notices: notices_by_file,
    };
    let mut written = Vec::new();
    for (submitter, files) in &by_submitter(&rows) {
        let path = out.join(format!("{}_反馈.xlsx", safe_name(submitter)));
        written.push(save(path, |workbook| {
            submitter_sheet(workbook, submitter, files, &context)
        })?);
    }
    let roster = roster_entries(&table, None, plan);
    let path = out.join("汇总.xlsx");
    written.push(save(path, |workbook| {
        summary_sheet(workbook, &rows, &context)?;
        outstanding_sheet(workbook, &roster, &rows, takeovers)
    })?);
    let marker = out.join(FEEDBACK_MARKER);
    std::fs::write(&marker, marker_text(&written)).map_err(|source| ReportError::Io {
        path: marker,
        source,
    })?;
    Ok(written)
}

/// Each file's findings, by `source_file`.
type ByFile<'a> = BTreeMap<&'a str, Vec<&'a Finding>>;

struct Context<'a> {
    winners: &'a YearWinners,
    by_file: ByFile<'a>,
    /// Findings on cells of a year another submission won since ([`YearWinners::settles`]).
    settled: ByFile<'a>,
    notices: BTreeMap<&'a str, Vec<&'a Notice>>,
}

impl Context<'_> {
    fn findings(&self, file: &str) -> &[&Finding] {
        self.by_file.get(file).map(Vec::as_slice).unwrap_or(&[])
    }

    /// What became of a finding's value. A warning keeps its value, unless another submission
    /// won the cell's year and left it blank: then nothing of it was loaded.
    fn handling(&self, finding: &Finding) -> &'static str {
        match finding.rule.keeps_the_value() && self.winners.none_loaded(finding) {
            true => "警告（该值未载入：本年度已被另一份报表取代）",
            false => handling_of(finding),
        }
    }

    fn settled(&self, file: &str) -> &[&Finding] {
        self.settled.get(file).map(Vec::as_slice).unwrap_or(&[])
    }

    fn notices(&self, file: &str) -> &[&Notice] {
        self.notices.get(file).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The file's rejected cells of a year a correction won since: nothing left to fix.
    fn settled_errors(&self, file: &str) -> i64 {
        (self.settled(file).iter())
            .filter(|finding| finding.rule.severity() == Severity::Error)
            .count() as i64
    }

    fn verdict(&self, file: &FileRow) -> Verdict {
        let settled_errors = self.settled_errors(&file.source_file);
        let mut file = file.clone();
        file.counts[2] = (file.counts[2] - settled_errors).max(0);
        // A superseded file's verdict turns on one notice only: that another person's file
        // took it over (a 无 in its cells asks nothing of it any more).
        let notices = self.notices(&file.source_file);
        let notices = match file.status == SubmissionStatus::Superseded.as_str() {
            true => (notices.iter())
                .filter(|notice| notice.code == SUPERSEDED_BY_ANOTHER_CONTACT)
                .count(),
            false => notices.len(),
        };
        verdict(&file, self.findings(&file.source_file), notices)
    }
}

/// One workbook per submitter: files grouped by entity, or alone when nobody is known.
fn by_submitter(rows: &[FileRow]) -> BTreeMap<String, Vec<&FileRow>> {
    let mut by_submitter: BTreeMap<String, Vec<&FileRow>> = BTreeMap::new();
    for row in rows
        .iter()
        .filter(|row| row.status != SubmissionStatus::Ignored.as_str())
    {
        let key = if row.entity_id.is_empty() {
            format!(
                "文件_{}",
                row.source_file
                    .rsplit('/')
                    .next()
                    .unwrap_or(&row.source_file)
            )
        } else if row.entity_name.is_empty() {
            row.entity_id.clone()
        } else {
            format!("{}_{}", row.entity_name, row.entity_id)
        };
        by_submitter.entry(key).or_default().push(row);
    }
    by_submitter
}

/// A submitter's feedback: its files, each with its one verdict, then every finding and notice
/// of those files.
/// How a settled finding's cell is labelled ([`YearWinners::settles`]).
const SETTLED: &str = "已由更正报表取代（无需修改）";

/// A finding's row in a submitter's list: file, sheet, cell, raw value, rule, handling, message.
fn finding_cells<'a>(finding: &'a Finding, handling: &'a str) -> [&'a str; 7] {
    [
        finding.source_file.as_str(),
        finding.source_sheet.as_deref().unwrap_or(""),
        finding.source_cell.as_deref().unwrap_or(""),
        finding.raw_value.as_deref().unwrap_or(""),
        finding.rule.as_str(),
        handling,
        finding.message.as_str(),
    ]
}

/// A notice's row, in the same columns as a finding's.
fn notice_cells(notice: &Notice) -> [&str; 7] {
    [
        notice.source_file.as_str(),
        notice.sheet.as_str(),
        notice.cell.as_str(),
        notice.raw_value.as_str(),
        notice.code,
        notice.handling,
        notice.message.as_str(),
    ]
}

fn submitter_sheet(
    workbook: &mut Workbook,
    submitter: &str,
    files: &[&FileRow],
    context: &Context,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name("问题清单")?;
    sheet.write_string_with_format(0, 0, format!("填报反馈：{submitter}"), &bold)?;
    let mut row = 2u32;
    for (col, header) in ["文件", "状态", "处理建议", "原因"].iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *header, &bold)?;
    }
    row += 1;
    let mut all_clean = true;
    for file in files {
        let verdict = context.verdict(file);
        all_clean &= verdict.clean;
        sheet.write_string(row, 0, &file.source_file)?;
        sheet.write_string(row, 1, &verdict.status)?;
        sheet.write_string(row, 2, &verdict.action)?;
        if !file.reason.is_empty() {
            sheet.write_string_with_format(row, 3, &file.reason, &wrap)?;
        }
        row += 1;
    }
    row += 1;
    let headers = ["文件", "工作表", "单元格", "原始值", "规则", "处理", "说明"];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *header, &bold)?;
    }
    row += 1;
    let mut listed = 0;
    for file in files {
        let name = file.source_file.as_str();
        let lines = (context.findings(name).iter())
            .map(|finding| finding_cells(finding, context.handling(finding)))
            .chain((context.settled(name).iter()).map(|finding| finding_cells(finding, SETTLED)))
            .chain(
                context
                    .notices(name)
                    .iter()
                    .map(|notice| notice_cells(notice)),
            );
        for cells in lines {
            for (col, text) in cells.iter().enumerate() {
                sheet.write_string(row, col as u16, *text)?;
            }
            row += 1;
            listed += 1;
        }
    }
    if listed == 0 {
        let line = if all_clean {
            "未发现问题，感谢配合。"
        } else {
            "没有单元格级的问题；文件的处理情况见上方“状态”与“原因”。"
        };
        sheet.write_string(row, 0, line)?;
    }
    sheet.set_column_width(0, 36)?;
    sheet.set_column_width(1, 30)?;
    sheet.set_column_width(2, 30)?;
    sheet.set_column_width(3, 40)?;
    sheet.set_column_width(5, 30)?;
    sheet.set_column_width(6, 90)?;
    Ok(())
}

/// `汇总.xlsx`, first sheet: one row per file with its verdict, contacts and counts.
fn summary_sheet(
    workbook: &mut Workbook,
    rows: &[FileRow],
    context: &Context,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("汇总")?;
    let headers = [
        "文件",
        "报表类型",
        "填报单位",
        "代码",
        "状态",
        "处理建议",
        "原因",
        "填报人",
        "联系电话",
        "载入",
        "被取代",
        "错误",
        "缺失",
        "警告",
        "提示",
        // 错误 counts the file's rejected cells as `submissions` does; of them, these are in
        // a year a correction won since, which the verdict no longer asks to fix.
        "其中已由更正取代",
    ];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *header, &bold)?;
    }
    for (index, file) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        let findings = context.findings(&file.source_file);
        let warnings = findings
            .iter()
            .filter(|f| f.rule.severity() == Severity::Warning)
            .count();
        let verdict = context.verdict(file);
        let texts = [
            file.source_file.as_str(),
            if file.form.is_empty() {
                ""
            } else {
                level_zh(&file.form)
            },
            file.entity_name.as_str(),
            file.entity_id.as_str(),
            verdict.status.as_str(),
            verdict.action.as_str(),
            file.reason.as_str(),
            file.contact_name.as_str(),
            file.contact_phone.as_str(),
        ];
        for (col, text) in texts.iter().enumerate() {
            if !text.is_empty() {
                sheet.write_string(row, col as u16, *text)?;
            }
        }
        for (offset, count) in file.counts.iter().enumerate() {
            sheet.write_number(row, 9 + offset as u16, *count as f64)?;
        }
        sheet.write_number(row, 13, warnings as f64)?;
        sheet.write_number(row, 14, context.notices(&file.source_file).len() as f64)?;
        let settled = context.settled_errors(&file.source_file);
        sheet.write_number(row, 15, settled as f64)?;
    }
    sheet.set_column_width(0, 40)?;
    sheet.set_column_width(2, 30)?;
    sheet.set_column_width(4, 36)?;
    sheet.set_column_width(5, 40)?;
    sheet.set_column_width(6, 60)?;
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// `汇总.xlsx`, second sheet: roster entities without an active submission, with the city's
/// contact, for 催报. The contact is the city's active form's; when that form took over one
/// another person filled (a city form from the wrong city's clerk), both are named and the
/// contact is to be checked.
fn outstanding_sheet(
    workbook: &mut Workbook,
    roster: &[RosterEntry],
    rows: &[FileRow],
    takeovers: &BTreeSet<(String, String)>,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("未报送名单")?;
    let headers = [
        "报表",
        "代码",
        "名称",
        "地市",
        "情况",
        "地市联系人",
        "地市联系电话",
        "联系人说明",
    ];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *header, &bold)?;
    }
    let city_contact: BTreeMap<&str, (&str, &str)> = roster
        .iter()
        .filter(|e| e.level == "city")
        .map(|e| {
            (
                e.city_code.as_str(),
                (e.contact_name.as_str(), e.contact_phone.as_str()),
            )
        })
        .collect();
    // The other people whose city forms the active one took over, by the active file.
    let mut others: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (row, winner) in taken_over_by_another_person(rows, takeovers) {
        let named = others.entry(winner.source_file.as_str()).or_default();
        if !named.contains(&who(row)) {
            named.push(who(row));
        }
    }
    let doubt: BTreeMap<&str, String> = (roster.iter())
        .filter(|e| e.level == "city")
        .filter_map(|e| {
            let named = others.get(e.source_file.as_str())?;
            Some((
                e.city_code.as_str(),
                format!(
                    "该市现用报表（{}）的填报人与被其取代的报表的填报人{}不同，请核实联系人",
                    e.source_file,
                    named.join("、")
                ),
            ))
        })
        .collect();
    let mut row = 1u32;
    for entry in roster.iter().filter(|e| e.standing != Standing::Submitted) {
        let (name, phone) = city_contact
            .get(entry.city_code.as_str())
            .copied()
            .unwrap_or(("", ""));
        let note = doubt
            .get(entry.city_code.as_str())
            .map_or("", String::as_str);
        let texts = [
            level_zh(entry.level),
            entry.entity_id.as_str(),
            entry.name.as_str(),
            entry.city_name.as_str(),
            entry.standing.label_zh(),
            name,
            phone,
            note,
        ];
        for (col, text) in texts.iter().enumerate() {
            if !text.is_empty() {
                sheet.write_string(row, col as u16, *text)?;
            }
        }
        row += 1;
    }
    if row == 1 {
        sheet.write_string(1, 0, "名单内单位均已报送。")?;
    }
    sheet.set_column_width(1, 22)?;
    sheet.set_column_width(2, 36)?;
    sheet.set_column_width(4, 20)?;
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, rejected: i64) -> FileRow {
        FileRow {
            source_file: "a.xlsx".to_string(),
            status: status.to_string(),
            counts: [10, 0, rejected, 0],
            ..FileRow::default()
        }
    }

    fn finding(rule: Rule) -> Finding {
        Finding {
            submission_id: String::new(),
            source_file: "a.xlsx".to_string(),
            source_sheet: None,
            source_cell: None,
            level: None,
            entity_id: None,
            indicator_code: None,
            year: None,
            rule,
            message: String::new(),
            raw_value: None,
        }
    }

    #[test]
    fn one_verdict_per_file() {
        let rejected = verdict(&row("rejected", 0), &[], 0);
        assert!(rejected.status.starts_with("未通过") && !rejected.clean);
        assert!(!rejected.action.contains("感谢"));
        let error = finding(Rule::NotANumber);
        let partial = verdict(&row("active", 1), &[&error], 0);
        assert!(partial.status.starts_with("部分载入") && !partial.clean);
        // Repeats alone: the first of each was loaded, and the advice says so.
        let repeat = finding(Rule::DuplicateValue);
        let repeated = verdict(&row("active", 1), &[&repeat], 0);
        assert!(repeated.status.starts_with("部分载入") && !repeated.clean);
        assert!(repeated.action.contains("重复填报"), "{repeated:?}");
        assert!(!partial.action.contains("重复填报"), "{partial:?}");
        // A second column headed with the same year: fix the header, delete nothing.
        let header = Finding {
            message: format!("质量指标!E3 …；{SAME_YEAR_HEADERS}2020年，…"),
            ..finding(Rule::DuplicateValue)
        };
        let misheaded = verdict(&row("active", 1), &[&header], 0);
        assert!(
            misheaded.action.contains("表头") && !misheaded.action.contains("删去"),
            "{misheaded:?}"
        );
        assert!(handling_of(&header).contains("改正表头"));
        let both = verdict(&row("active", 2), &[&repeat, &error], 0);
        assert!(!both.action.contains("重复填报"), "{both:?}");
        assert!(handling(Rule::DuplicateValue).contains("未载入"));
        let unknown = finding(Rule::UnknownIndicator);
        let warned = verdict(&row("active", 0), &[&unknown], 0);
        assert!(warned.status.contains("未载入"), "{warned:?}");
        assert!(verdict(&row("active", 0), &[], 1).status.contains("提示"));
        assert!(verdict(&row("active", 0), &[], 0).clean);
    }

    /// A correction that filled one cell of 2019 replaced 2019: the values it left blank are
    /// one notice per (correction, year), with their count; a value it changed is none.
    #[test]
    fn a_correction_that_drops_earlier_values_is_a_notice_with_their_count() {
        use polars::prelude::{Column, NamedFrom, Series};
        let text = |name: &str, values: [&str; 4]| Column::from(Series::new(name.into(), values));
        let corrections = DataFrame::new_infer_height(vec![
            text(
                c::NEW_SOURCE_FILE,
                ["v3.xlsx", "v3.xlsx", "v3.xlsx", "v2.xlsx"],
            ),
            text(
                c::OLD_SOURCE_FILE,
                ["v1.xlsx", "v1.xlsx", "v1.xlsx", "v1.xlsx"],
            ),
            Column::from(Series::new(c::YEAR.into(), [2019, 2019, 2019, 2021])),
            Column::from(Series::new(
                c::NEW_VALUE.into(),
                [None, None, Some(5.0), None],
            )),
        ])
        .unwrap();
        let notices = dropped_by_corrections(&corrections).unwrap();
        let brief: Vec<(&str, &str)> = (notices.iter())
            .map(|notice| (notice.source_file.as_str(), notice.code))
            .collect();
        assert_eq!(
            brief,
            [
                ("v2.xlsx", "CORRECTION_DROPS_VALUES"),
                ("v3.xlsx", "CORRECTION_DROPS_VALUES")
            ]
        );
        assert!(
            notices[1].message.contains("2019年")
                && notices[1].message.contains("2 个原有数值")
                && notices[1].message.contains("“v1.xlsx”"),
            "{notices:?}"
        );
    }

    /// Qingdao's form is superseded by a file on Qingdao's template filled by Jinan's clerk:
    /// Qingdao's feedback says so; a correction by the same clerk stays 无需处理.
    #[test]
    fn a_file_superseded_by_another_persons_file_is_told_to_check_it() {
        let file = |id: &str, status: &str, by: &str, name: &str, phone: &str| FileRow {
            submission_id: id.to_string(),
            superseded_by: by.to_string(),
            source_file: format!("{id}.xlsx"),
            status: status.to_string(),
            contact_name: name.to_string(),
            contact_phone: phone.to_string(),
            ..FileRow::default()
        };
        let rows = [
            file(
                "qingdao",
                "superseded",
                "jinan-on-qingdao",
                "李强",
                "0532-1",
            ),
            file("jinan-on-qingdao", "active", "", "王芳", "0531-8"),
            file("zibo-v1", "superseded", "zibo-v2", "赵敏", "0533-2"),
            file("zibo-v2", "active", "", "赵 敏", ""),
        ];
        let notices = superseded_by_another_contact(&rows, &BTreeSet::new());
        let files: Vec<&str> = notices.iter().map(|n| n.source_file.as_str()).collect();
        assert_eq!(
            files,
            ["qingdao.xlsx", "jinan-on-qingdao.xlsx"],
            "{notices:?}"
        );
        assert!(notices[1].message.contains("李强（0532-1）"), "{notices:?}");
        assert!(
            notices[0].message.contains("jinan-on-qingdao.xlsx")
                && notices[0].message.contains("王芳（0531-8）"),
            "{notices:?}"
        );
        let told = verdict(&rows[0], &[], notices.len());
        assert!(!told.action.contains("无需处理") && !told.clean, "{told:?}");
        assert!(verdict(&rows[2], &[], 0).action.contains("无需处理"));

        // Weifang's form keeps 2019 (still active) while another person's took 2020 and 2021:
        // known from `corrections`, it is told as a superseded one is. The same pair listed
        // twice, or a pair with a file no longer in the inbox, adds nothing.
        let rows = [
            file("weifang", "active", "", "孙丽", "0536-3"),
            file("on-weifang", "active", "", "王芳", "0531-8"),
        ];
        let pair = |old: &str, new: &str| (old.to_string(), new.to_string());
        let takeovers = BTreeSet::from([pair("weifang", "on-weifang"), pair("gone", "on-weifang")]);
        let notices = superseded_by_another_contact(&rows, &takeovers);
        let files: Vec<&str> = notices.iter().map(|n| n.source_file.as_str()).collect();
        assert_eq!(files, ["weifang.xlsx", "on-weifang.xlsx"], "{notices:?}");
        assert!(superseded_by_another_contact(&rows, &BTreeSet::new()).is_empty());
    }

    /// v1's rejected 2019 cell after v3 won 2019 is settled; its 2020 cell (v1 won 2020), a
    /// file-level finding and a year nobody won are not.
    #[test]
    fn a_finding_in_a_year_a_correction_won_is_settled() {
        use polars::prelude::{Column, NamedFrom, Series};
        let column = |name: &str, values: &[&str]| Column::from(Series::new(name.into(), values));
        let facts = DataFrame::new_infer_height(vec![
            column(c::LEVEL, &["enterprise", "enterprise", "enterprise"]),
            column(c::ENTITY_ID, &["E", "E", "E"]),
            column(c::INDICATOR_CODE, &["E01", "E01", "E01"]),
            Column::from(Series::new(c::YEAR.into(), [2019, 2020, 2021])),
            column(c::SUBMISSION_ID, &["v3", "v1", "v3"]),
        ])
        .unwrap();
        let winners = YearWinners::of(&facts).unwrap();
        let at = |code: &str, year: Option<i32>| Finding {
            submission_id: "v1".to_string(),
            level: Some("enterprise".to_string()),
            entity_id: Some("E".to_string()),
            indicator_code: Some(code.to_string()),
            year,
            ..finding(Rule::NotANumber)
        };
        assert!(winners.settles(&at("E01", Some(2019))));
        assert!(!winners.settles(&at("E01", Some(2020))));
        assert!(!winners.settles(&at("E01", None)));
        assert!(!winners.settles(&at("E01", Some(2018))));
        // v3 won 2019 but left E05 blank: v1's 约88 is still wanted, in a new correction.
        assert!(!winners.settles(&at("E05", Some(2019))));

        // 汇总's 其中已由更正取代 and the verdict count the settled errors only.
        let (rejected, warned) = (
            Finding {
                source_file: "v1.xlsx".to_string(),
                ..at("E01", Some(2019))
            },
            Finding {
                source_file: "v1.xlsx".to_string(),
                rule: Rule::YoyJump,
                ..at("E01", Some(2019))
            },
        );
        let both = Context {
            winners: &winners,
            by_file: BTreeMap::new(),
            settled: BTreeMap::from([("v1.xlsx", vec![&rejected, &warned])]),
            notices: BTreeMap::new(),
        };
        assert_eq!(both.settled_errors("v1.xlsx"), 1);
        assert_eq!(both.settled_errors("v3.xlsx"), 0);
        let partly = FileRow {
            source_file: "v1.xlsx".to_string(),
            status: "active".to_string(),
            counts: [10, 0, 1, 0],
            ..FileRow::default()
        };
        assert!(both.verdict(&partly).clean, "{:?}", both.verdict(&partly));
        let unsettled = Context {
            winners: &winners,
            by_file: BTreeMap::new(),
            settled: BTreeMap::new(),
            notices: BTreeMap::new(),
        };
        assert!(!unsettled.verdict(&partly).clean);

        // A warning keeps its value, unless a correction won its year and left the cell blank.
        let warned = |code: &str, year: i32| Finding {
            rule: Rule::Inconsistent,
            ..at(code, Some(year))
        };
        assert!(both.handling(&warned("E05", 2019)).contains("未载入"));
        assert_eq!(
            both.handling(&warned("E01", 2020)),
            handling(Rule::Inconsistent)
        );
        assert!(both.handling(&at("E05", Some(2019))).starts_with("错误"));

        // A superseded file's verdict turns on the contact notice only, not on a 无 in it.
        let superseded = FileRow {
            source_file: "v1.xlsx".to_string(),
            status: "superseded".to_string(),
            ..FileRow::default()
        };
        let notice = |code: &'static str| Notice {
            source_file: "v1.xlsx".to_string(),
            sheet: String::new(),
            cell: String::new(),
            raw_value: String::new(),
            code,
            handling: "",
            message: String::new(),
        };
        let (none, taken) = (
            notice("MISSING_AS_NONE"),
            notice(SUPERSEDED_BY_ANOTHER_CONTACT),
        );
        let context = |notices: Vec<&'static Notice>| Context {
            winners: &winners,
            by_file: BTreeMap::new(),
            settled: BTreeMap::new(),
            notices: BTreeMap::from([("v1.xlsx", notices)]),
        };
        let none: &'static Notice = Box::leak(Box::new(none));
        let taken: &'static Notice = Box::leak(Box::new(taken));
        assert!(context(vec![none])
            .verdict(&superseded)
            .action
            .contains("无需处理"));
        assert!(!context(vec![none, taken])
            .verdict(&superseded)
            .action
            .contains("无需处理"));
    }

    #[test]
    fn every_rule_says_whether_its_value_was_loaded() {
        for rule in [
            Rule::UnknownIndicator,
            Rule::YearOutsideWindow,
            Rule::NotANumber,
            Rule::BadUscc,
        ] {
            assert!(handling(rule).contains("未载入"), "{rule:?}");
            assert!(!rule.keeps_the_value());
        }
        for rule in [Rule::YoyJump, Rule::Inconsistent, Rule::NotInRoster] {
            assert!(handling(rule).contains("已载入"), "{rule:?}");
            assert!(rule.keeps_the_value());
        }
        // A year header written as a formula with no value loses its column, not one cell.
        let header = finding(Rule::FormulaNoValue);
        assert_eq!(handling_of(&header), "错误（该列未载入）");
        let cell = Finding {
            indicator_code: Some("E01".to_string()),
            ..finding(Rule::FormulaNoValue)
        };
        assert_eq!(handling_of(&cell), "错误（本单元格未载入）");
    }

    #[test]
    fn the_marker_lists_only_plain_names_in_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a_反馈.xlsx"), "x").unwrap();
        std::fs::write(dir.path().join("keep.xlsx"), "x").unwrap();
        std::fs::write(
            dir.path().join(FEEDBACK_MARKER),
            "# comment\na_反馈.xlsx\n../outside.xlsx\n.hidden\nmissing.xlsx\n",
        )
        .unwrap();
        let previous = previous_outputs(dir.path());
        assert_eq!(previous, vec![dir.path().join("a_反馈.xlsx")]);
    }
}
