//! SPEC v2 ingestion rules on workbooks written by openpyxl (tests/fixtures/v2, see
//! make_v2_fixtures.py): one file per layout or value that once lost a number silently or
//! published it wrong, each checked cell by cell against truth.json, plus the warnings,
//! contacts and counts the rules promise.

use crate::common::*;
use std::collections::BTreeMap;

fn fixtures() -> std::path::PathBuf {
    repo().join("tests/fixtures/v2")
}

fn run_v2() -> Workdir {
    let work = Workdir::new();
    work.add_all(&fixtures());
    let ran = work.run();
    assert_eq!(ran.code, 3, "error rejects mean exit 3: {ran:?}");
    work
}

/// (file, rule) → messages of that file's rejects rows.
fn rejects_by_file(work: &Workdir) -> BTreeMap<(String, String), Vec<(String, String)>> {
    let rejects = work.table("rejects");
    let mut out: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for row in &rejects.rows {
        let text = |column: &str| rejects.get(row, column).str().unwrap_or("").to_string();
        out.entry((text("source_file"), text("rule")))
            .or_default()
            .push((text("source_cell"), text("message")));
    }
    out
}

#[test]
fn every_cell_of_the_v2_layouts_gets_its_expected_outcome() {
    let work = run_v2();
    assert_matches_truth(&work, &fixtures().join("truth.json"));
}

#[test]
fn submission_counts_add_up_to_the_cells_of_each_file() {
    let work = run_v2();
    let truth = load_truth(&fixtures().join("truth.json"));
    let mut cells_per_file: BTreeMap<String, i64> = BTreeMap::new();
    for cell in &truth.cells {
        *cells_per_file.entry(cell.file.clone()).or_default() += 1;
    }
    let submissions = work.table("submissions");
    for row in &submissions.rows {
        let file = submissions.get(row, "source_file").str().unwrap();
        let count = |column: &str| submissions.get(row, column).int().unwrap_or(0);
        let total = count("cells_loaded")
            + count("cells_superseded")
            + count("cells_rejected")
            + count("cells_missing");
        assert_eq!(
            total,
            cells_per_file.get(file).copied().unwrap_or(0),
            "{file}: loaded + superseded + rejected + missing"
        );
    }
}

#[test]
fn duplicate_cells_name_the_cell_that_was_used_and_whether_they_agree() {
    let work = run_v2();
    let rejects = rejects_by_file(&work);
    let file = "indicator_repeated_first_copy_empty.xlsx";
    let duplicates = &rejects[&(file.to_string(), "DUPLICATE_VALUE".to_string())];
    assert_eq!(duplicates.len(), 3, "{duplicates:?}");
    let by_cell: BTreeMap<&str, &str> = duplicates
        .iter()
        .map(|(cell, message)| (cell.as_str(), message.as_str()))
        .collect();
    assert!(by_cell["D5"].contains("质量指标!D3") && by_cell["D5"].contains("一致"));
    assert!(by_cell["E5"].contains("质量指标!E3") && by_cell["E5"].contains("不一致"));
}

#[test]
fn unreadable_version_and_date_and_a_stale_name_are_warnings_that_name_the_cell() {
    let work = run_v2();
    let rejects = rejects_by_file(&work);
    let version = &rejects[&(
        "bad_version_and_date.xlsx".to_string(),
        "BAD_VERSION".to_string(),
    )];
    assert_eq!(version[0].0, "B4");
    assert!(version[0].1.contains("abc"), "{version:?}");
    let date = &rejects[&(
        "bad_version_and_date.xlsx".to_string(),
        "BAD_DATE".to_string(),
    )];
    assert_eq!(date[0].0, "B7");
    let mismatch = &rejects[&(
        "name_mismatch_copied_uscc.xlsx".to_string(),
        "NAME_MISMATCH".to_string(),
    )];
    assert!(mismatch[0].1.contains("另一家不相干的公司"), "{mismatch:?}");

    // Every rejects row names its submitter once the identity was read.
    let table = work.table("rejects");
    for row in &table.rows {
        let file = table.get(row, "source_file").str().unwrap();
        assert!(
            table.get(row, "entity_id").str().is_some(),
            "{file}: a rejects row without its submitter"
        );
    }
}

