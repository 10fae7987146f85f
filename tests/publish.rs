//! Publishing that readers and operators can trust (issue 11, SPEC v2 §6 shrink guard, §8, §9):
//! the shrink guard, a lock file deleted mid-run, failures after the switch, lock errors that are
//! not "held", identical reruns, killed runs recorded as interrupted, rollback of incomplete
//! snapshots, `zlbd snapshots` / `zlbd views`, and JSON-only stderr.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The fixture files that publish without a reject (exit 0).
const CLEAN: [&str; 5] = [
    "city_370100.xlsx",
    "enterprise_two_row_header.xlsx",
    "enterprise_v1.xlsx",
    "enterprise_v2_更正.xlsx",
    "park_p03.ods",
];

fn fixtures_work() -> Workdir {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    work
}

fn clean_work() -> Workdir {
    let work = Workdir::new();
    for name in CLEAN {
        work.add(&shared_fixtures().join("inbox").join(name), name);
    }
    work
}

/// Rows of runs.parquet.
fn runs(work: &Workdir) -> Table {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("t")).unwrap();
    std::fs::copy(
        work.warehouse().join("runs.parquet"),
        dir.path().join("t/runs.parquet"),
    )
    .unwrap();
    read_table(dir.path(), "t")
}

fn current(work: &Workdir) -> Option<String> {
    zlbd::warehouse::current_run(&work.warehouse())
}

fn snapshots(work: &Workdir) -> Vec<String> {
    zlbd::warehouse::snapshots(&work.warehouse())
}

/// Every listed snapshot has all its tables and files.
fn assert_all_snapshots_complete(work: &Workdir) {
    for run_id in snapshots(work) {
        let dir = work.warehouse().join("snapshots").join(&run_id);
        zlbd::warehouse::snapshot::verify(&dir, true)
            .unwrap_or_else(|problem| panic!("snapshot {run_id}: {problem}"));
    }
}

