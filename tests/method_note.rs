//! The worked example of docs/method.md, computed by hand, must be what the warehouse says.

mod common;

use common::*;

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
