//! `make bench`: zlbd against a bare calamine read of the same files, in one run.
//!
//! Writes ZLBD_BENCH_FORMS enterprise forms (default 20,000) plus the roster's parks and cities
//! with `zlbd sample --clean` (kept in target/bench-data between runs), then measures on that
//! inbox, in ZLBD_BENCH_ROUNDS rounds (default 3; each figure printed is the median over the
//! rounds, each ratio the median of the rounds' own ratios, with their range):
//!   1. the floor: calamine alone opens every workbook and reads every sheet (rayon, all
//!      cores; after one untimed read that fills the page cache);
//!   2. `zlbd run` cold: empty warehouse and cache, the whole pipeline, published;
//!   3. a rerun with nothing changed (same inbox bytes, configuration and program);
//!   4. a rerun after one corrected form arrived (an enterprise's `_更正` form from the regular
//!      sample, which supersedes its first form);
//!   5. a rerun after every file was touched (same bytes and modification times, new
//!      status-change time): every file hashed again, found to be the inputs of the run before
//!      and nothing recomputed;
//!   6. a rerun after the corrected form was withdrawn (removed again): everything recomputed
//!      (the "every file touched" of earlier notes withdrew it too, and so measured this);
//!   7. `zlbd inspect` of each size attack in tests/fixtures/inbox.
//!
//! Prints wall time, files/s, cells/s, peak RSS (and its ratio to the bench's own while
//! reading the floor), CPU seconds, cores busy and the ratios to the floor or to cold, and the
//! cold run's phases (from its JSON log). ZLBD_BENCH_ONLY_COLD=1 stops after the cold run
//! (for a 100k-form run). The extra enterprises beyond the roster's own (the province lists
//! 159) are on a roster of the bench's own (`zlbd sample --listed-roster`), spread over the
//! province's cities and industries; ZLBD_BENCH_UNLISTED=1 leaves them off every roster, as
//! the bench did before 2026-11-23 (one peer group of ~20,000 unknowns).

use calamine::{open_workbook_auto, Reader};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};
use zlbd::timing::{cpu_seconds_of as cpu_seconds, own_usage};

struct Measured {
    wall: Duration,
    /// CPU seconds, user and system, every thread of the child.
    cpu: f64,
    peak_rss_mb: f64,
    code: i32,
    /// Wall and CPU seconds per phase, from the run's JSON log ("Inbox read.", …).
    phases: BTreeMap<String, (f64, f64)>,
}

/// One bare calamine read of the inbox.
struct Floor {
    wall: Duration,
    cells: usize,
    /// CPU seconds of this process while reading.
    cpu: f64,
}

/// One round: the floor, the cold run right after it, and the reruns after that.
struct Round<'a> {
    floor: Floor,
    cold: Measured,
    reruns: Vec<(&'a str, Measured)>,
}

/// The median of some numbers (the lower middle one of an even count); 0 for none.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0.0)
}

/// "1.23 (1.20–1.31)": the median of per-round values and, with more than one round, their range.
fn spread(values: Vec<f64>, digits: usize) -> String {
    let (low, high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), &v| {
            (low.min(v), high.max(v))
        });
    let count = values.len();
    let middle = median(values);
    match count {
        0 | 1 => format!("{middle:.digits$}"),
        _ => format!("{middle:.digits$} ({low:.digits$}–{high:.digits$})"),
    }
}