fn hidden_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
                .filter(|name| name.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// A `zlbd run` that stopped itself (SIGSTOP) after staging its first table, holding the lock.
/// Killed when dropped, so a failing test leaves no stopped process behind.
struct Paused {
    child: Option<Child>,
}

impl Paused {
    /// Lets it go on (SIGCONT) and waits for it.
    fn resume(mut self) -> std::process::Output {
        let child = self.child.take().unwrap();
        unsafe {
            libc::kill(child.id() as i32, libc::SIGCONT);
        }
        child.wait_with_output().unwrap()
    }

    /// Kills it (SIGKILL), as an operator's `kill -9` or a power cut would.
    fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn_paused(work: &Workdir, extra: &[&str]) -> Paused {
    spawn_paused_at(work, "pause-while-staging", extra)
}

/// A run stopped at the failpoint `point` (it raises SIGSTOP there).
fn spawn_paused_at(work: &Workdir, point: &str, extra: &[&str]) -> Paused {
    let child = work
        .run_command(extra)
        .env("ZLBD_FAILPOINT", point)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let paused = Paused { child: Some(child) };
    wait_stopped(paused.child.as_ref().unwrap().id());
    paused
}

/// Waits until a process is stopped (state T in /proc/<pid>/stat).
fn wait_stopped(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        if state == Some('T') {
            return;
        }
        assert!(
            state.is_some() && state != Some('Z'),
            "process {pid} ended before pausing: {stat}"
        );
        assert!(Instant::now() < deadline, "process {pid} never paused");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The run id of the paused run, from its marker.
fn marker_run_id(work: &Workdir) -> String {
    hidden_entries(&work.warehouse())
        .into_iter()
        .find_map(|name| {
            name.strip_prefix(".zlbd-run-")?
                .strip_suffix(".json")
                .map(str::to_string)
        })
        .expect("a run marker")
}

fn zlbd_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zlbd"));
    command.args(args).current_dir(dir);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap().into()
}

#[test]
fn an_empty_inbox_after_a_publish_is_refused_and_allow_shrink_publishes_it() {
    let work = fixtures_work();
    assert_eq!(work.run().code, 3);
    let before = current(&work).unwrap();
    let views_before = std::fs::read(work.warehouse().join("views.sql")).unwrap();
    let active = work
        .table("submissions")
        .records()
        .iter()
        .filter(|row| row["status"].str() == Some("active"))
        .count();
    assert_eq!(active, 5);
    // The share is unmounted: the inbox folder is there but empty.
    for entry in std::fs::read_dir(work.inbox()).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let ran = work.run();
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("shrink guard")
            && ran.stderr.contains("publish 0 active submissions")
            && ran.stderr.contains(&format!("has {active}"))
            && ran.stderr.contains("--allow-shrink"),
        "the refusal names both counts: {}",
        ran.stderr
    );
    assert_eq!(current(&work).unwrap(), before, "current is kept");
    assert_eq!(snapshots(&work), std::slice::from_ref(&before));
    assert_eq!(
        std::fs::read(work.warehouse().join("views.sql")).unwrap(),
        views_before
    );
    let log = runs(&work);
    let last = log.rows.last().unwrap();
    assert_eq!(log.get(last, "status").str(), Some("refused"));
    assert_eq!(log.get(last, "exit_code").int(), Some(1));

    // The operator means it.
    let ran = work.run_with(&["--allow-shrink"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_ne!(current(&work).unwrap(), before);
    assert!(work.table("submissions").rows.is_empty());
    assert!(ran.stdout.contains("published"), "{}", ran.stdout);
    assert!(
        ran.stderr.contains("No form was accepted") && ran.stderr.contains("check --inbox"),
        "an empty snapshot is published with a word: {}",
        ran.stderr
    );
}

/// The share comes back the night after a refusal: its files are answered from the parse
/// cache the refused run put back, not parsed cold again. Two refusals: one that reads nothing
/// (the pack rewritten, then put back), one that reads most files (the pack appended to) with
/// a previous pack left behind by a killed run, which must not be put back.
#[test]
fn a_refused_run_leaves_the_parse_cache_for_the_night_after() {
    let work = fixtures_work();
    assert_eq!(work.run().code, 3);
    let pack = work.warehouse().join("cache/parses.pack");
    let before = std::fs::read(&pack).unwrap();
    let away = work.dir.path().join("away");
    std::fs::create_dir(&away).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(work.inbox())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    for (share, leave) in [(names.len(), "nothing"), (3, "most")] {
        std::fs::write(work.warehouse().join("cache/parses.pack.previous"), "stale").unwrap();
        for name in &names[..share] {
            std::fs::rename(work.inbox().join(name), away.join(name)).unwrap();
        }
        let ran = work.run();
        assert_eq!(ran.code, 1, "{leave}: {ran:?}");
        assert!(
            std::fs::read(&pack).unwrap() == before,
            "{leave}: the pack is as it was"
        );
        assert!(!work.warehouse().join("cache/parses.pack.previous").exists());
        for name in &names[..share] {
            std::fs::rename(away.join(name), work.inbox().join(name)).unwrap();
        }
    }
    work.restamp_inbox();
    assert_eq!(work.run().code, 3);
    let log = runs(&work);
    let last = log.rows.last().unwrap();
    assert_eq!(log.get(last, "status").str(), Some("unchanged"));
    let files = log.get(last, "files").int().unwrap();
    assert!(files > 0);
    assert_eq!(log.get(last, "files_from_cache").int(), Some(files));
    assert!(!work.warehouse().join("cache/parses.pack.previous").exists());
}

#[test]
fn a_lock_file_deleted_mid_run_never_lets_a_broken_snapshot_become_current() {
    let work = fixtures_work();
    assert_eq!(work.run().code, 3);
    let first = current(&work).unwrap();
    // Run A: a new file, paused after staging its first table, holding the lock.
    work.add(
        &repo().join("sample_data").join(sample_file()),
        "extra_a.xlsx",
    );
    let a = spawn_paused(&work, &[]);
    let a_id = marker_run_id(&work);
    let staging = work
        .warehouse()
        .join("snapshots")
        .join(format!(".tmp-{a_id}"));
    assert!(staging.is_dir());
    // An operator "clears a stale lock"; run B then takes a new lock and publishes.
    std::fs::remove_file(work.warehouse().join("zlbd.lock")).unwrap();
    std::fs::copy(
        shared_fixtures().join("inbox/park_p03.ods"),
        work.inbox().join("extra_b.ods"),
    )
    .unwrap();
    let b = work.run();
    assert_eq!(b.code, 3, "{b:?}");
    let b_id = current(&work).unwrap();
    assert_ne!(b_id, first);
    assert!(
        staging.is_dir(),
        "B must not remove the staging folder of a live run"
    );
    assert_all_snapshots_complete(&work);
    // A continues: its lock is not the lock any more, so it publishes nothing.
    let a = a.resume();
    let stderr = String::from_utf8_lossy(&a.stderr);
    assert_eq!(a.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("deleted or replaced"), "{stderr}");
    assert_eq!(current(&work).unwrap(), b_id, "current is still B's");
    assert!(!staging.exists(), "A removed its own staging folder");
    assert!(!snapshots(&work).contains(&a_id));
    assert_all_snapshots_complete(&work);
    let facts = work.table("fact_indicator");
    assert!(!facts.rows.is_empty());
    // The next run holds the real lock and records A from its marker.
    assert_eq!(work.run().code, 3);
    let log = runs(&work);
    let a_row = log
        .rows
        .iter()
        .find(|row| log.get(row, "run_id").str() == Some(a_id.as_str()))
        .expect("A is recorded");
    assert_eq!(log.get(a_row, "status").str(), Some("failed"));
    assert_eq!(log.get(a_row, "exit_code").int(), Some(1));
    assert!(hidden_entries(&work.warehouse()).is_empty());
}

/// A sample file that adds an active enterprise.
fn sample_file() -> String {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("sample_data"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| {
            name.starts_with("企业_") && name.ends_with(".xlsx") && !name.contains("更正")
        })
        .collect();
    names.sort();
    names.remove(0)
}

#[test]
fn a_failure_after_the_switch_is_a_warning_and_the_run_is_published() {
    let work = clean_work();
    assert_eq!(work.run().code, 0);
    let first = current(&work).unwrap();
    let mut published = vec![first.clone()];
    for point in ["prune-fails", "views-fails"] {
        // Each time a different inbox, so that there is something to publish.
        if point == "prune-fails" {
            std::fs::remove_file(work.inbox().join("enterprise_v1.xlsx")).unwrap();
        } else {
            work.add(
                &shared_fixtures().join("inbox/city_370100.xlsx"),
                "copy.xlsx",
            );
        }
        let ran: Ran = work
            .run_command(&[])
            .env("ZLBD_FAILPOINT", point)
            .output()
            .unwrap()
            .into();
        assert_eq!(ran.code, 3, "{point}: {ran:?}");
        assert!(
            ran.stdout.contains("published") && ran.stdout.contains("warning (published anyway)"),
            "{point}: {}",
            ran.stdout
        );
        assert!(!ran.stderr.contains("nothing was published"), "{ran:?}");
        assert!(ran.stderr.contains(point), "{point}: {}", ran.stderr);
        let now = current(&work).unwrap();
        assert!(!published.contains(&now), "{point}: current switched");
        published.push(now);
        let log = runs(&work);
        let last = log.rows.last().unwrap();
        assert_eq!(log.get(last, "status").str(), Some("published"), "{point}");
        assert_eq!(log.get(last, "exit_code").int(), Some(3), "{point}");
        assert!(log.get(last, "message").str().unwrap().contains(point));
    }
    assert_eq!(snapshots(&work), published);
    // views.sql still names the snapshot before (kept, so its readers go on), until the next
    // run without a fault rewrites it.
    let views = std::fs::read_to_string(work.warehouse().join("views.sql")).unwrap();
    assert!(
        views.contains(&format!("-- snapshot: {}", published[1])),
        "{views}"
    );
    assert_eq!(work.run().code, 0);
    let views = std::fs::read_to_string(work.warehouse().join("views.sql")).unwrap();
    assert!(
        views.contains(&format!("-- snapshot: {}", published[2])),
        "{views}"
    );
}

#[test]
fn a_lock_error_other_than_held_is_exit_1_with_its_cause() {
    let work = fixtures_work();
    assert_eq!(work.run().code, 3);
    let before = current(&work).unwrap();
    work.add(
        &repo().join("sample_data").join(sample_file()),
        "extra.xlsx",
    );
    let ran: Ran = work
        .run_command(&[])
        .env("ZLBD_FAILPOINT", "flock-fails")
        .output()
        .unwrap()
        .into();
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("No locks available") && !ran.stderr.contains("another zlbd run"),
        "{}",
        ran.stderr
    );
    assert_eq!(current(&work).unwrap(), before);
    // rollback: the same codes.
    let warehouse = work.warehouse();
    let ran = zlbd_with_env(
        work.dir.path(),
        &["rollback", "--warehouse", warehouse.to_str().unwrap()],
        &[("ZLBD_FAILPOINT", "flock-fails")],
    );
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("No locks available"), "{}", ran.stderr);
    // A warehouse path that is a file, and one that does not exist.
    let file = work.dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    for path in [file.clone(), work.dir.path().join("nowhere")] {
        let ran = work.zlbd(&["rollback", "--warehouse", path.to_str().unwrap()]);
        assert_eq!(ran.code, 1, "{ran:?}");
    }
    assert!(!work.dir.path().join("nowhere").exists());
    // run into a warehouse path that is a file: exit 1, not 4.
    let ran = work.zlbd(&[
        "run",
        "--pipeline",
        pipeline().to_str().unwrap(),
        "--inbox",
        work.inbox().to_str().unwrap(),
        "--warehouse",
        file.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("it is a file"), "{}", ran.stderr);
    // A published snapshot, or a folder in it, is no warehouse either: nothing is built there.
    let snapshot = work.warehouse().join("current");
    let snapshots = work.warehouse().join("snapshots");
    for path in [snapshot.clone(), snapshot.join("rejects"), snapshots] {
        let ran = work.zlbd(&[
            "run",
            "--pipeline",
            pipeline().to_str().unwrap(),
            "--inbox",
            work.inbox().to_str().unwrap(),
            "--warehouse",
            path.to_str().unwrap(),
        ]);
        assert_eq!(ran.code, 1, "{ran:?}");
        assert!(
            ran.stderr.contains("published snapshot")
                || ran.stderr.contains("inside the warehouse"),
            "{}",
            ran.stderr
        );
        assert!(!path.join("zlbd.lock").exists() && !path.join("cache").exists());
    }
}

#[test]
fn an_identical_rerun_adds_no_snapshot_and_is_recorded() {
    let work = fixtures_work();
    assert_eq!(work.run().code, 3);
    let first = current(&work).unwrap();
    // New modification times in the same order: the run computes everything again (the same
    // times would repeat the first run without computing anything).
    work.restamp_inbox();
    let ran = work.run();
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stdout.contains("byte-identical"), "{}", ran.stdout);
    assert_eq!(snapshots(&work), std::slice::from_ref(&first));
    assert_eq!(current(&work).unwrap(), first);
    let log = runs(&work);
    assert_eq!(log.rows.len(), 2);
    let last = log.rows.last().unwrap();
    assert_eq!(log.get(last, "status").str(), Some("unchanged"));
    // The runs log says what stdout says.
    assert!(
        log.get(last, "message")
            .str()
            .is_some_and(|message| message.contains("byte-identical to the current snapshot")),
        "{:?}",
        log.get(last, "message")
    );
    assert_eq!(
        log.get(last, "snapshot").str(),
        Some(format!("snapshots/{first}").as_str())
    );
    assert_ne!(log.get(last, "run_id").str(), Some(first.as_str()));
    assert!(hidden_entries(&work.warehouse().join("snapshots")).is_empty());
}

#[test]
fn a_killed_run_is_recorded_as_interrupted_by_the_next_run() {
    let work = fixtures_work();
    assert_eq!(work.run().code, 3);
    let paused = spawn_paused(&work, &["--no-cache"]);
    let killed_id = marker_run_id(&work);
    paused.kill();
    assert!(!hidden_entries(&work.warehouse().join("snapshots")).is_empty());
    let ran = work.run();
    assert_eq!(ran.code, 3, "{ran:?}");
    let log = runs(&work);
    let row = run_row(&log, &killed_id);
    assert_eq!(log.get(row, "status").str(), Some("interrupted"));
    assert_eq!(log.get(row, "exit_code"), &Value::Null);
    assert!(
        log.get(row, "message")
            .str()
            .unwrap()
            .contains("publishing"),
        "{:?}",
        log.get(row, "message")
    );
    assert_eq!(log.rows.len(), 3);
    // Its staging folder and marker are gone; a further run records nothing twice.
    assert!(hidden_entries(&work.warehouse().join("snapshots")).is_empty());
    assert!(hidden_entries(&work.warehouse()).is_empty());
    assert_eq!(work.run().code, 3);
    assert_eq!(runs(&work).rows.len(), 4);
}

/// The runs-log row of `run_id`.
fn run_row<'t>(log: &'t Table, run_id: &str) -> &'t [Value] {
    (log.rows.iter())
        .find(|row| log.get(row, "run_id").str() == Some(run_id))
        .unwrap_or_else(|| panic!("run {run_id} is in runs.parquet"))
}

