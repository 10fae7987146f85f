//! Command-line arguments (clap). Doc comments become `--help`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

/// zlbd — 质量比对 warehouse: Excel report forms in, Parquet out.
#[derive(Debug, Parser)]
#[command(name = "zlbd", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log format on stderr: pretty for people, json (one object per line) for schedulers.
    #[arg(long, value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
    /// More log detail (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the warehouse from the inbox and publish a new snapshot.
    Run(RunArgs),
    /// Run the same checks, publish nothing, write feedback workbooks for submitters.
    Validate(ValidateArgs),
    /// Show how one workbook is understood: form, submitter, header mapping, every cell.
    Inspect(InspectArgs),
    /// Write blank forms for submitters.
    Template(TemplateArgs),
    /// Write a synthetic inbox for the roster (deterministic for a seed).
    Sample(SampleArgs),
    /// Switch `current` back to an earlier snapshot.
    Rollback(RollbackArgs),
    /// List the snapshots of a warehouse: run id, published at, row counts, which is current.
    Snapshots(SnapshotsArgs),
    /// Print DuckDB views over a snapshot with absolute paths of the warehouse where it is now.
    Views(ViewsArgs),
    /// Write the results for people: an HTML report with charts and Excel result packs.
    Report(ReportArgs),
    /// Print the data dictionary (docs/tables.md): every table and column, with units and codes.
    Dictionary,
}

#[derive(Debug, Args, Clone)]
pub struct PipelineArgs {
    /// Pipeline folder (pipeline.toml, catalog.toml, roster/). Default: $ZLBD_PIPELINE, else
    /// pipelines/shandong under the current folder.
    #[arg(long)]
    pub pipeline: Option<PathBuf>,
    /// Worker threads for reading files, 1 to 256 (default, or 0: all cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=256))]
    pub jobs: Option<u64>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Folder of returned forms (searched recursively).
    #[arg(long, default_value = "inbox")]
    pub inbox: PathBuf,
    /// Warehouse folder (created if absent).
    #[arg(long, default_value = "warehouse")]
    pub warehouse: PathBuf,
    /// Print no summary on stdout (for cron).
    #[arg(long, short)]
    pub quiet: bool,
    /// Read every file again instead of using the parse cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Publish even when the run has fewer active submissions than guard.min_active_ratio ×
    /// those of the current snapshot (the shrink guard otherwise refuses with exit 1).
    #[arg(long)]
    pub allow_shrink: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Folder of returned forms.
    #[arg(long, default_value = "inbox")]
    pub inbox: PathBuf,
    /// Folder for the feedback workbooks and the summary.
    #[arg(long, default_value = "feedback")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// The workbook to inspect.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Folder for the blank forms.
    #[arg(long, default_value = "templates")]
    pub out: PathBuf,
    /// Also one form per roster entity, pre-filled with its identity (enterprises too).
    #[arg(long, conflicts_with = "entity")]
    pub all: bool,
    /// Only the form of this roster entity (USCC, park id, city code, or its exact name).
    #[arg(long)]
    pub entity: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Warehouse folder.
    #[arg(long, default_value = "warehouse")]
    pub warehouse: PathBuf,
    /// Snapshot (run id) to report on; default: the current one.
    #[arg(long)]
    pub snapshot: Option<String>,
    /// Folder for index.html and the Excel result packs.
    #[arg(long, default_value = "report")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Folder to write the inbox into (created; existing sample files are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed; the same seed gives the same files.
    #[arg(long, default_value_t = 2022)]
    pub seed: u64,
    /// Extra synthetic enterprises beyond the roster (for load tests); they are not in the roster
    /// unless --listed-roster is given.
    #[arg(long, default_value_t = 0)]
    pub extra_enterprises: usize,
    /// Also write a roster that lists the extra enterprises into DIR: the pipeline's four roster
    /// files, replaced, with a row per extra enterprise added to enterprises.csv (each takes the
    /// city and industry of a roster enterprise in turn). A pipeline whose `roster` is DIR
    /// compares them in the province's own peer groups instead of as unexpected submitters.
    /// DIR must not be the --pipeline's own roster folder.
    #[arg(long, value_name = "DIR")]
    pub listed_roster: Option<PathBuf>,
    /// Only clean forms: no variations, errors, corrections, duplicates or bad files.
    #[arg(long)]
    pub clean: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Warehouse folder.
    #[arg(long, default_value = "warehouse")]
    pub warehouse: PathBuf,
    /// Snapshot (run id) to switch to; default: the one before current.
    pub run_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// Warehouse folder.
    #[arg(long, default_value = "warehouse")]
    pub warehouse: PathBuf,
    /// Print JSON (one array) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ViewsArgs {
    /// Warehouse folder (wherever it is now: a copied or moved folder reads its own files).
    #[arg(long, default_value = "warehouse")]
    pub warehouse: PathBuf,
    /// Snapshot (run id) to read, for as-of questions; default: the current one.
    #[arg(long)]
    pub snapshot: Option<String>,
}

static JSON_LOGS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Remembers the log format, for messages printed outside tracing (see [`print_error`]).
pub fn set_log_format(format: LogFormat) {
    JSON_LOGS.store(
        format == LogFormat::Json,
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// Whether stderr carries JSON lines only.
pub fn json_logs() -> bool {
    JSON_LOGS.load(std::sync::atomic::Ordering::Relaxed)
}

/// An error for the operator on stderr: `zlbd: …` for people, an ERROR event (one JSON object)
/// with `--log-format json`, so that every stderr line of a JSON run parses.
pub fn print_error(message: &dyn std::fmt::Display) {
    if json_logs() {
        tracing::error!("{message}");
    } else {
        // Not `eprintln!`: a stderr that cannot be written must not turn an error into a panic.
        let _ = writeln!(std::io::stderr(), "zlbd: {message}");
    }
}

/// Writes a command's output to stdout. A reader that went away (`zlbd inspect … | head`)
/// ends the output quietly: the rest is dropped and the command finishes and exits as it
/// would have (`print!` would panic, and a `run` would exit 101 after publishing). Any other
/// write error (a full disk behind `>`) is reported; the answer says whether the output was
/// written, for commands whose output is the product.
pub fn print_out(text: std::fmt::Arguments) -> bool {
    let mut out = std::io::stdout().lock();
    match out.write_fmt(text).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => true,
        Err(error) => {
            print_error(&format_args!("cannot write the output: {error}"));
            false
        }
    }
}
