//! `zlbd run`: build the warehouse from the inbox and publish it atomically.
//!
//! Exit codes (SPEC §9) say what happened to `current`:
//! - 0 / 3: published (3 with error rejects or rejected files, or with a problem after the
//!   switch such as a failed prune: the publish stands and the warning says so). A run whose
//!   tables are byte-identical to `current` records itself and adds no snapshot.
//! - 1: nothing published, `current` untouched: a failure before the switch, the shrink guard,
//!   a lock error other than "held", or a lock file deleted or replaced during the run.
//! - 4: another run holds the lock.

use crate::cli::{print_error, print_out, RunArgs};
use crate::domain::SubmissionStatus;
use crate::exit;
use crate::ingest::InboxFile;
use crate::pipeline::memo::{Memo, PublishedFrom};
use crate::pipeline::{self, Cache, Summary};
use crate::timing::timed;
use crate::warehouse::{
    self,
    lock::{LockError, WarehouseLock},
    marker::{self, MarkerInfo, MarkerOutcome, RunMarker},
    runs, Published, ShrinkRefused, WarehouseError,
};
use std::path::{Path, PathBuf};
use tracing::{info, info_span, warn};

/// The parse cache's folder in the warehouse.
const CACHE_DIR: &str = "cache";

/// A run id that sorts by time: 20261121T051200123456Z.
pub fn new_run_id(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("%Y%m%dT%H%M%S%6fZ").to_string()
}

/// How a run ended.
enum Outcome {
    /// `current` points at the published (or the identical, unchanged) snapshot.
    Published {
        summary: Box<Summary>,
        published: Published,
        /// Set when the run repeated an earlier one and published nothing.
        unchanged_since: Option<Unchanged>,
    },
    /// The shrink guard refused: nothing published.
    Refused {
        summary: Box<Summary>,
        refused: ShrinkRefused,
    },
    /// Nothing published; the previous snapshot is untouched.
    Failed(String),
    /// The lock file was deleted or replaced during the run: nothing published, and this run
    /// may not write the runs log (another run may be writing it).
    LockLost(String),
}

/// A run that repeated an earlier one (by its run id): the snapshot published then stands.
enum Unchanged {
    /// The same listing, configuration and program: nothing was read.
    Listing(String),
    /// Files whose stamps changed but whose paths, bytes and modification times did not: read
    /// only to hash them (those whose stamps changed), nothing parsed or computed.
    Inputs(String),
}

impl Unchanged {
    /// What the run found, for the headline and the runs log.
    fn found(&self) -> String {
        match self {
            Unchanged::Listing(since) => format!(
                "nothing changed since run {since} (same inbox files, configuration and program); nothing was read"
            ),
            Unchanged::Inputs(since) => format!(
                "the inbox holds the files of run {since} (same names, bytes and modification times, configuration and program); nothing was parsed or recomputed"
            ),
        }
    }
}

