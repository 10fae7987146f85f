//! `zlbd inspect FILE [--json]`: how one workbook is understood — form, submitter, version,
//! header mapping, what was not recognised, and the outcome of every indicator cell.
//! Exit 0 when the file is accepted without errors, 3 when it or any cell is rejected.

use crate::cli::InspectArgs;
use crate::domain::{CellOutcome, Finding, Form, SubmissionStatus};
use crate::exit;
use crate::ingest::{self, RowMatch, Submitter, TableMatch};
use crate::normalize::{self, value::Outcome, Content};
use crate::pipeline;
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct Report {
    file: String,
    submission_id: String,
    file_format: Option<String>,
    status: &'static str,
    reason: Option<String>,
    form: Option<Form>,
    submitter: Option<Submitter>,
    version: Option<f64>,
    filled_date: Option<String>,
    years: Vec<i32>,
    tables: Vec<TableMatch>,
    rows: Vec<RowMatch>,
    cells: Vec<CellReport>,
    findings: Vec<Finding>,
}

#[derive(Serialize)]
struct CellReport {
    sheet: String,
    cell: String,
    level: String,
    entity_id: String,
    indicator_code: String,
    year: i32,
    raw_value: Option<String>,
    outcome: CellOutcome,
    value: Option<f64>,
    rule: Option<String>,
    message: Option<String>,
}

pub fn run(args: InspectArgs) -> i32 {
    let plan = match super::load_plan(&args.pipeline) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let file = match ingest::inbox_file(&args.file, Path::new("")) {
        Ok(file) => file,
        Err(error) => {
            crate::cli::print_error(&format_args!(
                "cannot read {}: {error}",
                args.file.display()
            ));
            return exit::USAGE;
        }
    };
    let (submission_id, format, ingested) = match pipeline::load(&plan, &file) {
        Ok((submission_id, bytes)) => {
            let (format, content) = ingest::extract(
                &bytes,
                &plan,
                &submission_id,
                &file.relative,
                ingest::Detail::Explained,
            );
            (submission_id, format, content)
        }
        Err(not_read) => (not_read.submission_id, None, not_read.content),
    };
    // The table and row mapping is ingest's; keep it before normalize consumes the cells.
    let (tables, rows) = match &ingested {
        ingest::FileContent::Accepted(extracted) => {
            (extracted.tables.clone(), extracted.rows.clone())
        }
        _ => (Vec::new(), Vec::new()),
    };
    let mut report = Report {
        file: args.file.display().to_string(),
        submission_id,
        file_format: format.map(|format| format.as_str().to_string()),
        status: "accepted",
        reason: None,
        form: None,
        submitter: None,
        version: None,
        filled_date: None,
        years: Vec::new(),
        tables,
        rows,
        cells: Vec::new(),
        findings: Vec::new(),
    };
    let mut errors = 0;
    match normalize::content(ingested, &plan) {
        Content::Ignored { reason } => {
            report.status = SubmissionStatus::Ignored.as_str();
            report.reason = Some(reason);
        }
        Content::Rejected {
            reason,
            form,
            submitter,
            finding,
            contact: _,
        } => {
            report.status = SubmissionStatus::Rejected.as_str();
            report.reason = Some(reason);
            report.form = form;
            report.submitter = submitter.map(|submitter| *submitter);
            report.findings.extend(finding.map(|finding| *finding));
            errors += 1;
        }
        Content::Accepted(submission) => {
            report.form = Some(submission.form);
            report.submitter = Some(submission.submitter.clone());
            report.version = Some(submission.version);
            report.filled_date = submission.filled_date.map(|date| date.to_string());
            report.years = submission.years.clone();
            report.findings = submission.findings.clone();
            for cell in &submission.cells {
                let (outcome, value, rule, message) = match &cell.outcome {
                    Outcome::Value(value) => (CellOutcome::Fact, Some(*value), None, None),
                    Outcome::Missing => (CellOutcome::Missing, None, None, None),
                    Outcome::Rejected { rule, message } => {
                        errors += 1;
                        (
                            CellOutcome::Reject,
                            None,
                            Some(rule.as_str().to_string()),
                            Some(message.clone()),
                        )
                    }
                };
                report.cells.push(CellReport {
                    sheet: cell.sheet.to_string(),
                    cell: cell.cell.to_string(),
                    level: cell.level.as_str().to_string(),
                    entity_id: cell.entity_id.to_string(),
                    indicator_code: cell.indicator_code.to_string(),
                    year: cell.year,
                    raw_value: cell.raw_value.as_ref().map(|raw| raw.to_string()),
                    outcome,
                    value,
                    rule,
                    message,
                });
            }
        }
    }
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => {
                if !crate::cli::print_out(format_args!("{json}\n")) {
                    return exit::FAILED;
                }
            }
            Err(error) => {
                crate::cli::print_error(&format_args!("{error}"));
                return exit::FAILED;
            }
        }
    } else {
        if !crate::cli::print_out(format_args!("{}", render(&report))) {
            return exit::FAILED;
        }
    }
    if errors > 0 {
        exit::REJECTS
    } else {
        exit::OK
    }
}

fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("file:        {}", report.file));
    line(format!("sha256:      {}", report.submission_id));
    line(format!(
        "format:      {}",
        report.file_format.as_deref().unwrap_or("-")
    ));
    line(format!("status:      {}", report.status));
    if let Some(reason) = &report.reason {
        line(format!("reason:      {reason}"));
    }
    if let Some(form) = report.form {
        line(format!("form:        {}", form.as_str()));
    }
    if let Some(submitter) = &report.submitter {
        line(format!(
            "submitter:   {} {} ({}){}",
            submitter.form.submitter_level(),
            submitter.entity_id,
            submitter.entity_name,
            if submitter.in_roster {
                ""
            } else {
                " NOT IN ROSTER"
            }
        ));
    }
    if let Some(version) = report.version {
        line(format!(
            "version:     {version}   filled: {}",
            report.filled_date.as_deref().unwrap_or("-")
        ));
        line(format!(
            "years:       {}",
            crate::config::Plan::years_text(&report.years)
        ));
    }
    for table in &report.tables {
        let years = table
            .year_columns
            .iter()
            .map(|(column, year, inside)| {
                format!(
                    "{column}={year}{}",
                    if *inside { "" } else { " (outside window)" }
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        line(format!(
            "table:       {}{} header at {}; names in {}, units in {}{}, industries in {}; years {years}",
            table.sheet,
            if table.hidden { " (hidden)" } else { "" },
            table.header_cell,
            table.name_column,
            table.unit_column.as_deref().unwrap_or("-"),
            table
                .stated_unit
                .as_ref()
                .map(|stated| format!(", else {stated} for amounts"))
                .unwrap_or_default(),
            table.industry_column.as_deref().unwrap_or("-"),
        ));
    }
    for row in &report.rows {
        let target = match (&row.indicator_code, &row.skipped) {
            (_, Some(skipped)) => format!("skipped: {skipped}"),
            (Some(code), None) => format!("{code} of {}", row.entity_id.as_deref().unwrap_or("-")),
            (None, None) => "-".to_string(),
        };
        line(format!(
            "row:         {}!{} {:<20} → {target}",
            row.sheet, row.cell, row.name
        ));
    }
    for cell in &report.cells {
        let result = match cell.outcome {
            CellOutcome::Fact => format!(
                "fact {}",
                cell.value
                    .map(crate::domain::text::format_number)
                    .unwrap_or_default()
            ),
            CellOutcome::Reject => format!(
                "REJECT {}: {}",
                cell.rule.as_deref().unwrap_or(""),
                cell.message.as_deref().unwrap_or("")
            ),
            CellOutcome::Missing => CellOutcome::Missing.as_str().to_string(),
        };
        line(format!(
            "cell:        {}!{} {} {} {:?} → {result}",
            cell.sheet,
            cell.cell,
            cell.indicator_code,
            cell.year,
            cell.raw_value.as_deref().unwrap_or("")
        ));
    }
    for finding in &report.findings {
        line(format!(
            "{}: {} {}",
            finding.rule.severity().as_str(),
            finding.rule.as_str(),
            finding.message
        ));
    }
    out
}
