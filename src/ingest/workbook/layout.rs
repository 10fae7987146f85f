//! What zlbd reads of a sheet's layout itself, before or beside calamine.
//!
//! calamine reads .xls and .ods eagerly and lays each sheet out densely: rows × columns of the
//! bounding box of its cells (and, for .xls, a reservation sized from the DIMENSIONS record).
//! One .xls cell record at row 65,535 and column 65,535, or one .ods cell repeated over 16,384
//! columns and a million rows, asks for gigabytes from a file of a few hundred bytes (found by
//! fuzzing). So before calamine opens such a file, [`xls_layout`] and [`ods_layout`] measure
//! every sheet's dense extent from the records themselves, and [`check_extent`] refuses a sheet
//! over the row limit or over the memory the pipeline allows a workbook
//! (`limits.max_uncompressed_bytes`, the same budget that bounds an inflated .xlsx).
//!
//! The same walks collect what calamine does not report for these formats: merged regions of
//! an .ods, and which numeric cells are shown in a percent format (.xls XF records, .ods
//! `percentage` cells), so that 0.952 shown as 95.2 % is read as 95.2 (SPEC §3.4 SHOULD).

use super::cells::is_percent_format;
use super::error::OpenError;
use super::ole::u32_at;
use crate::config::Limits;
use calamine::Dimensions;
use std::collections::{BTreeMap, HashSet};
use std::io::Cursor;

/// What zlbd reads of one sheet itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct SheetLayout {
    /// The rows × columns calamine will lay out densely.
    pub extent: Extent,
    /// Merged regions (.ods; calamine reports them for .xls).
    pub merges: Vec<Dimensions>,
    /// (row, column) of numeric cells shown in a percent format.
    pub percent: HashSet<(u32, u32)>,
    /// (row, column) of .ods formulas whose result is empty text: LibreOffice writes no value
    /// type, only an empty paragraph (`=IF(…;"";…)` with nothing to compute). A formula cell
    /// with no paragraph at all has no result, as a script that never calculated writes it.
    pub blank_results: HashSet<(u32, u32)>,
}

/// Each sheet's layout by name, in workbook order.
pub(super) type Layouts = Vec<(String, SheetLayout)>;

/// Positions a repeated .ods cell may spread over and still be listed one by one.
const MAX_LISTED_REPEAT: u64 = 10_000;

/// The rows × columns calamine will hold densely for one sheet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Extent {
    pub rows: u64,
    pub cols: u64,
}

impl Extent {
    fn cells(self) -> u64 {
        self.rows.saturating_mul(self.cols)
    }
}

/// The most cells calamine may lay out densely for one sheet within the workbook budget.
pub(super) fn max_dense_cells(limits: &Limits) -> u64 {
    let per_cell = std::mem::size_of::<calamine::Cell<calamine::Data>>() as u64;
    limits.max_uncompressed_bytes / per_cell.max(1)
}

/// Refuses a sheet whose dense extent is over the row limit or the cell budget.
pub(super) fn check_extent(sheet: &str, extent: Extent, limits: &Limits) -> Result<(), OpenError> {
    if extent.rows > limits.max_rows as u64 {
        return Err(OpenError::TooManyRows {
            sheet: sheet.to_string(),
            limit: limits.max_rows,
        });
    }
    let limit = max_dense_cells(limits);
    if extent.cells() > limit {
        return Err(OpenError::SheetTooLarge {
            sheet: sheet.to_string(),
            rows: extent.rows,
            cols: extent.cols,
            limit,
        });
    }
    Ok(())
}

/// The bounding box of a set of cell positions.
#[derive(Debug, Clone, Copy, Default)]
struct Bounds {
    /// (first row, last row, first column, last column), once a cell was seen.
    seen: Option<(u32, u32, u32, u32)>,
}

impl Bounds {
    fn add(&mut self, row: u32, col: u32) {
        self.seen = Some(match self.seen {
            None => (row, row, col, col),
            Some((top, bottom, left, right)) => {
                (top.min(row), bottom.max(row), left.min(col), right.max(col))
            }
        });
    }

    fn extent(self) -> Extent {
        self.seen
            .map_or(Extent::default(), |(top, bottom, left, right)| Extent {
                rows: (bottom - top) as u64 + 1,
                cols: (right - left) as u64 + 1,
            })
    }
}

