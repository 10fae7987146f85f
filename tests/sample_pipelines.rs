//! `zlbd sample` works for any valid pipeline, not just the province's: for a tiny roster, for
//! other comparison windows (three years from 2020, five years, two years) and for a roster
//! with one enterprise, no parks and a city without industries of its own, the real binary
//! writes an inbox, `zlbd run` publishes it, and the warehouse matches the sample's truth.json
//! cell by cell (every fact value, every reject's rule, every missing and superseded cell, and
//! every file's status).

use crate::common::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The rules found in the published rejects table.
fn rules(work: &Workdir) -> BTreeSet<String> {
    let rejects = work.table("rejects");
    rejects
        .rows
        .iter()
        .filter_map(|row| rejects.get(row, "rule").str().map(str::to_string))
        .collect()
}

/// Samples `pipeline` with `seed`, runs it, and checks the warehouse against the truth.
fn sample_and_check(pipeline: &Path, seed: u64, extra: &[&str], expected_code: i32) -> Workdir {
    let work = Workdir::new();
    let seed = seed.to_string();
    let mut args = vec!["--seed", seed.as_str()];
    args.extend(extra);
    let sampled = work.sample(pipeline, &args);
    assert_eq!(sampled.code, 0, "zlbd sample: {sampled:?}");
    let ran = work.run_pipeline(pipeline);
    assert_eq!(ran.code, expected_code, "zlbd run: {ran:?}");
    assert_matches_truth(&work, &work.inbox().join("truth.json"));
    work
}

/// A temporary copy of the province pipeline with other comparison years.
fn province_with_years(dir: &Path, years: &[i32]) -> PathBuf {
    let copy = dir.join("pipeline");
    copy_pipeline(&pipeline(), &copy);
    set_years(&copy, years);
    copy
}

/// Every deliberate problem a pipeline with the province's catalog gives room for.
const PROVINCE_RULES: [&str; 12] = [
    "NOT_A_NUMBER",
    "OUT_OF_RANGE",
    "NOT_INTEGER",
    "CELL_ERROR",
    "FORMULA_NO_VALUE",
    "UNKNOWN_UNIT",
    "UNKNOWN_INDICATOR",
    "YEAR_OUTSIDE_WINDOW",
    "DUPLICATE_VALUE",
    "INCONSISTENT",
    "BAD_USCC",
    "NOT_IN_ROSTER",
];

fn assert_rules(work: &Workdir, expected: &[&str]) {
    let found = rules(work);
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|rule| !found.contains(**rule))
        .collect();
    assert!(missing.is_empty(), "no {missing:?} among {found:?}");
}

#[test]
fn mini_pipeline_sample_matches_its_truth() {
    let mini = repo().join("tests/data/mini");
    let work = sample_and_check(&mini, 1, &[], 3);
    // The mini catalog has no cross-indicator checks, so no INCONSISTENT; everything else fits.
    let expected: Vec<&str> = PROVINCE_RULES
        .into_iter()
        .filter(|rule| *rule != "INCONSISTENT")
        .collect();
    assert_rules(&work, &expected);
    let truth = load_truth(&work.inbox().join("truth.json"));
    let outcomes: BTreeSet<&str> = truth.cells.iter().map(|c| c.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        BTreeSet::from(["fact", "missing", "reject", "superseded"])
    );
}

#[test]
fn a_clean_sample_publishes_without_rejects() {
    let mini = repo().join("tests/data/mini");
    let work = sample_and_check(&mini, 5, &["--clean"], 0);
    let truth = load_truth(&work.inbox().join("truth.json"));
    assert!(truth.cells.iter().all(|cell| cell.outcome == "fact"));
}

#[test]
fn province_pipeline_with_years_2020_to_2022() {
    let dir = tempfile::tempdir().unwrap();
    let copy = province_with_years(dir.path(), &[2020, 2021, 2022]);
    let work = sample_and_check(&copy, 2, &[], 3);
    assert_rules(&work, &PROVINCE_RULES);
}

#[test]
fn province_pipeline_with_five_years() {
    let dir = tempfile::tempdir().unwrap();
    let copy = province_with_years(dir.path(), &[2017, 2018, 2019, 2020, 2021]);
    let work = sample_and_check(&copy, 3, &[], 3);
    assert_rules(&work, &PROVINCE_RULES);
    let truth = load_truth(&work.inbox().join("truth.json"));
    let years: BTreeSet<i64> = truth.cells.iter().map(|cell| cell.year).collect();
    assert_eq!(years, BTreeSet::from([2017, 2018, 2019, 2020, 2021]));
}

