//! The module map holds: data and imports go one way, domain ← config ← ingest ← normalize ←
//! compare ← warehouse/report ← pipeline ← cmd, and no two files of one module import each
//! other in a circle. A source scan, so a backward import fails here before review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer: a module may use only lower layers (and
/// itself). A new module must be placed here.
const LAYERS: &[(&str, u32)] = &[
    ("domain", 0),
    ("failpoint", 0),
    ("timing", 0),
    ("frames", 1),
    ("config", 2),
    ("ingest", 3),
    ("normalize", 4),
    ("compare", 5),
    ("warehouse", 6),
    ("report", 7),
    ("pipeline", 8),
    ("sample", 9),
    ("cli", 10),
    ("cmd", 11),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The file's code without its `#[cfg(test)] mod tests` and without comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Path segments relative to src/, without `.rs` and without a trailing `mod`:
/// `ingest/workbook/mod.rs` → ["ingest", "workbook"].
fn module_path(path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().to_string())
        .collect();
    if parts.last().map(String::as_str) == Some("mod") {
        parts.pop();
    }
    parts
}

/// Every `crate::a::b…` path in the code, as its segments.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segments: Vec<String> = path
            .split("::")
            .filter(|segment| !segment.is_empty())
            .map(str::to_string)
            .collect();
        if !segments.is_empty() {
            out.push(segments);
        }
    }
    // `use crate::{a, b::c}` groups: every name directly inside the braces.
    for (at, _) in code.match_indices("crate::{") {
        let rest = &code[at + "crate::{".len()..];
        let group = &rest[..rest.find("};").unwrap_or(rest.len())];
        for item in group.split(',') {
            let name: String = item
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(vec![name]);
            }
        }
    }
    out
}

/// Files that exist as modules: module path → file.
fn modules() -> BTreeMap<Vec<String>, PathBuf> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .into_iter()
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name != "lib.rs" && name != "main.rs"
        })
        .map(|path| (module_path(&path), path))
        .collect()
}

/// The longest existing module that `segments` starts with.
fn resolve(segments: &[String], modules: &BTreeMap<Vec<String>, PathBuf>) -> Option<Vec<String>> {
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].to_vec())
        .find(|prefix| modules.contains_key(prefix))
}

#[test]
fn every_top_level_module_has_a_layer() {
    let ranks: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let tops: BTreeSet<String> = modules().keys().map(|path| path[0].clone()).collect();
    for top in &tops {
        assert!(
            ranks.contains_key(top.as_str()),
            "src/{top} has no layer in tests/architecture.rs LAYERS"
        );
    }
}

#[test]
fn no_module_imports_a_higher_layer() {
    let ranks: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let mut backward = Vec::new();
    for (module, path) in modules() {
        let own = ranks[module[0].as_str()];
        for segments in crate_paths(&code(&path)) {
            let Some(&target) = ranks.get(segments[0].as_str()) else {
                continue; // crate::exit and other items of lib.rs
            };
            if segments[0] != module[0] && target >= own {
                backward.push(format!(
                    "{} (layer {own}) uses crate::{} (layer {target})",
                    path.strip_prefix(src()).unwrap().display(),
                    segments.join("::")
                ));
            }
        }
    }
    backward.sort();
    backward.dedup();
    assert!(
        backward.is_empty(),
        "backward imports:\n{}",
        backward.join("\n")
    );
}

#[test]
fn no_two_files_import_each_other_in_a_circle() {
    let modules = modules();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, path) in &modules {
        let code = code(path);
        let mut targets = BTreeSet::new();
        for segments in crate_paths(&code) {
            if let Some(target) = resolve(&segments, &modules) {
                if !target.starts_with(module) {
                    targets.insert(target);
                }
            }
        }
        // `super::x` names a sibling module x, or an item of the parent module. A parent's
        // own `mod child;` and re-exports are containment, not imports, so they make no edge:
        // a cycle is two siblings (or modules further apart) that need each other.
        for (at, _) in code.match_indices("super::") {
            let name: String = code[at + "super::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let parent = module[..module.len() - 1].to_vec();
            let mut sibling = parent.clone();
            sibling.push(name);
            if modules.contains_key(&sibling) {
                targets.insert(sibling);
            } else if modules.contains_key(&parent) {
                targets.insert(parent);
            }
        }
        targets.remove(module);
        edges.insert(module.clone(), targets);
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(next, edges, state, stack) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            let cycle = visit(node, &edges, &mut state, &mut Vec::new());
            assert!(
                cycle.is_none(),
                "import cycle: {}",
                cycle
                    .unwrap_or_default()
                    .iter()
                    .map(|module| module.join("::"))
                    .collect::<Vec<_>>()
                    .join(" → ")
            );
        }
    }
}

#[test]
fn the_scan_sees_imports() {
    // Guard against a scan that finds nothing and so passes vacuously.
    let modules = modules();
    let normalize = &modules[&vec!["normalize".to_string()]];
    let paths = crate_paths(&code(normalize));
    assert!(paths.iter().any(|path| path[0] == "ingest"), "{paths:?}");
    assert!(paths.iter().any(|path| path[0] == "domain"), "{paths:?}");
}

/// With `autotests = false`, a file in `tests/` that `tests/main.rs` does not name is never
/// compiled, and its tests would silently stop running: every `tests/*.rs` (and `common/`)
/// must be a module of the one test binary.
#[test]
fn every_test_file_is_a_module_of_the_test_binary() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let main = std::fs::read_to_string(tests.join("main.rs")).unwrap();
    let declared: BTreeSet<String> = main
        .lines()
        .filter_map(|line| line.trim().strip_prefix("mod ")?.strip_suffix(';'))
        .map(str::to_string)
        .collect();
    let mut files = BTreeSet::from(["common".to_string()]);
    for entry in std::fs::read_dir(&tests).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            if stem != "main" {
                files.insert(stem);
            }
        }
    }
    assert!(
        files.len() > 10,
        "the scan found too few test files: {files:?}"
    );
    let missing: Vec<&String> = files.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "not modules of tests/main.rs: {missing:?}"
    );
}
