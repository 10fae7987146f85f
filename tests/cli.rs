//! The other subcommands and the command line's contract: inspect, validate, template, usage
//! and configuration errors.

use crate::common::*;
use std::process::Command;

#[test]
fn inspect_explains_a_workbook_cell_by_cell() {
    let work = Workdir::new();
    let file = shared_fixtures().join("inbox/enterprise_libreoffice.xls");
    let ran = work.zlbd(&[
        "inspect",
        "--pipeline",
        pipeline().to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 3, "the file has a rejected cell: {ran:?}");
    assert!(
        ran.stdout.contains("form:        enterprise"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("91371600852AD0221G"));
    assert!(
        ran.stdout.contains("D=2019"),
        "year columns are mapped: {}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("质量指标!D12") && ran.stdout.contains("NOT_A_NUMBER"),
        "{}",
        ran.stdout
    );

    let ran = work.zlbd(&[
        "inspect",
        "--json",
        "--pipeline",
        pipeline().to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(report["form"], "enterprise");
    let cells = report["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 54);
    let d12 = cells.iter().find(|cell| cell["cell"] == "D12").unwrap();
    assert_eq!(d12["outcome"], "reject");
    assert_eq!(d12["rule"], "NOT_A_NUMBER");
    assert_eq!(d12["raw_value"], "若干");
    let f7 = cells.iter().find(|cell| cell["cell"] == "F7").unwrap();
    assert_eq!(f7["outcome"], "missing");
}

#[test]
fn inspect_says_why_a_file_is_rejected() {
    let work = Workdir::new();
    let file = shared_fixtures().join("inbox/exported_from_old_system.xls");
    let ran = work.zlbd(&[
        "inspect",
        "--pipeline",
        pipeline().to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 3);
    assert!(
        ran.stdout.contains("status:      rejected") && ran.stdout.contains("HTML"),
        "{}",
        ran.stdout
    );
}

#[test]
fn validate_writes_feedback_and_publishes_nothing() {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    let out = work.dir.path().join("feedback");
    let inbox = work.inbox();
    // `zlbd [LOG OPTIONS] validate` of the inbox into `out`.
    let pipeline = pipeline();
    let validate = |logs: &[&str], out: &std::path::Path| {
        let mut args = logs.to_vec();
        args.extend([
            "validate",
            "--pipeline",
            pipeline.to_str().unwrap(),
            "--inbox",
            inbox.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        work.zlbd(&args)
    };
    let ran = validate(&[], &out);
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(!work.warehouse().exists(), "validate publishes nothing");
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(names.contains(&"汇总.xlsx".to_string()), "{names:?}");
    let feedback = names
        .iter()
        .find(|name| name.contains("91371600852AD0221G"))
        .expect("feedback for the LibreOffice enterprise");
    // Read the feedback back with calamine: the rejected cell is listed with its address.
    use calamine::{open_workbook_auto, Reader};
    let mut workbook = open_workbook_auto(out.join(feedback)).unwrap();
    let range = workbook.worksheet_range("问题清单").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect();
    let listed = rows
        .iter()
        .find(|row| row.get(2).map(String::as_str) == Some("D12"))
        .expect("D12 listed");
    assert_eq!(listed[1], "质量指标");
    assert_eq!(listed[3], "若干");
    assert_eq!(listed[4], "NOT_A_NUMBER");
    assert!(listed[6].contains("不是有效数字"), "{listed:?}");
    // The HTML file's submitter (unknown) gets its own feedback with the reason.
    assert!(
        names
            .iter()
            .any(|name| name.contains("exported_from_old_system")),
        "{names:?}"
    );

    // With JSON logs, each rejected file is one event, as in a run (SPEC v2 §9).
    let ran = validate(
        &["--log-format", "json"],
        &work.dir.path().join("feedback-json"),
    );
    assert_eq!(ran.code, 3, "{ran:?}");
    let rejected: Vec<String> = ran
        .stderr
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .filter(|event| event["fields"]["message"] == "File rejected.")
        .map(|event| event["fields"]["file"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        rejected
            .iter()
            .any(|file| file.contains("exported_from_old_system")),
        "{}",
        ran.stderr
    );
}

#[test]
fn templates_are_recognised_as_forms_with_every_cell_missing() {
    let work = Workdir::new();
    let out = work.dir.path().join("templates");
    let ran = work.zlbd(&[
        "template",
        "--pipeline",
        pipeline().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    for name in [
        "企业报表模板.xlsx",
        "地市报表模板_济南市.xlsx",
        "园区报表模板_济南高新技术产业开发区.xlsx",
    ] {
        let ran = work.zlbd(&[
            "inspect",
            "--json",
            "--pipeline",
            pipeline().to_str().unwrap(),
            out.join(name).to_str().unwrap(),
        ]);
        let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
        if name.starts_with("企业") {
            // A blank enterprise form has no USCC yet: it is refused for want of identity.
            assert_eq!(report["status"], "rejected", "{name}");
            continue;
        }
        assert_eq!(report["status"], "accepted", "{name}: {}", ran.stdout);
        let cells = report["cells"].as_array().unwrap();
        assert!(!cells.is_empty());
        assert!(
            cells.iter().all(|cell| cell["outcome"] == "missing"),
            "{name}"
        );
    }
}

#[test]
fn config_problems_exit_2_and_are_listed_together() {
    let work = Workdir::new();
    let bad = work.dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("pipeline.toml"),
        "name = \"x\"\nyears = [2021]\ncatalog = \"missing.toml\"\nroster = \"nowhere\"\n",
    )
    .unwrap();
    let inbox = work.inbox();
    let ran = work.zlbd(&[
        "run",
        "--pipeline",
        bad.to_str().unwrap(),
        "--inbox",
        inbox.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("years")
            && ran.stderr.contains("missing.toml")
            && ran.stderr.contains("cities.csv"),
        "{}",
        ran.stderr
    );
}

#[test]
fn bad_usage_exits_2() {
    let work = Workdir::new();
    assert_eq!(work.zlbd(&["run", "--no-such-flag"]).code, 2);
    assert_eq!(work.zlbd(&["frobnicate"]).code, 2);
    // Thousands of threads would take longer than the run: at most 256.
    let ran = work.zlbd(&["validate", "--jobs", "1000"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("0..=256"), "{}", ran.stderr);
    let ran = work.zlbd(&[
        "run",
        "--pipeline",
        pipeline().to_str().unwrap(),
        "--inbox",
        "/no/such/inbox",
    ]);
    assert_eq!(ran.code, 2);
}

/// SPEC v2 §9: without `--pipeline`, zlbd reads `$ZLBD_PIPELINE`, else `./pipelines/shandong`
/// under the working folder — never the checkout the binary was built from.
#[test]
fn the_default_pipeline_is_never_the_build_checkout() {
    let work = Workdir::new();
    let inbox = work.inbox();
    let ran = work.zlbd(&["validate", "--inbox", inbox.to_str().unwrap()]);
    assert_eq!(ran.code, 2, "no pipeline under the working folder: {ran:?}");
    assert!(
        ran.stderr.contains("pipelines/shandong"),
        "the error names the folder it looked for: {}",
        ran.stderr
    );

    let ran = Command::new(env!("CARGO_BIN_EXE_zlbd"))
        .args(["validate", "--inbox", inbox.to_str().unwrap()])
        .env("ZLBD_PIPELINE", pipeline())
        .current_dir(work.dir.path())
        .output()
        .unwrap();
    assert_eq!(
        ran.status.code(),
        Some(0),
        "ZLBD_PIPELINE names the pipeline: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
}

/// A CSV file in roster/ that zlbd does not read (a county list, a renamed export) is said
/// once, so nobody believes its rows are in the roster; the command still works.
#[test]
fn a_roster_file_zlbd_does_not_read_is_a_warning() {
    let work = Workdir::new();
    let copy = work.dir.path().join("pipeline");
    copy_pipeline(&pipeline(), &copy);
    std::fs::write(
        copy.join("roster/counties.csv"),
        "county_code,county_name\n370102,历下区\n",
    )
    .unwrap();
    let out = work.dir.path().join("forms");
    let ran = work.zlbd(&[
        "template",
        "--pipeline",
        copy.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stderr.matches("Roster file not read").count(),
        1,
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("counties.csv"), "{}", ran.stderr);
}
