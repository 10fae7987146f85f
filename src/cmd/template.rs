//! `zlbd template`: blank forms for submitters.

use crate::cli::TemplateArgs;

pub fn run(_args: TemplateArgs) -> i32 {
    eprintln!("zlbd template: not built yet");
    crate::exit::USAGE
}