#[test]
fn versions_compare_as_numbers_and_contacts_are_kept() {
    let work = run_v2();
    let submissions = work.table("submissions");
    let mut versions = BTreeMap::new();
    for row in &submissions.rows {
        let file = submissions
            .get(row, "source_file")
            .str()
            .unwrap()
            .to_string();
        versions.insert(file.clone(), submissions.get(row, "version").float());
        let enterprise = submissions.get(row, "form").str() == Some("enterprise");
        // A form rejected whole (a wrong check digit) keeps its contact too: the feedback on
        // it goes to that person.
        let status = submissions.get(row, "status").str();
        if enterprise && matches!(status, Some("active" | "rejected")) {
            assert_eq!(
                submissions.get(row, "contact_name").str(),
                Some("王芳"),
                "{file}"
            );
            assert_eq!(
                submissions.get(row, "contact_phone").str(),
                Some("0531-86001234"),
                "{file}"
            );
        }
    }
    assert_eq!(versions["version_text_V1.1.xlsx"], Some(1.1));
    assert_eq!(versions["version_text_2.0.xlsx"], Some(2.0));
    assert_eq!(versions["bad_version_and_date.xlsx"], Some(1.0));
    let statuses = work.statuses();
    assert_eq!(
        statuses["bad_uscc_check_digit_with_contact.xlsx"],
        "rejected"
    );
    // Its name is on the roster: the reason gives the roster's code, not only a check digit.
    let reason = (submissions.rows.iter())
        .find(|row| {
            submissions.get(row, "source_file").str()
                == Some("bad_uscc_check_digit_with_contact.xlsx")
        })
        .and_then(|row| submissions.get(row, "reason").str())
        .unwrap_or_default();
    assert!(
        reason.contains(
            "全省名单中“东营金和纺织股份有限公司”的统一社会信用代码为“91370500A79DBGH42B”"
        ),
        "{reason}"
    );
}

#[test]
fn a_park_code_that_differs_from_the_parks_name_is_a_warning_on_its_cell() {
    let work = run_v2();
    let rejects = rejects_by_file(&work);
    // The second: a city form's 填报地市 that names another city than its 行政区划代码.
    for (file, cell, named) in [
        ("park_code_P99_name_of_P02.xlsx", "B2", ["P99", "P02"]),
        (
            "city_name_dongying_code_weifang.xlsx",
            "B1",
            ["370700", "370700"],
        ),
    ] {
        let warned = &rejects[&(file.to_string(), "NAME_MISMATCH".to_string())];
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert_eq!(warned[0].0, cell);
        assert!(
            named.iter().all(|text| warned[0].1.contains(text)),
            "{warned:?}"
        );
    }
}

#[test]
fn numbers_in_a_row_without_a_name_are_reported_and_repeats_agree_in_the_catalog_unit() {
    let work = run_v2();
    let rejects = rejects_by_file(&work);
    let key = |file: &str, rule: &str| (file.to_string(), rule.to_string());
    let nameless = &rejects[&key("numbers_in_a_row_without_a_name.xlsx", "UNKNOWN_INDICATOR")];
    assert_eq!(nameless.len(), 1, "{nameless:?}");
    assert_eq!(nameless[0].0, "B3");
    assert!(nameless[0].1.contains("指标名称为空"), "{nameless:?}");
    // 0.03 亿元 repeats 300 万元: the same amount, so the message says they agree.
    let repeated = &rejects[&key(
        "cached_empty_formula_far_styled_cell_minus_sign.xlsx",
        "DUPLICATE_VALUE",
    )];
    assert_eq!(repeated.len(), 1, "{repeated:?}");
    assert!(
        repeated[0].1.contains("两处数值一致") && !repeated[0].1.contains("不一致"),
        "{repeated:?}"
    );
}