#[test]
fn one_enterprise_no_parks_two_years_and_a_city_without_own_industries() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("pipeline");
    copy_pipeline(&repo().join("tests/data/mini"), &copy);
    set_years(&copy, &[2020, 2021]);
    let roster = copy.join("roster");
    fs::write(
        roster.join("enterprises.csv"),
        "uscc,enterprise_name,city_code,park_id,industry_code\n\
         91370200AAAA00007J,汽车企业7,370200,,C3612\n",
    )
    .unwrap();
    fs::write(roster.join("parks.csv"), "park_id,park_name,city_code\n").unwrap();
    fs::write(
        roster.join("industries.csv"),
        "industry_id,level,city_code,industry_name,industry_code\n\
         PI01,province_industry,,纺织,C17\n\
         CI01,city_industry,370100,甲行业,C34\n",
    )
    .unwrap();
    let work = sample_and_check(&copy, 4, &[], 3);
    assert_rules(&work, &["NOT_A_NUMBER", "OUT_OF_RANGE", "BAD_USCC"]);
}

#[test]
fn the_truth_check_fails_on_a_wrong_value_rule_or_outcome() {
    let mini = repo().join("tests/data/mini");
    let work = sample_and_check(&mini, 6, &[], 3);
    let mut truth = load_truth(&work.inbox().join("truth.json"));
    assert!(truth_mismatches(&work, &truth).is_empty());
    let index = |outcome: &str| {
        truth
            .cells
            .iter()
            .position(|cell| cell.outcome == outcome)
            .unwrap()
    };
    let (fact, reject, missing) = (index("fact"), index("reject"), index("missing"));
    truth.cells[fact].value = truth.cells[fact].value.map(|value| value + 1.0);
    truth.cells[reject].rule = Some("NOT_A_RULE".to_string());
    truth.cells[missing].outcome = "fact".to_string();
    truth.cells[missing].value = Some(1.0);
    assert_eq!(truth_mismatches(&work, &truth).len(), 3);
}

/// A copy of the mini pipeline with some roster files or the catalog replaced.
fn mini_with(dir: &Path, replaced: &[(&str, &str)]) -> PathBuf {
    let copy = dir.join("pipeline");
    copy_pipeline(&repo().join("tests/data/mini"), &copy);
    for (file, text) in replaced {
        fs::write(copy.join(file), text).unwrap();
    }
    copy
}

#[test]
fn a_roster_without_enterprises_still_gets_a_sample() {
    let dir = tempfile::tempdir().unwrap();
    let header = "uscc,enterprise_name,city_code,park_id,industry_code\n";
    let copy = mini_with(dir.path(), &[("roster/enterprises.csv", header)]);
    let work = sample_and_check(&copy, 7, &[], 3);
    assert_rules(&work, &["NOT_IN_ROSTER", "BAD_USCC"]);
}

#[test]
fn entities_sharing_a_name_get_files_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let enterprises = "uscc,enterprise_name,city_code,park_id,industry_code\n\
        91370100AAAA00001T,同名企业,370100,P01,C1711\n\
        91370100AAAA00002X,同名企业,370100,,C1711\n\
        91370100AAAA000031,纺织/企业3,370100,,C1711\n";
    let parks = "park_id,park_name,city_code\nP01,甲园区,370100\nP02,甲园区,370200\n";
    let copy = mini_with(
        dir.path(),
        &[
            ("roster/enterprises.csv", enterprises),
            ("roster/parks.csv", parks),
        ],
    );
    let work = sample_and_check(&copy, 8, &[], 3);
    let truth = load_truth(&work.inbox().join("truth.json"));
    let entities: BTreeSet<&str> = truth
        .cells
        .iter()
        .filter(|cell| cell.level == "enterprise" || cell.level == "park")
        .map(|cell| cell.entity_id.as_str())
        .collect();
    for entity in ["91370100AAAA00001T", "91370100AAAA00002X", "P01", "P02"] {
        assert!(entities.contains(entity), "{entity} has no form");
    }
}

