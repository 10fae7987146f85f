//! Writes a sample inbox: every form through the report's form writer, the truth of each
//! indicator cell taken from where the writer put it, and the files zlbd must refuse, skip as
//! copies, or ignore.
//!
//! Guarantees: a truth cell names the sheet and A1 address the value was actually written at,
//! with the year of its column; file names are distinct (two roster entries may share a name);
//! a file's truth status is set once here, and the truth lists cells only for files zlbd reads
//! (active or superseded); files are written in name order, and the cells sorted, so the same
//! plans give the same bytes.

use super::forms::{Expected, FormPlan};
use super::{SampleError, Truth, TruthCell, TruthFile};
use crate::domain::{CellOutcome, SubmissionStatus};
use crate::report::form_writer::{
    members_sheet, standard_notes, write_form, FormBook, FormSheet, IndicatorRow, IndicatorSheet,
    Placement, PlainSheet, Written,
};
use crate::report::template::distinct;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The inbox being built: file bytes and the truth about them.
#[derive(Default)]
pub(super) struct Inbox {
    files: BTreeMap<String, Vec<u8>>,
    names: BTreeSet<String>,
    truth: Truth,
}

/// The hidden sheet of old, unrelated data some returns carry.
fn old_data_sheet() -> PlainSheet {
    let text = |text: &str| Written::Text(text.to_string());
    PlainSheet {
        name: "旧数据".to_string(),
        hidden: true,
        rows: vec![
            vec![text("历史备份，请勿修改")],
            vec![text("项目"), text("金额")],
            vec![text("办公用品"), Written::Number(3200.0)],
        ],
    }
}

/// The workbook a plan describes.
fn book(form: &FormPlan) -> FormBook {
    let info = FormSheet::Info {
        name: form.info_sheet.clone(),
        pairs: form.info.clone(),
    };
    let mut sheets = Vec::with_capacity(form.sheets.len() + 3);
    if !form.info_last {
        sheets.push(info.clone());
    }
    for sheet in &form.sheets {
        let rows = sheet.rows.iter().map(|row| IndicatorRow {
            name: row.name.clone(),
            unit: row.unit.clone(),
            industry: row.industry.clone(),
            cells: row.cells.iter().map(|cell| cell.written.clone()).collect(),
        });
        sheets.push(FormSheet::Indicators(IndicatorSheet {
            name: sheet.name.clone(),
            title: sheet.title.clone(),
            subtitle: sheet.subtitle.clone(),
            industry_column: sheet.industry_column,
            layout: sheet.layout.clone(),
            years: sheet.years.clone(),
            rows: rows.collect(),
            notes: standard_notes(Some(("张三", "李四"))),
        }));
    }
    if let Some(members) = &form.members {
        sheets.push(FormSheet::Plain(members_sheet(members)));
    }
    if form.info_last {
        sheets.push(info);
    }
    if form.hidden_extra {
        sheets.push(FormSheet::Plain(old_data_sheet()));
    }
    FormBook { sheets }
}

/// The truth of every tracked cell of a written form.
fn cells(form: &FormPlan, file: &str, placement: &Placement) -> Vec<TruthCell> {
    let offset = usize::from(!form.info_last);
    let mut out = Vec::new();
    for (index, sheet) in form.sheets.iter().enumerate() {
        let Some(placed) = placement.get(index + offset) else {
            continue;
        };
        for (row, addresses) in sheet.rows.iter().zip(placed) {
            let Some(code) = row.code() else {
                continue;
            };
            for ((cell, address), year) in row.cells.iter().zip(addresses).zip(&sheet.years) {
                let Some(expected) = &cell.expected else {
                    continue;
                };
                let (outcome, value, rule) = match expected {
                    Expected::Fact(value) => (CellOutcome::Fact, Some(*value), None),
                    Expected::Missing => (CellOutcome::Missing, None, None),
                    Expected::Reject(rule) => (CellOutcome::Reject, None, Some(rule.as_str())),
                };
                out.push(TruthCell {
                    file: file.to_string(),
                    sheet: sheet.name.clone(),
                    cell: address.clone(),
                    level: row.level.as_str().to_string(),
                    entity_id: row.entity_id.clone(),
                    indicator: code.to_string(),
                    year: *year,
                    outcome: outcome.as_str().to_string(),
                    value,
                    rule: rule.map(str::to_string),
                });
            }
        }
    }
    out
}

