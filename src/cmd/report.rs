//! `zlbd report --warehouse DIR [--snapshot RUN_ID] [--out DIR]`: the results for people — one
//! static `index.html` with charts and the Excel result packs — from a published snapshot
//! (the current one by default). Reads the snapshot only; takes no lock.

use crate::cli::ReportArgs;
use crate::exit;
use crate::warehouse;

pub fn run(args: ReportArgs) -> i32 {
    let plan = match super::load_plan(&args.pipeline) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let run_id = match args
        .snapshot
        .clone()
        .or_else(|| warehouse::current_run(&args.warehouse))
    {
        Some(run_id) => run_id,
        None => {
            crate::cli::print_error(&format_args!(
                "{} has no current snapshot (run `zlbd run` first, or name one with --snapshot)",
                args.warehouse.display()
            ));
            return exit::USAGE;
        }
    };
    if run_id.contains('/') || run_id.contains('\\') || run_id.starts_with('.') {
        crate::cli::print_error(&format_args!("{run_id:?} is not a snapshot name"));
        return exit::USAGE;
    }
    let snapshot = args.warehouse.join(warehouse::SNAPSHOTS).join(&run_id);
    if !snapshot.is_dir() {
        crate::cli::print_error(&format_args!(
            "no snapshot {run_id:?} in {} (see `ls {}`)",
            args.warehouse.display(),
            args.warehouse.join(warehouse::SNAPSHOTS).display()
        ));
        return exit::USAGE;
    }
    match crate::report::write_report(&snapshot, &plan, &args.out) {
        Ok(files) => {
            crate::cli::print_out(format_args!(
                "zlbd report: snapshot {run_id}: {} and {} Excel packs in {}\n",
                crate::report::INDEX,
                files.len().saturating_sub(1),
                args.out.display()
            ));
            exit::OK
        }
        Err(error) => {
            crate::cli::print_error(&format_args!("report failed: {error}"));
            exit::FAILED
        }
    }
}