#[test]
fn a_catalog_with_enterprise_indicators_only() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = fs::read_to_string(repo().join("tests/data/mini/catalog.toml")).unwrap();
    let enterprise_only: Vec<&str> = catalog
        .split("[[indicator]]")
        .filter(|block| block.contains("section = \"enterprise\""))
        .collect();
    let catalog = format!("[[indicator]]{}", enterprise_only.join("[[indicator]]"));
    let copy = mini_with(dir.path(), &[("catalog.toml", &catalog)]);
    let work = sample_and_check(&copy, 9, &[], 3);
    let truth = load_truth(&work.inbox().join("truth.json"));
    assert!(truth.cells.iter().all(|cell| cell.level == "enterprise"));
}

#[test]
fn listed_extra_enterprises_are_compared_in_the_provinces_peer_groups() {
    // The sample is made from the province's pipeline; the listed roster goes into a copy.
    let dir = tempfile::tempdir().unwrap();
    let listed = dir.path().join("pipeline");
    copy_pipeline(&pipeline(), &listed);
    let roster = listed.join("roster");
    let before = fs::read_to_string(pipeline().join("roster/enterprises.csv")).unwrap();
    let work = Workdir::new();
    let args = [
        "--seed",
        "11",
        "--extra-enterprises",
        "30",
        "--listed-roster",
        roster.to_str().unwrap(),
    ];
    let sampled = work.sample(&pipeline(), &args);
    assert_eq!(sampled.code, 0, "zlbd sample: {sampled:?}");
    assert!(
        sampled
            .stdout
            .contains("wrote a roster listing 30 enterprises beyond the pipeline's"),
        "{sampled:?}"
    );
    let ran = work.run_pipeline(&listed);
    assert_eq!(ran.code, 3, "zlbd run: {ran:?}");
    assert_matches_truth(&work, &work.inbox().join("truth.json"));

    // The roster written is the province's, line for line, plus one line per extra.
    let after = fs::read_to_string(roster.join("enterprises.csv")).unwrap();
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(new.len(), old.len() + 30);
    assert_eq!(new[..old.len()], old[..]);
    for file in ["cities.csv", "industries.csv", "parks.csv"] {
        let original = fs::read_to_string(pipeline().join("roster").join(file)).unwrap();
        let written = fs::read_to_string(roster.join(file)).unwrap();
        assert_eq!(written.lines().count(), original.lines().count(), "{file}");
    }

    // Every listed extra is expected and complete; only the sample's one deliberate outsider
    // is unexpected.
    let extras: BTreeSet<String> = new[old.len()..]
        .iter()
        .map(|line| line.split(',').next().unwrap().to_string())
        .collect();
    let status = work.table("roster_status");
    let mut unexpected = 0;
    for row in status.records() {
        let id = row["entity_id"].str().unwrap_or_default().to_string();
        let state = row["status"].str().unwrap_or_default().to_string();
        if extras.contains(&id) {
            assert_eq!(state, "complete", "{id}");
            assert_eq!(row["expected"].bool(), Some(true), "{id}");
        }
        unexpected += usize::from(state == "unexpected");
    }
    assert_eq!(unexpected, 1);

    // The extras spread over the province's industries: several peer groups, none unknown.
    let comparison = work.table("fact_comparison");
    let groups: BTreeSet<String> = comparison
        .records()
        .into_iter()
        .filter(|row| extras.contains(row["entity_id"].str().unwrap_or_default()))
        .map(|row| row["peer_group"].str().unwrap_or_default().to_string())
        .collect();
    assert!(groups.len() >= 5, "{groups:?}");
    assert!(!groups.contains("unknown"), "{groups:?}");
}

#[test]
fn the_listed_roster_never_overwrites_the_roster_it_is_made_from() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("pipeline");
    copy_pipeline(&pipeline(), &copy);
    let before = fs::read(copy.join("roster/enterprises.csv")).unwrap();
    let work = Workdir::new();
    // The same folder, named another way.
    let own = copy.join("roster/../roster");
    let sampled = work.sample(
        &copy,
        &[
            "--extra-enterprises",
            "3",
            "--listed-roster",
            own.to_str().unwrap(),
        ],
    );
    assert_eq!(sampled.code, 1, "{sampled:?}");
    assert!(sampled.stderr.contains("--listed-roster"), "{sampled:?}");
    assert_eq!(
        fs::read(copy.join("roster/enterprises.csv")).unwrap(),
        before
    );
}
