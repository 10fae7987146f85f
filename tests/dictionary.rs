//! The data dictionary: every table and column has a Chinese and English description, and
//! docs/tables.md is exactly what the program prints (regenerate: `zlbd dictionary > docs/tables.md`).

use crate::common::*;

#[test]
fn docs_tables_md_is_what_zlbd_dictionary_prints() {
    let ran = zlbd_in(&repo(), &["dictionary"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let committed = std::fs::read_to_string(repo().join("docs/tables.md")).unwrap();
    assert!(
        committed == ran.stdout,
        "docs/tables.md is stale: run `zlbd dictionary > docs/tables.md`"
    );
}

#[test]
fn every_column_of_every_table_is_described() {
    let ran = zlbd_in(&repo(), &["dictionary"]);
    let (mut tables, mut views) = (0, 0);
    let mut columns = 0;
    let mut in_views = false;
    for line in ran.stdout.lines() {
        if line.starts_with("# BI ") {
            in_views = true;
        }
        if line.starts_with("## `") {
            if in_views {
                views += 1;
            } else {
                tables += 1;
            }
        }
        if let Some(row) = line.strip_prefix("| `") {
            let cells: Vec<&str> = row.split(" | ").collect();
            assert!(
                cells.len() >= 4 && !cells[2].trim().is_empty() && !cells[3].trim().is_empty(),
                "undescribed column: {line}"
            );
            columns += 1;
        }
    }
    assert_eq!(tables, 11, "ten snapshot tables and runs");
    assert_eq!(views, 6, "the six BI views of views.sql");
    assert!(columns > 100, "{columns} columns");
}
