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
use crate::warehouse::Tables;
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// The parse cache: one postcard file per (file bytes, config, program version and source
/// fingerprint from build.rs); compact and faster to read back than the workbook is to parse.
///
/// Each entry is `CACHE_MAGIC`, the SHA-256 of the payload, then the payload: a flipped bit, a
/// truncated or foreign file is detected, logged, re-parsed and overwritten, never served.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    file_format: String,
    content: Content,
}

/// The first bytes of every cache entry (format version 2: checksummed).
const CACHE_MAGIC: &[u8; 8] = b"ZLBDC\x002\n";
const CACHE_HEADER: usize = CACHE_MAGIC.len() + 32;

/// A cache entry that was there but could not be used.
#[derive(Debug, PartialEq)]
enum CacheDamage {
    Header,
    Checksum,
    Decode(String),
}

impl std::fmt::Display for CacheDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CacheDamage::Header => {
                write!(f, "no cache header (truncated or not a zlbd cache entry)")
            }
            CacheDamage::Checksum => write!(f, "checksum mismatch (the entry was altered on disk)"),
            CacheDamage::Decode(error) => write!(f, "cannot be decoded: {error}"),
        }
    }
}

/// The bytes of a cache entry file: header with checksum, then the payload.
fn seal(payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(CACHE_HEADER + payload.len());
    bytes.extend_from_slice(CACHE_MAGIC);
    bytes.extend_from_slice(&Sha256::digest(payload));
    bytes.extend_from_slice(payload);
    bytes
}

/// The entry in a cache file, if its checksum holds.
fn unseal(bytes: &[u8]) -> Result<CacheEntry, CacheDamage> {
    if bytes.len() < CACHE_HEADER || !bytes.starts_with(CACHE_MAGIC) {
        return Err(CacheDamage::Header);
    }
    let (checksum, payload) = bytes[CACHE_MAGIC.len()..].split_at(32);
    if Sha256::digest(payload).as_slice() != checksum {
        return Err(CacheDamage::Checksum);
    }
    postcard::from_bytes(payload).map_err(|error| CacheDamage::Decode(error.to_string()))
}

impl Cache {
    pub fn new(dir: PathBuf, plan: &Plan) -> Cache {
        Cache {
            dir,
            salt: format!(
                "{}:{}:{}",
                env!("CARGO_PKG_VERSION"),
                env!("ZLBD_SOURCE_HASH"),
                plan.fingerprint
            ),
        }
    }

    fn path(&self, submission_id: &str) -> PathBuf {
        let key =
            crate::domain::text::hex(&Sha256::digest(format!("{}:{submission_id}", self.salt)));
        self.dir.join(&key[..2]).join(format!("{key}.bin"))
    }

    /// The cached result for these bytes, if there is a sound one. A damaged entry is logged
    /// (naming the inbox file and the entry) and treated as absent: the file is parsed again
    /// and the entry overwritten.
    fn get(&self, submission_id: &str, source_file: &str) -> Option<CacheEntry> {
        let path = self.path(submission_id);
        let bytes = std::fs::read(&path).ok()?;
        match unseal(&bytes) {
            Ok(entry) => Some(entry),
            Err(damage) => {
                tracing::warn!(
                    file = %source_file,
                    cache_entry = %path.display(),
                    problem = %damage,
                    "Damaged parse-cache entry ignored; the file is read again and the entry rewritten."
                );
                None
            }
        }
    }