pub fn run(args: RunArgs) -> i32 {
    let plan = match super::prepare(&args.pipeline, &args.inbox) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let started = chrono::Utc::now();
    let run_id = new_run_id(started);
    let span = info_span!("run", run_id = %run_id);
    let _entered = span.enter();
    let pipeline_dir =
        std::fs::canonicalize(&plan.pipeline_dir).unwrap_or_else(|_| plan.pipeline_dir.clone());
    // A warehouse folder that did not exist is made by this run: said in the summary, since a
    // typo in --warehouse would otherwise build a second warehouse without a word.
    let new_warehouse = !args.warehouse.exists();
    let holder = format!(
        "pid {} run {run_id} started {}",
        std::process::id(),
        started.to_rfc3339()
    );
    let lock = match WarehouseLock::acquire(&args.warehouse, &holder) {
        Ok(lock) => lock,
        Err(error @ LockError::Held { .. }) => {
            print_error(&error);
            return exit::LOCKED;
        }
        Err(error) => {
            print_error(&format_args!(
                "run failed; nothing was published and the previous snapshot is untouched: {error}"
            ));
            return exit::FAILED;
        }
    };
    if let Some(previous) = &lock.recovered_from {
        warn!(previous = %previous, "Recovered a stale warehouse lock left by a run that did not finish.");
    }
    let mut marker = match RunMarker::create(
        &args.warehouse,
        MarkerInfo {
            run_id: run_id.clone(),
            pid: std::process::id(),
            command: "run".to_string(),
            started_at: started,
            phase: "starting".to_string(),
            outcome: None,
            counts: None,
        },
    ) {
        Ok(marker) => marker,
        Err(error) => {
            print_error(&format_args!(
                "run failed; nothing was published: cannot write the run marker in {}: {error}",
                args.warehouse.display()
            ));
            return exit::FAILED;
        }
    };
    record_runs_that_did_not_finish(&args.warehouse, &run_id, &format!("run {run_id}"));
    let cleaned = warehouse::clean_leftovers(&args.warehouse);
    if !cleaned.is_empty() {
        info!(removed = ?cleaned, "Removed what runs that did not finish left behind.");
    }
    let mut record = runs::RunRecord {
        run_id: run_id.clone(),
        started_at: started,
        command: "run".to_string(),
        config_hash: plan.fingerprint.clone(),
        program_version: env!("CARGO_PKG_VERSION").to_string(),
        ..Default::default()
    };
    let outcome = build_and_publish(&plan, &args, &run_id, &lock, &mut marker, &mut record);
    // A refused run read too few files to tell which parse-cache records the inbox still
    // needs: the pack it replaced goes back.
    // (A previous pack is only ever this run's: opening the cache removed any other.)
    let cache_dir = args.warehouse.join(CACHE_DIR);
    match &outcome {
        _ if args.no_cache => {}
        // The warehouse is no longer this run's to touch.
        Outcome::LockLost(_) => {}
        Outcome::Refused { .. } => Cache::restore_previous(&cache_dir),
        _ => Cache::discard_previous(&cache_dir),
    }
    record.finished_at = chrono::Utc::now();
    let code = report(&outcome, &args, &run_id, &pipeline_dir, &mut record);
    if new_warehouse && matches!(outcome, Outcome::Published { .. }) {
        warn!(
            warehouse = %args.warehouse.display(),
            "Created a new warehouse: the folder did not exist before this run. If an existing warehouse was meant, check --warehouse."
        );
    }
    record.exit_code = Some(code);
    if let Outcome::LockLost(message) = &outcome {
        // The next run that holds the lock records this one from its marker.
        marker.leave_with_outcome(MarkerOutcome {
            status: record.status.clone(),
            exit_code: code,
            message: message.clone(),
            finished_at: record.finished_at,
        });
    } else {
        match runs::append(&args.warehouse, &record) {
            Ok(()) => marker.finish(),
            Err(message) => {
                warn!(error = %message, "Could not append to runs.parquet; the next run records this run from its marker.");
                marker.leave_with_outcome(MarkerOutcome {
                    status: record.status.clone(),
                    exit_code: code,
                    message: record.message.clone().unwrap_or_default(),
                    finished_at: record.finished_at,
                });
            }
        }
    }
    info!(
        target: super::SUMMARY_TARGET,
        pipeline = %pipeline_dir.display(),
        outcome = %record.status,
        snapshot = record.snapshot.as_deref().unwrap_or(""),
        files = record.counts.files,
        files_active = record.counts.files_active,
        files_rejected = record.counts.files_rejected,
        facts = record.counts.facts,
        rejects_error = record.counts.rejects_error,
        rejects_warning = record.counts.rejects_warning,
        exit_code = code,
        seconds = (record.finished_at - started).num_milliseconds() as f64 / 1000.0,
        "Run summary."
    );
    drop(lock);
    code
}

