//! Structure-aware companion of `file_to_cells`: the input is the XML of an .xlsx package's
//! worksheets, shared strings and styles, which this target packs into a valid zip around a fixed
//! workbook before calling the same file-to-cells entry point. Random bytes rarely survive the
//! zip CRC, so this is how the fuzzer reaches calamine's XML reading and zlbd's own header
//! location, value parsing and cell classification with well-formed-but-hostile sheets.
//!
//! Input layout: up to four parts separated by [`SEPARATOR`] — `xl/worksheets/sheet1.xml`,
//! `xl/worksheets/sheet2.xml`, `xl/sharedStrings.xml`, `xl/styles.xml`. A missing or empty part keeps
//! the template's. `fuzz/seed_sheet_xml.py` builds seeds from real workbooks.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use std::io::{Cursor, Read, Write};
use std::sync::OnceLock;

const SEPARATOR: &[u8] = b"\n<!--ZLBD-PART-->\n";
const PARTS: [&str; 4] = [
    "xl/worksheets/sheet1.xml",
    "xl/worksheets/sheet2.xml",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
];
const TEMPLATE: &[u8] = include_bytes!("../../sample_data/企业_东营博泽纺织有限公司.xlsx");

/// The template package's entries, in order.
fn template() -> &'static Vec<(String, Vec<u8>)> {
    static ENTRIES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        let mut archive = zip::ZipArchive::new(Cursor::new(TEMPLATE)).expect("template is a zip");
        (0..archive.len())
            .map(|index| {
                let mut entry = archive.by_index(index).expect("template entry");
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).expect("template entry inflates");
                (entry.name().expect("template entry name").to_string(), bytes)
            })
            .collect()
    })
}

fn split_parts(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() < PARTS.len() - 1 {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(at) => {
                parts.push(&rest[..at]);
                rest = &rest[at + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

fn package(data: &[u8]) -> Vec<u8> {
    let parts = split_parts(data);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in template() {
        let replaced = PARTS
            .iter()
            .position(|part| part == name)
            .and_then(|i| parts.get(i))
            .filter(|part| !part.is_empty());
        writer.start_file(name.as_str(), options).expect("zip entry");
        writer.write_all(replaced.copied().unwrap_or(bytes)).expect("zip write");
    }
    writer.finish().expect("zip finish").into_inner()
}

fuzz_target!(|data: &[u8]| common::file_to_cells(&package(data)));