/// A little-endian u16 widened to u32, the type positions are kept in.
fn u16_at(data: &[u8], offset: usize) -> Option<u32> {
    super::ole::u16_at(data, offset).map(u32::from)
}

/// BIFF records of a stream: (type, data). Ends at the first incomplete record, as calamine's
/// reader fails there.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        let kind = u16_at(rest, 0)? as u16;
        let len = u16_at(rest, 2)? as usize;
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((kind, data))
    })
}

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const BOUND_SHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
const FORMULA: u16 = 0x0006;
const STRING: u16 = 0x0207;
const MUL_RK: u16 = 0x00BD;
const FORMAT: u16 = 0x041E;
const BIFF8_ROWS: u64 = 65_536;
const BIFF8_COLUMNS: u64 = 256;
const XF: u16 = 0x00E0;
/// Cell records holding a number, with their XF index at offset 4: NUMBER, RK.
const NUMERIC_RECORDS: [u16; 2] = [0x0203, 0x027E];
/// Records calamine turns into one cell at (row, column) from their first four bytes:
/// NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST.
const CELL_RECORDS: [u16; 6] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD];

/// Each sheet of an .xls workbook stream: the largest dense extent calamine would allocate for
/// it (the bounding box of its cells, of its formulas, or its DIMENSIONS reservation) and its
/// percent-formatted numbers. The walk mirrors calamine 0.38's `Xls::parse_workbook`: sheets
/// from BoundSheet8 records in the globals, each read from its offset to its EOF, nested
/// substreams (charts) skipped.
pub(super) fn xls_layout(stream: &[u8]) -> Result<Layouts, OpenError> {
    let mut biff8 = true;
    let mut sheets = Vec::new();
    let mut formats: BTreeMap<u32, String> = BTreeMap::new();
    let mut xf_formats: Vec<u32> = Vec::new();
    for (kind, data) in records(stream) {
        match kind {
            BOF => biff8 = u16_at(data, 0) == Some(0x0600),
            BOUND_SHEET => {
                let Some(offset) = u32_at(data, 0) else {
                    continue;
                };
                let name =
                    sheet_name(data, biff8).unwrap_or_else(|| format!("#{}", sheets.len() + 1));
                sheets.push((offset as usize, name));
            }
            FORMAT => {
                if let (Some(id), Some(code)) = (u16_at(data, 0), format_code(data, biff8)) {
                    formats.insert(id, code);
                }
            }
            XF => xf_formats.push(u16_at(data, 2).unwrap_or(0)),
            EOF => break,
            _ => {}
        }
    }
    // Built-in formats 9 and 10 are 0% and 0.00%.
    let percent_xf: Vec<bool> = xf_formats
        .iter()
        .map(|id| {
            matches!(id, 9 | 10) || formats.get(id).is_some_and(|code| is_percent_format(code))
        })
        .collect();
    let mut out = Vec::new();
    for (offset, name) in sheets {
        let Some(substream) = stream.get(offset..) else {
            continue;
        };
        let layout = xls_sheet(substream, &name, &percent_xf)?;
        out.push((name, layout));
    }
    Ok(out)
}