/// Prints what happened (summary on stdout, errors on stderr), fills the run's record and
/// returns the exit code.
fn report(
    outcome: &Outcome,
    args: &RunArgs,
    run_id: &str,
    pipeline_dir: &Path,
    record: &mut runs::RunRecord,
) -> i32 {
    match outcome {
        Outcome::Published {
            summary,
            published,
            unchanged_since,
        } => {
            let snapshot = format!("{}/{}", warehouse::SNAPSHOTS, published.snapshot());
            record.snapshot = Some(snapshot.clone());
            let headline = match (published, unchanged_since) {
                (_, Some(since)) => {
                    record.status = "unchanged".to_string();
                    record.message = Some(since.found());
                    format!(
                        "zlbd run {run_id}: {}; current stays {snapshot} in {}",
                        since.found(),
                        args.warehouse.display()
                    )
                }
                (Published::New { .. }, None) => {
                    record.status = "published".to_string();
                    format!(
                        "zlbd run {run_id}: published {snapshot} as current in {}",
                        args.warehouse.display()
                    )
                }
                (Published::Unchanged { .. }, None) => {
                    record.status = "unchanged".to_string();
                    format!(
                        "zlbd run {run_id}: the tables are byte-identical to the current snapshot {snapshot} in {}; no snapshot added",
                        args.warehouse.display()
                    )
                }
            };
            for warning in published.warnings() {
                warn!(warning = %warning, "Published; a step after the switch failed (the publish stands).");
            }
            if !published.removed().is_empty() {
                info!(removed = ?published.removed(), "Old snapshots removed by retention.");
            }
            let mut messages: Vec<String> = published.warnings().to_vec();
            if matches!(published, Published::Unchanged { .. }) && unchanged_since.is_none() {
                messages.insert(
                    0,
                    "the tables are byte-identical to the current snapshot; no snapshot added"
                        .to_string(),
                );
            }
            if unchanged_since.is_none() {
                record.message = (!messages.is_empty()).then(|| messages.join("; "));
            }
            if !args.quiet {
                let mut text = format!("{headline}\npipeline: {}\n", pipeline_dir.display());
                let page = args
                    .warehouse
                    .join(&snapshot)
                    .join(crate::report::REPORT_DIR)
                    .join(crate::report::INDEX);
                if page.is_file() {
                    text.push_str(&format!("report: {}\n", page.display()));
                }
                text.push_str(&summary.render());
                for warning in published.warnings() {
                    text.push_str(&format!("warning (published anyway): {warning}\n"));
                }
                print_out(format_args!("{text}"));
            }
            if published.warnings().is_empty() {
                summary.exit_code()
            } else {
                exit::REJECTS
            }
        }
        Outcome::Refused { summary, refused } => {
            print_error(refused);
            if !args.quiet {
                print_out(format_args!(
                    "zlbd run {run_id}: NOT published (shrink guard); current is unchanged\npipeline: {}\n{}",
                    pipeline_dir.display(),
                    summary.render()
                ));
            }
            record.status = "refused".to_string();
            record.message = Some(refused.to_string());
            exit::FAILED
        }
        Outcome::Failed(message) => {
            print_error(&format_args!(
                "run failed; nothing was published and the previous snapshot is untouched: {message}"
            ));
            record.status = "failed".to_string();
            record.message = Some(message.clone());
            exit::FAILED
        }
        Outcome::LockLost(message) => {
            print_error(&format_args!("run failed: {message}"));
            record.status = "failed".to_string();
            record.message = Some(message.clone());
            exit::FAILED
        }
    }
}

