//! Where a run's time and memory go: each step logged at debug level (`-v` or
//! `ZLBD_LOG=zlbd=debug`) with its seconds, the CPU seconds it used and the peak RSS so far,
//! for `make bench` and for anyone asking why a night's run was slow.

use std::time::Instant;

/// Runs `work` and logs how long the step took.
pub fn timed<T>(step: &str, work: impl FnOnce() -> T) -> T {
    let clock = Clock::start();
    let out = work();
    // What the step freed on this thread goes back now, not a purge delay later.
    collect_here();
    tracing::debug!(
        step,
        seconds = clock.seconds(),
        cpu_seconds = clock.cpu_seconds(),
        rss_mb = rss_mb(),
        peak_rss_mb = peak_rss_mb(),
        "Step done."
    );
    out
}

/// A step's clock: the wall time since it started, and the CPU time the whole process (every
/// thread) used since. CPU over wall is how many cores the step kept busy; on a shared machine
/// it also moves less than wall time when something else takes the cores or the disk.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    wall: Instant,
    cpu: f64,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    /// Wall seconds since the start.
    pub fn seconds(&self) -> f64 {
        self.wall.elapsed().as_secs_f64()
    }

    /// CPU seconds (user and system, every thread of the process) since the start.
    pub fn cpu_seconds(&self) -> f64 {
        (cpu_seconds() - self.cpu).max(0.0)
    }
}

/// CPU seconds this process has used so far, user and system, every thread (0 if unknown).
fn cpu_seconds() -> f64 {
    own_usage().map_or(0.0, |usage| cpu_seconds_of(&usage))
}

/// This process's resource use so far (every thread), as `getrusage` tells it.
pub fn own_usage() -> Option<libc::rusage> {
    // SAFETY: an all-zero rusage is a valid value of the plain C struct getrusage fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes only into `usage`, which lives for the call.
    (unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0).then_some(usage)
}

/// The user and system CPU seconds of a resource use (from `getrusage` or `wait4`).
pub fn cpu_seconds_of(usage: &libc::rusage) -> f64 {
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
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

/// How long freed memory stays with mimalloc before going back to the OS, in milliseconds,
/// in the steps that hold the run's largest live set (compare: [`at_peak`]). 0 ms would give
/// the lowest peak but re-faults every reused page; 10 ms keeps the peak within 1 % of that.
const PEAK_PURGE_DELAY_MS: std::os::raw::c_long = 10;

/// The same for every other step: mimalloc's own default. Memory freed and soon needed again
/// is reused without a page fault (at 20,000 forms a 10 ms delay everywhere cost a quarter of
/// a rerun's time in page faults), and what a step freed goes back at its end ([`timed`]).
const PURGE_DELAY_MS: std::os::raw::c_long = 1000;

/// Whether the run sets the purge delay: not when `MIMALLOC_PURGE_DELAY` is in the
/// environment, which then wins everywhere.
fn delay_is_ours() -> bool {
    std::env::var_os("MIMALLOC_PURGE_DELAY").is_none()
}

fn set_purge_delay(milliseconds: std::os::raw::c_long) {
    if delay_is_ours() {
        // SAFETY: sets one of mimalloc's option values (an atomic store); no memory is touched.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, milliseconds) }
    }
}

/// Returns the memory freed so far to the OS, whatever the purge delay: on this thread and
/// on each of rayon's (a page goes back only once the thread that allocated it collects).
pub fn return_freed_memory() {
    rayon::broadcast(|_| collect_here());
    collect_here();
}

/// Returns what this thread's heap holds unused to the OS.
fn collect_here() {
    // SAFETY: mimalloc frees what it holds unused; live allocations are not touched.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Sets the purge delay of the steps outside [`at_peak`]. Call before the work starts.
pub fn configure_allocator() {
    set_purge_delay(PURGE_DELAY_MS);
}

/// Runs `work`, the steps that hold the run's largest live set, with memory going back to the
/// OS within [`PEAK_PURGE_DELAY_MS`], so what they free between their own frames does not add
/// up in the peak RSS.
pub fn at_peak<T>(work: impl FnOnce() -> T) -> T {
    set_purge_delay(PEAK_PURGE_DELAY_MS);
    let out = work();
    set_purge_delay(PURGE_DELAY_MS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Busy work shows as CPU time (a clock stuck at zero would spin until the time limit),
    /// and never more than the process can have used: cores × wall.
    #[test]
    fn busy_work_shows_as_cpu_time_within_what_its_wall_time_allows() {
        let clock = Clock::start();
        let mut x = 1u64;
        while clock.cpu_seconds() < 0.1 && clock.seconds() < 30.0 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let (cpu, wall) = (clock.cpu_seconds(), clock.seconds());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        assert!(cpu >= 0.1, "{cpu} CPU s after {wall} s of spinning");
        assert!(cpu <= wall * cores + 0.02, "{cpu} CPU s in {wall} s");
    }

    /// One test, so no other test changes the option while it reads it.
    #[test]
    fn the_purge_delay_is_mimallocs_default_outside_the_peak_and_short_inside() {
        if !delay_is_ours() {
            return; // the environment overrides the values read below
        }
        // SAFETY: reads an option value.
        let delay = || unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(
            delay(),
            1000,
            "mimalloc v3's purge_delay defaults to 1000 ms"
        );
        configure_allocator();
        assert_eq!(delay(), PURGE_DELAY_MS);
        assert_eq!(at_peak(delay), PEAK_PURGE_DELAY_MS);
        assert_eq!(delay(), PURGE_DELAY_MS);
    }
}
