//! Thin entry point: parse arguments, start logging, run the subcommand, exit with its code.
//!
//! With `--log-format json` every line on stderr is one JSON object: usage errors, errors of
//! the subcommands (through `cli::print_error`) and panics go through tracing too.

use clap::Parser;
use std::io::IsTerminal;
use zlbd::cli::{Cli, LogFormat};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    zlbd::timing::configure_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                zlbd::exit::USAGE
            } else {
                zlbd::exit::OK
            };
            if error.use_stderr() && json_requested() {
                init_logging(LogFormat::Json, 0);
                zlbd::cli::print_error(&error.render());
            } else {
                let _ = error.print();
            }
            std::process::exit(code);
        }
    };
    init_logging(cli.log_format, cli.verbose);
    let code = zlbd::cmd::dispatch(cli.command);
    std::process::exit(code);
}

/// Whether the arguments ask for JSON logs, for a usage error found before they are parsed.
fn json_requested() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|arg| arg == "--log-format=json")
        || args
            .windows(2)
            .any(|pair| pair[0] == "--log-format" && pair[1] == "json")
}

fn init_logging(format: LogFormat, verbose: u8) {
    use tracing_subscriber::EnvFilter;
    zlbd::cli::set_log_format(format);
    let default = match (format, verbose) {
        (_, 2..) => "debug",
        (_, 1) | (LogFormat::Json, _) => "info",
        (LogFormat::Pretty, 0) => "warn",
    };
    let (mut filter, unreadable) = match EnvFilter::try_from_env("ZLBD_LOG") {
        Ok(filter) => (filter, None),
        Err(error) => (
            EnvFilter::new(default),
            std::env::var("ZLBD_LOG").ok().map(|text| (text, error)),
        ),
    };
    // Schedulers read the final `Run summary.` event: a JSON log keeps it whatever ZLBD_LOG
    // filters out (ZLBD_LOG=warn).
    if format == LogFormat::Json {
        if let Ok(summary) = format!("{}=info", zlbd::cmd::SUMMARY_TARGET).parse() {
            filter = filter.add_directive(summary);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => {
            builder
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .init();
            // A panic (a reader bug caught per file, or a crash) is an event, not a plain line.
            std::panic::set_hook(Box::new(|panic| {
                let location = panic
                    .location()
                    .map(|at| format!("{}:{}", at.file(), at.line()))
                    .unwrap_or_default();
                let message = panic
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|text| text.to_string())
                    .or_else(|| panic.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_string());
                tracing::error!(location = %location, "panicked: {message}");
            }));
        }
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .init(),
    }
    if let Some((text, error)) = unreadable {
        tracing::warn!(ZLBD_LOG = %text, %error, "ZLBD_LOG is not a log filter (e.g. info, warn, zlbd=debug); the default is used.");
    }
}