#[test]
fn no_published_number_is_nan_or_infinite() {
    let work = run_v2();
    for (table, columns) in [
        ("fact_indicator", &["value"][..]),
        (
            "fact_comparison",
            &[
                "value",
                "yoy_pct",
                "change_pct",
                "cagr_pct",
                "percentile",
                "robust_z",
            ][..],
        ),
        (
            "entity_score",
            &["score", "completeness", "score_change"][..],
        ),
    ] {
        let frame = work.table(table);
        for row in &frame.rows {
            for column in columns {
                if let Some(value) = frame.get(row, column).float() {
                    assert!(value.is_finite(), "{table}.{column} = {value}");
                }
            }
        }
    }
}

#[test]
fn a_date_of_a_1904_date_system_workbook_reads_as_the_day_it_shows() {
    // 2022-01-15 is serial 43,114 in the 1904 date system, 44,576 in the 1900 one.
    let work = run_v2();
    let submissions = work.table("submissions");
    let filled: Vec<Option<i64>> = submissions
        .rows
        .iter()
        .filter(|row| {
            submissions.get(row, "source_file").str()
                == Some("filled_date_in_the_1904_date_system.xlsx")
        })
        .map(|row| submissions.get(row, "filled_date").int())
        .collect();
    let days_1970_to_2022_01_15 = 19_007;
    assert_eq!(filled, vec![Some(days_1970_to_2022_01_15)]);
}

#[test]
fn an_unlisted_enterprise_is_compared_in_the_industry_its_form_declares() {
    let work = run_v2();
    let submissions = work.table("submissions");
    let entity_of = |file: &str| {
        let row = submissions
            .rows
            .iter()
            .find(|row| submissions.get(row, "source_file").str() == Some(file))
            .unwrap_or_else(|| panic!("{file} has a submissions row"));
        submissions.get(row, "entity_id").str().unwrap().to_string()
    };
    let entities = work.table("dim_entity");
    let dim = |entity_id: &str| {
        let row = entities
            .rows
            .iter()
            .find(|row| entities.get(row, "entity_id").str() == Some(entity_id))
            .unwrap_or_else(|| panic!("{entity_id} is in dim_entity"));
        let text = |column: &str| entities.get(row, column).str().map(str::to_string);
        (
            text("industry_code"),
            text("peer_group"),
            entities.get(row, "in_roster").bool(),
        )
    };
    let coded = entity_of("unlisted_enterprise_industry_C3851.xlsx");
    // The second: a correction's 所属行业 describes the enterprise, whatever the files' paths.
    for entity in [&coded, &entity_of("unlisted_corrected_industry_更正.xlsx")] {
        assert_eq!(
            dim(entity),
            (
                Some("C3851".to_string()),
                Some("C38".to_string()),
                Some(false)
            ),
            "{entity}"
        );
    }
    let named = entity_of("unlisted_enterprise_industry_name_only.xlsx");
    assert_eq!(
        dim(&named),
        (None, Some("unknown".to_string()), Some(false))
    );
    // Its comparison rows sit in the declared industry's peer group, beside listed members.
    let comparison = work.table("fact_comparison");
    let peers: std::collections::BTreeSet<String> = comparison
        .rows
        .iter()
        .filter(|row| comparison.get(row, "peer_group").str() == Some("C38"))
        .filter_map(|row| comparison.get(row, "entity_id").str().map(str::to_string))
        .collect();
    assert!(peers.contains(&coded) && peers.len() > 1, "{peers:?}");
}