fn build_and_publish(
    plan: &crate::config::Plan,
    args: &RunArgs,
    run_id: &str,
    lock: &WarehouseLock,
    marker: &mut RunMarker,
    record: &mut runs::RunRecord,
) -> Outcome {
    let cache = (!args.no_cache).then(|| Cache::open(args.warehouse.join(CACHE_DIR), plan));
    let progress = super::progress_bar();
    // The warehouse (and so its cache) is never input, even when placed inside the inbox.
    let exclude: [PathBuf; 1] = [args.warehouse.clone()];
    marker.phase("reading the inbox");
    let clock = crate::timing::Clock::start();
    // Taken before listing: a stamp is settled only if the file's last change came 3 s before
    // the listing began, however long the listing takes.
    let listed_at = now_ns();
    let found = match timed("list the inbox", || {
        pipeline::discover(&args.inbox, &exclude)
    }) {
        Ok(found) => found,
        Err(error) => return Outcome::Failed(error.to_string()),
    };
    let memo = cache
        .as_ref()
        .map(|cache| Memo::open(cache.dir(), cache.salt(), &args.inbox, &found, listed_at));
    if let Some(previous) = memo
        .as_ref()
        .and_then(|memo| unchanged(memo, &args.warehouse))
    {
        info!(since = %previous.snapshot, "Nothing changed since that run: nothing read.");
        let since = Unchanged::Listing(previous.snapshot.clone());
        return repeated(previous, since, found.len(), record);
    }
    // When a publish is remembered, the files' ids come first (by their stamps, else by
    // hashing their bytes): if they are the inputs it was made from, nothing is parsed or
    // computed.
    let identified = memo
        .as_ref()
        .filter(|memo| memo.remembers_a_publish())
        .and_then(|memo| {
            let ids = timed("identify the files", || {
                pipeline::identify(plan, &found, memo, &super::progress_bar())
            })?;
            let inputs = inputs_of(memo, &args.inbox, &found, &ids);
            Some((inputs, ids))
        });
    if let Some((memo, (inputs, ids))) = memo.as_ref().zip(identified.as_ref()) {
        if let Some(previous) = same_inputs(memo, inputs, &args.warehouse) {
            info!(since = %previous.snapshot, "The files are those of that run: nothing parsed or recomputed.");
            // This listing now stands for that publish: the next run with it reads nothing.
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            memo.record(&found, &ids, inputs, listed_at, Some(previous.clone()));
            let since = Unchanged::Inputs(previous.snapshot.clone());
            return repeated(previous, since, found.len(), record);
        }
    }
    let known: Vec<Option<&str>> = match &identified {
        Some((_, ids)) => ids.iter().map(|id| Some(id.as_str())).collect(),
        None => found
            .iter()
            .map(|file| memo.as_ref().and_then(|memo| memo.known_id(file)))
            .collect(),
    };
    let mut ingested = timed("read the files", || {
        pipeline::ingest(plan, &found, cache.as_ref(), &known, &progress)
    });
    let ids: Vec<String> = ingested
        .files
        .iter()
        .map(|file| file.submission_id.clone())
        .collect();
    let remember = |published: Option<PublishedFrom>| {
        if let Some(memo) = &memo {
            let inputs = inputs_of(memo, &args.inbox, &found, &ids);
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            memo.record(&found, &ids, &inputs, listed_at, published);
        }
    };
    info!(
        seconds = clock.seconds(),
        cpu_seconds = clock.cpu_seconds(),
        files = ingested.files.len(),
        from_cache = ingested.from_cache,
        rss_mb = pipeline::rss_mb(),
        peak_rss_mb = pipeline::peak_rss_mb(),
        "Inbox read."
    );
    let clock = crate::timing::Clock::start();
    marker.phase("normalizing and comparing");
    // The parse cache is written beside normalize (see `pipeline::build`).
    let built = match pipeline::build(plan, &mut ingested, cache) {
        Ok(built) => built,
        Err(error) => return Outcome::Failed(error.to_string()),
    };
    info!(
        seconds = clock.seconds(),
        cpu_seconds = clock.cpu_seconds(),
        rss_mb = pipeline::rss_mb(),
        peak_rss_mb = pipeline::peak_rss_mb(),
        "Normalized and compared."
    );
    let summary = match Summary::of(&built) {
        Ok(summary) => Box::new(summary),
        Err(error) => return Outcome::Failed(error.to_string()),
    };
    super::log_rejected_files(&built.normalized.submissions);
    fill_record(record, &summary, ingested.files.len(), ingested.from_cache);
    drop(ingested);
    let active = summary.files(SubmissionStatus::Active);
    if let Err(refused) = warehouse::shrink_guard(&args.warehouse, active, plan.min_active_ratio) {
        if !args.allow_shrink {
            remember(None);
            return Outcome::Refused { summary, refused };
        }
        warn!(
            active = refused.active,
            current = refused.current,
            "--allow-shrink: publishing fewer active submissions than the shrink guard allows."
        );
    }
    // A first night on a wrong or unmounted --inbox has no `current` to guard: it publishes,
    // but says what it publishes.
    if active == 0 {
        warn!(
            inbox = %args.inbox.display(),
            files = found.len(),
            "No form was accepted: the snapshot holds no data. If forms were expected, check --inbox."
        );
    }
    marker.phase_with_counts("publishing", record.counts.clone());
    let clock = crate::timing::Clock::start();
    let published = warehouse::publish(
        &args.warehouse,
        lock,
        &warehouse::Publication {
            run_id,
            tables: &built.tables,
            keep: plan.keep_snapshots,
            active_submissions: active,
        },
    );
    // The report reads the published snapshot back: the run's own tables are freed first, so
    // their memory and the report's are never held at once.
    drop(built);
    crate::timing::return_freed_memory();
    match published {
        Ok(published) => {
            info!(
                seconds = clock.seconds(),
                cpu_seconds = clock.cpu_seconds(),
                rss_mb = pipeline::rss_mb(),
                peak_rss_mb = pipeline::peak_rss_mb(),
                snapshot = published.snapshot(),
                new = matches!(published, Published::New { .. }),
                "Snapshot published."
            );
            // The results for people (report/index.html and the Excel packs) go into the
            // snapshot; a failure there is a warning: the publish stands.
            let snapshot = args.warehouse.join(warehouse::SNAPSHOTS);
            let clock = crate::timing::Clock::start();
            let report = crate::report::write_results(&snapshot.join(published.snapshot()), plan);
            match &report {
                Ok(_) => info!(
                    seconds = clock.seconds(),
                    cpu_seconds = clock.cpu_seconds(),
                    rss_mb = pipeline::rss_mb(),
                    peak_rss_mb = pipeline::peak_rss_mb(),
                    "Report written."
                ),
                Err(error) => {
                    warn!(error = %error, "Published, but the report could not be written into the snapshot.")
                }
            }
            // A rerun may skip everything only after a publish that went through completely.
            let complete = report.is_ok() && published.warnings().is_empty();
            remember(complete.then(|| PublishedFrom {
                run_id: run_id.to_string(),
                snapshot: published.snapshot().to_string(),
                summary: (*summary).clone(),
            }));
            Outcome::Published {
                summary,
                published,
                unchanged_since: None,
            }
        }
        Err(WarehouseError::Lock(error)) => {
            remember(None);
            Outcome::LockLost(error.to_string())
        }
        Err(error) => {
            remember(None);
            Outcome::Failed(error.to_string())
        }
    }
}