/// A warehouse with one snapshot, then a run (with a file more, so it has a new snapshot to
/// switch to) killed right after switching `current`: (work, the first snapshot, the killed
/// run's id).
fn killed_after_its_switch() -> (Workdir, String, String) {
    let work = fixtures_work();
    assert_eq!(work.run().code, 3);
    let first = current(&work).unwrap();
    std::fs::copy(
        shared_fixtures().join("inbox/park_p03.ods"),
        work.inbox().join("extra.ods"),
    )
    .unwrap();
    let paused = spawn_paused_at(&work, "pause-after-switch", &[]);
    let killed_id = marker_run_id(&work);
    paused.kill();
    (work, first, killed_id)
}

/// Killed after `current` switched to its snapshot: the run published, and the runs log must
/// say so, or the live snapshot has no `published` row and its night's news is never flagged.
#[test]
fn a_run_killed_after_it_switched_current_is_recorded_as_published() {
    let (work, first, killed_id) = killed_after_its_switch();
    let switched = current(&work).unwrap();
    assert_eq!(switched, killed_id);
    assert_ne!(switched, first);
    let ran = work.run();
    assert_eq!(ran.code, 3, "{ran:?}");
    let log = runs(&work);
    let row = run_row(&log, &killed_id);
    assert_eq!(log.get(row, "status").str(), Some("published"));
    assert_eq!(
        log.get(row, "snapshot").str(),
        Some(format!("snapshots/{killed_id}").as_str())
    );
    assert_eq!(log.get(row, "exit_code"), &Value::Null);
    assert!(
        log.get(row, "message")
            .str()
            .unwrap()
            .contains("published its snapshot"),
        "{:?}",
        log.get(row, "message")
    );
    // Its counts are those of its snapshot, not zeros.
    let submissions = work.table("submissions");
    let rejects = work.table("rejects");
    let count = |table: &Table, column: &str, value: &str| {
        (table.rows.iter())
            .filter(|r| table.get(r, column).str() == Some(value))
            .count() as i64
    };
    assert_eq!(
        log.get(row, "files").int(),
        Some(submissions.rows.len() as i64)
    );
    assert_eq!(
        log.get(row, "files_active").int(),
        Some(count(&submissions, "status", "active"))
    );
    assert_eq!(
        log.get(row, "files_rejected").int(),
        Some(count(&submissions, "status", "rejected"))
    );
    assert_eq!(
        log.get(row, "facts").int(),
        Some(work.table("fact_indicator").rows.len() as i64)
    );
    assert_eq!(
        log.get(row, "rejects_error").int(),
        Some(count(&rejects, "severity", "error"))
    );
    assert_eq!(
        log.get(row, "rejects_warning").int(),
        Some(count(&rejects, "severity", "warning"))
    );
    // The run after it found the inbox unchanged since that snapshot, which stays current.
    let last = log.rows.last().unwrap();
    assert_eq!(log.get(last, "status").str(), Some("unchanged"));
    assert_eq!(current(&work).unwrap(), killed_id);
    assert!(hidden_entries(&work.warehouse()).is_empty());
}

