//! Structure-aware fuzzing of .ods: the input is a spreadsheet's content.xml, packed into a valid
//! zip around a LibreOffice-written workbook (tests/fixtures/inbox/city_qingdao.ods) before the
//! file-to-cells entry point. Reaches calamine's ODS reader and zlbd's own content.xml walk
//! (dense extent with repeats, merged regions, percentage cells). `fuzz/seed_parts.py ods`
//! builds seeds from real .ods files.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const PARTS: [&str; 1] = ["content.xml"];
const TEMPLATE: &[u8] = include_bytes!("../../tests/fixtures/inbox/city_qingdao.ods");

fuzz_target!(|data: &[u8]| {
    static ENTRIES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    let template = ENTRIES.get_or_init(|| common::entries(TEMPLATE));
    common::file_to_cells(&common::repack(template, &PARTS, data));
});
