//! `zlbd rollback [RUN_ID]`: point `current` at an earlier, complete snapshot, under the lock.
//!
//! Exit codes (SPEC §9): 0 switched; 4 only when another run holds the lock; 2 when the named
//! snapshot does not exist; 1 for every other failure, with its cause (an incomplete snapshot,
//! a lock error such as ENOLCK, a read-only or full disk, a warehouse path that is a file or
//! missing).

use crate::cli::{print_error, print_out, RollbackArgs};
use crate::exit;
use crate::warehouse::{self, lock::LockError, lock::WarehouseLock, WarehouseError};

pub fn run(args: RollbackArgs) -> i32 {
    if !args.warehouse.is_dir() {
        print_error(&format_args!(
            "rollback: {} is not a warehouse folder{}",
            args.warehouse.display(),
            if args.warehouse.exists() {
                " (it is a file)"
            } else {
                " (it does not exist)"
            }
        ));
        return exit::FAILED;
    }
    let holder = format!("pid {} rollback", std::process::id());
    let lock = match WarehouseLock::acquire(&args.warehouse, &holder) {
        Ok(lock) => lock,
        Err(error @ LockError::Held { .. }) => {
            print_error(&error);
            return exit::LOCKED;
        }
        Err(error) => {
            print_error(&format_args!("rollback failed: {error}"));
            return exit::FAILED;
        }
    };
    // A run killed before it recorded itself is recorded first: killed after switching
    // `current`, it published, and the rollback must not hide that.
    let tag = format!("rollback-{}", std::process::id());
    super::run::record_runs_that_did_not_finish(&args.warehouse, &tag, "rollback");
    match warehouse::rollback(&args.warehouse, &lock, args.run_id.as_deref()) {
        Ok(done) => {
            for warning in &done.warnings {
                tracing::warn!(warning = %warning, "Rolled back, with a problem after the switch.");
            }
            print_out(format_args!("current -> snapshots/{}\n", done.run_id));
            exit::OK
        }
        Err(error @ WarehouseError::NoSnapshot(_)) => {
            print_error(&format_args!("rollback: {error}"));
            exit::USAGE
        }
        Err(error) => {
            print_error(&format_args!(
                "rollback failed, current is unchanged: {error}"
            ));
            exit::FAILED
        }
    }
}
