//! Fuzzes the file-to-cells entry point: any bytes → a rejected, ignored or accepted file with
//! classified cells. No panic, hang or runaway allocation is acceptable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zlbd::config::Plan;

fn plan() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../pipelines/shandong");
        let mut plan = Plan::load(&dir).expect("the shipped pipeline loads");
        // Keep single inputs small so the fuzzer explores instead of inflating.
        plan.limits.max_uncompressed_bytes = 8 * 1024 * 1024;
        plan.limits.max_rows = 10_000;
        plan
    })
}

fuzz_target!(|data: &[u8]| {
    let plan = plan();
    let (_, content) = zlbd::ingest::extract(data, plan, "fuzz", "fuzz.xlsx");
    let _ = zlbd::normalize::content(content, plan);
});
