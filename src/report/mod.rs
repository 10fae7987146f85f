//! Results for people, written with rust_xlsxwriter and plotters:
//! - the report of a published snapshot ([`write_report`], [`write_results`]): one static
//!   `index.html` with inline SVG charts, and Excel result packs beside it;
//! - feedback for submitters ([`write_feedback`]): one workbook per submitter and a summary;
//! - the blank and pre-filled forms submitters fill in (`template`), laid out by the form writer
//!   that the sample generator shares.
//!
//! Reads the warehouse (and the layers below it) only: a report is a function of a snapshot's
//! Parquet tables and the pipeline's roster and catalog.

pub(crate) mod charts;
pub(crate) mod feedback;
pub(crate) mod form_writer;
pub(crate) mod html;
pub(crate) mod model;
pub(crate) mod packs;
pub(crate) mod snapshot;
pub(crate) mod template;

pub use feedback::{
    dropped_by_corrections, notices, takeovers, unit_slips, write_feedback, Notice, YearWinners,
};

use crate::config::Plan;
use crate::timing::timed;
use polars::prelude::PolarsError;
use rust_xlsxwriter::XlsxError;
use std::path::{Path, PathBuf};

/// The folder inside a snapshot that holds its report.
pub const REPORT_DIR: &str = "report";
/// The report page's file name.
pub const INDEX: &str = "index.html";

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
    /// The snapshot's tables cannot be read.
    #[error("cannot read the snapshot: {0}")]
    Snapshot(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the report of the snapshot folder `snapshot_dir` into `out`: `index.html` and the
/// Excel packs. Returns the paths written, the page first.
pub fn write_report(
    snapshot_dir: &Path,
    plan: &Plan,
    out: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    let snapshot = timed("report: read the snapshot", || {
        snapshot::Snapshot::read(snapshot_dir, &plan.years)
    })
    .map_err(ReportError::Snapshot)?;
    // The packs' last-year ranks need only the snapshot: found beside the model.
    let (model, last) = rayon::join(
        || timed("report: model", || model::build(&snapshot, plan)),
        || {
            timed("report: last-year ranks", || {
                packs::at_last(&snapshot, plan.last_year())
            })
        },
    );
    std::fs::create_dir_all(out).map_err(io(out))?;
    let page = out.join(INDEX);
    let staging = out.join(format!(".{INDEX}.tmp"));
    let (rendered, packs) = rayon::join(
        || {
            let page_text = timed("report: page", || html::render(&model));
            std::fs::write(&staging, page_text).map_err(io(&staging))?;
            std::fs::rename(&staging, &page).map_err(io(&page))
        },
        || {
            timed("report: packs", || {
                packs::write_packs(out, &snapshot, &model, plan, &last)
            })
        },
    );
    rendered?;
    let mut written = vec![page];
    written.extend(packs?);
    Ok(written)
}

/// Writes the report into a published snapshot, as `<snapshot>/report/` (called by `zlbd run`
/// under the warehouse lock, after the publish; a failure there is a warning, never a failed
/// run). Returns the paths written, the page first.
///
/// The report is built beside the snapshot (`snapshots/.tmp-report-…`, which the warehouse's
/// clean-up removes if a killed run leaves it) and moved in with one rename, so a reader never
/// sees half a report. A rerun whose report is byte-identical (an unchanged snapshot) leaves the
/// folder as it is; a different one replaces it (the old one moved aside as `.del-report-…`).
pub fn write_results(snapshot_dir: &Path, plan: &Plan) -> Result<Vec<PathBuf>, ReportError> {
    let parent = snapshot_dir.parent().unwrap_or(Path::new("."));
    let name = snapshot_dir
        .file_name()
        .map(|name| name.to_string_lossy().to_string())
        .unwrap_or_default();
    let pid = std::process::id();
    let staging = parent.join(format!(".tmp-report-{name}-{pid}"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    let written = match write_report(snapshot_dir, plan, &staging) {
        Ok(written) => written,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(error);
        }
    };
    let target = snapshot_dir.join(REPORT_DIR);
    let moved = |path: PathBuf| match path.strip_prefix(&staging) {
        Ok(relative) => target.join(relative),
        Err(_) => path,
    };
    if target.is_dir() && same_files(&target, &staging) {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
        return Ok(written.into_iter().map(moved).collect());
    }
    let aside = parent.join(format!(".del-report-{name}-{pid}"));
    if target.exists() {
        std::fs::rename(&target, &aside).map_err(io(&target))?;
    }
    std::fs::rename(&staging, &target).map_err(io(&staging))?;
    if aside.exists() {
        std::fs::remove_dir_all(&aside).map_err(io(&aside))?;
    }
    Ok(written.into_iter().map(moved).collect())
}

/// Whether two folders hold the same files with the same bytes (one level: a report is flat).
fn same_files(a: &Path, b: &Path) -> bool {
    let files = |dir: &Path| -> Option<std::collections::BTreeMap<String, Vec<u8>>> {
        std::fs::read_dir(dir)
            .ok()?
            .map(|entry| {
                let entry = entry.ok()?;
                let bytes = std::fs::read(entry.path()).ok()?;
                Some((entry.file_name().to_string_lossy().to_string(), bytes))
            })
            .collect()
    };
    match (files(a), files(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}
