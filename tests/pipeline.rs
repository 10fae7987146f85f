//! End to end: the real binary on third-party fixtures and on the committed sample inbox,
//! checked cell by cell against truth.json and read back from Parquet with arrow-rs.

use crate::common::*;
use std::collections::BTreeMap;

#[test]
fn third_party_fixtures_get_their_expected_outcome_cell_by_cell() {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    let ran = work.run();
    assert_eq!(ran.code, 3, "published with rejects: {ran:?}");
    assert!(
        load_truth(&shared_fixtures().join("truth.json"))
            .cells
            .len()
            > 300
    );
    assert_matches_truth(&work, &shared_fixtures().join("truth.json"));
}

#[test]
fn html_saved_as_xls_is_rejected_with_a_reason_for_the_submitter() {
    let work = Workdir::new();
    work.add_all(&shared_fixtures().join("inbox"));
    assert_eq!(work.run().code, 3);
    let submissions = work.table("submissions");
    let row = submissions
        .rows
        .iter()
        .find(|row| {
            submissions.get(row, "source_file").str() == Some("exported_from_old_system.xls")
        })
        .expect("a submissions row for the HTML file");
    assert_eq!(submissions.get(row, "status").str(), Some("rejected"));
    let reason = submissions.get(row, "reason").str().unwrap();
    assert!(
        reason.contains("HTML") && reason.contains("另存为"),
        "{reason}"
    );
}

fn sample_work() -> (Workdir, Truth) {
    let work = Workdir::new();
    work.add_all(&repo().join("sample_data"));
    let truth = load_truth(&repo().join("sample_data/truth.json"));
    (work, truth)
}

#[test]
fn sample_data_matches_its_truth_cell_by_cell() {
    let (work, _) = sample_work();
    let ran = work.run();
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(
        ran.stdout.contains("files: ") && ran.stdout.contains("by rule:"),
        "{}",
        ran.stdout
    );
    assert_matches_truth(&work, &repo().join("sample_data/truth.json"));
}

#[test]
fn every_indicator_cell_is_a_fact_a_reject_superseded_or_missing() {
    let (work, truth) = sample_work();
    assert_eq!(work.run().code, 3);
    // Indicator cells per file, counted by the generator that wrote them.
    let mut cells_per_file: BTreeMap<&str, i64> = BTreeMap::new();
    for cell in &truth.cells {
        *cells_per_file.entry(cell.file.as_str()).or_insert(0) += 1;
    }
    let facts = work.table("fact_indicator");
    let mut facts_per_file: BTreeMap<String, i64> = BTreeMap::new();
    for row in &facts.rows {
        if let Some(file) = facts.get(row, "source_file").str() {
            *facts_per_file.entry(file.to_string()).or_insert(0) += 1;
        }
    }
    let rejects = work.table("rejects");
    let mut errors_per_file: BTreeMap<String, i64> = BTreeMap::new();
    for row in &rejects.rows {
        if rejects.get(row, "severity").str() == Some("error")
            && rejects.get(row, "indicator_code").str().is_some()
        {
            *errors_per_file
                .entry(rejects.get(row, "source_file").str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    let submissions = work.table("submissions");
    let mut checked = 0;
    for row in &submissions.rows {
        let file = submissions.get(row, "source_file").str().unwrap();
        let status = submissions.get(row, "status").str().unwrap();
        let count = |name: &str| submissions.get(row, name).int().unwrap();
        let (loaded, superseded, rejected, missing) = (
            count("cells_loaded"),
            count("cells_superseded"),
            count("cells_rejected"),
            count("cells_missing"),
        );
        if matches!(status, "active" | "superseded") {
            let cells = cells_per_file.get(file).copied().unwrap_or(0);
            assert!(cells > 0, "{file} has no indicator cells in truth");
            assert_eq!(
                loaded + superseded + rejected + missing,
                cells,
                "{file}: counts do not add up"
            );
            assert_eq!(
                loaded,
                facts_per_file.get(file).copied().unwrap_or(0),
                "{file}: cells_loaded vs fact rows"
            );
            assert_eq!(
                rejected,
                errors_per_file.get(file).copied().unwrap_or(0),
                "{file}: cells_rejected vs error rows"
            );
            checked += 1;
        } else {
            assert_eq!(
                (loaded, superseded, rejected, missing),
                (0, 0, 0, 0),
                "{file} ({status})"
            );
        }
    }
    assert!(checked >= 190, "only {checked} submissions checked");
}

#[test]
fn the_committed_sample_is_what_the_generator_writes_for_its_seed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample");
    let ran = zlbd_in(
        dir.path(),
        &[
            "sample",
            "--pipeline",
            pipeline().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    let fresh = tree_bytes(&out);
    let committed = tree_bytes(&repo().join("sample_data"));
    assert_eq!(
        fresh.keys().collect::<Vec<_>>(),
        committed.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &fresh {
        assert!(
            bytes == &committed[name],
            "{name} differs from the committed sample_data"
        );
    }
}

#[test]
fn tables_have_the_contracted_parquet_types() {
    let (work, _) = sample_work();
    assert_eq!(work.run().code, 3);
    let mut report = String::new();
    for table in zlbd::domain::columns::TABLES {
        let read = work.table(table);
        assert!(!read.rows.is_empty(), "{table} is empty");
        report.push_str(&format!("{table} ({} columns)\n", read.columns.len()));
        for (column, kind) in read.columns.iter().zip(&read.types) {
            report.push_str(&format!("  {column}: {kind}\n"));
        }
    }
    insta::assert_snapshot!("schemas", report);
}

#[test]
fn a_summary_of_each_table_on_the_sample() {
    let (work, _) = sample_work();
    assert_eq!(work.run().code, 3);
    let submissions = work.table("submissions");
    let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
    for row in &submissions.rows {
        *by_status
            .entry(submissions.get(row, "status").str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    let rejects = work.table("rejects");
    let mut by_rule: BTreeMap<String, i64> = BTreeMap::new();
    for row in &rejects.rows {
        *by_rule
            .entry(rejects.get(row, "rule").str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    let scores = work.table("entity_score");
    let mut typical: BTreeMap<String, i64> = BTreeMap::new();
    for row in &scores.rows {
        if scores.get(row, "typical").bool() == Some(true) {
            *typical
                .entry(scores.get(row, "level").str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    let mut summary = String::new();
    for table in zlbd::domain::columns::TABLES {
        summary.push_str(&format!("{table}: {} rows\n", work.table(table).rows.len()));
    }
    summary.push_str(&format!("submissions by status: {by_status:?}\nrejects by rule: {by_rule:?}\ntypical by level: {typical:?}\n"));
    insta::assert_snapshot!("sample_summary", summary);
}
