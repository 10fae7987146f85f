//! What both fuzz targets share: the shipped pipeline with small limits, and the panic policy.

use std::collections::HashSet;
use std::io::{Cursor, Read, Write};
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
    let detail = zlbd::ingest::Detail::Cells;
    let (_, content) = zlbd::ingest::extract(bytes, plan, "fuzz", "fuzz.xlsx", detail);
    let _ = zlbd::normalize::content(content, plan);
}

/// Separates the parts of a structure-aware input.
pub const SEPARATOR: &[u8] = b"\n<!--ZLBD-PART-->\n";

/// A template package's entries, in order.
pub fn entries(template: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(template)).expect("template is a zip");
    (0..archive.len())
        .map(|index| {
            let mut entry = archive.by_index(index).expect("template entry");
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("template entry inflates");
            (entry.name().expect("template entry name").to_string(), bytes)
        })
        .collect()
}

/// The template's entries with `parts` replaced by the input's pieces (split at [`SEPARATOR`];
/// a missing or empty piece keeps the template's), stored uncompressed in a valid zip.
pub fn repack(template: &[(String, Vec<u8>)], parts: &[&str], data: &[u8]) -> Vec<u8> {
    let mut pieces = Vec::new();
    let mut rest = data;
    while pieces.len() + 1 < parts.len() {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(at) => {
                pieces.push(&rest[..at]);
                rest = &rest[at + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    pieces.push(rest);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in template {
        let replaced = parts
            .iter()
            .position(|part| part == name)
            .and_then(|i| pieces.get(i))
            .filter(|piece| !piece.is_empty());
        writer.start_file(name.as_str(), options).expect("zip entry");
        writer.write_all(replaced.copied().unwrap_or(bytes)).expect("zip write");
    }
    writer.finish().expect("zip finish").into_inner()
}
