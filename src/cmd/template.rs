//! `zlbd template --out DIR [--all | --entity ID]`: forms for submitters, built from the catalog
//! and roster — blank ones, and ones pre-filled with a roster entity's identity.

use crate::cli::TemplateArgs;
use crate::exit;
use crate::report::template::{write_templates, Selection, TemplateError};

pub fn run(args: TemplateArgs) -> i32 {
    let plan = match super::load_plan(&args.pipeline) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let selection = match (&args.entity, args.all) {
        (Some(entity), _) => Selection::Entity(entity.clone()),
        (None, true) => Selection::All,
        (None, false) => Selection::Standard,
    };
    match write_templates(&plan, &args.out, &selection) {
        Ok(files) => {
            crate::cli::print_out(format_args!(
                "wrote {} forms to {}\n",
                files.len(),
                args.out.display()
            ));
            exit::OK
        }
        Err(error @ TemplateError::UnknownEntity(_)) => {
            crate::cli::print_error(&format_args!("{error}"));
            exit::USAGE
        }
        Err(error) => {
            crate::cli::print_error(&format_args!("{error}"));
            exit::FAILED
        }
    }
}
