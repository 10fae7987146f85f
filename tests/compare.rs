//! SPEC §7 formulas on small hand-computed frames (the `tests/data/mini` pipeline), plus
//! property tests of the invariants the province relies on.

use polars::prelude::*;
use proptest::prelude::*;
use std::collections::HashSet;
use zlbd::compare::{compare, Compared};
use zlbd::config::Plan;

const E: [&str; 7] = [
    "91370100AAAA00001T",
    "91370100AAAA00002X",
    "91370100AAAA000031",
    "91370100AAAA000044",
    "91370100AAAA000057",
    "91370100AAAA00006A",
    "91370200AAAA00007J",
];

fn plan() -> Plan {
    Plan::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mini")).unwrap()
}

type Fact<'a> = (&'a str, &'a str, &'a str, i32, f64);

fn facts(rows: &[Fact]) -> DataFrame {
    let text = |pick: &dyn Fn(&Fact) -> String| rows.iter().map(pick).collect::<Vec<_>>();
    let none = vec![None::<String>; rows.len()];
    DataFrame::new_infer_height(vec![
        Column::new("level".into(), text(&|r| r.0.to_string())),
        Column::new("entity_id".into(), text(&|r| r.1.to_string())),
        Column::new("indicator_code".into(), text(&|r| r.2.to_string())),
        Column::new("year".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
        Column::new("value".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()),
        Column::new("unit".into(), text(&|_| "万元".to_string())),
        Column::new("raw_value".into(), text(&|r| r.4.to_string())),
        Column::new("source_file".into(), text(&|_| "f.xlsx".to_string())),
        Column::new("source_sheet".into(), text(&|_| "s".to_string())),
        Column::new("source_cell".into(), text(&|_| "A1".to_string())),
        Column::new("submission_id".into(), none),
        Column::new("is_derived".into(), vec![false; rows.len()]),
    ])
    .unwrap()
}

fn run(rows: &[Fact]) -> Compared {
    compare(&plan(), facts(rows), &[], &HashSet::new()).unwrap()
}

/// One cell of a result frame, by key columns.
fn cell(frame: &DataFrame, key: &[(&str, AnyValue)], column: &str) -> AnyValue<'static> {
    let mut mask = BooleanChunked::full("m".into(), true, frame.height());
    for (name, value) in key {
        let column = frame.column(name).unwrap().as_materialized_series().clone();
        let equal: BooleanChunked = match value {
            AnyValue::String(text) => column.str().unwrap().equal(*text),
            AnyValue::Int32(number) => column.i32().unwrap().equal(*number),
            other => panic!("unsupported key {other:?}"),
        };
        mask = &mask & &equal;
    }
    let rows = frame.filter(&mask).unwrap();
    assert_eq!(
        rows.height(),
        1,
        "expected one row for {key:?}, got {}",
        rows.height()
    );
    rows.column(column).unwrap().get(0).unwrap().into_static()
}

fn comparison(
    result: &Compared,
    level: &str,
    entity: &str,
    code: &str,
    year: i32,
    column: &str,
) -> AnyValue<'static> {
    cell(
        &result.comparison,
        &[
            ("level", AnyValue::String(level)),
            ("entity_id", AnyValue::String(entity)),
            ("indicator_code", AnyValue::String(code)),
            ("year", AnyValue::Int32(year)),
        ],
        column,
    )
}

fn float(value: AnyValue) -> Option<f64> {
    match value {
        AnyValue::Null => None,
        other => other.extract::<f64>(),
    }
}

fn text(value: AnyValue) -> Option<String> {
    match value {
        AnyValue::Null => None,
        AnyValue::String(text) => Some(text.to_string()),
        AnyValue::StringOwned(text) => Some(text.to_string()),
        other => Some(other.to_string()),
    }
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.unwrap_or_else(|| panic!("expected {expected}, got null"));
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}

