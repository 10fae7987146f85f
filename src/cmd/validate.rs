//! `zlbd validate`: the same checks as `run`, nothing published.

use crate::cli::ValidateArgs;

pub fn run(_args: ValidateArgs) -> i32 {
    eprintln!("zlbd validate: not built yet (issue 3)");
    crate::exit::USAGE
}
