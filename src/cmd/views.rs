//! `zlbd views --warehouse DIR [--snapshot RUN_ID]`: DuckDB views over one snapshot with the
//! absolute paths of the warehouse folder where it is now (escaped for SQL and DuckDB globs), for
//! a copied or moved warehouse, any working folder, or an as-of question on an older snapshot.
//!
//! `zlbd views --warehouse /data/wh > /tmp/v.sql && duckdb -init /tmp/v.sql`, or in Python
//! `con.execute(subprocess.check_output(["zlbd", "views", "--warehouse", wh], text=True))`.

use crate::cli::{print_error, print_out, ViewsArgs};
use crate::exit;
use crate::warehouse::{self, snapshot, views, WarehouseError};

pub fn run(args: ViewsArgs) -> i32 {
    let run_id = match args
        .snapshot
        .clone()
        .or_else(|| warehouse::current_run(&args.warehouse))
    {
        Some(run_id) => run_id,
        None => {
            print_error(&format_args!(
                "{} has no current snapshot (not a warehouse, or nothing published yet)",
                args.warehouse.display()
            ));
            return exit::FAILED;
        }
    };
    if !warehouse::snapshots(&args.warehouse).contains(&run_id) {
        print_error(&WarehouseError::NoSnapshot(run_id));
        return exit::USAGE;
    }
    let dir = snapshot::dir(&args.warehouse, &run_id);
    match views::views_sql(&dir, views::PathStyle::Absolute) {
        Ok(sql) => {
            if print_out(format_args!("{sql}")) {
                exit::OK
            } else {
                exit::FAILED
            }
        }
        Err(error) => {
            print_error(&error);
            exit::FAILED
        }
    }
}
