//! `make bench`: zlbd against a bare calamine read of the same files, in one run.
//!
//! Writes ZLBD_BENCH_FORMS enterprise forms (default 20,000) plus the roster's parks and cities
//! with `zlbd sample --clean`, then measures on the same inbox:
//!   1. bare calamine: open every workbook and read every sheet's range (rayon, all cores);
//!   2. `zlbd run` cold (empty warehouse and cache): the whole pipeline, published;
//!   3. `zlbd run` warm (parse cache) on the unchanged inbox;
//!   4. `zlbd inspect` of each size attack in tests/fixtures/inbox: a 400 MB-inflating zip bomb,
//!      an .xls with a stray cell at IV65536, an .ods with one cell repeated 90,000 × 1,000 times.
//!
//! Reports wall time, files per second, peak RSS and the ratios between them.

use calamine::{open_workbook_auto, Reader};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Measured {
    wall: Duration,
    peak_rss_mb: f64,
    code: i32,
}

/// Runs the zlbd binary and measures wall time and the child's peak RSS.
fn measure(args: &[&str]) -> Measured {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zlbd"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn zlbd");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child; fills `usage` with its resource use.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    let _ = child.try_wait();
    let code = if waited == pid && libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Measured {
        wall,
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        code,
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read inbox")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "xlsx"))
        .collect();
    files.sort();
    files
}

/// The floor: what reading the same workbooks costs with calamine alone.
fn bare_calamine(files: &[PathBuf]) -> (Duration, usize) {
    let start = Instant::now();
    let cells: usize = files
        .par_iter()
        .map(|path| {
            let Ok(mut workbook) = open_workbook_auto(path) else {
                return 0;
            };
            let names = workbook.sheet_names();
            names
                .iter()
                .filter_map(|name| workbook.worksheet_range(name).ok())
                .map(|range| range.used_cells().count())
                .sum::<usize>()
        })
        .sum();
    (start.elapsed(), cells)
}

fn main() {
    let forms: usize = std::env::var("ZLBD_BENCH_FORMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pipeline = repo.join("pipelines/shandong");
    let work = repo.join("target/bench-data");
    let inbox = work.join(format!("inbox-{forms}"));
    let roster_enterprises = 159;
    if !inbox.join("truth.json").exists() {
        let _ = std::fs::remove_dir_all(&inbox);
        let extra = forms.saturating_sub(roster_enterprises).to_string();
        let start = Instant::now();
        let made = measure(&[
            "sample",
            "--pipeline",
            pipeline.to_str().unwrap_or_default(),
            "--out",
            inbox.to_str().unwrap_or_default(),
            "--clean",
            "--extra-enterprises",
            &extra,
        ]);
        assert_eq!(made.code, 0, "zlbd sample failed");
        eprintln!(
            "wrote the bench inbox in {:.1}s",
            start.elapsed().as_secs_f64()
        );
    }
    let files = files_in(&inbox);
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "inbox: {} workbooks, {:.1} MB, {} cores",
        files.len(),
        bytes as f64 / 1e6,
        rayon::current_num_threads()
    );

    let (bare, cells) = bare_calamine(&files);
    let warehouse = work.join("warehouse");
    let _ = std::fs::remove_dir_all(&warehouse);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--pipeline",
            pipeline.to_str().unwrap_or_default(),
            "--inbox",
            inbox.to_str().unwrap_or_default(),
            "--warehouse",
            warehouse.to_str().unwrap_or_default(),
            "--quiet",
        ];
        args.extend_from_slice(extra);
        measure(&args)
    };
    // Cold: an empty warehouse, every workbook parsed (and the parse cache filled).
    // Warm: the same inbox again, unchanged files from the cache.
    let cold = run(&[]);
    let warm = run(&[]);
    assert!(
        matches!(cold.code, 0 | 3) && matches!(warm.code, 0 | 3),
        "zlbd run failed: {} {}",
        cold.code,
        warm.code
    );
    let attacks: Vec<(&str, Measured)> = [
        ("400 MB zip bomb", "bad_zipbomb.xlsx"),
        ("xls cell at IV65536", "bad_far_cell.xls"),
        ("ods 90k x 1k repeat", "bad_repeat_bomb.ods"),
    ]
    .into_iter()
    .map(|(label, file)| {
        let path = repo.join("tests/fixtures/inbox").join(file);
        let measured = measure(&[
            "inspect",
            "--pipeline",
            pipeline.to_str().unwrap_or_default(),
            path.to_str().unwrap_or_default(),
        ]);
        (label, measured)
    })
    .collect();

    let rate = |wall: Duration| files.len() as f64 / wall.as_secs_f64();
    println!(
        "{:<34} {:>9} {:>11} {:>10}",
        "", "seconds", "files/s", "peak MB"
    );
    println!(
        "{:<34} {:>9.2} {:>11.0} {:>10}",
        format!("bare calamine read ({cells} cells)"),
        bare.as_secs_f64(),
        rate(bare),
        "-"
    );
    println!(
        "{:<34} {:>9.2} {:>11.0} {:>10.0}",
        "zlbd run, cold (empty cache)",
        cold.wall.as_secs_f64(),
        rate(cold.wall),
        cold.peak_rss_mb
    );
    println!(
        "{:<34} {:>9.2} {:>11.0} {:>10.0}",
        "zlbd run, warm (parse cache)",
        warm.wall.as_secs_f64(),
        rate(warm.wall),
        warm.peak_rss_mb
    );
    for (label, measured) in &attacks {
        println!(
            "{:<34} {:>9.2} {:>11} {:>10.0}",
            format!("zlbd inspect, {label}"),
            measured.wall.as_secs_f64(),
            "-",
            measured.peak_rss_mb
        );
    }
    println!(
        "ratio cold zlbd / bare calamine: {:.2}",
        cold.wall.as_secs_f64() / bare.as_secs_f64()
    );
    println!(
        "ratio warm / cold zlbd:          {:.2}",
        warm.wall.as_secs_f64() / cold.wall.as_secs_f64()
    );
}
