//! The worked example of docs/method.md, computed by hand, must be what the warehouse says.

use crate::common::*;
use std::collections::BTreeMap;

#[test]
fn the_method_notes_worked_example_matches_the_warehouse() {
    let note = std::fs::read_to_string(repo().join("docs/method.md")).unwrap();
    let block = note
        .split("```zlbd-example\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let example: Vec<(String, String)> = block
        .lines()
        .filter_map(|line| line.split_once(" = "))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .collect();
    let get = |key: &str| {
        example
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap()
    };

    let work = Workdir::new();
    work.add_all(&repo().join("sample_data"));
    assert_eq!(work.run().code, 3);
    let comparison = work.table("fact_comparison");
    let row = comparison
        .rows
        .iter()
        .find(|row| {
            comparison.get(row, "level").str() == Some(get("level").as_str())
                && comparison.get(row, "entity_id").str() == Some(get("entity_id").as_str())
                && comparison.get(row, "indicator_code").str()
                    == Some(get("indicator_code").as_str())
                && comparison.get(row, "year").int() == Some(get("year").parse().unwrap())
        })
        .expect("the example's row");
    let mut checked = 0;
    for (key, expected) in &example {
        if ["level", "entity_id", "indicator_code", "year"].contains(&key.as_str()) {
            continue;
        }
        let expected: f64 = expected.parse().unwrap();
        let actual = comparison
            .get(row, key)
            .float()
            .unwrap_or_else(|| panic!("{key} is null"));
        // The note rounds to 4 decimals.
        assert!(
            (actual - expected).abs() < 5e-5,
            "{key}: note says {expected}, warehouse has {actual}"
        );
        checked += 1;
    }
    assert_eq!(checked, 12);
}

/// The score example (a lone enterprise scored in its section, one clipped value) must be
/// what the warehouse says.
#[test]
fn the_method_notes_score_example_matches_the_warehouse() {
    let note = std::fs::read_to_string(repo().join("docs/method.md")).unwrap();
    let block = note
        .split("```zlbd-score-example\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let example: BTreeMap<String, String> = block
        .lines()
        .filter_map(|line| line.split_once(" = "))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .collect();
    let work = Workdir::new();
    work.add_all(&repo().join("sample_data"));
    assert_eq!(work.run().code, 3);
    let year: i64 = example["year"].parse().unwrap();
    let is_example = |table: &Table, row: &[Value]| {
        table.get(row, "level").str() == Some(example["level"].as_str())
            && table.get(row, "entity_id").str() == Some(example["entity_id"].as_str())
            && table.get(row, "year").int() == Some(year)
    };
    let scores = work.table("entity_score");
    let row = scores
        .rows
        .iter()
        .find(|row| is_example(&scores, row))
        .expect("the example's score row");
    assert_eq!(
        scores.get(row, "score_group").str(),
        Some(example["score_group"].as_str())
    );
    let near = |actual: Option<f64>, key: &str| {
        let expected: f64 = example[key].parse().unwrap();
        let actual = actual.unwrap_or_else(|| panic!("{key} is null"));
        assert!(
            (actual - expected).abs() < 5e-5,
            "{key}: note says {expected}, warehouse has {actual}"
        );
    };
    near(scores.get(row, "score").float(), "score");
    near(scores.get(row, "completeness").float(), "completeness");
    let detail = work.table("entity_score_detail");
    for code in ["E09", "E06"] {
        let row = detail
            .rows
            .iter()
            .find(|row| {
                is_example(&detail, row) && detail.get(row, "indicator_code").str() == Some(code)
            })
            .unwrap_or_else(|| panic!("no detail row for {code}"));
        near(detail.get(row, "normalized").float(), code);
    }
}
