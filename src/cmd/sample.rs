//! `zlbd sample --out DIR [--seed N]`: a synthetic inbox for the roster (and, with
//! `--listed-roster DIR`, a roster that lists its extra enterprises).

use crate::cli::SampleArgs;
use crate::exit;
use crate::sample::{generate, write_listed_roster, SampleOptions};

pub fn run(args: SampleArgs) -> i32 {
    let plan = match super::load_plan(&args.pipeline) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let options = SampleOptions {
        seed: args.seed,
        extra_enterprises: args.extra_enterprises,
        clean: args.clean,
        listed_extras: args.listed_roster.is_some(),
    };
    let listed = args
        .listed_roster
        .as_deref()
        .map_or(Ok(0), |dir| write_listed_roster(&plan, &options, dir));
    match listed.and_then(|listed| Ok((listed, generate(&plan, &args.out, &options)?))) {
        Ok((listed, truth)) => {
            let mut text = format!(
                "wrote {} files with {} indicator cells to {}\n",
                truth.files.len(),
                truth.cells.len(),
                args.out.display()
            );
            if let Some(dir) = &args.listed_roster {
                text.push_str(&format!(
                    "wrote a roster listing {listed} enterprises beyond the pipeline's to {}\n",
                    dir.display()
                ));
            }
            crate::cli::print_out(format_args!("{text}"));
            exit::OK
        }
        Err(error) => {
            crate::cli::print_error(&format_args!("{error}"));
            exit::FAILED
        }
    }
}
