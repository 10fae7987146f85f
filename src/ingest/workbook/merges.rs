//! Whether an xlsx container can hold merged cells at all, answered without calamine's XML
//! pass.
//!
//! calamine finds a worksheet's merged regions by parsing the sheet's XML a second time, as
//! XML, after zlbd has read its cells: at 20,000 small forms that pass cost about as much CPU
//! as reading the cells. Most forms merge nothing. Scanning the inflated worksheet parts for
//! the element's name as bytes is about three times cheaper, and calamine's pass runs only
//! where the name occurs.

use crate::config::Limits;
use memchr::memmem::Finder;
use std::io::{Cursor, Read};

/// Where writers put worksheet parts (Excel, LibreOffice, WPS, openpyxl, rust_xlsxwriter...).
const WORKSHEETS: &str = "xl/worksheets/";

/// Every merged region is a `mergeCell` element, with or without a namespace prefix.
const ELEMENT: &[u8] = b"mergeCell";

/// True only when the container's worksheet parts are one `xl/worksheets/*.xml` part for each
/// of the workbook's `worksheets`, and none of them holds the bytes `mergeCell`. Anything else
/// (another layout, a part named like a sheet elsewhere, a part in UTF-16, a part that fails
/// to inflate or inflates past its declared size) answers false, and the caller asks
/// calamine, which reports what is wrong as it always did.
pub(super) fn none_merged(bytes: &[u8], worksheets: usize, limits: &Limits) -> bool {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return false;
    };
    let mut parts = Vec::new();
    for index in 0..archive.len() {
        let Some(Ok(name)) = archive.name_for_index(index) else {
            return false;
        };
        match Part::of(&name) {
            Part::Worksheet => parts.push(index),
            // A part named like a sheet outside the folder: calamine may read a worksheet
            // from it, so the parts counted could be the wrong ones.
            Part::SheetElsewhere => return false,
            Part::Other => {}
        }
    }
    if parts.len() != worksheets {
        return false;
    }
    let finder = Finder::new(ELEMENT);
    let mut buffer = vec![0u8; 64 * 1024];
    parts.into_iter().all(|index| {
        archive.by_index(index).is_ok_and(|part| {
            let declared = part.size().min(limits.max_uncompressed_bytes);
            // One byte past the declared size tells a part that inflates further.
            let mut part = part.take(declared.saturating_add(1));
            let mut head = Vec::with_capacity(4);
            if part.by_ref().take(4).read_to_end(&mut head).is_err() || !ascii_compatible(&head) {
                return false;
            }
            matches!(
                stream_find(&mut head.as_slice().chain(part), &finder, &mut buffer),
                Ok(Scan { found: false, read }) if read <= declared
            )
        })
    })
}

/// A zip entry, by its name as calamine looks names up: `\` read as `/`, letters in any case.
#[derive(Debug, PartialEq)]
enum Part {
    /// `xl/worksheets/*.xml`.
    Worksheet,
    /// Another `.xml` part whose file name starts with `sheet` (a chartsheet, or a worksheet
    /// where writers do not put one).
    SheetElsewhere,
    Other,
}

impl Part {
    fn of(name: &str) -> Part {
        let name = name.replace('\\', "/").to_ascii_lowercase();
        let Some(stem) = name.strip_suffix(".xml") else {
            return Part::Other;
        };
        if stem
            .strip_prefix(WORKSHEETS)
            .is_some_and(|file| !file.contains('/'))
        {
            return Part::Worksheet;
        }
        let file = stem.rsplit('/').next().unwrap_or(stem);
        if file.starts_with("sheet") {
            Part::SheetElsewhere
        } else {
            Part::Other
        }
    }
}

/// Whether a part's first bytes leave ASCII letters as single bytes (UTF-8 or any ASCII-based
/// encoding). In a UTF-16 part the scan would not see the name; such a part is left to
/// calamine (which finds no merges in one either).
fn ascii_compatible(start: &[u8]) -> bool {
    !(start.starts_with(&[0xFE, 0xFF]) || start.starts_with(&[0xFF, 0xFE]) || start.contains(&0))
}

struct Scan {
    found: bool,
    read: u64,
}

