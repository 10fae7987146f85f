//! Failure injection for the crash tests: the one place production code asks whether a test
//! wants it to fail at a named point. Set `ZLBD_FAILPOINT=<name>` in the environment of a run;
//! no other hidden switch changes what zlbd does.
//!
//! Points: `before-switch` (the snapshot is written, `current` not yet switched),
//! `pause-while-staging` and `pause-after-switch` (the process stops itself with SIGSTOP, for a
//! test to kill it there), `flock-fails`, `prune-fails`, `views-fails`.

/// Whether the failure named `point` is requested for this process.
pub fn active(point: &str) -> bool {
    std::env::var("ZLBD_FAILPOINT").is_ok_and(|requested| requested == point)
}