/// What the last run published, when nothing changed since and its snapshot is still current
/// and intact.
fn unchanged<'m>(memo: &'m Memo, warehouse: &Path) -> Option<&'m PublishedFrom> {
    let current = warehouse::current_run(warehouse);
    intact(memo.unchanged_since(current.as_deref()), warehouse)
}

/// The outcome of a run that repeats `previous`: its summary, and current as it published.
fn repeated(
    previous: &PublishedFrom,
    since: Unchanged,
    files: usize,
    record: &mut runs::RunRecord,
) -> Outcome {
    let summary = Box::new(previous.summary.clone());
    fill_record(record, &summary, files, files);
    Outcome::Published {
        summary,
        published: Published::Unchanged {
            run_id: previous.snapshot.clone(),
            removed: Vec::new(),
            warnings: Vec::new(),
        },
        unchanged_since: Some(since),
    }
}

/// The fingerprint of the files found with these ids ([`pipeline::memo::inputs_fingerprint`]).
fn inputs_of(memo: &Memo, inbox: &Path, found: &[InboxFile], ids: &[String]) -> String {
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    pipeline::memo::inputs_fingerprint(memo.salt(), inbox, found, &ids)
}

/// What the last run published, when this run read the same inputs and its snapshot is still
/// current and intact.
fn same_inputs<'m>(memo: &'m Memo, inputs: &str, warehouse: &Path) -> Option<&'m PublishedFrom> {
    let current = warehouse::current_run(warehouse);
    intact(
        memo.same_inputs_since(inputs, current.as_deref()),
        warehouse,
    )
}

