//! The results for people, from outside: `zlbd run` writes report/index.html and the Excel packs
//! into the snapshot; `zlbd report` writes the same from a named snapshot; the packs open with
//! calamine, with sheet names Excel accepts.

use crate::common::{pipeline, read_table, repo, tree_bytes, Workdir};
use calamine::{open_workbook_auto, DataType, Reader};
use std::collections::{BTreeMap, BTreeSet};

const SECTIONS: [&str; 6] = [
    "completeness",
    "rejects",
    "trends",
    "ranks",
    "typical",
    "weak",
];

fn sample_run() -> Workdir {
    let work = Workdir::new();
    work.add_all(&repo().join("sample_data"));
    let ran = work.run();
    assert_eq!(ran.code, 3, "{ran:?}");
    // The summary says where the report is.
    let page = ran
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("report: "))
        .expect("the summary names the report");
    assert!(
        page.ends_with("index.html") && std::path::Path::new(page).is_file(),
        "{page}"
    );
    work
}

fn current(work: &Workdir) -> std::path::PathBuf {
    std::fs::canonicalize(work.warehouse().join("current")).unwrap()
}

#[test]
fn a_run_writes_the_report_into_its_snapshot_and_report_rewrites_the_same_bytes() {
    let work = sample_run();
    let snapshot = current(&work);
    let report = snapshot.join("report");
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    for id in SECTIONS {
        assert!(page.contains(&format!("<section id=\"{id}\"")), "{id}");
    }
    assert!(!page.contains("<script") && !page.contains("https://"));
    // The method section lists each weighted indicator of the enterprises' score with its
    // weight, as dim_indicator has them.
    let indicators = read_table(&snapshot, "dim_indicator");
    let weighted: Vec<(String, f64)> = (indicators.rows.iter())
        .filter(|r| indicators.get(r, "level").str() == Some("enterprise"))
        .filter_map(|r| {
            let weight = indicators.get(r, "weight").float()?;
            let name = indicators.get(r, "indicator_name").str()?.to_string();
            (weight > 0.0).then_some((name, weight))
        })
        .collect();
    let table = page
        .split("<table class=\"weights\" data-section=\"企业\">")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .expect("the enterprises' weights");
    assert_eq!(
        table.matches("<tr><td>").count(),
        weighted.len() + 1,
        "{table}"
    );
    for (name, _) in &weighted {
        assert!(table.contains(&format!("<tr><td>{name}</td>")), "{name}");
    }
    let total: f64 = weighted.iter().map(|(_, weight)| weight).sum();
    assert!(
        table.contains(&format!("<td class=\"n\">{total}</td><td></td></tr>")),
        "{table}"
    );
    // The truncated file has no submitter to stand for: it is listed under the completeness
    // table, with its reason, instead of vanishing from the page.
    let unattributed = page
        .split("<p id=\"unattributed\"")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .expect("a list of rejected files no roster entry stands for");
    assert!(
        unattributed.contains("企业_传输中断.xlsx") && unattributed.contains("无法读取"),
        "{unattributed}"
    );
    // A form rejected for a mistyped USCC carries a roster enterprise's name: it is that
    // enterprise's return, and the enterprise has a valid file, which the table shows; the
    // rejected one is listed under it with the valid one named, never left out.
    let bad_code = unattributed
        .split("<li>")
        .find(|item| item.contains("企业_枣庄正宇新能源有限公司_代码有误.xlsx"))
        .expect("the rejected file is listed");
    assert!(
        bad_code.contains("已另报有效文件“企业_枣庄正宇新能源有限公司.xlsx”"),
        "{bad_code}"
    );
    let names: BTreeSet<String> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    for name in [
        "典型示范名单.xlsx",
        "比对排名.xlsx",
        "报送情况.xlsx",
        "城市_青岛市.xlsx",
    ] {
        assert!(names.contains(name), "{names:?}");
    }
    // Nothing of the report's staging is left beside the snapshots.
    let hidden: Vec<String> = std::fs::read_dir(snapshot.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");

    // `zlbd report --snapshot` gives the same bytes: the report is a function of the snapshot.
    let run_id = snapshot.file_name().unwrap().to_string_lossy().to_string();
    let out = work.dir.path().join("out");
    let ran = work.zlbd(&[
        "report",
        "--pipeline",
        pipeline().to_str().unwrap(),
        "--warehouse",
        work.warehouse().to_str().unwrap(),
        "--snapshot",
        &run_id,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(tree_bytes(&out), tree_bytes(&report));

    // A rerun on the unchanged inbox leaves the report as it was.
    let before = tree_bytes(&snapshot);
    assert_eq!(work.run().code, 3);
    assert_eq!(tree_bytes(&current(&work)), before);
}

/// The column of a sheet whose header is `label`.
fn header_of(sheet: &calamine::Range<calamine::Data>, label: &str) -> usize {
    (sheet.rows().next().unwrap().iter())
        .position(|cell| *cell == label)
        .unwrap_or_else(|| panic!("no column {label}"))
}

#[test]
fn the_packs_hold_the_typical_list_and_one_rank_sheet_per_group() {
    let work = sample_run();
    let snapshot = current(&work);
    let report = snapshot.join("report");
    let mut typical = open_workbook_auto(report.join("典型示范名单.xlsx")).unwrap();
    let sheet = typical.worksheet_range("典型示范").unwrap();
    assert_eq!(sheet.rows().count(), 1 + 50);
    // Each pick's warnings are counted beside it: its numbers are still to be checked.
    let rejects = read_table(&snapshot, "rejects");
    let mut header = sheet.rows().next().unwrap().iter().map(|c| c.to_string());
    let (id, count) = (
        header.clone().position(|h| h == "代码").unwrap(),
        header.position(|h| h == "待核实警告（条）").unwrap(),
    );
    // Only warnings on values the scores use count: INCONSISTENT and YOY_JUMP on values of
    // active forms (rolled-up values have no form), not a year column left out.
    let submissions = read_table(&snapshot, "submissions");
    let active: BTreeSet<&str> = (submissions.rows.iter())
        .filter(|r| submissions.get(r, "status").str() == Some("active"))
        .filter_map(|r| submissions.get(r, "submission_id").str())
        .collect();
    let (mut flagged, mut other_warnings) = (0, 0);
    for row in sheet.rows().skip(1) {
        let entity = row[id].to_string();
        let of_entity = || {
            (rejects.rows.iter())
                .filter(|r| rejects.get(r, "entity_id").str() == Some(entity.as_str()))
                .filter(|r| rejects.get(r, "severity").str() == Some("warning"))
        };
        let expected = of_entity()
            .filter(|r| {
                matches!(
                    rejects.get(r, "rule").str(),
                    Some("INCONSISTENT" | "YOY_JUMP")
                )
            })
            .filter(|r| {
                rejects
                    .get(r, "submission_id")
                    .str()
                    .is_none_or(|id| id.is_empty() || active.contains(id))
            })
            .count();
        assert_eq!(row[count].get_float(), Some(expected as f64), "{row:?}");
        flagged += usize::from(expected > 0);
        other_warnings += usize::from(of_entity().count() > expected);
    }
    // Each pick names the indicators with a value in the last year and none in the first:
    // their contribution is not an improvement (and is left out of the top three).
    let detail = read_table(&snapshot, "entity_score_detail");
    let names: BTreeMap<String, String> = {
        let indicators = read_table(&snapshot, "dim_indicator");
        (indicators.rows.iter())
            .map(|r| {
                (
                    indicators
                        .get(r, "indicator_code")
                        .str()
                        .unwrap()
                        .to_string(),
                    indicators
                        .get(r, "indicator_name")
                        .str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    };
    let new_column = header_of(&sheet, "2019年无数据的指标");
    let mut named = 0;
    for row in sheet.rows().skip(1) {
        let entity = row[id].to_string();
        let codes_in = |year: i64| -> BTreeSet<String> {
            (detail.rows.iter())
                .filter(|r| detail.get(r, "entity_id").str() == Some(entity.as_str()))
                .filter(|r| detail.get(r, "year").int() == Some(year))
                .map(|r| detail.get(r, "indicator_code").str().unwrap().to_string())
                .collect()
        };
        let expected: BTreeSet<String> = codes_in(2021)
            .difference(&codes_in(2019))
            .map(|code| names[code].clone())
            .collect();
        let listed: BTreeSet<String> = row[new_column]
            .to_string()
            .split('、')
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(listed, expected, "{row:?}");
        named += usize::from(!expected.is_empty());
    }
    assert!(
        named > 0,
        "the sample has a pick with an indicator new in the last year"
    );
    assert!(flagged > 0, "the sample has a typical pick with warnings");
    assert!(
        other_warnings > 0,
        "and one with a warning that is not counted"
    );

    let scores = read_table(&snapshot, "entity_score");
    let groups: BTreeSet<(String, String)> = scores
        .rows
        .iter()
        .filter(|row| scores.get(row, "year").int() == Some(2021))
        .map(|row| {
            (
                scores.get(row, "level").str().unwrap().to_string(),
                scores.get(row, "score_group").str().unwrap().to_string(),
            )
        })
        .collect();
    let mut ranks = open_workbook_auto(report.join("比对排名.xlsx")).unwrap();
    let sheets = ranks.sheet_names();
    assert_eq!(sheets.len(), groups.len(), "{sheets:?}");
    // Each rank sheet's rows read back with the scores of entity_score (the sheets are
    // streamed to the pack, their texts inline): every entity scored in the last year once.
    let scored: BTreeSet<(String, u64)> = scores
        .rows
        .iter()
        .filter(|row| scores.get(row, "year").int() == Some(2021))
        .filter_map(|row| {
            let score = scores.get(row, "score").float()?;
            let id = scores.get(row, "entity_id").str()?;
            Some((id.to_string(), score.to_bits()))
        })
        .collect();
    // Enterprises whose groups were all too small are 其他, not 全部: the level has other
    // groups, so `all` there is not the whole level.
    assert!(groups.contains(&("enterprise".to_string(), "all".to_string())));
    assert!(sheets.contains(&"企业_其他".to_string()), "{sheets:?}");
    assert!(!sheets.contains(&"企业_全部".to_string()), "{sheets:?}");
    assert!(sheets.contains(&"园区_全部".to_string()), "{sheets:?}");
    let entities = read_table(&snapshot, "dim_entity");
    let unlisted: BTreeSet<String> = entities
        .rows
        .iter()
        .filter(|row| entities.get(row, "in_roster").bool() == Some(false))
        .map(|row| entities.get(row, "entity_id").str().unwrap().to_string())
        .collect();
    let (mut marked, mut ranked) = (BTreeSet::new(), BTreeSet::new());
    let mut listed = BTreeSet::new();
    for name in &sheets {
        let range = ranks.worksheet_range(name).unwrap();
        let mut rows = range.rows();
        let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
        let at = |label: &str| header.iter().position(|h| h == label).unwrap();
        let (id, score) = (at("代码"), at("综合得分"));
        let off_roster = at("名单外");
        for row in rows.clone() {
            ranked.insert(row[id].to_string());
            if row[off_roster] == "是" {
                marked.insert(row[id].to_string());
            }
        }
        // An indicator's rank is among its comparison group, not the sheet's score group.
        assert!(
            header.iter().any(|h| h.ends_with("比对组内排名")),
            "{name}: {header:?}"
        );
        for row in rows {
            if let Some(value) = row[score].get_float() {
                assert!(
                    listed.insert((row[id].to_string(), value.to_bits())),
                    "{name}: {row:?}"
                );
            }
        }
    }
    // Every ranked entity off the roster is marked, and no other.
    assert!(!marked.is_empty());
    let expected: BTreeSet<String> = ranked.intersection(&unlisted).cloned().collect();
    assert_eq!(marked, expected);
    assert!(scored.len() > 100, "{}", scored.len());
    assert_eq!(listed, scored);
    let unique: BTreeSet<String> = sheets.iter().map(|s| s.to_lowercase()).collect();
    assert_eq!(unique.len(), sheets.len());
    for name in &sheets {
        assert!(name.chars().count() <= 31, "{name}");
        assert!(
            !name.contains([':', '/', '\\', '?', '*', '[', ']']),
            "{name}"
        );
    }

    let mut status = open_workbook_auto(report.join("报送情况.xlsx")).unwrap();
    let all = status.worksheet_range("全部名单").unwrap();
    let header: Vec<String> = all
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(header.contains(&"填报人".to_string()) && header.contains(&"联系电话".to_string()));
    assert_eq!(all.rows().count(), 1 + 159 + 17 + 16);
    // Forms received with cells still empty are listed for 补报: its enterprises are those
    // roster_status calls partial.
    let roster_status = read_table(&snapshot, "roster_status");
    let expected: BTreeSet<String> = roster_status
        .rows
        .iter()
        .filter(|row| roster_status.get(row, "level").str() == Some("enterprise"))
        .filter(|row| roster_status.get(row, "status").str() == Some("partial"))
        .map(|row| {
            roster_status
                .get(row, "entity_id")
                .str()
                .unwrap()
                .to_string()
        })
        .collect();
    let partial = status.worksheet_range("未报齐（补报）").unwrap();
    let listed: BTreeSet<String> = partial
        .rows()
        .skip(1)
        .filter(|row| row[0] == "企业")
        .map(|row| row[1].to_string())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(listed, expected);

    let mut city = open_workbook_auto(report.join("城市_青岛市.xlsx")).unwrap();
    assert_eq!(
        city.sheet_names(),
        ["企业", "园区", "重点行业", "全省重点行业", "薄弱环节"]
    );
    let enterprises = city.worksheet_range("企业").unwrap();
    assert!(enterprises.rows().count() > 1);
}

#[test]
fn report_without_a_snapshot_is_a_usage_error() {
    let work = Workdir::new();
    let ran = work.zlbd(&[
        "report",
        "--pipeline",
        pipeline().to_str().unwrap(),
        "--warehouse",
        work.warehouse().to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("snapshot"), "{}", ran.stderr);
    let ran = work.zlbd(&[
        "report",
        "--pipeline",
        pipeline().to_str().unwrap(),
        "--warehouse",
        work.warehouse().to_str().unwrap(),
        "--snapshot",
        "../etc",
    ]);
    assert_eq!(ran.code, 2, "{ran:?}");
}
