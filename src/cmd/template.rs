//! `zlbd template --out DIR`: blank forms for submitters, built from the catalog and roster.

use crate::cli::TemplateArgs;
use crate::exit;
use crate::report::template::write_templates;

pub fn run(args: TemplateArgs) -> i32 {
    let plan = match super::load_plan(&args.pipeline) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    match write_templates(&plan, &args.out) {
        Ok(files) => {
            println!(
                "wrote {} blank forms to {}",
                files.len(),
                args.out.display()
            );
            exit::OK
        }
        Err(error) => {
            eprintln!("zlbd: {error}");
            exit::FAILED
        }
    }
}