#[test]
fn year_over_year_change_and_cagr() {
    let r = run(&[
        ("enterprise", E[0], "E01", 2019, 100.0),
        ("enterprise", E[0], "E01", 2020, 110.0),
        ("enterprise", E[0], "E01", 2021, 121.0),
    ]);
    let get = |year, column| float(comparison(&r, "enterprise", E[0], "E01", year, column));
    assert_eq!(get(2019, "prev_value"), None);
    assert_eq!(get(2019, "yoy_pct"), None);
    assert_eq!(get(2019, "cagr_pct"), None, "no CAGR at the first year");
    close(get(2020, "yoy_abs"), 10.0);
    close(get(2020, "yoy_pct"), 10.0);
    close(get(2021, "yoy_pct"), 10.0);
    close(get(2021, "first_value"), 100.0);
    close(get(2021, "change_abs"), 21.0);
    close(get(2021, "change_pct"), 21.0);
    close(get(2021, "cagr_pct"), 10.0);
    assert_eq!(
        comparison(&r, "enterprise", E[0], "E01", 2021, "improved"),
        AnyValue::Boolean(true)
    );
    assert_eq!(
        comparison(&r, "enterprise", E[0], "E01", 2019, "improved"),
        AnyValue::Null
    );
}

#[test]
fn zero_and_negative_bases() {
    let r = run(&[
        ("enterprise", E[0], "E01", 2019, 0.0),
        ("enterprise", E[0], "E01", 2020, 50.0),
        ("enterprise", E[0], "E01", 2021, 50.0),
        ("enterprise", E[1], "E01", 2019, -50.0),
        ("enterprise", E[1], "E01", 2020, -25.0),
        ("enterprise", E[1], "E01", 2021, 10.0),
    ]);
    let get =
        |entity, year, column| float(comparison(&r, "enterprise", entity, "E01", year, column));
    assert_eq!(
        get(E[0], 2020, "yoy_pct"),
        None,
        "prev = 0 gives no percentage"
    );
    close(get(E[0], 2020, "yoy_abs"), 50.0);
    assert_eq!(get(E[0], 2021, "change_pct"), None);
    assert_eq!(
        get(E[0], 2021, "cagr_pct"),
        None,
        "CAGR needs positive ends"
    );
    close(get(E[0], 2021, "yoy_pct"), 0.0);
    assert_eq!(
        comparison(&r, "enterprise", E[0], "E01", 2021, "improved"),
        AnyValue::Boolean(false),
        "equal is not improved"
    );
    // Against |prev|: -50 → -25 is +50 %.
    close(get(E[1], 2020, "yoy_pct"), 50.0);
    close(get(E[1], 2021, "change_pct"), 120.0);
    assert_eq!(get(E[1], 2021, "cagr_pct"), None);
}

#[test]
fn a_missing_year_leaves_prev_null_but_keeps_change_since_first() {
    let r = run(&[
        ("enterprise", E[0], "E01", 2019, 100.0),
        ("enterprise", E[0], "E01", 2021, 144.0),
    ]);
    let get = |column| float(comparison(&r, "enterprise", E[0], "E01", 2021, column));
    assert_eq!(get("prev_value"), None);
    assert_eq!(get("yoy_pct"), None);
    assert_eq!(
        comparison(&r, "enterprise", E[0], "E01", 2021, "improved"),
        AnyValue::Null
    );
    close(get("change_pct"), 44.0);
    close(get("cagr_pct"), 20.0);
}