    /// Best effort: a cache that cannot be written only costs time.
    fn put(&self, submission_id: &str, entry: &CacheEntry) {
        let path = self.path(submission_id);
        let Some(parent) = path.parent() else { return };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let Ok(payload) = postcard::to_stdvec(entry) else {
            return;
        };
        // Unique per process and write: two copies of one file may be read at the same time.
        static WRITES: AtomicUsize = AtomicUsize::new(0);
        let staging = path.with_extension(format!(
            "tmp{}-{}",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        if std::fs::write(&staging, seal(&payload)).is_ok() {
            let _ = std::fs::rename(&staging, &path);
        }
    }
}

/// Per-file results plus how many came from the cache.
pub struct Ingested {
    pub files: Vec<FileResult>,
    pub from_cache: usize,
}

/// Reads every inbox file in parallel. Never fails on a file or a sub-folder (each unreadable
/// one is a rejected row); only on an unreadable inbox. `exclude` names this command's own
/// output folders (warehouse, feedback), never read as input even when inside the inbox.
pub fn ingest_inbox(
    plan: &Plan,
    inbox: &Path,
    exclude: &[PathBuf],
    cache: Option<&Cache>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Ingested, PipelineError> {
    let found = ingest::discover(inbox, exclude).map_err(|source| PipelineError::Inbox {
        path: inbox.to_path_buf(),
        source,
    })?;
    let done = AtomicUsize::new(0);
    let from_cache = AtomicUsize::new(0);
    let total = found.len();
    let files: Vec<FileResult> = found
        .par_iter()
        .map(|file| {
            let (result, cached) = process_file(plan, file, cache);
            if cached {
                from_cache.fetch_add(1, Ordering::Relaxed);
            }
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            result
        })
        .collect();
    Ok(Ingested {
        files,
        from_cache: from_cache.into_inner(),
    })
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
    let by_path = || crate::domain::text::hex(&Sha256::digest(file.relative.as_bytes()));
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

/// The row of an entry that is not read: rejected (cannot be read) or ignored (not a form).
fn not_read<T>(problem: EntryProblem) -> FileContent<T> {
    match problem {
        EntryProblem::Unreadable(reason) => FileContent::Rejected {
            reason,
            form: None,
            submitter: None,
            finding: None,
        },
        EntryProblem::Ignored(reason) => FileContent::Ignored { reason },
    }
}

/// One file: fingerprint, then the cache or a full read. Returns whether the cache answered.
pub fn process_file(plan: &Plan, file: &InboxFile, cache: Option<&Cache>) -> (FileResult, bool) {
    let result = |submission_id: String, file_format: String, content: Content| FileResult {
        source_file: file.relative.clone(),
        size_bytes: file.size,
        modified_ns: file.modified_ns,
        submission_id,
        file_format,
        content,
    };
    let (submission_id, bytes) = match load(plan, file) {
        Ok(loaded) => loaded,
        Err(not_read) => {
            let format = extension(&file.relative);
            return (
                result(not_read.submission_id, format, not_read.content),
                false,
            );
        }
    };
    if let Some(entry) = cache.and_then(|cache| cache.get(&submission_id, &file.relative)) {
        return (
            result(submission_id, entry.file_format, entry.content),
            true,
        );
    }
    let (format, content) = ingest::extract(&bytes, plan, &submission_id, &file.relative);
    let content = normalize::content(content, plan);
    let entry = CacheEntry {
        file_format: format
            .map(|format| format.as_str().to_string())
            .unwrap_or_else(|| extension(&file.relative)),
        content,
    };
    if let Some(cache) = cache {
        cache.put(&submission_id, &entry);
    }
    (
        result(submission_id, entry.file_format, entry.content),
        false,
    )
}

/// Everything a run computes.
pub struct Built {
    pub normalized: Normalized,
    pub compared: Compared,
    /// All rejects rows, sorted.
    pub findings: Vec<Finding>,
    pub tables: Tables,
}

/// Normalize and compare the ingested files, and assemble the snapshot's tables.
pub fn build(plan: &Plan, files: &mut [FileResult]) -> Result<Built, PipelineError> {
    let clock = std::time::Instant::now();
    let normalized = normalize::combine(files, plan)?;
    tracing::debug!(
        seconds = clock.elapsed().as_secs_f64(),
        peak_rss_mb = peak_rss_mb(),
        "Normalized."
    );
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
    let compared = compare::compare(
        plan,
        &normalized.facts,
        &normalized.entities,
        &error_entities,
    )?;
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
    tables.insert(table::REJECTS, findings_frame(&findings)?);
    tables.insert(table::CORRECTIONS, normalized.corrections.clone());
    tables.insert(table::ROSTER_STATUS, compared.roster_status.clone());
    Ok(Built {
        normalized,
        compared,
        findings,
        tables,
    })
}

/// This process's peak resident memory in MB (Linux), for the phase logs.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

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

/// Counts for the run summary and the runs log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub files_by_status: BTreeMap<String, i64>,
    pub facts_loaded: i64,
    pub facts_derived: i64,
    pub errors: i64,
    pub warnings: i64,
    pub rejects_by_rule: BTreeMap<String, i64>,
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

    pub fn files(&self, status: SubmissionStatus) -> i64 {
        self.files_by_status
            .get(status.as_str())
            .copied()
            .unwrap_or(0)
    }

    /// SPEC §9: 3 when anything was rejected, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.errors > 0 || self.files(SubmissionStatus::Rejected) > 0 {
            3
        } else {
            0
        }
    }

    pub fn render(&self) -> String {
        let files: i64 = self.files_by_status.values().sum();
        let by_status = self
            .files_by_status
            .iter()
            .map(|(status, n)| format!("{status} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let by_rule = self
            .rejects_by_rule
            .iter()
            .map(|(rule, n)| format!("{rule} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "files: {files} ({by_status})\nfacts: {} loaded, {} derived\nrejects: {} errors, {} warnings{}\n",
            self.facts_loaded,
            self.facts_derived,
            self.errors,
            self.warnings,
            if by_rule.is_empty() { String::new() } else { format!("\nby rule: {by_rule}") }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flipped_bit_in_a_cache_entry_is_detected() {
        let entry = CacheEntry {
            file_format: "xlsx".to_string(),
            content: Content::Ignored {
                reason: "x".to_string(),
            },
        };
        let sealed = seal(&postcard::to_stdvec(&entry).unwrap());
        assert!(unseal(&sealed).is_ok());
        for at in 0..sealed.len() {
            for bit in 0..8 {
                let mut damaged = sealed.clone();
                damaged[at] ^= 1 << bit;
                assert!(unseal(&damaged).is_err(), "byte {at} bit {bit}");
            }
        }
        assert_eq!(
            unseal(&sealed[..sealed.len() - 1]).err(),
            Some(CacheDamage::Checksum)
        );
        assert_eq!(unseal(b"short").err(), Some(CacheDamage::Header));
    }
}
