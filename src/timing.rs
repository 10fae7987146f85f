//! Where a run's time and memory go: each step logged at debug level (`-v` or
//! `ZLBD_LOG=zlbd=debug`) with its seconds and the peak RSS so far, for `make bench` and for
//! anyone asking why a night's run was slow.

use std::time::Instant;

/// Runs `work` and logs how long the step took.
pub fn timed<T>(step: &str, work: impl FnOnce() -> T) -> T {
    let clock = Instant::now();
    let out = work();
    tracing::debug!(
        step,
        seconds = clock.elapsed().as_secs_f64(),
        rss_mb = rss_mb(),
        peak_rss_mb = peak_rss_mb(),
        "Step done."
    );
    out
}

/// This process's peak resident memory in MB (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// This process's resident memory now, in MB (Linux; 0 elsewhere).
pub fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// A `/proc/self/status` line in kB, as MB.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// mimalloc v3's index of its `purge_delay` option (`include/mimalloc.h`); the sys crate names
/// only the first few options. A unit test checks it against the option's documented default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with mimalloc before going back to the OS, in milliseconds.
/// Measured at 20,000 forms: 0 ms gives the lowest peak but re-faults every reused page
/// (+2 s of system time); mimalloc's default of 1,000 ms lets each phase's freed frames and
/// the next phase's new ones add up (1.2 GB peak); 10 ms keeps the peak within 1 % of 0 ms
/// at about half its system time.
const PURGE_DELAY_MS: std::os::raw::c_long = 10;

/// Memory a run frees goes back to the OS within [`PURGE_DELAY_MS`] instead of a second later,
/// so the peak RSS is what the run holds, not what it held a phase ago. Call before the work
/// starts. `MIMALLOC_PURGE_DELAY` in the environment (milliseconds) still wins.
pub fn return_freed_memory_soon() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: sets one of mimalloc's option values (an atomic store); no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_index_names_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return; // the environment overrides the default read below
        }
        // SAFETY: reads an option value.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000, "mimalloc v3's purge_delay defaults to 1000 ms");
    }
}
