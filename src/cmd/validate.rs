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
    let outcome = pipeline::ingest_inbox(&plan, &args.inbox, None, &progress)
        .map_err(|error| error.to_string())
        .and_then(|mut ingested| {
            pipeline::build(&plan, &mut ingested.files).map_err(|error| error.to_string())
        })
        .and_then(|built| {
            let summary = Summary::of(&built).map_err(|error| error.to_string())?;
            let written = crate::report::write_feedback(
                &args.out,
                &built.normalized.submissions,
                &built.findings,
            )
            .map_err(|error| error.to_string())?;
            Ok((summary, written.len()))
        });
    match outcome {
        Ok((summary, workbooks)) => {
            print!(
                "zlbd validate: {workbooks} feedback workbooks in {}\n{}",
                args.out.display(),
                summary.render()
            );
            summary.exit_code()
        }
        Err(message) => {
            eprintln!("zlbd: validate failed: {message}");
            exit::FAILED
        }
    }
}
