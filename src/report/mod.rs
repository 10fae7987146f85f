//! Feedback for submitters: one workbook per submitter listing every rejected or warned cell
//! (sheet, A1 address, raw value, rule, Chinese message) and one summary across submitters.
//! Written with rust_xlsxwriter, so submitters open it in the tool they filled the form with.

pub(crate) mod form_writer;
pub(crate) mod template;

use crate::domain::columns as c;
use crate::domain::{Finding, Severity, SubmissionStatus};
use crate::frames;
use polars::prelude::*;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Xlsx { path: PathBuf, source: XlsxError },
    #[error("cannot create {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("submissions table: {0}")]
    Frame(#[from] PolarsError),
}

/// One submissions row, as the report needs it.
#[derive(Debug, Clone, Default)]
struct FileRow {
    source_file: String,
    form: String,
    entity_id: String,
    entity_name: String,
    status: String,
    reason: String,
    counts: [i64; 4],
}

fn file_rows(submissions: &DataFrame) -> PolarsResult<Vec<FileRow>> {
    let text = |name: &str| -> PolarsResult<Vec<String>> {
        Ok(frames::strings(submissions, name)?
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect())
    };
    let number = |name: &str| -> PolarsResult<Vec<i64>> {
        Ok(frames::integers(submissions, name)?
            .into_iter()
            .map(|v| v.unwrap_or(0))
            .collect())
    };
    let (files, forms, ids, names, statuses, reasons) = (
        text(c::SOURCE_FILE)?,
        text(c::FORM)?,
        text(c::ENTITY_ID)?,
        text(c::ENTITY_NAME)?,
        text(c::STATUS)?,
        text(c::REASON)?,
    );
    let counts = [
        number(c::CELLS_LOADED)?,
        number(c::CELLS_SUPERSEDED)?,
        number(c::CELLS_REJECTED)?,
        number(c::CELLS_MISSING)?,
    ];
    Ok((0..submissions.height())
        .map(|i| FileRow {
            source_file: files[i].clone(),
            form: forms[i].clone(),
            entity_id: ids[i].clone(),
            entity_name: names[i].clone(),
            status: statuses[i].clone(),
            reason: reasons[i].clone(),
            counts: [counts[0][i], counts[1][i], counts[2][i], counts[3][i]],
        })
        .collect())
}

fn status_zh(status: &str) -> &'static str {
    SubmissionStatus::parse(status).map_or("未知", SubmissionStatus::label_zh)
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

/// Writes the feedback workbooks and `汇总.xlsx` into `out`; returns the paths written.
pub fn write_feedback(
    out: &Path,
    submissions: &DataFrame,
    findings: &[Finding],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out).map_err(|source| ReportError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let rows = file_rows(submissions)?;
    let mut by_file: ByFile = BTreeMap::new();
    for finding in findings {
        by_file
            .entry(finding.source_file.as_str())
            .or_default()
            .push(finding);
    }
    let mut written = Vec::new();
    for (submitter, files) in &by_submitter(&rows) {
        let path = out.join(format!("{}_反馈.xlsx", safe_name(submitter)));
        written.push(save(path, |workbook| {
            submitter_sheet(workbook, submitter, files, &by_file)
        })?);
    }
    let path = out.join("汇总.xlsx");
    written.push(save(path, |workbook| {
        summary_sheet(workbook, &rows, &by_file)
    })?);
    Ok(written)
}

/// Each file's findings, by `source_file`.
type ByFile<'a> = BTreeMap<&'a str, Vec<&'a Finding>>;

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

/// A submitter's feedback: its files with their status, then every finding of those files.
fn submitter_sheet(
    workbook: &mut Workbook,
    submitter: &str,
    files: &[&FileRow],
    by_file: &ByFile,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("问题清单")?;
    sheet.write_string_with_format(0, 0, format!("填报反馈：{submitter}"), &bold)?;
    let mut row = 2u32;
    for file in files {
        sheet.write_string(row, 0, format!("文件：{}", file.source_file))?;
        sheet.write_string(row, 1, format!("状态：{}", status_zh(&file.status)))?;
        if !file.reason.is_empty() {
            sheet.write_string(row, 2, format!("原因：{}", file.reason))?;
        }
        row += 1;
    }
    row += 1;
    let headers = ["文件", "工作表", "单元格", "原始值", "规则", "级别", "说明"];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *header, &bold)?;
    }
    row += 1;
    let mut problems = 0;
    for file in files {
        for finding in by_file.get(file.source_file.as_str()).into_iter().flatten() {
            let severity = match finding.rule.severity() {
                Severity::Error => "错误（未载入）",
                Severity::Warning => "警告（已载入，请核实）",
            };
            let cells = [
                finding.source_file.as_str(),
                finding.source_sheet.as_deref().unwrap_or(""),
                finding.source_cell.as_deref().unwrap_or(""),
                finding.raw_value.as_deref().unwrap_or(""),
                finding.rule.as_str(),
                severity,
                finding.message.as_str(),
            ];
            for (col, text) in cells.iter().enumerate() {
                sheet.write_string(row, col as u16, *text)?;
            }
            row += 1;
            problems += 1;
        }
    }
    if problems == 0 {
        sheet.write_string(row, 0, "未发现问题，感谢配合。")?;
    }
    sheet.set_column_width(0, 36)?;
    sheet.set_column_width(6, 90)?;
    Ok(())
}

/// `汇总.xlsx`: one row per file with its status and counts.
fn summary_sheet(
    workbook: &mut Workbook,
    rows: &[FileRow],
    by_file: &ByFile,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("汇总")?;
    let headers = [
        "文件",
        "报表类型",
        "填报单位",
        "状态",
        "原因",
        "载入",
        "被取代",
        "错误",
        "缺失",
        "警告",
    ];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *header, &bold)?;
    }
    for (index, file) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        let warnings = by_file
            .get(file.source_file.as_str())
            .map(|list| {
                list.iter()
                    .filter(|f| f.rule.severity() == Severity::Warning)
                    .count()
            })
            .unwrap_or(0);
        sheet.write_string(row, 0, &file.source_file)?;
        sheet.write_string(row, 1, &file.form)?;
        sheet.write_string(row, 2, &file.entity_name)?;
        sheet.write_string(row, 3, status_zh(&file.status))?;
        sheet.write_string(row, 4, &file.reason)?;
        for (offset, count) in file.counts.iter().enumerate() {
            sheet.write_number(row, 5 + offset as u16, *count as f64)?;
        }
        sheet.write_number(row, 9, warnings as f64)?;
    }
    sheet.set_column_width(0, 40)?;
    sheet.set_column_width(4, 60)?;
    Ok(())
}