/// Looks for the finder's needle in a stream, a buffer at a time: memory stays the buffer's
/// size however large the part. The last bytes of each buffer are kept in front of the next,
/// so a needle that straddles two reads is found.
fn stream_find(
    reader: &mut impl Read,
    finder: &Finder<'_>,
    buffer: &mut [u8],
) -> std::io::Result<Scan> {
    let overlap = finder.needle().len() - 1;
    let mut kept = 0;
    let mut read: u64 = 0;
    loop {
        let count = reader.read(&mut buffer[kept..])?;
        if count == 0 {
            return Ok(Scan { found: false, read });
        }
        read += count as u64;
        let end = kept + count;
        if finder.find(&buffer[..end]).is_some() {
            return Ok(Scan { found: true, read });
        }
        kept = overlap.min(end);
        buffer.copy_within(end - kept..end, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::Workbook;
    use std::io::Write;

    fn limits() -> Limits {
        Limits::small()
    }

    fn workbook(merge: bool) -> Vec<u8> {
        let mut workbook = Workbook::new();
        let first = workbook.add_worksheet();
        first.write(0, 0, "行业名称").unwrap();
        let second = workbook.add_worksheet();
        second.write(3, 1, 12.5).unwrap();
        if merge {
            second
                .merge_range(4, 0, 6, 0, "C38", &Default::default())
                .unwrap();
        }
        workbook.save_to_buffer().unwrap()
    }

    /// A container with the given parts, each stored under its name.
    fn container(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in parts {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn a_workbook_without_merges_is_told_apart_from_one_with_a_merge() {
        assert!(none_merged(&workbook(false), 2, &limits()));
        assert!(!none_merged(&workbook(true), 2, &limits()));
    }

    #[test]
    fn any_other_layout_of_worksheet_parts_is_left_to_calamine() {
        // One worksheet part fewer than the workbook lists: one may live elsewhere.
        assert!(!none_merged(&workbook(false), 3, &limits()));
        let sheet: &[u8] = b"<worksheet><sheetData/></worksheet>";
        let elsewhere = container(&[("xl/sheet1.xml", sheet)]);
        assert!(!none_merged(&elsewhere, 1, &limits()));
        let nested = container(&[("xl/worksheets/deeper/sheet1.xml", sheet)]);
        assert!(!none_merged(&nested, 1, &limits()));
        // The count matches, but a leftover part is counted while a sheet stored elsewhere
        // (calamine reads names in any case) may hold the merges.
        let leftover = container(&[
            ("xl/worksheets/old.xml", sheet),
            ("XL/Worksheets2/Sheet2.xml", sheet),
        ]);
        assert!(!none_merged(&leftover, 1, &limits()));
        // Backslashes and capitals name the usual folder as calamine reads it.
        let windows = container(&[("xl\\Worksheets\\Sheet1.XML", sheet)]);
        assert!(none_merged(&windows, 1, &limits()));
        assert!(!none_merged(b"not a zip", 1, &limits()));
        // A UTF-16 part: its element names are not the ASCII bytes looked for.
        let utf16: Vec<u8> = "\u{feff}<worksheet><sheetData/><mergeCells><mergeCell ref=\"A1:A2\"/></mergeCells></worksheet>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(!none_merged(
            &container(&[("xl/worksheets/sheet1.xml", &utf16)]),
            1,
            &limits()
        ));
        let plain = container(&[("xl/worksheets/sheet1.xml", sheet)]);
        assert!(none_merged(&plain, 1, &limits()));
    }

    #[test]
    fn a_prefixed_element_and_a_name_across_two_reads_are_found() {
        let prefixed: &[u8] =
            br#"<x:worksheet><x:sheetData/><x:mergeCells><x:mergeCell ref="A1:A3"/></x:mergeCells></x:worksheet>"#;
        let part = container(&[("xl/worksheets/sheet1.xml", prefixed)]);
        assert!(!none_merged(&part, 1, &limits()));
        // The name split between two reads, at every offset, and a buffer barely longer than it.
        let text = b"<sheetData/><mergeCells>";
        let start = memchr::memmem::find(text, ELEMENT).unwrap();
        for split in start + 1..start + ELEMENT.len() {
            let mut reader = (&text[..split]).chain(&text[split..]);
            let mut buffer = vec![0u8; ELEMENT.len() + 1];
            let scan = stream_find(&mut reader, &Finder::new(ELEMENT), &mut buffer).unwrap();
            assert!(scan.found, "split at {split}");
        }
        let mut reader = &text[..start + 4];
        let scan = stream_find(&mut reader, &Finder::new(ELEMENT), &mut [0u8; 10]).unwrap();
        assert!(!scan.found);
        assert_eq!(scan.read, start as u64 + 4);
    }
}