#[test]
fn ties_share_the_lowest_rank_and_percentiles_follow() {
    let r = run(&[
        ("enterprise", E[0], "E01", 2021, 10.0),
        ("enterprise", E[1], "E01", 2021, 20.0),
        ("enterprise", E[2], "E01", 2021, 20.0),
        ("enterprise", E[3], "E01", 2021, 30.0),
    ]);
    let rank = |entity| comparison(&r, "enterprise", entity, "E01", 2021, "rank").extract::<i64>();
    assert_eq!(
        [rank(E[3]), rank(E[1]), rank(E[2]), rank(E[0])],
        [Some(1), Some(2), Some(2), Some(4)]
    );
    let get = |entity, column| float(comparison(&r, "enterprise", entity, "E01", 2021, column));
    close(get(E[3], "percentile"), 100.0);
    close(get(E[1], "percentile"), 100.0 * 2.0 / 3.0);
    close(get(E[0], "percentile"), 0.0);
    close(get(E[0], "peer_median"), 20.0);
    close(get(E[0], "peer_best"), 30.0);
    close(get(E[0], "gap_to_best"), 20.0);
    assert_eq!(
        comparison(&r, "enterprise", E[0], "E01", 2021, "peer_n").extract::<i64>(),
        Some(4)
    );
    assert_eq!(get(E[0], "robust_z"), None, "fewer than 5 peers");
    // SPEC v2 §7: anomaly is null where robust_z is null (it was false).
    assert_eq!(
        comparison(&r, "enterprise", E[0], "E01", 2021, "anomaly"),
        AnyValue::Null
    );
}

#[test]
fn lower_is_better_ranks_and_improvement() {
    let r = run(&[
        ("enterprise", E[0], "E08", 2020, 3.0),
        ("enterprise", E[0], "E08", 2021, 1.0),
        ("enterprise", E[1], "E08", 2021, 2.0),
        ("enterprise", E[2], "E08", 2021, 3.0),
    ]);
    let rank = |entity| comparison(&r, "enterprise", entity, "E08", 2021, "rank").extract::<i64>();
    assert_eq!(
        [rank(E[0]), rank(E[1]), rank(E[2])],
        [Some(1), Some(2), Some(3)]
    );
    close(
        float(comparison(&r, "enterprise", E[2], "E08", 2021, "peer_best")),
        1.0,
    );
    assert_eq!(
        comparison(&r, "enterprise", E[0], "E08", 2021, "improved"),
        AnyValue::Boolean(true)
    );
}

#[test]
fn a_group_of_one_is_its_own_best() {
    // E[6] is the only enterprise in industry C36.
    let r = run(&[
        ("enterprise", E[6], "E01", 2021, 5.0),
        ("enterprise", E[0], "E01", 2021, 9.0),
    ]);
    let get = |column| comparison(&r, "enterprise", E[6], "E01", 2021, column);
    assert_eq!(text(get("peer_group")).as_deref(), Some("C36"));
    assert_eq!(get("peer_n").extract::<i64>(), Some(1));
    assert_eq!(get("rank").extract::<i64>(), Some(1));
    close(float(get("percentile")), 100.0);
}

#[test]
fn robust_z_flags_an_outlier_among_five() {
    let values = [1.0, 2.0, 3.0, 4.0, 100.0];
    let rows: Vec<Fact> = values
        .iter()
        .enumerate()
        .map(|(i, v)| ("enterprise", E[i], "E08", 2021, *v))
        .collect();
    let r = run(&rows);
    // A rate (E08): robust z on the values themselves (amounts use ln, see below).
    // median 3, absolute deviations 2 1 0 1 97 → MAD 1.
    let z = float(comparison(&r, "enterprise", E[4], "E08", 2021, "robust_z"));
    close(z, 97.0 / 1.4826);
    assert_eq!(
        comparison(&r, "enterprise", E[4], "E08", 2021, "anomaly"),
        AnyValue::Boolean(true)
    );
    close(
        float(comparison(&r, "enterprise", E[0], "E08", 2021, "robust_z")),
        -2.0 / 1.4826,
    );
    assert_eq!(
        comparison(&r, "enterprise", E[0], "E08", 2021, "anomaly"),
        AnyValue::Boolean(false)
    );
}

#[test]
fn robust_z_is_null_when_mad_is_zero() {
    let values = [5.0, 5.0, 5.0, 5.0, 9.0];
    let rows: Vec<Fact> = values
        .iter()
        .enumerate()
        .map(|(i, v)| ("enterprise", E[i], "E01", 2021, *v))
        .collect();
    let r = run(&rows);
    assert_eq!(
        float(comparison(&r, "enterprise", E[4], "E01", 2021, "robust_z")),
        None
    );
}

