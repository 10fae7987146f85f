//! Thin entry point: parse arguments, start logging, run the subcommand, exit with its code.

use clap::Parser;
use std::io::IsTerminal;
use zlbd::cli::{Cli, LogFormat};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                zlbd::exit::USAGE
            } else {
                zlbd::exit::OK
            };
            let _ = error.print();
            std::process::exit(code);
        }
    };
    init_logging(cli.log_format, cli.verbose);
    let code = zlbd::cmd::dispatch(cli.command);
    std::process::exit(code);
}

fn init_logging(format: LogFormat, verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match (format, verbose) {
        (_, 2..) => "debug",
        (_, 1) | (LogFormat::Json, _) => "info",
        (LogFormat::Pretty, 0) => "warn",
    };
    let filter = EnvFilter::try_from_env("ZLBD_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .init(),
    }
}
