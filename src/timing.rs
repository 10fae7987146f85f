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
        peak_rss_mb = peak_rss_mb(),
        "Step done."
    );
    out
}

/// This process's peak resident memory in MB (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
