//! `zlbd run`: build the warehouse from the inbox and publish it atomically.

use crate::cli::RunArgs;
use crate::domain::SubmissionStatus;
use crate::exit;
use crate::pipeline::{self, Cache, Summary};
use crate::warehouse::{self, lock::WarehouseLock, runs};
use std::path::Path;
use tracing::{error, info, info_span, warn};

/// A run id that sorts by time: 20261121T051200123456Z.
pub fn new_run_id(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("%Y%m%dT%H%M%S%6fZ").to_string()
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
    let holder = format!(
        "pid {} run {run_id} started {}",
        std::process::id(),
        started.to_rfc3339()
    );
    let lock = match WarehouseLock::acquire(&args.warehouse, &holder) {
        Ok(lock) => lock,
        Err(error @ warehouse::lock::LockError::Held { .. }) => {
            eprintln!("zlbd: {error}");
            return exit::LOCKED;
        }
        Err(error) => {
            eprintln!("zlbd: {error}");
            return exit::FAILED;
        }
    };
    if let Some(previous) = &lock.recovered_from {
        warn!(previous = %previous, "Recovered a stale warehouse lock left by a run that did not finish.");
    }
    warehouse::clean_leftovers(&args.warehouse);
    let mut record = runs::RunRecord {
        run_id: run_id.clone(),
        started_at: started,
        command: "run".to_string(),
        config_hash: plan.fingerprint.clone(),
        program_version: env!("CARGO_PKG_VERSION").to_string(),
        ..Default::default()
    };
    let outcome = build_and_publish(&plan, &args, &run_id, &mut record);
    record.finished_at = chrono::Utc::now();
    let code = match outcome {
        Ok(summary) => {
            if !args.quiet {
                print!(
                    "zlbd run {run_id}: published {}\n{}",
                    args.warehouse.join("current").display(),
                    summary.render()
                );
            }
            summary.exit_code()
        }
        Err(message) => {
            error!(error = %message, "Run failed; nothing was published and the previous snapshot is untouched.");
            eprintln!("zlbd: run failed: {message}");
            record.status = "failed".to_string();
            record.message = Some(message);
            exit::FAILED
        }
    };
    record.exit_code = code;
    if let Err(message) = runs::append(&args.warehouse, &record) {
        warn!(error = %message, "Could not append to runs.parquet.");
    }
    info!(
        exit_code = code,
        seconds = (record.finished_at - started).num_milliseconds() as f64 / 1000.0,
        "Run finished."
    );
    drop(lock);
    code
}

fn build_and_publish(
    plan: &crate::config::Plan,
    args: &RunArgs,
    run_id: &str,
    record: &mut runs::RunRecord,
) -> Result<Summary, String> {
    let cache = (!args.no_cache).then(|| Cache::new(args.warehouse.join("cache"), plan));
    let progress = super::progress_bar();
    // The warehouse (and so its cache) is never input, even when placed inside the inbox.
    let exclude = [args.warehouse.clone()];
    let mut ingested =
        pipeline::ingest_inbox(plan, &args.inbox, &exclude, cache.as_ref(), &progress)
            .map_err(|error| error.to_string())?;
    let clock = std::time::Instant::now();
    let seconds = |since: std::time::Instant| since.elapsed().as_secs_f64();
    info!(
        files = ingested.files.len(),
        from_cache = ingested.from_cache,
        peak_rss_mb = pipeline::peak_rss_mb(),
        "Inbox read."
    );
    let built = pipeline::build(plan, &mut ingested.files).map_err(|error| error.to_string())?;
    info!(
        seconds = seconds(clock),
        peak_rss_mb = pipeline::peak_rss_mb(),
        "Normalized and compared."
    );
    let summary = Summary::of(&built).map_err(|error| error.to_string())?;
    let clock = std::time::Instant::now();
    let snapshot = warehouse::publish(&args.warehouse, run_id, &built.tables, plan.keep_snapshots)
        .map_err(|error| error.to_string())?;
    info!(
        seconds = seconds(clock),
        peak_rss_mb = pipeline::peak_rss_mb(),
        "Snapshot published."
    );
    record.status = "published".to_string();
    record.files = ingested.files.len() as i64;
    record.files_active = summary.files(SubmissionStatus::Active);
    record.files_rejected = summary.files(SubmissionStatus::Rejected);
    record.files_from_cache = ingested.from_cache as i64;
    record.facts = summary.facts_loaded + summary.facts_derived;
    record.rejects_error = summary.errors;
    record.rejects_warning = summary.warnings;
    record.snapshot = Some(relative(&snapshot, &args.warehouse));
    Ok(summary)
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}