#[test]
fn a_header_that_names_a_year_but_makes_no_year_column_is_reported_with_its_count() {
    let work = run_v2();
    let rejects = rejects_by_file(&work);
    let of = |file: &str, rule: &str| -> BTreeMap<String, String> {
        rejects[&(file.to_string(), rule.to_string())]
            .iter()
            .cloned()
            .collect()
    };
    // Years written as formulas that were never calculated: the year is not guessed.
    let formulas = of("year_headers_as_formulas.xlsx", "FORMULA_NO_VALUE");
    assert_eq!(formulas.keys().collect::<Vec<_>>(), ["E1", "F1"]);
    assert!(formulas["E1"].contains("=D1+1") && formulas["E1"].contains("4 个数值未载入"));
    // Part of a year and a plan beside the whole years: warnings, the whole years loaded.
    let parts = of("part_of_year_columns.xlsx", "YEAR_OUTSIDE_WINDOW");
    assert_eq!(parts.keys().collect::<Vec<_>>(), ["G1", "H1"]);
    assert!(parts["G1"].contains("2021年1-9月") && parts["G1"].contains("4 个数值未载入"));
    assert!(parts["H1"].contains("2022年预计"));
    // A year merged over 目标值 | 完成值: the targets are plans, reported and not read.
    let targets = of(
        "years_merged_over_target_and_actual.xlsx",
        "YEAR_OUTSIDE_WINDOW",
    );
    assert_eq!(targets.keys().collect::<Vec<_>>(), ["D2", "F2", "H2"]);
    assert!(
        targets["D2"].contains("2019年目标值") && targets["D2"].contains("计划、目标或预计数"),
        "{targets:?}"
    );
    assert!(!rejects.contains_key(&(
        "years_merged_over_target_and_actual.xlsx".to_string(),
        "DUPLICATE_VALUE".to_string()
    )));
    // A year with a qualifier nobody listed: reported with its count, not read as 2021; a
    // growth column named after its year is no indicator's value and raises nothing.
    let qualified = of("year_headers_with_qualifiers.xlsx", "YEAR_OUTSIDE_WINDOW");
    assert_eq!(qualified.keys().collect::<Vec<_>>(), ["G1"]);
    assert!(
        qualified["G1"].contains("2021年测算值") && qualified["G1"].contains("4 个数值未载入"),
        "{qualified:?}"
    );
    let submissions = work.table("submissions");
    let years = |file: &str| {
        let row = (submissions.rows.iter())
            .find(|row| submissions.get(row, "source_file").str() == Some(file))
            .unwrap_or_else(|| panic!("{file} has a submissions row"));
        submissions.get(row, "years").str().map(str::to_string)
    };
    // The 2019 column headed 2020年 by mistake: each repeat points at the header.
    let twice = &rejects[&(
        "year_typed_twice_in_the_header.xlsx".to_string(),
        "DUPLICATE_VALUE".to_string(),
    )];
    assert_eq!(twice.len(), 4, "{twice:?}");
    assert!(
        (twice.iter()).all(|(_, message)| message.contains("本行有两列的表头都是2020年")),
        "{twice:?}"
    );
    // A repeated row is no header's fault.
    let rows = &rejects[&(
        "indicator_repeated_first_copy_empty.xlsx".to_string(),
        "DUPLICATE_VALUE".to_string(),
    )];
    assert!(
        !rows.iter().any(|(_, message)| message.contains("表头")),
        "{rows:?}"
    );
    assert_eq!(
        years("year_headers_as_formulas.xlsx").as_deref(),
        Some("2019")
    );
    // Every year header a formula: rejected, and the reason names the header cell.
    let reason = (submissions.rows.iter())
        .find(|row| {
            submissions.get(row, "source_file").str() == Some("year_headers_all_formulas.xlsx")
        })
        .and_then(|row| submissions.get(row, "reason").str())
        .unwrap_or_default();
    assert!(
        reason.contains("质量指标!D1")
            && reason.contains("年份表头")
            && reason.contains("=YEAR(TODAY())-3"),
        "{reason}"
    );
    assert_eq!(
        years("part_of_year_columns.xlsx").as_deref(),
        Some("2019,2020,2021")
    );
    assert_eq!(
        years("year_headers_with_qualifiers.xlsx").as_deref(),
        Some("2019,2020,2021")
    );
}