/// One sheet substream: the larger of its cells' and formulas' bounding boxes (which calamine
/// fills densely), and its percent-formatted numbers. The DIMENSIONS reservation is only
/// address space until cells are written, so it is held to the BIFF8 grid (65,536 × 256, what
/// any real writer declares) rather than to the cell budget.
fn xls_sheet(substream: &[u8], name: &str, percent_xf: &[bool]) -> Result<SheetLayout, OpenError> {
    let (mut cells, mut formulas) = (Bounds::default(), Bounds::default());
    let mut reserved = Extent::default();
    let mut percent = HashSet::new();
    let is_percent =
        |xf: Option<u32>| xf.is_some_and(|xf| percent_xf.get(xf as usize) == Some(&true));
    let mut formula_at = (0, 0);
    let (mut seen_bof, mut depth) = (false, 0usize);
    for (kind, data) in records(substream) {
        if depth > 0 {
            match kind {
                BOF => depth += 1,
                EOF => depth -= 1,
                _ => {}
            }
            continue;
        }
        let at = |offset| u16_at(data, offset);
        match kind {
            BOF if seen_bof => depth += 1,
            BOF => seen_bof = true,
            EOF => break,
            DIMENSIONS => reserved = dimensions(data, name)?,
            kind if CELL_RECORDS.contains(&kind) => {
                if let (Some(row), Some(col)) = (at(0), at(2)) {
                    cells.add(row, col);
                    if NUMERIC_RECORDS.contains(&kind) && is_percent(at(4)) {
                        percent.insert((row, col));
                    }
                }
            }
            MUL_RK => {
                if let (Some(row), Some(first), Some(last)) =
                    (at(0), at(2), data.len().checked_sub(2).and_then(at))
                {
                    cells.add(row, first);
                    cells.add(row, last.max(first));
                    for (index, col) in (first..=last).enumerate() {
                        if is_percent(at(4 + 6 * index)) {
                            percent.insert((row, col));
                        }
                    }
                }
            }
            FORMULA => {
                if let (Some(row), Some(col)) = (at(0), at(2)) {
                    formula_at = (row, col);
                    cells.add(row, col);
                    formulas.add(row, col);
                    if is_percent(at(4)) {
                        percent.insert((row, col));
                    }
                }
            }
            STRING => cells.add(formula_at.0, formula_at.1),
            _ => {}
        }
    }
    if reserved.rows > BIFF8_ROWS || reserved.cols > BIFF8_COLUMNS {
        return Err(OpenError::SheetTooLarge {
            sheet: name.to_string(),
            rows: reserved.rows,
            cols: reserved.cols,
            limit: BIFF8_ROWS * BIFF8_COLUMNS,
        });
    }
    let extent = [cells.extent(), formulas.extent()]
        .into_iter()
        .max_by_key(|extent| (extent.cells(), extent.rows))
        .unwrap_or_default();
    Ok(SheetLayout {
        extent,
        merges: Vec::new(),
        percent,
        blank_results: HashSet::new(),
    })
}

/// A FORMAT record's format code (XLUnicodeString in BIFF8, a byte string before).
fn format_code(data: &[u8], biff8: bool) -> Option<String> {
    if !biff8 {
        let count = *data.get(2)? as usize;
        return Some(data.get(3..3 + count)?.iter().map(|&b| b as char).collect());
    }
    let count = u16_at(data, 2)? as usize;
    let wide = data.get(4)? & 1 == 1;
    short_or_wide(data.get(5..)?, count, wide)
}

/// `count` characters, UTF-16LE when `wide`, else one byte each.
fn short_or_wide(chars: &[u8], count: usize, wide: bool) -> Option<String> {
    if wide {
        let units: Vec<u16> = chars
            .get(..count * 2)?
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(chars.get(..count)?.iter().map(|&b| b as char).collect())
    }
}

/// The extent calamine reserves from a DIMENSIONS record (its `parse_dimensions`, then
/// rows × columns). A row range that ends before it starts would wrap to billions of rows there,
/// so it is refused as corrupt.
fn dimensions(data: &[u8], sheet: &str) -> Result<Extent, OpenError> {
    let fields = match data.len() {
        10 => (
            u16_at(data, 0),
            u16_at(data, 2),
            u16_at(data, 4),
            u16_at(data, 6),
        ),
        14 | 16 => (
            u32_at(data, 0),
            u32_at(data, 4),
            u16_at(data, 8),
            u16_at(data, 10),
        ),
        _ => return Ok(Extent::default()), // calamine rejects the record itself
    };
    let (Some(first_row), Some(last_row), Some(first_col), Some(last_col)) = fields else {
        return Ok(Extent::default());
    };
    // calamine reads a first column over 0xFF, or after the last one, as 0.
    let first_col = if first_col > 0xFF || last_col < first_col {
        0
    } else {
        first_col
    };
    if last_row == 0 || last_col == 0 {
        return Ok(Extent { rows: 1, cols: 1 });
    }
    if last_row < first_row {
        return Err(OpenError::Corrupt(format!(
            "sheet {sheet:?}: the DIMENSIONS record ends at row {last_row}, before its first row {first_row}"
        )));
    }
    Ok(Extent {
        rows: (last_row - first_row) as u64,
        cols: (last_col - first_col) as u64,
    })
}

