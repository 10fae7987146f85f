//! zlbd's own third-party fixtures (tests/fixtures, written by openpyxl, xlwt and LibreOffice;
//! see make_fixtures.py): every SPEC §3.4 variation cell by cell and every bad-file case.

use crate::common::*;
use std::collections::BTreeMap;

fn fixtures() -> std::path::PathBuf {
    repo().join("tests/fixtures")
}

fn run_fixtures() -> (Workdir, Ran) {
    let work = Workdir::new();
    work.add_all(&fixtures().join("inbox"));
    let ran = work.run();
    (work, ran)
}

#[test]
fn variations_in_xlsx_xls_and_ods_get_their_expected_outcome() {
    let (work, ran) = run_fixtures();
    assert_eq!(
        ran.code, 3,
        "bad files and rejects mean exit 3, and the run goes on: {ran:?}"
    );
    assert_matches_truth(&work, &fixtures().join("truth.json"));
}

#[test]
fn every_bad_file_is_rejected_with_a_reason_that_says_what_to_do() {
    let (work, _) = run_fixtures();
    let reasons = file_outcomes(&work);
    let expected = [
        ("bad_empty.xlsx", "rejected", "文件为空"),
        ("bad_truncated.xlsx", "rejected", "损坏"),
        ("bad_random.xls", "rejected", "损坏"),
        ("bad_html.xlsx", "rejected", "HTML"),
        ("bad_csv.xls", "rejected", "CSV"),
        ("bad_encrypted.xlsx", "rejected", "取消密码"),
        ("bad_unrecognised.xlsx", "rejected", "无法识别"),
        ("bad_no_uscc.xlsx", "rejected", "统一社会信用代码"),
        ("bad_uscc.xlsx", "rejected", "校验位"),
        ("bad_zipbomb.xlsx", "rejected", "解压后过大"),
        ("bad_too_many_rows.xlsx", "rejected", "100000行"),
        // A stray cell at IV65536 (xlwt) and a cell repeated over 90,000 × 1,000 positions
        // (LibreOffice, then edited): refused from their records before calamine lays them out.
        ("bad_far_cell.xls", "rejected", "65536行×256列"),
        ("bad_repeat_bomb.ods", "rejected", "90002行×1000列"),
        ("~$lock.xlsx", "ignored", "锁文件"),
        (".hidden.xlsx", "ignored", "隐藏文件"),
        ("._resource_fork.xlsx", "ignored", "隐藏文件"),
        ("说明.pdf", "ignored", "非电子表格"),
    ];
    for (file, status, reason) in expected {
        let (got_status, got_reason) = reasons
            .get(file)
            .unwrap_or_else(|| panic!("no submissions row for {file}"));
        assert_eq!(got_status, status, "{file}");
        assert!(
            got_reason.contains(reason),
            "{file}: {got_reason:?} should mention {reason:?}"
        );
    }
    // The wrong USCC is also a rejects row naming the cell.
    let rejects = work.table("rejects");
    let bad = rejects
        .rows
        .iter()
        .find(|row| rejects.get(row, "rule").str() == Some("BAD_USCC"))
        .expect("a BAD_USCC row");
    assert_eq!(rejects.get(bad, "source_file").str(), Some("bad_uscc.xlsx"));
    assert_eq!(rejects.get(bad, "source_cell").str(), Some("B2"));
    assert_eq!(rejects.get(bad, "severity").str(), Some("error"));
}

#[test]
fn nothing_is_lost_from_the_accepted_fixtures() {
    let (work, _) = run_fixtures();
    let truth = load_truth(&fixtures().join("truth.json"));
    let mut cells: BTreeMap<&str, i64> = BTreeMap::new();
    for cell in &truth.cells {
        *cells.entry(cell.file.as_str()).or_insert(0) += 1;
    }
    let submissions = work.table("submissions");
    for row in &submissions.rows {
        let file = submissions.get(row, "source_file").str().unwrap();
        if submissions.get(row, "status").str() != Some("active") {
            continue;
        }
        let total: i64 = [
            "cells_loaded",
            "cells_superseded",
            "cells_rejected",
            "cells_missing",
        ]
        .iter()
        .map(|name| submissions.get(row, name).int().unwrap())
        .sum();
        assert_eq!(total, cells[file], "{file}");
    }
}