impl Inbox {
    /// Writes a form under its name (made distinct); records its cells when zlbd reads it.
    /// Returns the name it was written under.
    pub fn add_form(
        &mut self,
        form: &FormPlan,
        status: SubmissionStatus,
    ) -> Result<String, SampleError> {
        let file = distinct(&mut self.names, form.file.clone());
        let (bytes, placement) = write_form(&book(form)).map_err(|source| SampleError::Xlsx {
            file: file.clone(),
            source,
        })?;
        if matches!(
            status,
            SubmissionStatus::Active | SubmissionStatus::Superseded
        ) {
            self.truth.cells.extend(cells(form, &file, &placement));
        }
        self.insert(file.clone(), bytes, status);
        Ok(file)
    }

    /// Adds a file that is no form of ours (a copy, a broken file, a stray note).
    pub fn add_file(&mut self, name: String, bytes: Vec<u8>, status: SubmissionStatus) -> String {
        let file = distinct(&mut self.names, name);
        self.insert(file.clone(), bytes, status);
        file
    }

    fn insert(&mut self, file: String, bytes: Vec<u8>, status: SubmissionStatus) {
        let status = status.as_str().to_string();
        self.truth.files.insert(file.clone(), TruthFile { status });
        self.files.insert(file, bytes);
    }

    pub fn bytes(&self, file: &str) -> Option<&[u8]> {
        self.files.get(file).map(Vec::as_slice)
    }

    /// A correction replaces the file's values: of `year` only, or of every year (the whole
    /// file is then superseded).
    pub fn supersede(&mut self, file: &str, year: Option<i32>) {
        if year.is_none() {
            let status = SubmissionStatus::Superseded.as_str().to_string();
            self.truth
                .files
                .insert(file.to_string(), TruthFile { status });
        }
        let fact = CellOutcome::Fact.as_str();
        for cell in &mut self.truth.cells {
            if cell.file == file && cell.outcome == fact && year.is_none_or(|y| y == cell.year) {
                cell.outcome = "superseded".to_string();
                cell.value = None;
            }
        }
    }

    /// Writes every file and truth.json into `out`.
    pub fn save(mut self, out: &Path, seed: u64) -> Result<Truth, SampleError> {
        let io = |path: &Path| {
            let file = path.display().to_string();
            move |source| SampleError::Io { file, source }
        };
        std::fs::create_dir_all(out).map_err(io(out))?;
        let truth = &mut self.truth;
        let status = SubmissionStatus::Ignored.as_str().to_string();
        truth
            .files
            .insert("truth.json".to_string(), TruthFile { status });
        truth.notes.insert(
            "about".to_string(),
            "Written by `zlbd sample`: the expected outcome of every indicator cell.".to_string(),
        );
        truth.notes.insert("seed".to_string(), seed.to_string());
        truth.cells.sort_by(|a, b| {
            (&a.file, &a.sheet, a.cell.len(), &a.cell).cmp(&(
                &b.file,
                &b.sheet,
                b.cell.len(),
                &b.cell,
            ))
        });
        for (file, bytes) in &self.files {
            let path = out.join(file);
            std::fs::write(&path, bytes).map_err(io(&path))?;
        }
        let path = out.join("truth.json");
        let json = serde_json::to_string_pretty(&self.truth)
            .map_err(|error| io(&path)(std::io::Error::other(error)))?;
        std::fs::write(&path, json + "\n").map_err(io(&path))?;
        Ok(self.truth)
    }
}
