//! Property tests on reading one cell: numbers in every written form come back exactly, any
//! text either parses, is a missing marker, or is rejected with a rule — never a panic.

use proptest::prelude::*;
use zlbd::domain::Kind;
use zlbd::ingest::workbook::CellValue;
use zlbd::normalize::value::{parse, parse_number, Parsed};

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
}