fn score(r: &Compared, entity: &str, year: i32, column: &str) -> AnyValue<'static> {
    cell(
        &r.scores,
        &[
            ("level", AnyValue::String("enterprise")),
            ("entity_id", AnyValue::String(entity)),
            ("year", AnyValue::Int32(year)),
        ],
        column,
    )
}

#[test]
fn composite_score_pools_years_inverts_lower_and_drops_all_equal_indicators() {
    // E01 higher (w 1), E08 lower (w 1), E14 flag (w 2) all equal → left out.
    let r = run(&[
        ("enterprise", E[0], "E01", 2019, 100.0),
        ("enterprise", E[0], "E08", 2019, 4.0),
        ("enterprise", E[0], "E14", 2019, 1.0),
        ("enterprise", E[0], "E01", 2021, 300.0),
        ("enterprise", E[0], "E08", 2021, 2.0),
        ("enterprise", E[0], "E14", 2021, 1.0),
        ("enterprise", E[1], "E01", 2021, 200.0),
        ("enterprise", E[1], "E08", 2021, 1.0),
        ("enterprise", E[1], "E14", 2021, 1.0),
    ]);
    // Pooled E01: min 100, max 300. E08: min 1, max 4 (inverted).
    // E[0] 2019: E01 0, E08 0 → score 0. E[0] 2021: E01 100, E08 (4-2)/3*100 = 66.67 → 83.33.
    // E[1] 2021: E01 50, E08 100 → 75.
    close(float(score(&r, E[0], 2019, "score")), 0.0);
    close(
        float(score(&r, E[0], 2021, "score")),
        (100.0 + 200.0 / 3.0) / 2.0,
    );
    close(float(score(&r, E[1], 2021, "score")), 75.0);
    close(float(score(&r, E[0], 2021, "completeness")), 100.0);
    close(
        float(score(&r, E[0], 2021, "score_change")),
        (100.0 + 200.0 / 3.0) / 2.0,
    );
    assert_eq!(
        score(&r, E[0], 2021, "score_rank").extract::<i64>(),
        Some(1)
    );
    assert_eq!(
        score(&r, E[1], 2021, "score_rank").extract::<i64>(),
        Some(2)
    );
    assert_eq!(
        score(&r, E[1], 2021, "score_change"),
        AnyValue::Null,
        "no first-year score"
    );
    let detail_codes: HashSet<String> = r
        .score_detail
        .column("indicator_code")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    assert!(
        !detail_codes.contains("E14"),
        "an all-equal indicator is left out"
    );
    let contribution = cell(
        &r.score_detail,
        &[
            ("entity_id", AnyValue::String(E[1])),
            ("year", AnyValue::Int32(2021)),
            ("indicator_code", AnyValue::String("E08")),
        ],
        "contribution",
    );
    close(float(contribution), 50.0);
}

#[test]
fn low_completeness_gives_no_score() {
    // E01 and E08 both vary; E[2] reports only E01 in 2021: completeness 50 < 60.
    let r = run(&[
        ("enterprise", E[0], "E01", 2021, 1.0),
        ("enterprise", E[0], "E08", 2021, 1.0),
        ("enterprise", E[1], "E01", 2021, 2.0),
        ("enterprise", E[1], "E08", 2021, 2.0),
        ("enterprise", E[2], "E01", 2021, 3.0),
    ]);
    close(float(score(&r, E[2], 2021, "completeness")), 50.0);
    assert_eq!(score(&r, E[2], 2021, "score"), AnyValue::Null);
    assert_eq!(score(&r, E[2], 2021, "score_rank"), AnyValue::Null);
    assert_eq!(score(&r, E[0], 2021, "peer_n").extract::<i64>(), Some(2));
}

