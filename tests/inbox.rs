//! The inbox as operators really have it (SPEC v2 §6), through the real binary: unreadable
//! folders, names that are not UTF-8, links, FIFOs, a warehouse or feedback folder inside the
//! inbox, `inspect` on things that are not files; and the parse cache's checksum.

use crate::common::*;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// An enterprise form that is active on its own.
fn enterprise() -> PathBuf {
    shared_fixtures().join("inbox/enterprise_two_row_header.xlsx")
}

/// A park form that is active on its own.
fn park() -> PathBuf {
    shared_fixtures().join("inbox/park_p03.ods")
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(from, to).unwrap();
    set_mtime(to, FIXED_MTIME);
}

fn mkfifo(path: &Path) {
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// A run that must end within a minute (a FIFO must not block it).
fn run_within(work: &Workdir, extra: &[&str]) -> Ran {
    output_within(&mut work.run_command(extra), Duration::from_secs(120)).expect("zlbd run hung")
}

/// The one row of `file`: (status, reason).
fn row(work: &Workdir, file: &str) -> (String, String) {
    let outcomes = file_outcomes(work);
    outcomes
        .get(file)
        .cloned()
        .unwrap_or_else(|| panic!("no submissions row for {file:?} in {:?}", outcomes.keys()))
}

#[test]
fn an_unreadable_sub_folder_is_a_rejected_row_and_the_rest_is_read() {
    let work = Workdir::new();
    copy(&enterprise(), &work.inbox().join("enterprise.xlsx"));
    let locked = work.inbox().join("2021/济南");
    copy(&park(), &locked.join("park.ods"));
    fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let mut command = work.run_command(&[]);
    if is_root() {
        // Root reads a folder whatever its mode: run zlbd as nobody over a tree nobody owns,
        // so the permission really stops it.
        chown_tree(work.dir.path(), 65534, 65534);
        command.uid(65534).gid(65534);
    }
    let ran = output_within(&mut command, Duration::from_secs(120)).expect("zlbd run hung");
    fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // Published, with a rejected file: not a failed run naming the inbox.
    assert_eq!(ran.code, 3, "{ran:?}");
    let (status, reason) = row(&work, "2021/济南");
    assert_eq!(status, "rejected");
    assert!(
        reason.contains("文件夹无法读取") && reason.contains("cannot read the folder 2021/济南"),
        "{reason}"
    );
    assert_eq!(row(&work, "enterprise.xlsx").0, "active");
    assert_eq!(work.statuses().len(), 2, "{:?}", work.statuses());
}

#[test]
fn a_symbolic_link_loop_is_rejected_even_for_root_and_the_run_goes_on() {
    // ELOOP cannot be read by anyone: the rejected-row path for an unreadable entry.
    let work = Workdir::new();
    copy(&enterprise(), &work.inbox().join("enterprise.xlsx"));
    std::os::unix::fs::symlink("loop.xlsx", work.inbox().join("loop.xlsx")).unwrap();
    // A folder link back up the tree: followed once, the loop is an ignored row.
    fs::create_dir(work.inbox().join("sub")).unwrap();
    std::os::unix::fs::symlink("..", work.inbox().join("sub/up")).unwrap();
    let ran = run_within(&work, &[]);
    assert_eq!(ran.code, 3, "{ran:?}");
    let (status, reason) = row(&work, "loop.xlsx");
    assert_eq!(status, "rejected");
    assert!(
        reason.contains("文件无法读取") && reason.contains("loop.xlsx"),
        "{reason}"
    );
    let (status, reason) = row(&work, "sub/up");
    assert_eq!(status, "ignored");
    assert!(reason.contains("symbolic link loop"), "{reason}");
    assert_eq!(row(&work, "enterprise.xlsx").0, "active");
    assert_eq!(work.statuses().len(), 3, "{:?}", work.statuses());
}

#[test]
fn two_gbk_names_of_one_file_are_one_active_and_one_duplicate_with_hex_escapes() {
    // 中.xlsx and 南.xlsx written in GBK (an unzip of a Windows archive): both names read as
    // "��.xlsx" when converted lossily, so both were `active` and every fact was doubled.
    let work = Workdir::new();
    let names: [&[u8]; 2] = [b"\xd6\xd0.xlsx", b"\xc4\xcf.xlsx"];
    for name in names {
        copy(&enterprise(), &work.inbox().join(OsStr::from_bytes(name)));
    }
    let ran = run_within(&work, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let statuses = work.statuses();
    assert_eq!(
        statuses,
        [
            ("\\xC4\\xCF.xlsx".to_string(), "active".to_string()),
            ("\\xD6\\xD0.xlsx".to_string(), "duplicate".to_string()),
        ]
        .into_iter()
        .collect(),
    );
    // Every fact once, from the active copy.
    let facts = work.table("fact_indicator");
    let sources: std::collections::BTreeSet<&str> = facts
        .rows
        .iter()
        .filter(|row| facts.get(row, "is_derived").bool() == Some(false))
        .map(|row| facts.get(row, "source_file").str().unwrap())
        .collect();
    assert_eq!(sources, ["\\xC4\\xCF.xlsx"].into_iter().collect());
    // The same form alone gives the same number of facts.
    let alone = Workdir::new();
    copy(&enterprise(), &alone.inbox().join("enterprise.xlsx"));
    assert_eq!(run_within(&alone, &[]).code, 0);
    assert_eq!(alone.table("fact_indicator").rows.len(), facts.rows.len());
}

#[test]
fn a_fifo_a_socket_and_a_dangling_link_get_ignored_rows() {
    let work = Workdir::new();
    copy(&enterprise(), &work.inbox().join("enterprise.xlsx"));
    mkfifo(&work.inbox().join("pipe.xlsx"));
    let _socket = std::os::unix::net::UnixListener::bind(work.inbox().join("socket.xlsx")).unwrap();
    std::os::unix::fs::symlink("gone.xlsx", work.inbox().join("dangling.xlsx")).unwrap();
    let ran = run_within(&work, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    for (file, says) in [
        ("pipe.xlsx", "FIFO"),
        ("socket.xlsx", "socket"),
        ("dangling.xlsx", "dangling symbolic link"),
    ] {
        let (status, reason) = row(&work, file);
        assert_eq!(status, "ignored", "{file}");
        assert!(
            reason.contains(says) && reason.contains(file),
            "{file}: {reason}"
        );
    }
    assert_eq!(row(&work, "enterprise.xlsx").0, "active");
    assert_eq!(work.statuses().len(), 4, "{:?}", work.statuses());
}

#[test]
fn symlinked_folders_and_files_are_followed() {
    let work = Workdir::new();
    let outside = work.dir.path().join("share");
    copy(&enterprise(), &outside.join("enterprise.xlsx"));
    copy(&park(), &work.dir.path().join("park.ods"));
    std::os::unix::fs::symlink(&outside, work.inbox().join("linked")).unwrap();
    std::os::unix::fs::symlink(
        work.dir.path().join("park.ods"),
        work.inbox().join("park.ods"),
    )
    .unwrap();
    // A real folder also reached through a second link is read once, under its own path.
    copy(&enterprise(), &work.inbox().join("real/e.xlsx"));
    std::os::unix::fs::symlink("real", work.inbox().join("again")).unwrap();
    let ran = run_within(&work, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let statuses = work.statuses();
    assert_eq!(
        statuses.get("linked/enterprise.xlsx").map(String::as_str),
        Some("active")
    );
    assert_eq!(statuses.get("park.ods").map(String::as_str), Some("active"));
    assert_eq!(
        statuses.get("real/e.xlsx").map(String::as_str),
        Some("duplicate")
    );
    let (status, reason) = row(&work, "again");
    assert_eq!(status, "ignored");
    assert!(reason.contains("the same folder as real"), "{reason}");
    assert_eq!(statuses.len(), 4, "{statuses:?}");
}

#[test]
fn a_warehouse_or_feedback_folder_inside_the_inbox_is_never_read() {
    let work = Workdir::new();
    copy(&enterprise(), &work.inbox().join("enterprise.xlsx"));
    let inbox = work.inbox();
    let warehouse = inbox.join("warehouse");
    let feedback = inbox.join("feedback");
    let run = || {
        let ran = output_within(
            Command::new(env!("CARGO_BIN_EXE_zlbd"))
                .args(["run", "--pipeline", pipeline().to_str().unwrap()])
                .args(["--inbox", inbox.to_str().unwrap()])
                .args(["--warehouse", warehouse.to_str().unwrap()]),
            Duration::from_secs(120),
        )
        .expect("zlbd run hung");
        assert_eq!(ran.code, 0, "{ran:?}");
        read_table(&warehouse.join("current"), "submissions")
    };
    let validate = |out: &Path| {
        let ran = output_within(
            Command::new(env!("CARGO_BIN_EXE_zlbd"))
                .args(["validate", "--pipeline", pipeline().to_str().unwrap()])
                .args(["--inbox", inbox.to_str().unwrap()])
                .args(["--out", out.to_str().unwrap()]),
            Duration::from_secs(120),
        )
        .expect("zlbd validate hung");
        assert_eq!(ran.code, 0, "{ran:?}");
    };
    let files = |table: &Table| -> Vec<(String, String)> {
        table
            .rows
            .iter()
            .map(|row| {
                (
                    table.get(row, "source_file").str().unwrap().to_string(),
                    table.get(row, "status").str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Twice, so that the second run finds a snapshot, a cache and views.sql in the inbox.
    run();
    validate(&feedback);
    validate(&feedback);
    // An old warehouse copied into the inbox, with a form in it, and a feedback folder written
    // before the marker existed (汇总.xlsx beside *_反馈.xlsx).
    let old = inbox.join("backup/warehouse_2021");
    fs::create_dir_all(&old).unwrap();
    fs::write(old.join("runs.parquet"), b"PAR1").unwrap();
    copy(&park(), &old.join("park.ods"));
    let older_feedback = inbox.join("older_feedback");
    for name in ["汇总.xlsx", "甲_反馈.xlsx"] {
        copy(&enterprise(), &older_feedback.join(name));
    }
    let submissions = run();
    let mut expected = vec![
        ("backup/warehouse_2021".to_string(), "ignored".to_string()),
        ("enterprise.xlsx".to_string(), "active".to_string()),
        ("feedback".to_string(), "ignored".to_string()),
        ("older_feedback".to_string(), "ignored".to_string()),
        ("warehouse".to_string(), "ignored".to_string()),
    ];
    let mut got = files(&submissions);
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    let reasons: Vec<&str> = submissions
        .rows
        .iter()
        .filter_map(|row| submissions.get(row, "reason").str())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|reason| reason.contains("warehouse folder, not read")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|reason| reason.contains("feedback folder, not read")),
        "{reasons:?}"
    );
}

#[test]
fn inspect_on_a_fifo_or_a_device_returns_at_once() {
    let work = Workdir::new();
    let fifo = work.inbox().join("pipe.xlsx");
    mkfifo(&fifo);
    for file in [fifo.as_path(), Path::new("/dev/zero")] {
        let ran = output_within(
            Command::new(env!("CARGO_BIN_EXE_zlbd")).args([
                "inspect",
                "--pipeline",
                pipeline().to_str().unwrap(),
                file.to_str().unwrap(),
            ]),
            Duration::from_secs(30),
        )
        .unwrap_or_else(|| panic!("zlbd inspect {} hung", file.display()));
        assert!(
            ran.stdout.contains("status:      ignored")
                && ran.stdout.contains("not a regular file"),
            "{ran:?}"
        );
    }
}

/// The byte ranges of the records in the parse-cache pack `bytes` (format: 8-byte magic, u32
/// salt length and salt, then per record a u32 length and the record).
fn pack_records(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    assert!(bytes.starts_with(b"ZLBDP"), "not a cache pack");
    let mut at = 8;
    at += 4 + word(at);
    let mut records = Vec::new();
    while at + 4 <= bytes.len() {
        let length = word(at);
        records.push(at + 4..at + 4 + length);
        at += 4 + length;
    }
    assert_eq!(at, bytes.len(), "the pack ends with its last record");
    records
}

fn snapshot_bytes(work: &Workdir) -> std::collections::BTreeMap<String, Vec<u8>> {
    tree_bytes(&fs::canonicalize(work.warehouse().join("current")).unwrap())
}

#[test]
fn a_flipped_bit_in_the_parse_cache_is_detected_and_the_file_read_again() {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    assert_eq!(run_within(&work, &[]).code, 3);
    let first = snapshot_bytes(&work);
    let pack = work.warehouse().join("cache/parses.pack");
    let entries = pack_records(&fs::read(&pack).unwrap());
    assert!(entries.len() >= 6, "{entries:?}");
    // One bit in the middle of every record (in the payload, past its header).
    let mut bytes = fs::read(&pack).unwrap();
    for entry in &entries {
        bytes[(entry.start + entry.end) / 2] ^= 0x04;
    }
    fs::write(&pack, bytes).unwrap();
    // The same bytes, but not a run that finds nothing changed (that reads no cache at all)
    // or the inputs of the run before (that computes nothing from what it read).
    work.restamp_inbox();
    let ran = run_within(&work, &["-vv"]);
    assert_eq!(ran.code, 3, "{ran:?}");
    // One warning for the run (a cron mail, not a line per form), with the count; each
    // damaged file is named in the debug log.
    let warnings: Vec<&str> = (ran.stderr.lines())
        .filter(|line| line.contains("WARN") && line.contains("Damaged parse-cache entr"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", ran.stderr);
    assert!(
        warnings[0].contains(&format!("damaged={}", entries.len())),
        "{}",
        warnings[0]
    );
    let each = (ran.stderr.lines())
        .filter(|line| line.contains("DEBUG") && line.contains("Damaged parse-cache entry"))
        .count();
    assert_eq!(each, entries.len(), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("enterprise_two_row_header.xlsx"),
        "{}",
        ran.stderr
    );
    let second = snapshot_bytes(&work);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        assert!(
            bytes == &second[name],
            "{name} changed after a damaged cache"
        );
    }
    // The entries were rewritten: the next run reads them without a warning.
    work.restamp_inbox();
    let ran = run_within(&work, &[]);
    assert!(
        !ran.stderr.contains("Damaged parse-cache entr"),
        "{}",
        ran.stderr
    );
    let third = snapshot_bytes(&work);
    assert!(first == third);
    let bytes = fs::read(&pack).unwrap();
    let rewritten = pack_records(&bytes);
    assert_eq!(rewritten.len(), entries.len());
    for entry in rewritten {
        assert!(bytes[entry].starts_with(b"ZLBDC"));
    }
}