/// A BoundSheet8 record's sheet name (ShortXLUnicodeString after six bytes).
fn sheet_name(data: &[u8], biff8: bool) -> Option<String> {
    let count = *data.get(6)? as usize;
    let name = if biff8 {
        short_or_wide(data.get(8..)?, count, data.get(7)? & 1 == 1)?
    } else {
        short_or_wide(data.get(7..)?, count, false)?
    };
    Some(name.replace('\0', ""))
}

/// Each table of an .ods: its dense extent (repeats expanded, up to the last non-empty cell), its
/// merged regions and its `percentage` cells, read from content.xml as a stream with the reader
/// settings calamine uses. XML that cannot be walked stops the walk (calamine reports the error
/// when it opens the file). Two things calamine 0.38 does not survive are refused here: XML that
/// ends inside a table or a cell annotation, where calamine waits for the closing tag forever
/// (found by fuzzing), and `<text:s text:c="…"/>` space runs adding up to more than the inflate
/// limit, which calamine writes out one space at a time (seen in its code while fixing the
/// first).
pub(super) fn ods_layout(bytes: &[u8], limits: &Limits) -> Result<Layouts, OpenError> {
    use quick_xml::events::{BytesStart, Event};
    let mut out: Layouts = Vec::new();
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(out);
    };
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(out);
    };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    reader.config_mut().check_end_names = false;
    reader.config_mut().check_comments = false;
    reader.config_mut().trim_text(false);
    let attribute = |element: &BytesStart, name: &str| {
        element
            .attributes()
            .flatten()
            .find(|attribute| attribute.key.as_ref() == name)
            .map(|attribute| attribute.value.to_string())
    };
    let number = |element: &BytesStart, name: &str| -> u32 {
        attribute(element, name)
            .and_then(|value| value.parse().ok())
            .unwrap_or(1)
    };
    // Position in the current table, in u64 so repeats cannot wrap.
    let (mut row, mut col, mut row_repeat) = (0u64, 0u64, 1u64);
    // Open elements calamine reads until their end tag, by name (end names are not checked).
    let (mut in_table, mut in_annotation) = (false, false);
    let mut spaces = 0u64;
    // A formula cell with no value type, whose result is empty text only if its content is one
    // empty paragraph (`<text:p/>`, as LibreOffice writes it); its cells, and whether the
    // paragraph has opened.
    let mut pending: Option<(Vec<(u32, u32)>, bool)> = None;
    let mut buffer = Vec::new();
    loop {
        let event = match reader.read_event_into(&mut buffer) {
            Ok(Event::Eof) if in_table || in_annotation => {
                return Err(OpenError::Corrupt(
                    "content.xml ends inside a table".to_string(),
                ))
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        let empty = matches!(event, Event::Empty(_));
        if let Some((cells, opened)) = pending.take() {
            let paragraph = |element: &BytesStart| element.name().as_ref() == "text:p";
            match &event {
                Event::Empty(element) if !opened && paragraph(element) => {
                    blank(&mut out, cells);
                }
                Event::Start(element) if !opened && paragraph(element) => {
                    pending = Some((cells, true));
                }
                Event::End(element) if opened && element.name().as_ref() == "text:p" => {
                    blank(&mut out, cells);
                }
                // Anything else in it (text, a span, another paragraph): a result not empty.
                _ => {}
            }
        }
        match event {
            Event::Start(ref element) | Event::Empty(ref element) => {
                match element.name().as_ref() {
                    "text:s" => {
                        let count =
                            attribute(element, "text:c").and_then(|c| c.parse::<u64>().ok());
                        spaces = spaces.saturating_add(count.unwrap_or(1));
                        if spaces > limits.max_uncompressed_bytes {
                            return Err(OpenError::Inflates {
                                uncompressed: spaces,
                                limit: limits.max_uncompressed_bytes,
                            });
                        }
                    }
                    "office:annotation" if !empty => in_annotation = true,
                    // calamine reads a named table up to the first end tag named table:table, and
                    // counts every row and cell inside, those of a table started within it too.
                    "table:table" if !in_table => {
                        if let Some(name) = attribute(element, "table:name") {
                            out.push((name, SheetLayout::default()));
                            row = 0;
                            in_table = !empty;
                        }
                    }
                    "table:table-row" if in_table => {
                        col = 0;
                        row_repeat = number(element, "table:number-rows-repeated") as u64;
                        if empty {
                            row = row.saturating_add(row_repeat);
                        }
                    }
                    "table:table-cell" | "table:covered-table-cell" if in_table => {
                        let Some((_, layout)) = out.last_mut() else {
                            continue;
                        };
                        let repeat = number(element, "table:number-columns-repeated") as u64;
                        let (top, left) = (clamp(row), clamp(col));
                        let columns = number(element, "table:number-columns-spanned");
                        let rows = number(element, "table:number-rows-spanned");
                        if columns > 1 || rows > 1 {
                            layout.merges.push(Dimensions::new(
                                (top, left),
                                (
                                    top.saturating_add(rows.saturating_sub(1)),
                                    left.saturating_add(columns.saturating_sub(1)),
                                ),
                            ));
                        }
                        let value_type = attribute(element, "office:value-type");
                        let formula = attribute(element, "table:formula").is_some();
                        let listed = repeat.saturating_mul(row_repeat) <= MAX_LISTED_REPEAT;
                        let list = |cells: &mut HashSet<(u32, u32)>| {
                            for r in row..row.saturating_add(row_repeat) {
                                for c in col..col.saturating_add(repeat) {
                                    cells.insert((clamp(r), clamp(c)));
                                }
                            }
                        };
                        if value_type.as_deref() == Some("percentage") && listed {
                            list(&mut layout.percent);
                        }
                        if formula && value_type.is_none() && !empty && listed {
                            let mut cells = HashSet::new();
                            list(&mut cells);
                            pending = Some((cells.into_iter().collect(), false));
                        }
                        col = col.saturating_add(repeat);
                        // A cell with content, a value type or a formula is laid out by calamine.
                        if !empty || value_type.is_some() || formula {
                            let extent = &mut layout.extent;
                            extent.cols = extent.cols.max(col);
                            extent.rows = extent.rows.max(row.saturating_add(row_repeat));
                        }
                    }
                    _ => {}
                }
            }
            Event::End(ref element) => match element.name().as_ref() {
                "table:table" => in_table = false,
                "office:annotation" => in_annotation = false,
                "table:table-row" if in_table => row = row.saturating_add(row_repeat),
                _ => {}
            },
            _ => {}
        }
        buffer.clear();
    }
    Ok(out)
}

/// Records `cells` of the last table as formulas whose result is empty text.
fn blank(out: &mut Layouts, cells: Vec<(u32, u32)>) {
    if let Some((_, layout)) = out.last_mut() {
        layout.blank_results.extend(cells);
    }
}

fn clamp(position: u64) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::super::ole::Compound;
    use super::*;
    use calamine::Reader;

    fn limits() -> Limits {
        Limits::small()
    }

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut out = kind.to_le_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    fn cell(kind: u16, row: u16, col: u16) -> Vec<u8> {
        let mut data = row.to_le_bytes().to_vec();
        data.extend_from_slice(&col.to_le_bytes());
        data.extend_from_slice(&[0; 10]);
        record(kind, &data)
    }

    /// A BIFF8 workbook stream with one sheet called "表" whose records are `sheet`.
    fn workbook(sheet: &[Vec<u8>]) -> Vec<u8> {
        let bof = record(BOF, &[0x00, 0x06, 0x05, 0x00]);
        let name: Vec<u8> = "表".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let bound = |offset: u32| {
            let mut data = offset.to_le_bytes().to_vec();
            data.extend_from_slice(&[0, 0, 1, 1]);
            data.extend_from_slice(&name);
            record(BOUND_SHEET, &data)
        };
        let globals_len = bof.len() + bound(0).len() + 4;
        let mut stream = [bof.clone(), bound(globals_len as u32), record(EOF, &[])].concat();
        stream.extend(bof);
        for part in sheet {
            stream.extend_from_slice(part);
        }
        stream.extend(record(EOF, &[]));
        stream
    }

    #[test]
    fn xls_extent_is_the_bounding_box_of_cells_formulas_and_dimensions() {
        let stream = workbook(&[
            cell(0x0203, 2, 1),
            cell(0x00FD, 40, 7),
            cell(FORMULA, 60, 0),
        ]);
        let layouts = xls_layout(&stream).expect("sound records");
        assert_eq!(layouts.len(), 1);
        assert_eq!(layouts[0].0, "表");
        assert_eq!(layouts[0].1.extent, Extent { rows: 59, cols: 8 });

        // A DIMENSIONS record within the BIFF8 grid reserves address space only; one beyond it
        // is refused.
        let dimensions_record = |rows: u32, cols: u8| {
            let mut data = 0u32.to_le_bytes().to_vec();
            data.extend_from_slice(&rows.to_le_bytes());
            data.extend_from_slice(&[0, 0, cols, 0, 0, 0]);
            record(DIMENSIONS, &data)
        };
        let stream = workbook(&[dimensions_record(65_536, 200), cell(0x0203, 0, 0)]);
        let extent = xls_layout(&stream).expect("sound")[0].1.extent;
        assert_eq!(extent, Extent { rows: 1, cols: 1 });
        let stream = workbook(&[dimensions_record(5_000_000, 200), cell(0x0203, 0, 0)]);
        assert!(matches!(
            xls_layout(&stream),
            Err(OpenError::SheetTooLarge {
                rows: 5_000_000,
                cols: 200,
                ..
            })
        ));
    }

    #[test]
    fn cells_far_apart_are_refused_by_area_and_inverted_dimensions_as_corrupt() {
        // Two cells: 1 row × 65,536 columns = 65,536 cells, over a 1 MB budget.
        let stream = workbook(&[cell(0x027E, 0, 0), cell(0x027E, 0, 0xFFFF)]);
        let (sheet, layout) = &xls_layout(&stream).expect("sound")[0];
        assert!(max_dense_cells(&limits()) < 65_536);
        match check_extent(sheet, layout.extent, &limits()) {
            Err(OpenError::SheetTooLarge {
                sheet,
                rows: 1,
                cols: 65_536,
                ..
            }) => {
                assert_eq!(sheet, "表")
            }
            other => panic!("expected SheetTooLarge, got {other:?}"),
        }
        let mut dims = 10u32.to_le_bytes().to_vec();
        dims.extend_from_slice(&3u32.to_le_bytes());
        dims.extend_from_slice(&[0, 0, 4, 0, 0, 0]);
        assert!(matches!(
            xls_layout(&workbook(&[record(DIMENSIONS, &dims)])),
            Err(OpenError::Corrupt(_))
        ));
    }

    #[test]
    fn a_truncated_record_ends_the_walk_and_nested_substreams_are_skipped() {
        let mut stream = workbook(&[
            record(BOF, &[0x00, 0x06, 0x20, 0x00]), // an embedded chart
            cell(0x0203, 9000, 9000),
            record(EOF, &[]),
            cell(0x0203, 3, 3),
        ]);
        stream.extend_from_slice(&[0x03, 0x02, 0xFF]); // half a record header
        let layouts = xls_layout(&stream).expect("sound");
        assert_eq!(layouts[0].1.extent, Extent { rows: 1, cols: 1 });
    }

    #[test]
    fn real_xls_files_measure_as_calamine_reads_them() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for path in [
            root.join("tests/fixtures/shared/inbox/enterprise_libreoffice.xls"),
            root.join("tests/fixtures/inbox/park_xlwt.xls"),
        ] {
            let bytes = std::fs::read(&path).expect("fixture");
            let compound = Compound::parse(&bytes).expect("a sound container");
            let stream = compound.workbook_stream().expect("a workbook stream");
            let layouts = xls_layout(&stream).expect("sound records");
            let mut workbook =
                calamine::Xls::new(std::io::Cursor::new(&bytes)).expect("calamine opens it");
            let names: Vec<String> = layouts.iter().map(|(name, _)| name.clone()).collect();
            assert_eq!(names, workbook.sheet_names(), "{path:?}");
            for (name, layout) in layouts {
                let extent = layout.extent;
                let range = workbook.worksheet_range(&name).expect("sheet");
                let (height, width) = (range.height() as u64, range.width() as u64);
                assert!(
                    extent.rows >= height && extent.cols >= width && extent.rows < 200,
                    "{path:?} {name}: measured {extent:?}, calamine {height}×{width}"
                );
            }
        }
    }

    #[test]
    fn ods_repeats_count_toward_the_extent_only_for_filled_cells() {
        let content = r#"<office:document-content><office:body><office:spreadsheet>
            <table:table table:name="数据">
              <table:table-row><table:table-cell office:value-type="string"><text:p>a</text:p></table:table-cell></table:table-row>
              <table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="2"/><table:table-cell table:number-columns-repeated="4" office:value-type="percentage" office:value="0.5"/></table:table-row>
              <table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
            </table:table>
            <table:table table:name="合并"><table:table-row><table:table-cell table:number-columns-spanned="2" table:number-rows-spanned="3"><text:p>x</text:p></table:table-cell></table:table-row></table:table>
            </office:spreadsheet></office:body></office:document-content>"#;
        let layouts = ods_layout(&ods(content), &limits()).expect("well-formed");
        let extents: Vec<(&str, Extent)> = layouts
            .iter()
            .map(|(name, layout)| (name.as_str(), layout.extent))
            .collect();
        assert_eq!(
            extents,
            vec![
                ("数据", Extent { rows: 4, cols: 6 }),
                ("合并", Extent { rows: 1, cols: 1 })
            ]
        );
        assert_eq!(layouts[1].1.merges, vec![Dimensions::new((0, 0), (2, 1))]);
        // The three rows of four repeated percentage cells are listed one by one.
        assert_eq!(layouts[0].1.percent.len(), 12);
        assert!(layouts[0].1.percent.contains(&(3, 5)));
    }

    fn ods(content: &str) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
            .expect("entry");
        std::io::Write::write_all(&mut zip, content.as_bytes()).expect("write");
        zip.finish().expect("zip").into_inner()
    }

    #[test]
    fn ods_that_calamine_would_hang_or_balloon_on_is_refused() {
        let truncated = ods(
            r#"<office:body><table:table table:name="t"><table:table-row>
            <table:table-cell office:value-type="float" office:value="1"/></table:table-row>
            </table:whatever>"#,
        );
        assert!(matches!(
            ods_layout(&truncated, &limits()),
            Err(OpenError::Corrupt(_))
        ));
        let annotation = ods(
            r#"<table:table table:name="t"><table:table-row><table:table-cell>
            <office:annotation><text:p>note"#,
        );
        assert!(matches!(
            ods_layout(&annotation, &limits()),
            Err(OpenError::Corrupt(_))
        ));
        let spaces = ods(
            r#"<table:table table:name="t"><table:table-row><table:table-cell
            office:value-type="string"><text:p>a<text:s text:c="4000000000"/></text:p>
            </table:table-cell></table:table-row></table:table>"#,
        );
        assert!(matches!(
            ods_layout(&spaces, &limits()),
            Err(OpenError::Inflates {
                uncompressed: 4_000_000_000,
                ..
            })
        ));
        let fine = ods(
            r#"<table:table table:name="t"><table:table-row><table:table-cell
            office:value-type="string"><text:p>a<text:s text:c="3"/>b</text:p>
            </table:table-cell></table:table-row></table:table>"#,
        );
        assert!(ods_layout(&fine, &limits()).is_ok());
        // A span of zero rows (found by fuzzing: the end row underflowed) is no merge.
        let zero_span = ods(
            r#"<table:table table:name="t"><table:table-row><table:table-cell
            table:number-rows-spanned="0" table:number-columns-spanned="2"/></table:table-row>
            </table:table>"#,
        );
        let layouts = ods_layout(&zero_span, &limits()).expect("well-formed");
        assert_eq!(layouts[0].1.merges, vec![Dimensions::new((0, 0), (0, 1))]);
        // A table closed by a mistyped end tag runs on, as in calamine, through the next
        // table's rows: one sheet of 2,001 rows, not two.
        let runs_on = ods(
            r#"<table:table table:name="a"><table:table-row><table:table-cell
            office:value-type="float" office:value="1"/></table:table-row></table:tabel>
            <table:table table:name="b"><table:table-row table:number-rows-repeated="2000">
            <table:table-cell office:value-type="float" office:value="1"/></table:table-row>
            </table:table>"#,
        );
        let layouts = ods_layout(&runs_on, &limits()).expect("well-formed");
        assert_eq!(layouts.len(), 1);
        assert_eq!(
            layouts[0].1.extent,
            Extent {
                rows: 2001,
                cols: 1
            }
        );
    }
}