#[test]
fn typical_picks_follow_quota_and_tie_breaks() {
    // Quota 2 enterprises. Pooled E01 min 0, max 2, so a value v scores 50·v.
    // Changes: E1 0→2 +100; E0 1→2 +50 (score 100); E4 0→1 +50 (score 50); E2 1→1.5 +25.
    let mut rows = Vec::new();
    for (entity, first, last) in [
        (E[0], 1.0, 2.0),
        (E[1], 0.0, 2.0),
        (E[2], 1.0, 1.5),
        (E[4], 0.0, 1.0),
    ] {
        rows.push(("enterprise", entity, "E01", 2019, first));
        rows.push(("enterprise", entity, "E01", 2021, last));
    }
    let mut errors = HashSet::new();
    let r = compare(&plan(), facts(&rows), &[], &errors).unwrap();
    let picked = |r: &Compared, entity| score(r, entity, 2021, "typical_rank").extract::<i64>();
    let order = |r: &Compared| {
        [
            picked(r, E[1]),
            picked(r, E[0]),
            picked(r, E[4]),
            picked(r, E[2]),
        ]
    };
    assert_eq!(order(&r), [Some(1), Some(2), None, None]);
    assert_eq!(
        score(&r, E[1], 2019, "typical"),
        AnyValue::Boolean(false),
        "only the last year is marked"
    );
    // An entity with error rejects cannot be typical; the tie on +50 goes to the higher score.
    errors.insert(("enterprise".to_string(), E[1].to_string()));
    let r = compare(&plan(), facts(&rows), &[], &errors).unwrap();
    assert_eq!(order(&r), [None, Some(1), Some(2), None]);
}

#[test]
fn province_industries_roll_up_sums_and_weighted_means() {
    let r = run(&[
        ("province_industry_city", "PI01-370100", "I01", 2021, 10.0),
        ("province_industry_city", "PI01-370100", "I05", 2021, 90.0),
        ("province_industry_city", "PI01-370200", "I01", 2021, 30.0),
        ("province_industry_city", "PI01-370200", "I05", 2021, 98.0),
        // A third part with a rate but no weight is left out of the mean.
        ("province_industry_city", "PI01-370300", "I05", 2021, 10.0),
    ]);
    let derived = |code: &str| {
        float(cell(
            &r.facts,
            &[
                ("level", AnyValue::String("province_industry")),
                ("entity_id", AnyValue::String("PI01")),
                ("indicator_code", AnyValue::String(code)),
                ("year", AnyValue::Int32(2021)),
            ],
            "value",
        ))
    };
    close(derived("I01"), 40.0);
    close(derived("I05"), (10.0 * 90.0 + 30.0 * 98.0) / 40.0);
    let is_derived = cell(
        &r.facts,
        &[
            ("level", AnyValue::String("province_industry")),
            ("indicator_code", AnyValue::String("I01")),
        ],
        "is_derived",
    );
    assert_eq!(is_derived, AnyValue::Boolean(true));
    // Cities compare within the province industry.
    assert_eq!(
        text(comparison(
            &r,
            "province_industry_city",
            "PI01-370200",
            "I05",
            2021,
            "peer_group"
        ))
        .as_deref(),
        Some("PI01")
    );
}

fn arbitrary_facts() -> impl Strategy<Value = Vec<(usize, usize, usize, f64)>> {
    prop::collection::vec(
        (
            0usize..7,
            0usize..3,
            0usize..3,
            prop_oneof![0.0..1000.0f64, Just(5.0), Just(0.0)],
        ),
        1..60,
    )
}

fn to_rows(raw: &[(usize, usize, usize, f64)]) -> Vec<Fact<'static>> {
    let codes = ["E01", "E08", "E14"];
    let mut seen = HashSet::new();
    raw.iter()
        .filter(|(entity, code, year, _)| seen.insert((*entity, *code, *year)))
        .map(|&(entity, code, year, value)| {
            let value = if codes[code] == "E14" {
                (value > 500.0) as i32 as f64
            } else {
                value.min(100.0)
            };
            (
                "enterprise",
                E[entity],
                codes[code],
                2019 + year as i32,
                value,
            )
        })
        .collect()
}