/// `previous`, if its snapshot is intact.
fn intact<'m>(previous: Option<&'m PublishedFrom>, warehouse: &Path) -> Option<&'m PublishedFrom> {
    let previous = previous?;
    let snapshot = warehouse::snapshot::dir(warehouse, &previous.snapshot);
    warehouse::snapshot::verify(&snapshot, false)
        .is_ok()
        .then_some(previous)
}

/// The run's counts in its runs-log record.
fn fill_record(record: &mut runs::RunRecord, summary: &Summary, files: usize, from_cache: usize) {
    record.counts = runs::RunCounts {
        files: files as i64,
        files_active: summary.files(SubmissionStatus::Active),
        files_rejected: summary.files(SubmissionStatus::Rejected),
        files_from_cache: from_cache as i64,
        facts: summary.facts_loaded + summary.facts_derived,
        rejects_error: summary.errors,
        rejects_warning: summary.warnings,
    };
}

/// Now, in nanoseconds since the epoch (the clock file stamps are compared with).
fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as i64)
        .unwrap_or(0)
}

/// Records in runs.parquet the runs whose marker is no longer held by a live process: killed,
/// crashed, or ended without the lock to record themselves.
/// `tag` names the staging file; `recorder` says who recorded them (`run …`, `rollback`).
pub(super) fn record_runs_that_did_not_finish(warehouse: &Path, tag: &str, recorder: &str) {
    let gone = marker::abandoned(warehouse);
    if gone.is_empty() {
        return;
    }
    let current = warehouse::current_run(warehouse);
    let records: Vec<runs::RunRecord> = gone
        .iter()
        .map(|found| {
            let info = found.info.as_ref();
            let mut record = runs::RunRecord {
                run_id: found.run_id.clone(),
                started_at: info.map_or(found.last_seen, |info| info.started_at),
                finished_at: found.last_seen,
                command: info.map_or_else(|| "run".to_string(), |info| info.command.clone()),
                status: "interrupted".to_string(),
                exit_code: None,
                message: Some(format!(
                    "the run did not finish (killed, crashed or the machine stopped) while {}{}; recorded by {recorder}",
                    info.map_or("working", |info| info.phase.as_str()),
                    info.map_or(String::new(), |info| format!(" (pid {})", info.pid)),
                )),
                ..Default::default()
            };
            if let Some(outcome) = info.and_then(|info| info.outcome.as_ref()) {
                record.status = outcome.status.clone();
                record.exit_code = Some(outcome.exit_code);
                record.finished_at = outcome.finished_at;
                record.message = Some(outcome.message.clone());
            } else if current.as_deref() == Some(found.run_id.as_str()) {
                // Killed after `current` switched to its snapshot: the run published, and
                // its row must say so, or the live snapshot has no `published` run.
                let manifest = warehouse::snapshot::manifest(warehouse, &found.run_id).ok();
                record.status = "published".to_string();
                record.snapshot = Some(format!("{}/{}", warehouse::SNAPSHOTS, found.run_id));
                if let Some(manifest) = manifest {
                    record.finished_at = manifest.published_at;
                }
                if let Some(counts) = info.and_then(|info| info.counts.clone()) {
                    record.counts = counts;
                }
                record.message = Some(format!(
                    "published its snapshot, then did not finish (killed, crashed or the machine stopped) while {}{}; recorded by {recorder}",
                    info.map_or("working", |info| info.phase.as_str()),
                    info.map_or(String::new(), |info| format!(" (pid {})", info.pid)),
                ));
            }
            record
        })
        .collect();
    match runs::append_all(warehouse, tag, &records) {
        Ok(()) => {
            for (found, record) in gone.into_iter().zip(&records) {
                warn!(
                    run = %record.run_id,
                    status = %record.status,
                    "A run that did not record itself was recorded in runs.parquet."
                );
                found.remove();
            }
        }
        Err(message) => {
            warn!(error = %message, "Could not record interrupted runs in runs.parquet.")
        }
    }
}