/// Runs the zlbd binary and measures wall time and the child's peak RSS.
fn measure(args: &[&str]) -> Measured {
    let log = std::env::temp_dir().join(format!("zlbd-bench-{}.jsonl", std::process::id()));
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zlbd"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("bench log"))
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
    let phases = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|event| {
            let fields = event.get("fields")?;
            let message = fields.get("message")?.as_str()?.to_string();
            let cpu = fields.get("cpu_seconds").and_then(|cpu| cpu.as_f64());
            Some((
                message,
                (fields.get("seconds")?.as_f64()?, cpu.unwrap_or(0.0)),
            ))
        })
        .collect();
    let _ = std::fs::remove_file(&log);
    Measured {
        wall,
        cpu: cpu_seconds(&usage),
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        code,
        phases,
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

/// This process's peak RSS in MB.
fn own_peak_rss_mb() -> f64 {
    own_usage().map_or(0.0, |usage| usage.ru_maxrss as f64 / 1024.0)
}

/// Waits until every file of the inbox was last changed more than 4 s ago: zlbd trusts a file's
/// stamp only then (a rerun right after writing the inbox would read everything again).
fn let_settle(files: &[PathBuf]) {
    let newest = files
        .iter()
        .filter_map(|file| std::fs::metadata(file).ok()?.modified().ok())
        .max();
    if let Some(age) = newest.and_then(|newest| SystemTime::now().duration_since(newest).ok()) {
        if let Some(wait) = Duration::from_secs(4).checked_sub(age) {
            std::thread::sleep(wait);
        }
    }
}

/// Gives every file a new status-change time without changing its bytes.
fn touch_all(files: &[PathBuf]) {
    for file in files {
        if let Ok(metadata) = std::fs::metadata(file) {
            let _ = std::fs::set_permissions(file, metadata.permissions());
        }
    }
}

fn main() {
    let forms: usize = std::env::var("ZLBD_BENCH_FORMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let only_cold = std::env::var("ZLBD_BENCH_ONLY_COLD").is_ok_and(|v| v == "1");
    let rounds_wanted: usize = std::env::var("ZLBD_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&rounds| rounds > 0)
        .unwrap_or(3);
    let unlisted = std::env::var("ZLBD_BENCH_UNLISTED").is_ok_and(|v| v == "1");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let province = repo.join("pipelines/shandong");
    let work = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"))
        .join("bench-data");
    // Listed (the default): the extra enterprises are on a roster of their own, a copy of the
    // province's pipeline, and fall into the province's peer groups as its enterprises do.
    // Unlisted: they are on no roster and form one peer group, "unknown" (the bench before
    // 2026-11-23).
    let (inbox, pipeline) = if unlisted {
        (work.join(format!("inbox-{forms}")), province.clone())
    } else {
        let listed = work.join(format!("listed-{forms}"));
        (listed.join("inbox"), listed.join("pipeline"))
    };
    // The extra enterprises make up the forms beyond the roster's own enterprises.
    let roster_enterprises = zlbd::config::Plan::load(&province)
        .expect("the province's pipeline loads")
        .roster
        .enterprises
        .len();
    if !inbox.join("truth.json").exists() {
        let _ = std::fs::remove_dir_all(&inbox);
        let extra = forms.saturating_sub(roster_enterprises).to_string();
        let mut args = vec![
            "sample".to_string(),
            "--pipeline".to_string(),
            province.display().to_string(),
            "--out".to_string(),
            inbox.display().to_string(),
            "--clean".to_string(),
            "--extra-enterprises".to_string(),
            extra,
        ];
        if !unlisted {
            let _ = std::fs::remove_dir_all(&pipeline);
            std::fs::create_dir_all(&pipeline).expect("bench pipeline folder");
            for file in ["pipeline.toml", "catalog.toml"] {
                std::fs::copy(province.join(file), pipeline.join(file)).expect("copy the pipeline");
            }
            args.push("--listed-roster".to_string());
            args.push(pipeline.join("roster").display().to_string());
        }
        let start = Instant::now();
        let made = measure(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(made.code, 0, "zlbd sample failed");
        eprintln!(
            "wrote the bench inbox in {:.1}s",
            start.elapsed().as_secs_f64()
        );
    }
    let province = province.to_str().unwrap_or_default();
    let pipeline = pipeline.to_str().unwrap_or_default();
    // One corrected form, from the regular (not clean) sample of the same roster.
    let corrections = work.join("corrections");
    if !corrections.join("truth.json").exists() {
        let made = measure(&[
            "sample",
            "--pipeline",
            province,
            "--out",
            corrections.to_str().unwrap_or_default(),
        ]);
        assert_eq!(made.code, 0, "zlbd sample (corrections) failed");
    }
    let corrected = files_in(&corrections)
        .into_iter()
        .find(|path| path.to_string_lossy().contains("_更正"))
        .expect("the regular sample holds a corrected form");
    let arrived = inbox.join(corrected.file_name().expect("a file name"));
    let _ = std::fs::remove_file(&arrived);

    let files = files_in(&inbox);
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "inbox: {} workbooks, {:.1} MB, {} cores; extra enterprises {}",
        files.len(),
        bytes as f64 / 1e6,
        rayon::current_num_threads(),
        if unlisted {
            "on no roster (one peer group, unknown)"
        } else {
            "on the bench's roster (the province's peer groups)"
        }
    );

    // Each floor read with the CPU time it used (this process does nothing else meanwhile).
    let own_cpu = || own_usage().map_or(0.0, |usage| cpu_seconds(&usage));
    let floor_read = || {
        let before = own_cpu();
        let (wall, cells) = bare_calamine(&files);
        Floor {
            wall,
            cells,
            cpu: own_cpu() - before,
        }
    };
    // One read first, not counted: the page cache then holds the inbox for every timed read.
    let warmup = floor_read();
    let cells = warmup.cells;
    let floor_rss = own_peak_rss_mb();
    let warehouse = work.join("warehouse");
    let run = || {
        measure(&[
            "run",
            "--pipeline",
            pipeline,
            "--inbox",
            inbox.to_str().unwrap_or_default(),
            "--warehouse",
            warehouse.to_str().unwrap_or_default(),
            "--quiet",
            "--log-format",
            "json",
        ])
    };
    // Rounds of floor, cold run and reruns, each round's ratios against its own floor and cold
    // run: the machine's speed drifts over minutes, and a ratio of two runs minutes apart
    // measured the drift as much as the code.
    let mut rounds: Vec<Round> = Vec::with_capacity(rounds_wanted);
    let mut touched_at: Option<Instant> = None;
    for _ in 0..rounds_wanted {
        let floor = floor_read();
        let _ = std::fs::remove_dir_all(&warehouse);
        let_settle(&files);
        // The touch of the round before changed every file's status-change time: zlbd trusts
        // a stamp only 4 s after it, and the reruns below are to find the files unchanged.
        if let Some(wait) =
            touched_at.and_then(|at| Duration::from_secs(4).checked_sub(at.elapsed()))
        {
            std::thread::sleep(wait);
        }
        let cold = run();
        assert!(matches!(cold.code, 0 | 3), "zlbd run failed: {}", cold.code);
        let mut reruns: Vec<(&str, Measured)> = Vec::new();
        if !only_cold {
            reruns.push(("rerun, nothing changed", run()));
            std::fs::copy(&corrected, &arrived).expect("copy the corrected form");
            reruns.push(("rerun, one corrected form", run()));
            // New stamps, the same names, bytes and modification times: nothing to recompute.
            touch_all(&files);
            touched_at = Some(Instant::now());
            reruns.push(("rerun, every file touched", run()));
            std::fs::remove_file(&arrived).expect("remove the corrected form");
            reruns.push(("rerun, correction withdrawn", run()));
        }
        for (label, measured) in &reruns {
            assert!(
                matches!(measured.code, 0 | 3),
                "zlbd {label} failed: {}",
                measured.code
            );
        }
        rounds.push(Round {
            floor,
            cold,
            reruns,
        });
    }
    let attacks: Vec<(&str, Measured)> = [
        ("400 MB zip bomb", "bad_zipbomb.xlsx"),
        ("xls cell at IV65536", "bad_far_cell.xls"),
        ("ods 90k x 1k repeat", "bad_repeat_bomb.ods"),
    ]
    .into_iter()
    .filter(|_| !only_cold)
    .map(|(label, file)| {
        let path = repo.join("tests/fixtures/inbox").join(file);
        let measured = measure(&[
            "inspect",
            "--pipeline",
            pipeline,
            path.to_str().unwrap_or_default(),
        ]);
        (label, measured)
    })
    .collect();

    let seconds = |wall: Duration| wall.as_secs_f64();
    let per_second = |count: usize, wall: f64| count as f64 / wall;
    println!(
        "{} round(s) of floor, cold run and reruns; each figure is the median over the rounds, each ratio the median of the rounds' own ratios (range in parentheses)",
        rounds.len()
    );
    println!(
        "{:<36} {:>8} {:>9} {:>11} {:>8} {:>7} {:>7} {:>6}  ratio",
        "", "seconds", "files/s", "cells/s", "peak MB", "RSS/fl", "CPU s", "cores"
    );
    // Wall-time ratios, then the same ratio in CPU time: on a shared machine CPU time moves
    // less when something else takes the cores or the disk.
    let line = |label: &str, wall: f64, cpu: f64, rss: f64, ratio: String| {
        println!(
            "{:<36} {:>8.2} {:>9.0} {:>11.0} {:>8.0} {:>7.2} {:>7.2} {:>6.2}  {ratio}",
            label,
            wall,
            per_second(files.len(), wall),
            per_second(cells, wall),
            rss,
            rss / floor_rss,
            cpu,
            cpu / wall,
        )
    };
    let of_rounds = |pick: &dyn Fn(&Round) -> f64| median(rounds.iter().map(pick).collect());
    let ratios =
        |pick: &dyn Fn(&Round) -> f64, digits| spread(rounds.iter().map(pick).collect(), digits);
    line(
        &format!("calamine floor ({cells} cells)"),
        of_rounds(&|round| seconds(round.floor.wall)),
        of_rounds(&|round| round.floor.cpu),
        floor_rss,
        "1.00 × floor".to_string(),
    );
    line(
        "zlbd run, cold",
        of_rounds(&|round| seconds(round.cold.wall)),
        of_rounds(&|round| round.cold.cpu),
        of_rounds(&|round| round.cold.peak_rss_mb),
        format!(
            "{} × floor (CPU {} ×)",
            ratios(
                &|round| seconds(round.cold.wall) / seconds(round.floor.wall),
                2
            ),
            ratios(&|round| round.cold.cpu / round.floor.cpu, 2)
        ),
    );
    let labels: Vec<&str> = rounds
        .first()
        .map(|round| round.reruns.iter().map(|(label, _)| *label).collect())
        .unwrap_or_default();
    for (at, label) in labels.iter().enumerate() {
        let rerun = |round: &Round| -> (f64, f64, f64) {
            let (_, measured) = &round.reruns[at];
            (seconds(measured.wall), measured.cpu, measured.peak_rss_mb)
        };
        line(
            &format!("zlbd {label}"),
            of_rounds(&|round| rerun(round).0),
            of_rounds(&|round| rerun(round).1),
            of_rounds(&|round| rerun(round).2),
            format!(
                "{} × cold ({} × floor; CPU {} × cold)",
                ratios(&|round| rerun(round).0 / seconds(round.cold.wall), 3),
                ratios(&|round| rerun(round).0 / seconds(round.floor.wall), 2),
                ratios(&|round| rerun(round).1 / round.cold.cpu, 3)
            ),
        );
    }
    for (label, measured) in &attacks {
        println!(
            "{:<36} {:>8.2} {:>9} {:>11} {:>8.0}",
            format!("zlbd inspect, {label}"),
            seconds(measured.wall),
            "-",
            "-",
            measured.peak_rss_mb
        );
    }
    let cold_wall = of_rounds(&|round| seconds(round.cold.wall));
    let cold_cpu = of_rounds(&|round| round.cold.cpu);
    // Each phase's median, as a share of the cold run's: for the cold run where its time goes,
    // for the correction what each phase spends of the 10 % a rerun is allowed.
    // `rerun`: which rerun of each round; None for the cold run.
    let by_phase = |title: &str, rerun: Option<usize>| {
        println!(
            "{title} by phase (median wall seconds and share of the cold run's wall time; CPU seconds and share of its CPU time; cores busy):"
        );
        for phase in [
            "Inbox read.",
            "Normalized and compared.",
            "Snapshot published.",
            "Report written.",
        ] {
            let timed: Vec<(f64, f64)> = rounds
                .iter()
                .filter_map(|round| {
                    let measured = match rerun {
                        None => &round.cold,
                        Some(at) => &round.reruns.get(at)?.1,
                    };
                    measured.phases.get(phase).copied()
                })
                .collect();
            if timed.is_empty() {
                continue;
            }
            let spent = median(timed.iter().map(|t| t.0).collect());
            let cpu = median(timed.iter().map(|t| t.1).collect());
            println!(
                "  {phase:<28} {spent:>7.2} s {:>5.1} %  CPU {cpu:>6.2} s {:>5.1} %  {:.2} cores",
                100.0 * spent / cold_wall,
                100.0 * cpu / cold_cpu,
                cpu / spent
            );
        }
    };
    by_phase("cold run", None);
    if let Some(at) = labels
        .iter()
        .position(|label| *label == "rerun, one corrected form")
    {
        by_phase("rerun after one corrected form", Some(at));
    }
}