fn sorted(frame: &DataFrame, by: &[&str]) -> DataFrame {
    frame
        .sort(by.to_vec(), SortMultipleOptions::default())
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn ranks_percentiles_and_scores_stay_in_range(raw in arbitrary_facts()) {
        let rows = to_rows(&raw);
        let r = run(&rows);
        let peer_n = r.comparison.column("peer_n").unwrap().i64().unwrap().clone();
        let rank = r.comparison.column("rank").unwrap().i64().unwrap().clone();
        for (rank, n) in rank.iter().zip(peer_n.iter()) {
            let (rank, n) = (rank.unwrap(), n.unwrap());
            prop_assert!(rank >= 1 && rank <= n);
        }
        for p in r.comparison.column("percentile").unwrap().f64().unwrap().iter().flatten() {
            prop_assert!((0.0..=100.0).contains(&p));
        }
        for s in r.scores.column("score").unwrap().f64().unwrap().iter().flatten() {
            prop_assert!((-1e-9..=100.0 + 1e-9).contains(&s));
        }
        let picks = r.scores.column("typical").unwrap().bool().unwrap().iter().filter(|t| *t == Some(true)).count();
        prop_assert!(picks <= 2, "quota is 2 enterprises, picked {}", picks);
    }

    #[test]
    fn results_do_not_depend_on_input_order(raw in arbitrary_facts(), seed in 0u64..1000) {
        let rows = to_rows(&raw);
        let mut shuffled = rows.clone();
        let len = shuffled.len();
        for i in 0..len {
            let j = ((seed as usize).wrapping_mul(31).wrapping_add(i * 17)) % len;
            shuffled.swap(i, j);
        }
        let a = run(&rows);
        let b = run(&shuffled);
        prop_assert!(a.comparison.equals_missing(&b.comparison));
        prop_assert!(a.scores.equals_missing(&b.scores));
        prop_assert!(sorted(&a.score_detail, &["entity_id", "year", "indicator_code"]).equals_missing(&sorted(&b.score_detail, &["entity_id", "year", "indicator_code"])));
        // And already in table order, whatever the input order.
        let order = ["level", "entity_id", "year", "indicator_code"];
        prop_assert!(b.score_detail.equals_missing(&sorted(&b.score_detail, &order)));
        prop_assert!(a.score_detail.equals_missing(&b.score_detail));
    }
}

// ---- SPEC v2 §5, §7: score groups, winsorised scaling, YOY_JUMP by kind, anomaly on ln(v).

#[test]
fn a_lone_enterprise_is_scored_in_its_section_not_against_itself() {
    // E0–E5 are textile (C17, six reporting); E6 is alone in C36. It improves 10 → 11 while
    // the textile firms span 0–100: scaled against itself it would read 0 → 100.
    let mut rows = Vec::new();
    for (index, entity) in E[..6].iter().enumerate() {
        rows.push(("enterprise", *entity, "E01", 2019, index as f64 * 20.0));
        rows.push(("enterprise", *entity, "E01", 2021, index as f64 * 20.0));
    }
    rows.push(("enterprise", E[6], "E01", 2019, 10.0));
    rows.push(("enterprise", E[6], "E01", 2021, 11.0));
    let r = run(&rows);
    assert_eq!(
        text(score(&r, E[0], 2021, "score_group")).as_deref(),
        Some("C17")
    );
    assert_eq!(
        text(score(&r, E[6], 2021, "score_group")).as_deref(),
        Some("section:C")
    );
    let change = float(score(&r, E[6], 2021, "score_change")).unwrap();
    assert!(change > 0.0 && change < 5.0, "score change {change}");

    // Alone at its level (no section of five either): the whole level, `all`.
    let r = run(&[
        ("enterprise", E[6], "E01", 2019, 10.0),
        ("enterprise", E[6], "E01", 2021, 11.0),
    ]);
    assert_eq!(
        text(score(&r, E[6], 2021, "score_group")).as_deref(),
        Some("all")
    );
}

