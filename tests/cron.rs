//! Cron-grade behaviour: corrections, idempotence, removed files, crash safety under kill -9,
//! one run at a time, retention, rollback and JSON logs.

use crate::common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

/// The sample inbox without the files whose names match `leave_out`.
fn sample_without(leave_out: &[&str]) -> Workdir {
    let work = Workdir::new();
    for entry in std::fs::read_dir(repo().join("sample_data")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        if !leave_out.iter().any(|pattern| name.contains(pattern)) {
            work.add(&entry.path(), &name);
        }
    }
    work
}

fn correction_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("sample_data"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with("_更正.xlsx"))
        .collect();
    names.sort();
    names
}

/// Rows of a table as sorted strings, optionally without some columns.
fn row_set(table: &Table, drop: &[&str]) -> BTreeSet<String> {
    table
        .rows
        .iter()
        .map(|row| {
            table
                .columns
                .iter()
                .zip(row)
                .filter(|(name, _)| !drop.contains(&name.as_str()))
                .map(|(name, value)| format!("{name}={value:?}"))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

fn field(line: &str, name: &str) -> String {
    line.split('|')
        .find_map(|part| part.strip_prefix(&format!("{name}=")))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_correction_changes_exactly_its_submitters_rows() {
    for correction in correction_files() {
        let work = sample_without(&["_更正"]);
        assert_eq!(work.run().code, 3);
        let before_facts = row_set(&work.table("fact_indicator"), &[]);
        let before_rejects = row_set(&work.table("rejects"), &[]);
        let before_submissions = row_set(&work.table("submissions"), &[]);
        work.add(&repo().join("sample_data").join(&correction), &correction);
        assert_eq!(work.run().code, 3);
        let after_facts = row_set(&work.table("fact_indicator"), &[]);

        // The corrected entity, from the correction's own submissions row.
        let submissions = work.table("submissions");
        let row = submissions
            .rows
            .iter()
            .find(|row| submissions.get(row, "source_file").str() == Some(correction.as_str()))
            .unwrap();
        let entity = submissions.get(row, "entity_id").str().unwrap().to_string();
        let years: BTreeSet<String> = submissions
            .get(row, "years")
            .str()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        assert_eq!(submissions.get(row, "status").str(), Some("active"));

        let changed: Vec<&String> = before_facts.symmetric_difference(&after_facts).collect();
        assert!(!changed.is_empty(), "{correction} changed nothing");
        for line in &changed {
            let level = field(line, "level");
            let derived = field(line, "is_derived") == "Bool(true)";
            assert!(
                field(line, "entity_id").contains(&entity)
                    && level == "Str(\"enterprise\")"
                    && !derived,
                "{correction} changed another entity's fact: {line}"
            );
            let year = field(line, "year")
                .trim_start_matches("Int(")
                .trim_end_matches(')')
                .to_string();
            assert!(
                years.contains(&year),
                "{correction} covers {years:?} but changed {year}: {line}"
            );
        }
        // Rejects of other submitters are untouched (YOY warnings of this entity may move).
        let after_rejects = row_set(&work.table("rejects"), &[]);
        for line in before_rejects.symmetric_difference(&after_rejects) {
            assert!(
                field(line, "entity_id").contains(&entity),
                "{correction} changed another reject: {line}"
            );
        }
        // Submissions: only the correction's row and its original's row differ.
        let after_submissions = row_set(&submissions, &[]);
        for line in before_submissions.symmetric_difference(&after_submissions) {
            assert!(
                field(line, "entity_id").contains(&entity),
                "{correction} changed another submission: {line}"
            );
        }
        // Every restated value is listed in corrections, old and new.
        let corrections = work.table("corrections");
        assert!(!corrections.rows.is_empty());
        for row in &corrections.rows {
            assert_eq!(
                corrections.get(row, "entity_id").str(),
                Some(entity.as_str())
            );
            assert_eq!(
                corrections.get(row, "new_source_file").str(),
                Some(correction.as_str())
            );
            assert_ne!(
                corrections.get(row, "old_value"),
                corrections.get(row, "new_value")
            );
        }
    }
}

#[test]
fn a_correction_of_one_year_replaces_only_that_year() {
    let work = sample_without(&[]);
    assert_eq!(work.run().code, 3);
    let submissions = work.table("submissions");
    let partial = submissions
        .rows
        .iter()
        .find(|row| {
            submissions.get(row, "years").str() == Some("2021")
                && submissions.get(row, "version").float() == Some(2.0)
        })
        .expect("the sample has a correction covering only 2021");
    let entity = submissions.get(partial, "entity_id").str().unwrap();
    let correction = submissions.get(partial, "source_file").str().unwrap();
    let facts = work.table("fact_indicator");
    let mut sources: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for row in &facts.rows {
        if facts.get(row, "entity_id").str() == Some(entity) {
            let year = facts.get(row, "year").int().unwrap();
            sources
                .entry(year)
                .or_default()
                .insert(facts.get(row, "source_file").str().unwrap().to_string());
        }
    }
    assert_eq!(sources[&2021], BTreeSet::from([correction.to_string()]));
    for year in [2019, 2020] {
        assert_eq!(sources[&year].len(), 1);
        assert!(
            !sources[&year].contains(correction),
            "{year} should come from the original"
        );
    }
    // Both files stay active: the original still wins 2019 and 2020.
    let original = correction.replace("_更正", "");
    let status = submissions
        .rows
        .iter()
        .find(|row| submissions.get(row, "source_file").str() == Some(original.as_str()))
        .map(|row| submissions.get(row, "status").str().unwrap().to_string());
    assert_eq!(status.as_deref(), Some("active"));
}

fn snapshot_bytes(work: &Workdir) -> BTreeMap<String, Vec<u8>> {
    tree_bytes(&std::fs::canonicalize(work.warehouse().join("current")).unwrap())
}

#[test]
fn rerunning_gives_identical_bytes_with_or_without_cache_and_threads() {
    let work = sample_without(&[]);
    assert_eq!(work.run().code, 3);
    let first = snapshot_bytes(&work);
    assert_eq!(work.run().code, 3);
    let second = snapshot_bytes(&work);
    let cold_single = work.run_with(&["--no-cache", "--jobs", "1"]);
    assert_eq!(cold_single.code, 3);
    let third = snapshot_bytes(&work);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    // One file per table (SPEC v2: fact_indicator is no longer split into year folders).
    assert!(first.len() >= 10, "{:?}", first.keys());
    for (name, bytes) in &first {
        assert!(
            bytes == &second[name],
            "{name} differs between a cold and a warm run"
        );
        assert!(
            bytes == &third[name],
            "{name} differs with --no-cache --jobs 1"
        );
    }
    // Three runs, three rows in the runs log; the second came from the cache.
    let runs = read_table_file(&work.warehouse().join("runs.parquet"));
    assert_eq!(runs.rows.len(), 3);
    let from_cache: Vec<i64> = runs
        .rows
        .iter()
        .map(|row| runs.get(row, "files_from_cache").int().unwrap())
        .collect();
    // A cold run reads every file; only a duplicate copy may find its twin's cache entry.
    assert!(from_cache[0] <= 1, "{from_cache:?}");
    assert!(from_cache[1] >= 190, "{from_cache:?}");
    assert_eq!(from_cache[2], 0);
}

fn read_table_file(path: &Path) -> Table {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("t")).unwrap();
    std::fs::copy(path, dir.path().join("t/runs.parquet")).unwrap();
    read_table(dir.path(), "t")
}

#[test]
fn a_removed_file_takes_its_facts_with_it() {
    let work = sample_without(&[]);
    assert_eq!(work.run().code, 3);
    let facts = work.table("fact_indicator");
    let park_file = facts
        .rows
        .iter()
        .filter_map(|row| facts.get(row, "source_file").str())
        .find(|file| file.starts_with("园区_"))
        .unwrap()
        .to_string();
    std::fs::remove_file(work.inbox().join(&park_file)).unwrap();
    assert_eq!(work.run().code, 3);
    let facts = work.table("fact_indicator");
    assert!(facts
        .rows
        .iter()
        .all(|row| facts.get(row, "source_file").str() != Some(park_file.as_str())));
    let submissions = work.table("submissions");
    assert!(submissions
        .rows
        .iter()
        .all(|row| submissions.get(row, "source_file").str() != Some(park_file.as_str())));
    let status = work.table("roster_status");
    assert!(status
        .rows
        .iter()
        .any(|row| status.get(row, "status").str() == Some("missing")));
}

/// Every table of the snapshot `current` points at reads back completely.
fn assert_current_is_complete(work: &Workdir, reference: &BTreeMap<String, Vec<u8>>) {
    let current =
        std::fs::canonicalize(work.warehouse().join("current")).expect("current resolves");
    let bytes = tree_bytes(&current);
    assert_eq!(
        bytes.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "{}",
        current.display()
    );
    for (name, content) in &bytes {
        assert!(
            content == &reference[name],
            "{name} differs in {}",
            current.display()
        );
    }
    for table in zlbd::domain::columns::TABLES {
        let _ = read_table(&current, table);
    }
}

#[test]
fn kill_dash_nine_at_any_moment_leaves_a_complete_current_and_the_next_run_succeeds() {
    let work = sample_without(&[]);
    assert_eq!(work.run().code, 3);
    let reference = snapshot_bytes(&work);
    let args = ["--no-cache", "--quiet"];
    let start = Instant::now();
    let status = work.run_command(&args).status().unwrap();
    assert_eq!(status.code(), Some(3));
    let full = start.elapsed();
    // Kill at moments spread over a run, until 24 kills have hit a live process (a kill
    // that lands after the process finished does not count, and the next one comes earlier).
    let wanted = 24;
    let mut killed_mid_run = 0;
    let mut attempts = 0;
    let mut span = full.mul_f64(0.95);
    while killed_mid_run < wanted && attempts < 120 {
        let delay = span.mul_f64(
            ((killed_mid_run * 7 + attempts) % wanted) as f64 / wanted as f64 + 0.5 / wanted as f64,
        );
        attempts += 1;
        let mut child = work
            .run_command(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        } else {
            span = span.mul_f64(0.8);
        }
        unsafe {
            libc::kill(child.id() as i32, libc::SIGKILL);
        }
        let _ = child.wait();
        assert_current_is_complete(&work, &reference);
    }
    assert!(
        killed_mid_run >= 20,
        "only {killed_mid_run} of {attempts} kills hit a running process"
    );
    let ran = work.run();
    assert_eq!(ran.code, 3, "the run after the kills: {ran:?}");
    assert_current_is_complete(&work, &reference);
    let leftovers: Vec<String> = std::fs::read_dir(work.warehouse().join("snapshots"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
}

#[test]
fn two_runs_started_together_one_publishes_the_other_exits_4() {
    let work = sample_without(&[]);
    let spawn = || {
        work.run_command(&["--quiet"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn();
    let second = spawn();
    let first = first.wait_with_output().unwrap();
    let second = second.wait_with_output().unwrap();
    let mut codes = [first.status.code().unwrap(), second.status.code().unwrap()];
    codes.sort();
    assert_eq!(codes, [3, 4], "{first:?} {second:?}");
    let refused = if first.status.code() == Some(4) {
        &first
    } else {
        &second
    };
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("lock") && message.contains("pid"),
        "{message}"
    );
}

#[test]
fn a_lock_left_by_a_dead_run_is_recovered() {
    let work = sample_without(&[]);
    std::fs::create_dir_all(work.warehouse()).unwrap();
    std::fs::write(
        work.warehouse().join("zlbd.lock"),
        "pid 999999 run 20220101T000000000000Z started\n",
    )
    .unwrap();
    let ran = work.run();
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains("stale"), "{}", ran.stderr);
}

#[test]
fn old_snapshots_are_pruned_and_rollback_switches_back() {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    // A pipeline copy that keeps three snapshots.
    let pipeline_copy = work.dir.path().join("pipeline");
    std::fs::create_dir_all(pipeline_copy.join("roster")).unwrap();
    for name in [
        "catalog.toml",
        "roster/cities.csv",
        "roster/industries.csv",
        "roster/parks.csv",
        "roster/enterprises.csv",
    ] {
        std::fs::copy(pipeline().join(name), pipeline_copy.join(name)).unwrap();
    }
    let toml = std::fs::read_to_string(pipeline().join("pipeline.toml"))
        .unwrap()
        .replace("keep_snapshots = 10", "keep_snapshots = 3");
    std::fs::write(pipeline_copy.join("pipeline.toml"), toml).unwrap();
    let inbox = work.inbox();
    let warehouse = work.warehouse();
    let run = || {
        work.zlbd(&[
            "run",
            "--pipeline",
            pipeline_copy.to_str().unwrap(),
            "--inbox",
            inbox.to_str().unwrap(),
            "--warehouse",
            warehouse.to_str().unwrap(),
        ])
    };
    // SPEC v2: an identical rerun adds no snapshot, so each run gets one more file (a byte copy:
    // a `duplicate` row), and retention keeps a snapshot for an hour after it stopped being
    // current (a reader may still use it), so the earlier ones are made to look two hours old.
    for run_index in 0..5 {
        work.add(
            &shared_fixtures().join("inbox/city_370100.xlsx"),
            &format!("copy-{run_index}.xlsx"),
        );
        age_snapshots(&warehouse, chrono::TimeDelta::hours(2));
        assert_eq!(run().code, 3);
    }
    let snapshots = zlbd::warehouse::snapshots(&warehouse);
    assert_eq!(snapshots.len(), 3, "{snapshots:?}");
    let current = zlbd::warehouse::current_run(&warehouse).unwrap();
    assert_eq!(&current, snapshots.last().unwrap());
    let ran = work.zlbd(&["rollback", "--warehouse", warehouse.to_str().unwrap()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        zlbd::warehouse::current_run(&warehouse).as_ref(),
        Some(&snapshots[1])
    );
    let ran = work.zlbd(&[
        "rollback",
        "--warehouse",
        warehouse.to_str().unwrap(),
        &snapshots[2],
    ]);
    assert_eq!(ran.code, 0);
    assert_eq!(
        zlbd::warehouse::current_run(&warehouse).as_ref(),
        Some(&snapshots[2])
    );
    let ran = work.zlbd(&[
        "rollback",
        "--warehouse",
        warehouse.to_str().unwrap(),
        "nope",
    ]);
    assert_ne!(ran.code, 0);
}

/// Moves every snapshot's `published_at` back by `age`, as if published that long ago.
fn age_snapshots(warehouse: &Path, age: chrono::TimeDelta) {
    for run_id in zlbd::warehouse::snapshots(warehouse) {
        let path = warehouse
            .join("snapshots")
            .join(&run_id)
            .join(zlbd::warehouse::snapshot::MANIFEST);
        let mut manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let published: chrono::DateTime<chrono::Utc> =
            manifest["published_at"].as_str().unwrap().parse().unwrap();
        manifest["published_at"] = serde_json::Value::String((published - age).to_rfc3339());
        std::fs::write(&path, manifest.to_string()).unwrap();
    }
}

#[test]
fn json_logs_are_one_object_per_line_with_the_run_id() {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    let warehouse = work.warehouse();
    let ran = work.run_with(&["--log-format", "json", "--quiet"]);
    assert_eq!(ran.code, 3);
    assert!(
        ran.stdout.is_empty(),
        "--quiet prints nothing on stdout: {}",
        ran.stdout
    );
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert!(lines.len() >= 2, "{}", ran.stderr);
    let run_id = zlbd::warehouse::current_run(&warehouse).unwrap();
    for line in lines {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert_eq!(
            object["span"]["run_id"].as_str(),
            Some(run_id.as_str()),
            "{line}"
        );
    }
}

#[test]
fn a_run_that_fails_while_publishing_leaves_the_previous_snapshot() {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    assert_eq!(work.run().code, 3);
    let before = snapshot_bytes(&work);
    let before_id = zlbd::warehouse::current_run(&work.warehouse()).unwrap();
    // Add a file so the next snapshot would differ, then fail just before the switch.
    work.add(
        &repo()
            .join("sample_data")
            .join(correction_files()[0].replace("_更正", "")),
        "extra.xlsx",
    );
    let output = work
        .run_command(&[])
        .env("ZLBD_FAILPOINT", "before-switch")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        zlbd::warehouse::current_run(&work.warehouse()).unwrap(),
        before_id
    );
    assert_current_is_complete(&work, &before);
    let runs = read_table_file(&work.warehouse().join("runs.parquet"));
    let last = runs.rows.last().unwrap();
    assert_eq!(runs.get(last, "status").str(), Some("failed"));
    assert_eq!(runs.get(last, "exit_code").int(), Some(1));
    // The next run without the fault publishes the new inbox.
    assert_eq!(work.run().code, 3);
    assert_ne!(
        zlbd::warehouse::current_run(&work.warehouse()).unwrap(),
        before_id
    );
}

/// Damages every byte of the parse cache past its header: a run that reads it warns.
fn damage_the_parse_cache(work: &Workdir) {
    let pack = work.warehouse().join("cache/parses.pack");
    let mut damaged = std::fs::read(&pack).unwrap();
    for byte in damaged.iter_mut().skip(200) {
        *byte ^= 0x55;
    }
    std::fs::write(&pack, &damaged).unwrap();
}

/// `again` repeated `first`, which published `published`: the same summary, one snapshot, still
/// current, with the same bytes, and a runs-log record of the same counts.
fn assert_repeats(
    work: &Workdir,
    first: &Ran,
    again: &Ran,
    published: &str,
    bytes: &BTreeMap<String, Vec<u8>>,
) {
    assert_eq!(
        first.stdout.lines().skip(2).collect::<Vec<_>>(),
        again.stdout.lines().skip(2).collect::<Vec<_>>(),
        "the same summary"
    );
    assert_eq!(zlbd::warehouse::snapshots(&work.warehouse()).len(), 1);
    assert_eq!(
        zlbd::warehouse::current_run(&work.warehouse()).as_deref(),
        Some(published)
    );
    assert!(snapshot_bytes(work) == *bytes);
    // Recorded as unchanged, with the counts of the run it repeats.
    let runs = read_table_file(&work.warehouse().join("runs.parquet"));
    let records = runs.records();
    let last = records.last().unwrap();
    assert_eq!(last["status"].str(), Some("unchanged"));
    assert_eq!(last["files"].int(), last["files_from_cache"].int());
    assert_eq!(last["files"].int(), records[0]["files"].int());
    assert_eq!(last["facts"].int(), records[0]["facts"].int());
}

/// Files copied back with their times kept (or restored, or chmod-ed) have new stamps but the
/// same names, bytes and modification times: the run reads them, finds the inputs of the run
/// that published `current`, computes nothing and records itself as `unchanged`; the run after
/// it reads nothing. A new modification time brings a real run back.
#[test]
fn a_rerun_on_the_same_files_under_new_stamps_recomputes_nothing() {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    let first = work.run();
    assert_eq!(first.code, 3, "{first:?}");
    let published = zlbd::warehouse::current_run(&work.warehouse()).unwrap();
    let bytes = snapshot_bytes(&work);

    // A run that parsed or read the cache would warn.
    damage_the_parse_cache(&work);
    work.touch_inbox();
    // Settled stamps, so that this run's listing can stand for the publish.
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let again = work.run();
    assert!(
        !again.stderr.contains("Damaged parse-cache entr"),
        "{again:?}"
    );
    assert_eq!(
        again.code, 3,
        "same exit code as the run it repeats: {again:?}"
    );
    assert!(
        again
            .stdout
            .contains(&format!("the inbox holds the files of run {published}")),
        "{again:?}"
    );
    assert_repeats(&work, &first, &again, &published, &bytes);
    let runs = read_table_file(&work.warehouse().join("runs.parquet"));
    let records = runs.records();
    let last = records.last().unwrap();
    assert!(
        last["message"]
            .str()
            .is_some_and(|message| message.contains("nothing was parsed or recomputed")),
        "{last:?}"
    );

    // That listing now stands for the publish: the next run reads nothing.
    let settled = work.run();
    assert!(
        settled
            .stdout
            .contains(&format!("nothing changed since run {published}")),
        "{settled:?}"
    );

    // New modification times (in the same order): a real run, whose tables are the same.
    work.restamp_inbox();
    let restamped = work.run();
    assert_eq!(restamped.code, 3, "{restamped:?}");
    assert!(
        !restamped.stdout.contains("holds the files of run")
            && !restamped.stdout.contains("nothing changed"),
        "{restamped:?}"
    );
    assert!(
        restamped
            .stdout
            .contains("byte-identical to the current snapshot"),
        "{restamped:?}"
    );
    assert!(snapshot_bytes(&work) == bytes);
}

/// Nightly reruns (issue 15): with the same inbox files (settled stamps), configuration and
/// program and `current` still the snapshot they were published as, a run reads nothing and
/// records itself as `unchanged`; a new file, a rollback or another configuration each bring a
/// real run back.
#[test]
fn a_rerun_with_nothing_changed_reads_nothing_and_anything_changed_reads_again() {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    // A stamp is trusted 3 s after the file's last change (a write in the same clock tick
    // could hide behind it).
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let first = work.run();
    assert_eq!(first.code, 3, "{first:?}");
    let published = zlbd::warehouse::current_run(&work.warehouse()).unwrap();
    let bytes = snapshot_bytes(&work);
    // A run that read the cache would warn.
    damage_the_parse_cache(&work);

    let again = work.run();
    assert_eq!(
        again.code, 3,
        "same exit code as the run it repeats: {again:?}"
    );
    assert!(
        again.stdout.contains("nothing changed since run"),
        "{again:?}"
    );
    assert!(
        !again.stderr.contains("Damaged parse-cache entr"),
        "{again:?}"
    );
    assert_repeats(&work, &first, &again, &published, &bytes);

    // One more file: a real run.
    work.add(
        &shared_fixtures().join("inbox/city_370100.xlsx"),
        "copy.xlsx",
    );
    let changed = work.run();
    assert_eq!(changed.code, 3, "{changed:?}");
    assert!(!changed.stdout.contains("nothing changed"), "{changed:?}");
    // The garbled pack served nothing: every file was parsed again.
    let runs = read_table_file(&work.warehouse().join("runs.parquet"));
    let records = runs.records();
    assert_eq!(records.last().unwrap()["files_from_cache"].int(), Some(0));
    assert_eq!(zlbd::warehouse::snapshots(&work.warehouse()).len(), 2);

    // After a rollback, current is not what the last run published: a real run again.
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let settled = work.run();
    assert!(
        !settled.stdout.contains("nothing changed"),
        "the new file was not settled: {settled:?}"
    );
    assert!(work.run().stdout.contains("nothing changed since run"));
    let warehouse = work.warehouse();
    let ran = work.zlbd(&["rollback", "--warehouse", warehouse.to_str().unwrap()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let after_rollback = work.run();
    assert!(
        !after_rollback.stdout.contains("nothing changed"),
        "{after_rollback:?}"
    );

    // Without the cache nothing is remembered or skipped.
    let no_cache = work.run_with(&["--no-cache"]);
    assert!(!no_cache.stdout.contains("nothing changed"), "{no_cache:?}");
}

/// `zlbd run | true`, `zlbd snapshots | head`: the reader of stdout is gone before the command
/// writes. The run still finishes, records itself and exits with its own code, and no command
/// panics (SPEC v2 §9: writing into a closed pipe ends quietly).
#[test]
fn a_reader_that_went_away_ends_the_output_quietly() {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        writer
    };
    let ran: Ran = work
        .run_command(&[])
        .stdout(closed())
        .output()
        .unwrap()
        .into();
    assert!(ran.code == 0 || ran.code == 3, "{ran:?}");
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    let runs = read_table_file(&work.warehouse().join("runs.parquet"));
    assert_eq!(runs.rows.len(), 1);
    assert_eq!(runs.get(&runs.rows[0], "status").str(), Some("published"));
    assert_eq!(
        runs.get(&runs.rows[0], "exit_code").int(),
        Some(i64::from(ran.code))
    );

    let warehouse = work.warehouse();
    let warehouse = warehouse.to_str().unwrap();
    for args in [
        vec!["snapshots", "--warehouse", warehouse],
        vec!["snapshots", "--json", "--warehouse", warehouse],
        vec!["views", "--warehouse", warehouse],
        vec!["dictionary"],
    ] {
        let ran: Ran = std::process::Command::new(env!("CARGO_BIN_EXE_zlbd"))
            .args(&args)
            .stdout(closed())
            .output()
            .unwrap()
            .into();
        assert_eq!(ran.code, 0, "{args:?}: {ran:?}");
        assert!(ran.stderr.is_empty(), "{args:?}: {}", ran.stderr);
    }
}
