//! `zlbd validate --inbox DIR --out DIR`: the same checks as `run`, nothing published; one
//! feedback workbook per submitter and a summary across submitters.

use crate::cli::ValidateArgs;
use crate::exit;
use crate::pipeline::{self, Summary};

pub fn run(args: ValidateArgs) -> i32 {
    let plan = match super::prepare(&args.pipeline, &args.inbox) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let progress = super::progress_bar();
    // The feedback folder is never input, even when placed inside the inbox.
    let exclude = [args.out.clone()];
    let outcome = pipeline::ingest_inbox(&plan, &args.inbox, &exclude, None, &progress)
        .map_err(|error| error.to_string())
        .and_then(|mut ingested| {
            // Notices need the raw cells, which build frees once it has made the facts.
            let notices = crate::report::notices(&ingested.files, &plan);
            let built =
                pipeline::build(&plan, &mut ingested, None).map_err(|error| error.to_string())?;
            super::log_rejected_files(&built.normalized.submissions);
            Ok((built, notices))
        })
        .and_then(|(built, mut notices)| {
            let summary = Summary::of(&built).map_err(|error| error.to_string())?;
            let dropped = crate::report::dropped_by_corrections(&built.normalized.corrections)
                .map_err(|error| error.to_string())?;
            notices.extend(dropped);
            let slips = crate::report::unit_slips(&built.compared, &plan)
                .map_err(|error| error.to_string())?;
            notices.extend(slips);
            let winners = crate::report::YearWinners::of(&built.compared.facts)
                .map_err(|error| error.to_string())?;
            let takeovers = crate::report::takeovers(&built.normalized.corrections)
                .map_err(|error| error.to_string())?;
            // Also writes the folder's marker (so a later run never reads it as forms), which
            // lists the files written: the next validate replaces exactly those.
            let written = crate::report::write_feedback(
                &args.out,
                &built.normalized.submissions,
                &built.findings,
                &notices,
                &winners,
                &takeovers,
                &plan,
            )
            .map_err(|error| error.to_string())?;
            Ok((summary, written.len()))
        });
    match outcome {
        Ok((summary, workbooks)) => {
            crate::cli::print_out(format_args!(
                "zlbd validate: {workbooks} feedback workbooks in {}\n{}",
                args.out.display(),
                summary.render()
            ));
            summary.exit_code()
        }
        Err(message) => {
            crate::cli::print_error(&format_args!("validate failed: {message}"));
            exit::FAILED
        }
    }
}