#[test]
fn warnings_are_written_beside_loaded_values() {
    let (work, _) = run_fixtures();
    let rejects = work.table("rejects");
    let rules: Vec<(String, String)> = rejects
        .rows
        .iter()
        .filter(|row| rejects.get(row, "severity").str() == Some("warning"))
        .map(|row| {
            (
                rejects.get(row, "source_file").str().unwrap().to_string(),
                rejects.get(row, "rule").str().unwrap().to_string(),
            )
        })
        .collect();
    for (file, rule) in [
        ("enterprise_openpyxl_variations.xlsx", "UNKNOWN_INDICATOR"),
        ("park_xlwt.xls", "INCONSISTENT"),
        ("city_qingdao.ods", "YEAR_OUTSIDE_WINDOW"),
    ] {
        assert!(
            rules.contains(&(file.to_string(), rule.to_string())),
            "{file} {rule} in {rules:?}"
        );
    }
    // SPEC v2 §3.3: Qingdao's row for an industry that is none of its own was loaded with a
    // NOT_IN_ROSTER warning; now each of its cells is an UNKNOWN_INDUSTRY error. The row
    // belongs to no entity, so each reject names the submitter, the city (§5).
    let unknown_industry: Vec<_> = rejects
        .rows
        .iter()
        .filter(|row| {
            rejects.get(row, "source_file").str() == Some("city_qingdao.ods")
                && rejects.get(row, "rule").str() == Some("UNKNOWN_INDUSTRY")
                && rejects.get(row, "severity").str() == Some("error")
        })
        .collect();
    assert_eq!(unknown_industry.len(), 9);
    for row in unknown_industry {
        assert_eq!(rejects.get(row, "level").str(), Some("city"));
        assert_eq!(rejects.get(row, "entity_id").str(), Some("370200"));
    }
    // The park's P03 > P02 in 2021 is loaded all the same.
    let facts = work.table("fact_indicator");
    assert!(facts
        .rows
        .iter()
        .any(|row| facts.get(row, "entity_id").str() == Some("P05")
            && facts.get(row, "indicator_code").str() == Some("P03")
            && facts.get(row, "year").int() == Some(2021)
            && facts.get(row, "value").float() == Some(130.0)));
}

/// Files the fuzzer found that broke calamine or zlbd: (file, status, words of the reason).
/// Each gets its outcome, and the run goes on.
const FUZZER_FINDINGS: [(&str, &str, &str); 10] = [
    // An OLE sector table that loops: calamine's buffer grew to gigabytes.
    ("cyclic_fat_oom.xls", "rejected", "损坏"),
    // A truncated last sector: calamine sliced out of bounds.
    ("truncated_sector_panic.xls", "rejected", "损坏"),
    // A directory entry whose stream starts past the end of the file.
    ("stream_start_beyond_end.xls", "rejected", "损坏"),
    // An xlsx cell reference that overflows calamine's column arithmetic (a panic where
    // overflow checks are on, as in tests and the fuzzer): caught, the file is rejected.
    ("cell_reference_overflow.xlsx", "rejected", "结构异常"),
    // Two cell records 65,536 columns apart: calamine would allocate the dense box (3 GB).
    ("far_apart_cell_records.xls", "rejected", "数据范围过大"),
    // A DIMENSIONS record claiming millions of rows: calamine reserves them up front.
    (
        "dimensions_beyond_row_limit.xls",
        "rejected",
        "数据范围过大",
    ),
    // A merged region whose last row is above its first: zlbd's own merge fill overflowed.
    // The rest of the file is a good return and is read.
    ("inverted_merge_region.xls", "active", ""),
    // content.xml that ends inside a table (after a mismatched end tag): calamine waited for
    // the table's end tag forever.
    ("ods_ends_inside_table.ods", "rejected", "损坏"),
    // A cell spanning zero rows: zlbd's merge arithmetic underflowed. Read like any other file
    // (this one's mutated content no longer matches a form).
    ("ods_zero_row_span.ods", "rejected", "无法识别报表类型"),
    // A table closed by a mistyped end tag: calamine reads on into the next table and its
    // million repeated rows (470 MB); zlbd now measures it the same way and refuses it first.
    ("ods_table_closed_by_wrong_tag.ods", "rejected", "100000行"),
];

#[test]
fn files_the_fuzzer_found_get_their_outcome_and_the_run_goes_on() {
    let work = Workdir::new();
    for (name, _, _) in FUZZER_FINDINGS {
        work.add(&fixtures().join("regressions").join(name), name);
    }
    work.add_all(&shared_fixtures().join("inbox"));
    let ran = work.run();
    assert_eq!(ran.code, 3, "{ran:?}");
    let by_file = file_outcomes(&work);
    for (name, status, reason) in FUZZER_FINDINGS {
        let (got_status, got_reason) = &by_file[name];
        assert_eq!(got_status, status, "{name}: {got_reason}");
        assert!(got_reason.contains(reason), "{name}: {got_reason}");
    }
    // The real .xls of the shared fixtures is still read.
    assert_eq!(by_file["enterprise_libreoffice.xls"].0, "active");
    assert!(work.table("fact_indicator").rows.len() > 300);
}
