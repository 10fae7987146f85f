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
            // Marks the folder as zlbd's, so a later run never reads it as forms.
            let marker = args.out.join(crate::ingest::FEEDBACK_MARKER);
            if let Err(error) = std::fs::write(&marker, "written by zlbd validate\n") {
                tracing::warn!(path = %marker.display(), error = %error, "Could not mark the feedback folder.");
            }
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