#[test]
fn one_absurd_value_does_not_flatten_everyone_elses_normalised_value() {
    // Thirty firms outside the roster (one peer group), E01 from 100 to 390; one typed 1e9.
    let ids: Vec<String> = (0..30).map(|i| format!("91370100ZZZZ{i:06}")).collect();
    let mut rows: Vec<Fact> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            (
                "enterprise",
                id.as_str(),
                "E01",
                2021,
                100.0 + 10.0 * i as f64,
            )
        })
        .collect();
    rows[29].4 = 1e9;
    let r = run(&rows);
    let normalised = |id: &str| {
        float(cell(
            &r.score_detail,
            &[
                ("entity_id", AnyValue::String(id)),
                ("indicator_code", AnyValue::String("E01")),
            ],
            "normalized",
        ))
        .unwrap()
    };
    // Clipped to the 5th and 95th percentiles (numpy's linear rule): 114.5 and 375.5.
    let (low, high) = (114.5, 375.5);
    for (i, id) in ids.iter().enumerate().take(29) {
        let value = (100.0 + 10.0 * i as f64).clamp(low, high);
        close(Some(normalised(id)), (value - low) / (high - low) * 100.0);
    }
    close(Some(normalised(&ids[29])), 100.0);
    assert!(
        normalised(&ids[28]) > 99.0,
        "the largest plain value still scores high"
    );
}

#[test]
fn yoy_jump_fires_by_kind() {
    use zlbd::compare::is_yoy_jump;
    use zlbd::domain::Kind::{Amount, Count, Flag, Rate, Score};
    let plan = plan();
    // (kind, prev, value, expected)
    let cases = [
        (Amount, 100.0, 401.0, true),
        (Amount, 100.0, 399.0, false),
        (Amount, 100.0, -301.0, true),
        (Amount, -50.0, 500.0, false), // a loss turning into a profit: no percent basis
        (Amount, 0.0, 500.0, false),
        (Count, 1.0, 5.0, false), // +400 % but only 4 more
        (Count, 3.0, 13.0, true), // +333 % and 10 more
        (Count, 20.0, 70.0, false),
        (Rate, 0.22, 3.0, false), // +1,264 % but 2.78 points
        (Rate, 90.0, 55.0, true), // −35 points
        (Score, 60.0, 91.0, true),
        (Score, 60.0, 89.0, false),
        (Flag, 0.0, 1.0, false),
    ];
    for (kind, prev, value, expected) in cases {
        let change = value - prev;
        let pct = (prev != 0.0).then(|| change / f64::abs(prev) * 100.0);
        assert_eq!(
            is_yoy_jump(&plan, kind, prev, change, pct),
            expected,
            "{kind:?} {prev} → {value}"
        );
    }
}

#[test]
fn anomaly_is_judged_on_a_log_scale_for_amounts_and_null_where_not_computed() {
    // Amounts 100 … 10,000: skewed, but on ln(v) the largest is within 3.5 robust z.
    let amounts = [100.0, 200.0, 400.0, 800.0, 10000.0];
    let mut rows: Vec<Fact> = amounts
        .iter()
        .enumerate()
        .map(|(i, v)| ("enterprise", E[i], "E01", 2021, *v))
        .collect();
    rows.push(("enterprise", E[5], "E01", 2021, 0.0));
    let r = run(&rows);
    let z = float(comparison(&r, "enterprise", E[4], "E01", 2021, "robust_z"));
    // ln values: median ln 400, MAD ln 2.
    close(z, (10000.0f64 / 400.0).ln() / (1.4826 * 2f64.ln()));
    assert_eq!(
        comparison(&r, "enterprise", E[4], "E01", 2021, "anomaly"),
        AnyValue::Boolean(false)
    );
    // v ≤ 0 has no logarithm: robust_z and anomaly are null, not false.
    assert_eq!(
        comparison(&r, "enterprise", E[5], "E01", 2021, "robust_z"),
        AnyValue::Null
    );
    assert_eq!(
        comparison(&r, "enterprise", E[5], "E01", 2021, "anomaly"),
        AnyValue::Null
    );
    // A value a thousand times its peers' is an anomaly on any scale.
    rows[4].4 = 5e7;
    let r = run(&rows);
    assert_eq!(
        comparison(&r, "enterprise", E[4], "E01", 2021, "anomaly"),
        AnyValue::Boolean(true)
    );
}

