//! What both fuzz targets share: the shipped pipeline with small limits, and the panic policy.

use std::collections::HashSet;
use std::sync::{Mutex, Once, OnceLock};
use zlbd::config::Plan;

/// The shipped pipeline, with limits kept small so the fuzzer explores instead of inflating.
pub fn plan() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../pipelines/shandong");
        let mut plan = Plan::load(&dir).expect("the shipped pipeline loads");
        plan.limits.max_uncompressed_bytes = 8 * 1024 * 1024;
        plan.limits.max_rows = 10_000;
        plan
    })
}

/// A panic inside calamine is contained by `ingest::extract` (the file is rejected and the run
/// goes on), so it is allowed to unwind to that containment. libfuzzer-sys would otherwise abort
/// on every panic, caught or not, and the fuzzer would stop at the first known calamine bug
/// instead of exploring. Each distinct calamine panic site is printed once (`CALAMINE PANIC at
/// …`) so it can be reported upstream. A panic anywhere else — zlbd, polars, the standard library
/// called from zlbd — still aborts and is saved as a crash.
pub fn contain_reader_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let abort_hook = std::panic::take_hook(); // libfuzzer-sys's: report, then abort
        let seen: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
        std::panic::set_hook(Box::new(move |info| {
            let site = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
            match site {
                Some(site) if site.contains("/calamine-") => {
                    let mut seen = seen.lock().unwrap_or_else(|poison| poison.into_inner());
                    if seen.insert(site.clone()) {
                        eprintln!("CALAMINE PANIC at {site}: {info}");
                    }
                }
                _ => abort_hook(info),
            }
        }));
    });
}

/// The file-to-cells entry point every inbox file goes through.
pub fn file_to_cells(bytes: &[u8]) {
    contain_reader_panics();
    let plan = plan();
    let (_, content) = zlbd::ingest::extract(bytes, plan, "fuzz", "fuzz.xlsx");
    let _ = zlbd::normalize::content(content, plan);
}
