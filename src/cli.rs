//! Command-line arguments (clap). Doc comments become `--help`.

use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Print the data dictionary (docs/tables.md): every table and column, with units and codes.
    Dictionary,
}

#[derive(Debug, Args, Clone)]
pub struct PipelineArgs {
    /// Pipeline folder (pipeline.toml, catalog.toml, roster/). Default: pipelines/shandong.
    #[arg(long)]
    pub pipeline: Option<PathBuf>,
    /// Worker threads for reading files (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
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
    /// Extra synthetic enterprises beyond the roster (for load tests); they are not in the roster.
    #[arg(long, default_value_t = 0)]
    pub extra_enterprises: usize,
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