#[test]
fn typical_picks_come_only_from_the_roster() {
    // An outsider improves the most; quota 2 goes to the roster's best two.
    let outsider = "91370100ZZZZ000001";
    let mut rows = Vec::new();
    for (entity, first, last) in [
        (outsider, 0.0, 10.0),
        (E[0], 1.0, 9.0),
        (E[1], 2.0, 8.0),
        (E[2], 3.0, 4.0),
    ] {
        rows.push(("enterprise", entity, "E01", 2019, first));
        rows.push(("enterprise", entity, "E01", 2021, last));
    }
    let r = run(&rows);
    assert_eq!(
        score(&r, outsider, 2021, "typical"),
        AnyValue::Boolean(false)
    );
    assert_eq!(
        score(&r, E[0], 2021, "typical_rank").extract::<i64>(),
        Some(1)
    );
    assert_eq!(
        score(&r, E[1], 2021, "typical_rank").extract::<i64>(),
        Some(2)
    );
}

/// A jump is named by its fact's cell even when the fact has no entity id (compare is public
/// and takes any facts; the jumps are looked up by position and the keys compared with nulls
/// equal).
#[test]
fn a_yoy_jump_on_a_fact_without_entity_id_is_reported_not_an_error() {
    let mut frame = facts(&[
        ("enterprise", "x", "E01", 2019, 100.0),
        ("enterprise", "x", "E01", 2020, 500.0),
        ("enterprise", E[0], "E01", 2019, 100.0),
        ("enterprise", E[0], "E01", 2020, 110.0),
    ]);
    let ids = [None, None, Some(E[0]), Some(E[0])];
    frame
        .with_column(Column::new("entity_id".into(), ids.to_vec()))
        .unwrap();
    let r = compare(&plan(), frame, &[], &HashSet::new()).unwrap();
    let jumps: Vec<_> = r
        .findings
        .iter()
        .filter(|finding| finding.rule == zlbd::domain::Rule::YoyJump)
        .collect();
    assert_eq!(jumps.len(), 1, "{:?}", r.findings);
    assert_eq!(jumps[0].entity_id, None);
    assert_eq!(jumps[0].year, Some(2020));
}

/// A rate's jump is said in points (+60 个百分点), not as a percentage that reads like a
/// relative change; an amount's keeps its relative change.
#[test]
fn a_rate_jump_is_said_in_points() {
    let frame = facts(&[
        ("enterprise", E[0], "E08", 2019, 35.0),
        ("enterprise", E[0], "E08", 2020, 95.0),
        ("enterprise", E[0], "E01", 2019, 100.0),
        ("enterprise", E[0], "E01", 2020, 500.0),
    ]);
    let r = compare(&plan(), frame, &[], &HashSet::new()).unwrap();
    let message = |code: &str| {
        (r.findings.iter())
            .find(|f| {
                f.rule == zlbd::domain::Rule::YoyJump && f.indicator_code.as_deref() == Some(code)
            })
            .map(|f| f.message.clone())
            .unwrap_or_else(|| panic!("a YOY_JUMP on {code}: {:?}", r.findings))
    };
    assert!(
        message("E08").contains("变化+60个百分点"),
        "{}",
        message("E08")
    );
    assert!(
        message("E01").contains("同比变化+400.0%"),
        "{}",
        message("E01")
    );
}
