//! The stages wired together: inbox → per-file results (parallel, cached) → normalize →
//! compare → the snapshot's tables. `run` publishes them; `validate` only reports.

use crate::compare::{self, Compared};
use crate::config::Plan;
use crate::domain::address::reading_order;
use crate::domain::columns::{self as c, table};
use crate::domain::{Finding, Severity, SubmissionStatus};
use crate::ingest::workbook::check_file_size;
use crate::ingest::{self, EntryProblem, FileContent, InboxFile};
use crate::normalize::{self, Content, FileResult, Normalized};
use crate::timing::timed;
use crate::warehouse::Tables;
use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod cache;
pub mod memo;
pub mod summary;

pub use cache::Cache;
pub use summary::Summary;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The inbox folder cannot be listed.
    #[error("cannot read the inbox {path}: {source}")]
    Inbox {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A polars computation failed (a bug, not bad input).
    #[error("computation failed: {0}")]
    Compute(#[from] PolarsError),
}

/// Per-file results, and where each came from (same order).
pub struct Ingested {
    pub files: Vec<FileResult>,
    pub origins: Vec<Origin>,
    pub from_cache: usize,
}

impl Ingested {
    /// Writes the parse cache of this run: every file read as a workbook.
    pub fn write_cache(&self, cache: &Cache) {
        cache.write(&self.files, &self.origins);
    }
}

/// Every entry below the inbox (see [`ingest::discover`]). Fails only on an unreadable inbox.
/// `exclude` names this command's own output folders (warehouse, feedback), never read as
/// input even when inside the inbox.
pub fn discover(inbox: &Path, exclude: &[PathBuf]) -> Result<Vec<InboxFile>, PipelineError> {
    ingest::discover(inbox, exclude).map_err(|source| PipelineError::Inbox {
        path: inbox.to_path_buf(),
        source,
    })
}

/// Reads every inbox file in parallel (see [`ingest`]).
pub fn ingest_inbox(
    plan: &Plan,
    inbox: &Path,
    exclude: &[PathBuf],
    cache: Option<&Cache>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Ingested, PipelineError> {
    let found = discover(inbox, exclude)?;
    Ok(ingest(plan, &found, cache, &[], progress))
}

/// Reads the files found, in parallel, in their order. Never fails on a file (each unreadable
/// one is a rejected row). A file whose id is `known` (by position; a shorter list knows the
/// rest by none) is not read at all when the cache holds its parse.
pub fn ingest(
    plan: &Plan,
    found: &[InboxFile],
    cache: Option<&Cache>,
    known: &[Option<&str>],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Ingested {
    let done = AtomicUsize::new(0);
    let total = found.len();
    let (files, origins): (Vec<FileResult>, Vec<Origin>) = found
        .par_iter()
        .enumerate()
        .map(|(at, file)| {
            let known = known.get(at).copied().flatten();
            let read = process_file(plan, file, cache, known);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            read
        })
        .unzip();
    let from_cache = origins
        .iter()
        .filter(|origin| **origin == Origin::Cache)
        .count();
    Ingested {
        files,
        origins,
        from_cache,
    }
}

/// The submission id of every file found, in order, without parsing any: the one `memo` knows
/// by its stamp, else the hash of its bytes, read now (or of its path, for an entry not read
/// for what its name, size or listing say). None when a file that should be read could not
/// be: only a full run says why, and whether it can be read again.
pub fn identify(
    plan: &Plan,
    found: &[InboxFile],
    memo: &memo::Memo,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Option<Vec<String>> {
    let done = AtomicUsize::new(0);
    let total = found.len();
    let id = |file: &InboxFile| match memo.known_id(file) {
        Some(id) => Some(id.to_string()),
        None => match load::<()>(plan, file) {
            Ok((id, _bytes)) => Some(id),
            Err(_)
                if file.problem.is_none()
                    && ingest::ignore_reason(&file.relative).is_none()
                    && check_file_size(file.size, &plan.limits).is_ok() =>
            {
                None
            }
            Err(not_read) => Some(not_read.submission_id),
        },
    };
    found
        .par_iter()
        .map(|file| {
            let id = id(file);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            id
        })
        .collect()
}

/// A file's extension, lower case: the `file_format` of a file that is never opened.
fn extension(relative: &str) -> String {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    name.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default()
}

/// A file that was not read as a workbook: its id and why.
pub struct NotRead<T> {
    pub submission_id: String,
    pub content: FileContent<T>,
}

/// Reads one inbox file's bytes and fingerprints them, or says why it is not read: found not
/// readable or not a file by discovery, too large (checked before reading, and again while
/// reading), unreadable, or ignored by name. Shared by `run`, `validate` and `inspect`, so each
/// judges a file the same way.
pub fn load<T>(plan: &Plan, file: &InboxFile) -> Result<(String, Vec<u8>), NotRead<T>> {
    // No bytes to hash: the path names the row instead.
    let by_path = || path_id(&file.relative);
    if let Some(problem) = &file.problem {
        return Err(NotRead {
            submission_id: by_path(),
            content: not_read(problem.clone()),
        });
    }
    let bytes = match check_file_size(file.size, &plan.limits) {
        Err(too_large) => Err(EntryProblem::Unreadable(too_large.to_string())),
        Ok(()) => ingest::read_limited(file, &plan.limits),
    };
    let ignored = ingest::ignore_reason(&file.relative).map(|reason| FileContent::Ignored {
        reason: reason.to_string(),
    });
    match bytes {
        Ok(bytes) => {
            let submission_id = ingest::fingerprint(&bytes);
            match ignored {
                Some(content) => Err(NotRead {
                    submission_id,
                    content,
                }),
                None => Ok((submission_id, bytes)),
            }
        }
        Err(problem) => Err(NotRead {
            submission_id: by_path(),
            content: match problem {
                EntryProblem::Unreadable(_) => ignored.unwrap_or_else(|| not_read(problem)),
                EntryProblem::Ignored(_) => not_read(problem),
            },
        }),
    }
}

/// The id of an entry whose bytes were not read: the hash of its path.
pub fn path_id(relative: &str) -> String {
    crate::domain::text::hex(&Sha256::digest(relative.as_bytes()))
}

/// The row of an entry that is not read: rejected (cannot be read) or ignored (not a form).
fn not_read<T>(problem: EntryProblem) -> FileContent<T> {
    match problem {
        EntryProblem::Unreadable(reason) => FileContent::Rejected {
            reason,
            form: None,
            submitter: None,
            finding: None,
            contact: None,
        },
        EntryProblem::Ignored(reason) => FileContent::Ignored { reason },
    }
}

/// Where a file's result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The parse cache.
    Cache,
    /// Read and parsed now.
    Parsed,
    /// Not read as a workbook (ignored by name, unreadable, too large, not a file): never
    /// cached, since the same bytes under another name are a form.
    NotRead,
}

/// One file: fingerprint, then the cache or a full read. `known` is the id of the file's bytes
/// when its stamp says they are the ones read before: then the cache answers without the file
/// being read.
pub fn process_file(
    plan: &Plan,
    file: &InboxFile,
    cache: Option<&Cache>,
    known: Option<&str>,
) -> (FileResult, Origin) {
    let result = |submission_id: String, file_format: String, content: Content| FileResult {
        source_file: file.relative.clone(),
        size_bytes: file.size,
        modified_ns: file.modified_ns,
        submission_id,
        file_format,
        content,
    };
    let by_name = ingest::ignore_reason(&file.relative).is_some();
    let known = known.filter(|_| !by_name);
    if let Some((cache, id)) = cache.zip(known) {
        if let Some(entry) = cache.get(id, &file.relative) {
            let cached = result(id.to_string(), entry.file_format, entry.content);
            return (cached, Origin::Cache);
        }
    }
    let (submission_id, bytes) = match load(plan, file) {
        Ok(loaded) => loaded,
        Err(not_read) => {
            let format = extension(&file.relative);
            let row = result(not_read.submission_id, format, not_read.content);
            return (row, Origin::NotRead);
        }
    };
    // Asked already when the id was known (a damaged entry is reported once).
    let asked = known == Some(submission_id.as_str());
    let cache = cache.filter(|_| !asked);
    if let Some(entry) = cache.and_then(|cache| cache.get(&submission_id, &file.relative)) {
        let cached = result(submission_id, entry.file_format, entry.content);
        return (cached, Origin::Cache);
    }
    let (format, content) = ingest::extract(
        &bytes,
        plan,
        &submission_id,
        &file.relative,
        ingest::Detail::Cells,
    );
    let content = normalize::content(content, plan);
    let format = format
        .map(|format| format.as_str().to_string())
        .unwrap_or_else(|| extension(&file.relative));
    (result(submission_id, format, content), Origin::Parsed)
}

/// Everything a run computes.
pub struct Built {
    pub normalized: Normalized,
    pub compared: Compared,
    /// All rejects rows, sorted.
    pub findings: Vec<Finding>,
    pub tables: Tables,
}

/// Normalize and compare the ingested files, and assemble the snapshot's tables. With a
/// `cache`, the parse cache of this run is written beside normalize, which only reads the
/// files: the writing thread encodes on the shared pool and writes the pack, and normalize
/// leaves part of a core idle. The cache, with the pack it read, is freed as soon as it is
/// written; the files' cells once normalize and the writing are both done. A cache that cannot
/// get a thread is not written (it is best effort: it only saves the next run time).
pub fn build(
    plan: &Plan,
    ingested: &mut Ingested,
    cache: Option<Cache>,
) -> Result<Built, PipelineError> {
    let read: &Ingested = ingested;
    let normalized = std::thread::scope(|scope| {
        if let Some(cache) = cache {
            let write = move || timed("write the parse cache", || read.write_cache(&cache));
            let writer = std::thread::Builder::new()
                .name("parse-cache".to_string())
                .spawn_scoped(scope, write);
            if let Err(error) = writer {
                tracing::warn!(%error, "The parse cache was not written: no thread for it.");
            }
        }
        timed("normalize", || normalize::combine(&read.files, plan))
    });
    normalize::free_cells(&mut ingested.files);
    let mut normalized = normalized?;
    let active: HashSet<String> = {
        let ids = normalized.submissions.column(c::SUBMISSION_ID)?.str()?;
        let statuses = normalized.submissions.column(c::STATUS)?.str()?;
        ids.iter()
            .zip(statuses.iter())
            .filter(|(_, status)| *status == Some(SubmissionStatus::Active.as_str()))
            .filter_map(|(id, _)| id.map(str::to_string))
            .collect()
    };
    let error_entities: HashSet<(String, String)> = normalized
        .findings
        .iter()
        .filter(|finding| {
            finding.rule.severity() == Severity::Error && active.contains(&finding.submission_id)
        })
        .filter_map(|finding| Some((finding.level.clone()?, finding.entity_id.clone()?)))
        .collect();
    let compared = timed("compare", || {
        crate::timing::at_peak(|| {
            compare::compare(
                plan,
                // Moved: `compared.facts` holds them (with the derived ones) from here on.
                std::mem::take(&mut normalized.facts),
                &normalized.entities,
                &error_entities,
            )
        })
    })?;
    let mut findings = normalized.findings.clone();
    findings.extend(compared.findings.iter().cloned());
    findings.sort_by(|a, b| {
        (
            &a.source_file,
            &a.source_sheet,
            reading_order(a.source_cell.as_deref()),
            a.rule,
            &a.indicator_code,
            a.year,
        )
            .cmp(&(
                &b.source_file,
                &b.source_sheet,
                reading_order(b.source_cell.as_deref()),
                b.rule,
                &b.indicator_code,
                b.year,
            ))
    });
    findings.dedup();
    let mut tables: Tables = BTreeMap::new();
    tables.insert(table::SUBMISSIONS, normalized.submissions.clone());
    tables.insert(table::DIM_ENTITY, compared.dim_entity.clone());
    tables.insert(table::DIM_INDICATOR, compared.dim_indicator.clone());
    tables.insert(table::FACT_INDICATOR, compared.facts.clone());
    tables.insert(table::FACT_COMPARISON, compared.comparison.clone());
    tables.insert(table::ENTITY_SCORE, compared.scores.clone());
    tables.insert(table::ENTITY_SCORE_DETAIL, compared.score_detail.clone());
    tables.insert(
        table::REJECTS,
        timed("rejects table", || findings_frame(&findings))?,
    );
    tables.insert(table::CORRECTIONS, normalized.corrections.clone());
    tables.insert(table::ROSTER_STATUS, compared.roster_status.clone());
    Ok(Built {
        normalized,
        compared,
        findings,
        tables,
    })
}

pub use crate::timing::{peak_rss_mb, rss_mb};

/// The `rejects` table.
pub fn findings_frame(findings: &[Finding]) -> PolarsResult<DataFrame> {
    let text = |get: &dyn Fn(&Finding) -> Option<String>| {
        findings.iter().map(get).collect::<Vec<Option<String>>>()
    };
    DataFrame::new_infer_height(vec![
        Column::new(
            c::SUBMISSION_ID.into(),
            text(&|f| Some(f.submission_id.clone())),
        ),
        Column::new(
            c::SOURCE_FILE.into(),
            text(&|f| Some(f.source_file.clone())),
        ),
        Column::new(c::SOURCE_SHEET.into(), text(&|f| f.source_sheet.clone())),
        Column::new(c::SOURCE_CELL.into(), text(&|f| f.source_cell.clone())),
        Column::new(c::LEVEL.into(), text(&|f| f.level.clone())),
        Column::new(c::ENTITY_ID.into(), text(&|f| f.entity_id.clone())),
        Column::new(
            c::INDICATOR_CODE.into(),
            text(&|f| f.indicator_code.clone()),
        ),
        Column::new(
            c::YEAR.into(),
            findings.iter().map(|f| f.year).collect::<Vec<_>>(),
        ),
        Column::new(c::RULE.into(), text(&|f| Some(f.rule.as_str().to_string()))),
        Column::new(
            c::SEVERITY.into(),
            text(&|f| Some(f.rule.severity().as_str().to_string())),
        ),
        Column::new(c::MESSAGE.into(), text(&|f| Some(f.message.clone()))),
        Column::new(c::RAW_VALUE.into(), text(&|f| f.raw_value.clone())),
    ])
}

impl Summary {
    pub fn of(built: &Built) -> PolarsResult<Summary> {
        let mut summary = Summary::default();
        for status in built
            .normalized
            .submissions
            .column(c::STATUS)?
            .str()?
            .iter()
            .flatten()
        {
            *summary
                .files_by_status
                .entry(status.to_string())
                .or_insert(0) += 1;
        }
        let derived = built.compared.facts.column(c::IS_DERIVED)?.bool()?;
        summary.facts_derived = derived.iter().filter(|d| *d == Some(true)).count() as i64;
        summary.facts_loaded = built.compared.facts.height() as i64 - summary.facts_derived;
        for finding in &built.findings {
            match finding.rule.severity() {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
            }
            *summary
                .rejects_by_rule
                .entry(finding.rule.as_str().to_string())
                .or_insert(0) += 1;
        }
        Ok(summary)
    }
}
