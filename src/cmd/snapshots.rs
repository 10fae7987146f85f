//! `zlbd snapshots --warehouse DIR`: the snapshots an analyst can open (`zlbd views --snapshot`)
//! or roll back to, oldest first, with the current one marked.

use crate::cli::{print_error, print_out, SnapshotsArgs};
use crate::domain::columns::table;
use crate::exit;
use crate::warehouse::{self, snapshot};

pub fn run(args: SnapshotsArgs) -> i32 {
    if !args.warehouse.join(warehouse::SNAPSHOTS).is_dir() {
        print_error(&format_args!(
            "no snapshots in {} (not a warehouse, or nothing published yet)",
            args.warehouse.display()
        ));
        return exit::FAILED;
    }
    let list = snapshot::list(&args.warehouse);
    if args.json {
        match serde_json::to_string_pretty(&list) {
            Ok(json) => {
                if !print_out(format_args!("{json}\n")) {
                    return exit::FAILED;
                }
            }
            Err(error) => {
                print_error(&error);
                return exit::FAILED;
            }
        }
        return exit::OK;
    }
    let mut text = format!(
        "  {:<24} {:<20} {:>8} {:>10} {:>8}  state\n",
        "run_id", "published_at (UTC)", "active", "facts", "rejects"
    );
    for info in &list {
        let rows = |name: &str| info.rows.get(name).copied().unwrap_or(0);
        text.push_str(&format!(
            "{} {:<24} {:<20} {:>8} {:>10} {:>8}  {}\n",
            if info.current { "*" } else { " " },
            info.run_id,
            info.published_at
                .map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_else(|| "?".to_string()),
            info.active_submissions,
            rows(table::FACT_INDICATOR),
            rows(table::REJECTS),
            match &info.problem {
                None => "complete".to_string(),
                Some(problem) => format!("INCOMPLETE: {problem}"),
            }
        ));
    }
    text.push_str(&format!(
        "{} snapshot(s); * = current. Views over one: zlbd views --warehouse {} --snapshot RUN_ID\n",
        list.len(),
        args.warehouse.display()
    ));
    if !print_out(format_args!("{text}")) {
        return exit::FAILED;
    }
    exit::OK
}
