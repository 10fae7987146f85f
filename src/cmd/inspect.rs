//! `zlbd inspect FILE`: how one workbook is understood.

use crate::cli::InspectArgs;

pub fn run(_args: InspectArgs) -> i32 {
    eprintln!("zlbd inspect: not built yet (issue 3)");
    crate::exit::USAGE
}
