//! A1 cell addresses, the way a submitter finds a cell in Excel, WPS or LibreOffice.

/// Zero-based (row, column) to an A1 address: (0, 0) → "A1", (11, 3) → "D12".
pub fn a1(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col as u64 + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    let mut out = String::from_utf8(letters).unwrap_or_default();
    out.push_str(&(row as u64 + 1).to_string());
    out
}

/// The column letters of a zero-based column: 0 → "A", 27 → "AB".
pub fn column_letters(col: u32) -> String {
    let address = a1(0, col);
    address.trim_end_matches('1').to_string()
}

/// An A1 address's (row, column-letter count, letters), ordered as a reader scans a sheet: by
/// row, then column. Text that is no address orders first.
pub fn reading_order(cell: Option<&str>) -> (u32, usize, String) {
    let Some(cell) = cell else {
        return (0, 0, String::new());
    };
    let letters: String = cell
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let row: u32 = cell[letters.len()..].parse().unwrap_or(0);
    (row, letters.len(), letters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_addresses() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(11, 3), "D12");
        assert_eq!(a1(0, 25), "Z1");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(9, 701), "ZZ10");
        assert_eq!(a1(0, 702), "AAA1");
        assert_eq!(column_letters(27), "AB");
    }

    #[test]
    fn reading_order_is_row_then_column() {
        let mut cells = vec!["B10", "AA2", "C2", "A2"];
        cells.sort_by_key(|cell| reading_order(Some(cell)));
        assert_eq!(cells, ["A2", "C2", "AA2", "B10"]);
    }
}
