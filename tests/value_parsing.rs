//! Property tests on reading one cell: numbers in every written form come back exactly, any
//! text either parses, is a missing marker, or is rejected with a rule — never a panic.

use proptest::prelude::*;
use zlbd::config::Plan;
use zlbd::domain::Kind;
use zlbd::ingest::workbook::CellValue;
use zlbd::normalize::value::{classify, parse, parse_number, Outcome, Parsed, Place};

fn thousands(integer: u64) -> String {
    let digits = integer.to_string();
    let mut out = String::new();
    for (index, c) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                char::from_u32(c as u32 + 0xFEE0).unwrap()
            } else {
                c
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn decimals_written_any_way_read_back(integer in 0u64..10_000_000_000, cents in 0u32..100, negative in any::<bool>(), style in 0u8..4) {
        let plain = format!("{integer}.{cents:02}");
        let text = match style {
            0 => plain.clone(),
            1 => format!("{}.{cents:02}", thousands(integer)),
            2 => full_width(&format!("{}.{cents:02}", thousands(integer))),
            _ => format!("  {plain}\u{3000}"),
        };
        let text = if negative { format!("-{text}") } else { text };
        let expected: f64 = format!("{}{plain}", if negative { "-" } else { "" }).parse().unwrap();
        prop_assert_eq!(parse(&CellValue::Text(text.clone()), Kind::Amount), Parsed::Number(expected), "{}", text);
    }

    #[test]
    fn percent_text_of_a_rate_is_the_number_before_the_sign(tenths in 0u32..1001) {
        let value = tenths as f64 / 10.0;
        prop_assert_eq!(parse(&CellValue::Text(format!("{value}%")), Kind::Rate), Parsed::Number(value));
        prop_assert_eq!(parse(&CellValue::Number { value: value / 100.0, percent: true }, Kind::Rate), Parsed::Number(value));
    }

    #[test]
    fn any_text_parses_is_missing_or_is_rejected(text in "\\PC{0,12}", kind in prop_oneof![Just(Kind::Amount), Just(Kind::Rate), Just(Kind::Count), Just(Kind::Flag)]) {
        match parse(&CellValue::Text(text.clone()), kind) {
            Parsed::Number(number) => prop_assert!(number.is_finite()),
            Parsed::Missing | Parsed::Reject(_) => {}
        }
    }

    #[test]
    fn parse_number_never_accepts_letters(text in "[0-9]{0,4}[a-zA-Z][0-9a-zA-Z.]{0,4}") {
        prop_assert_eq!(parse_number(&text), None);
    }

    /// SPEC v2 §5: whatever number a cell holds and whatever unit its row names, a loaded value
    /// is finite and within limits.max_abs_value; NaN, ±∞ and overflow are rejects.
    #[test]
    fn no_cell_ever_becomes_a_non_finite_or_absurd_fact(
        bits in any::<u64>(),
        special in 0u8..6,
        unit in prop_oneof![Just(None), Just(Some("元")), Just(Some("万元")), Just(Some("亿元")), Just(Some("%"))],
        code in 0usize..38,
        percent in any::<bool>(),
        as_text in any::<bool>(),
    ) {
        let plan = Plan::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/shandong")).unwrap();
        let indicator = &plan.catalog.indicators()[code % plan.catalog.indicators().len()];
        let value = match special {
            0 => f64::INFINITY,
            1 => f64::NEG_INFINITY,
            2 => f64::NAN,
            3 => 1e306,
            _ => f64::from_bits(bits),
        };
        let cell = if as_text {
            CellValue::Text(format!("{value}"))
        } else {
            CellValue::Number { value, percent }
        };
        let place = Place { sheet: "质量指标", cell: "D5", max_abs: plan.max_abs_value };
        if let Outcome::Value(loaded) = classify(&cell, unit, indicator, &place) {
            prop_assert!(loaded.is_finite(), "{cell:?} {unit:?} → {loaded}");
            prop_assert!(loaded.abs() <= plan.max_abs_value, "{cell:?} {unit:?} → {loaded}");
        }
    }
}
