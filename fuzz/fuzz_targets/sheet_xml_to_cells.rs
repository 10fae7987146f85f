//! Structure-aware companion of `file_to_cells`: the input is the XML of an .xlsx package's
//! worksheets, shared strings and styles, which this target packs into a valid zip around a fixed
//! workbook before calling the same file-to-cells entry point. Random bytes rarely survive the
//! zip CRC, so this is how the fuzzer reaches calamine's XML reading and zlbd's own header
//! location, value parsing and cell classification with well-formed-but-hostile sheets.
//!
//! Input layout: up to four parts separated by `common::SEPARATOR` — `xl/worksheets/sheet1.xml`,
//! `xl/worksheets/sheet2.xml`, `xl/sharedStrings.xml`, `xl/styles.xml`. A missing or empty part
//! keeps the template's. `fuzz/seed_parts.py xlsx` builds seeds from real workbooks.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const PARTS: [&str; 4] = [
    "xl/worksheets/sheet1.xml",
    "xl/worksheets/sheet2.xml",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
];
const TEMPLATE: &[u8] = include_bytes!("../../sample_data/企业_东营博泽纺织有限公司.xlsx");

fuzz_target!(|data: &[u8]| {
    static ENTRIES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    let template = ENTRIES.get_or_init(|| common::entries(TEMPLATE));
    common::file_to_cells(&common::repack(template, &PARTS, data));
});
