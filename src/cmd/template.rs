//! `zlbd template --out DIR`: blank forms for submitters, built from the catalog and roster.

use crate::cli::TemplateArgs;
use crate::exit;

pub fn run(args: TemplateArgs) -> i32 {
    let plan = match super::load_plan(&args.pipeline) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    match crate::sample::write_templates(&plan, &args.out) {
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
