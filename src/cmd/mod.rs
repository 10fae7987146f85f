//! One file per subcommand, each with its `run()`; this module dispatches and holds what they
//! share (loading the plan, the worker pool, the progress bar).

pub(crate) mod dictionary;
pub(crate) mod inspect;
pub(crate) mod report;
pub(crate) mod rollback;
pub(crate) mod run;
pub(crate) mod sample;
pub(crate) mod snapshots;
pub(crate) mod template;
pub(crate) mod validate;
pub(crate) mod views;

use crate::cli::{Command, PipelineArgs};
use crate::config::{default_pipeline_dir, Plan};
use crate::exit;
use std::io::IsTerminal;

pub fn dispatch(command: Command) -> i32 {
    match command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Template(args) => template::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Rollback(args) => rollback::run(args),
        Command::Snapshots(args) => snapshots::run(args),
        Command::Views(args) => views::run(args),
        Command::Report(args) => report::run(args),
        Command::Dictionary => dictionary::run(),
    }
}

/// Loads and validates the pipeline; on failure prints every problem and returns exit code 2.
pub fn load_plan(args: &PipelineArgs) -> Result<Plan, i32> {
    let dir = args.pipeline.clone().unwrap_or_else(default_pipeline_dir);
    Plan::load(&dir).map_err(|error| {
        crate::cli::print_error(&error);
        exit::USAGE
    })
}

/// The tracing target of `run`'s final `Run summary.` event, which a JSON log always keeps.
pub const SUMMARY_TARGET: &str = "zlbd::summary";

/// For commands that read an inbox: the plan, a checked inbox folder, the worker pool.
pub fn prepare(args: &PipelineArgs, inbox: &std::path::Path) -> Result<Plan, i32> {
    let plan = load_plan(args)?;
    if !inbox.is_dir() {
        let what = match std::fs::metadata(inbox) {
            Ok(_) => "is not a folder".to_string(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                "does not exist (a typo, or a share not mounted?)".to_string()
            }
            Err(error) => format!("cannot be read: {error}"),
        };
        crate::cli::print_error(&format_args!("the inbox {} {what}", inbox.display()));
        return Err(exit::USAGE);
    }
    init_workers(args.jobs);
    Ok(plan)
}

/// Sizes rayon's global pool once, from --jobs.
pub fn init_workers(jobs: Option<u64>) {
    if let Some(jobs) = jobs.filter(|&jobs| jobs > 0) {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs as usize)
            .build_global();
    }
}

/// A progress bar on a terminal, nothing otherwise.
pub fn progress_bar() -> impl Fn(usize, usize) + Sync {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    move |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            if done == total {
                bar.finish_and_clear();
            }
        }
    }
}

/// One event per rejected file (file, reason), for schedulers reading JSON logs.
pub(super) fn log_rejected_files(submissions: &polars::prelude::DataFrame) {
    let text = |name: &str| {
        submissions
            .column(name)
            .ok()
            .and_then(|column| column.str().ok().cloned())
    };
    let (Some(files), Some(statuses), Some(reasons)) = (
        text(crate::domain::columns::SOURCE_FILE),
        text(crate::domain::columns::STATUS),
        text(crate::domain::columns::REASON),
    ) else {
        return;
    };
    for ((file, status), reason) in files.iter().zip(statuses.iter()).zip(reasons.iter()) {
        if status == Some(crate::domain::SubmissionStatus::Rejected.as_str()) {
            tracing::warn!(
                file = file.unwrap_or_default(),
                reason = reason.unwrap_or_default(),
                "File rejected."
            );
        }
    }
}
