//! `zlbd rollback [RUN_ID]`: point `current` at an earlier snapshot, under the lock.

use crate::cli::RollbackArgs;
use crate::exit;
use crate::warehouse::{self, lock::WarehouseLock};

pub fn run(args: RollbackArgs) -> i32 {
    let holder = format!("pid {} rollback", std::process::id());
    let _lock = match WarehouseLock::acquire(&args.warehouse, &holder) {
        Ok(lock) => lock,
        Err(error) => {
            eprintln!("zlbd: {error}");
            return exit::LOCKED;
        }
    };
    match warehouse::rollback(&args.warehouse, args.run_id.as_deref()) {
        Ok(target) => {
            println!("current -> snapshots/{target}");
            exit::OK
        }
        Err(error) => {
            eprintln!("zlbd: {error}");
            exit::USAGE
        }
    }
}