/// A rollback right after such a kill records the killed run first, as published: the
/// rollback switches `current` away from its snapshot, and the next run could no longer tell.
#[test]
fn a_rollback_after_a_run_killed_after_its_switch_records_it_as_published() {
    let (work, first, killed_id) = killed_after_its_switch();
    let ran = work.zlbd(&[
        "rollback",
        "--warehouse",
        work.warehouse().to_str().unwrap(),
        &first,
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(current(&work).unwrap(), first);
    let log = runs(&work);
    let row = run_row(&log, &killed_id);
    assert_eq!(log.get(row, "status").str(), Some("published"));
    assert!(
        (log.get(row, "message").str().unwrap()).contains("recorded by rollback"),
        "{:?}",
        log.get(row, "message")
    );
    assert!(hidden_entries(&work.warehouse()).is_empty());
}

#[test]
fn json_mode_writes_only_json_lines_on_stderr_even_when_refused_or_failing() {
    let work = fixtures_work();
    assert_eq!(work.run().code, 3);
    let all_json = |stderr: &str| -> Vec<serde_json::Value> {
        assert!(!stderr.trim().is_empty());
        stderr
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line:?}")))
            .collect()
    };
    // A run holds the lock; a second one is refused with exit 4.
    let holder = spawn_paused(&work, &["--no-cache"]);
    let refused = work.run_with(&["--log-format", "json"]);
    assert_eq!(refused.code, 4, "{refused:?}");
    let events = all_json(&refused.stderr);
    assert!(events.iter().any(|event| {
        event["level"] == "ERROR"
            && event["fields"]["message"]
                .as_str()
                .is_some_and(|message| message.contains("lock") && message.contains("pid"))
    }));
    holder.kill();

    // A published run: one event per rejected file and a summary naming the pipeline.
    work.add(
        &repo().join("sample_data").join(sample_file()),
        "extra.xlsx",
    );
    let ran = work.run_with(&["--log-format", "json"]);
    assert_eq!(ran.code, 3, "{ran:?}");
    let events = all_json(&ran.stderr);
    let rejected: Vec<&serde_json::Value> = events
        .iter()
        .filter(|event| event["fields"]["message"] == "File rejected.")
        .collect();
    assert_eq!(rejected.len(), 1, "{}", ran.stderr);
    assert_eq!(
        rejected[0]["fields"]["file"],
        "exported_from_old_system.xls"
    );
    assert!(rejected[0]["fields"]["reason"]
        .as_str()
        .unwrap()
        .contains("HTML"));
    let summary = events
        .iter()
        .find(|event| event["fields"]["message"] == "Run summary.")
        .expect("a summary event");
    let named = PathBuf::from(summary["fields"]["pipeline"].as_str().unwrap());
    assert_eq!(named, std::fs::canonicalize(pipeline()).unwrap());
    assert_eq!(summary["fields"]["exit_code"], 3);
    assert_eq!(summary["fields"]["outcome"], "published");
    // The recorded interrupted run, the shrink guard, a bad config, a usage error.
    assert!(events
        .iter()
        .any(|event| event["fields"]["status"] == "interrupted"));
    // A scheduler that asks for warnings only still gets the summary it alerts on.
    let ran: Ran = work
        .run_command(&["--log-format", "json"])
        .env("ZLBD_LOG", "warn")
        .output()
        .unwrap()
        .into();
    assert_eq!(ran.code, 3, "{ran:?}");
    let events = all_json(&ran.stderr);
    assert!(events
        .iter()
        .all(|event| event["level"] != "INFO" || event["fields"]["message"] == "Run summary."));
    assert_eq!(
        (events.iter())
            .filter(|event| event["fields"]["message"] == "Run summary.")
            .count(),
        1,
        "{}",
        ran.stderr
    );
    for entry in std::fs::read_dir(work.inbox()).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let ran = work.run_with(&["--log-format", "json"]);
    assert_eq!(ran.code, 1);
    all_json(&ran.stderr);
    let ran = work.zlbd(&[
        "--log-format",
        "json",
        "run",
        "--pipeline",
        work.dir.path().join("no-pipeline").to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 2, "{ran:?}");
    all_json(&ran.stderr);
    let ran = work.zlbd(&["--log-format", "json", "run", "--no-such-flag"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    all_json(&ran.stderr);
    let ran = work.zlbd(&["--log-format", "json", "rollback", "--warehouse", "nowhere"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    all_json(&ran.stderr);
}

#[test]
fn rollback_refuses_an_incomplete_snapshot() {
    let work = fixtures_work();
    assert_eq!(work.run().code, 3);
    let first = current(&work).unwrap();
    work.add(
        &repo().join("sample_data").join(sample_file()),
        "extra.xlsx",
    );
    assert_eq!(work.run().code, 3);
    let second = current(&work).unwrap();
    assert_ne!(first, second);
    // Someone removes a table of the older snapshot.
    let broken = work
        .warehouse()
        .join("snapshots")
        .join(&first)
        .join("rejects");
    std::fs::remove_dir_all(&broken).unwrap();
    let warehouse = work.warehouse();
    let ran = work.zlbd(&["rollback", "--warehouse", warehouse.to_str().unwrap()]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("incomplete") && ran.stderr.contains("rejects"),
        "{}",
        ran.stderr
    );
    assert_eq!(current(&work).unwrap(), second);
    let listed = work.zlbd(&["snapshots", "--warehouse", warehouse.to_str().unwrap()]);
    assert_eq!(listed.code, 0);
    assert!(listed.stdout.contains("INCOMPLETE"), "{}", listed.stdout);
    // A snapshot that is not there is bad usage.
    let ran = work.zlbd(&[
        "rollback",
        "--warehouse",
        warehouse.to_str().unwrap(),
        "nope",
    ]);
    assert_eq!(ran.code, 2, "{ran:?}");
}

#[test]
fn snapshots_are_listed_and_views_name_one_fixed_snapshot() {
    let work = fixtures_work();
    assert_eq!(work.run().code, 3);
    let first = current(&work).unwrap();
    work.add(
        &repo().join("sample_data").join(sample_file()),
        "extra.xlsx",
    );
    assert_eq!(work.run().code, 3);
    let second = current(&work).unwrap();
    let warehouse = work.warehouse();
    let listed = work.zlbd(&["snapshots", "--warehouse", warehouse.to_str().unwrap()]);
    assert_eq!(listed.code, 0, "{listed:?}");
    let lines: Vec<&str> = listed.stdout.lines().collect();
    assert!(lines
        .iter()
        .any(|line| line.starts_with(&format!("  {first}"))));
    assert!(lines
        .iter()
        .any(|line| line.starts_with(&format!("* {second}"))));
    let json = work.zlbd(&[
        "snapshots",
        "--warehouse",
        warehouse.to_str().unwrap(),
        "--json",
    ]);
    let list: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["rows"]["fact_indicator"], 430);
    assert_eq!(list[1]["current"], true);
    // views.sql names the current snapshot's files, never `current`, never a glob.
    let views = std::fs::read_to_string(warehouse.join("views.sql")).unwrap();
    assert!(views.contains(&format!("snapshots/{second}/fact_indicator/part-0.parquet")));
    assert!(
        !views.contains("current/") && !views.contains("*.parquet"),
        "{views}"
    );
    // `zlbd views --snapshot` for an as-of question: absolute paths of the older snapshot.
    let ran = work.zlbd(&[
        "views",
        "--warehouse",
        warehouse.to_str().unwrap(),
        "--snapshot",
        &first,
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let root = std::fs::canonicalize(&warehouse).unwrap();
    assert!(
        ran.stdout.contains(&format!(
            "'{}/snapshots/{first}/submissions/part-0.parquet'",
            root.display()
        )),
        "{}",
        ran.stdout
    );
    let ran = work.zlbd(&[
        "views",
        "--warehouse",
        warehouse.to_str().unwrap(),
        "--snapshot",
        "nope",
    ]);
    assert_eq!(ran.code, 2);
}
