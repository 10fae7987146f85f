//! A1 cell addresses, the way a submitter finds a cell in Excel, WPS or LibreOffice.

/// Zero-based (row, column) to an A1 address: (0, 0) → "A1", (11, 3) → "D12".
pub fn a1(row: u32, col: u32) -> String {
    let mut address = column_letters(col);
    address.push_str(itoa::Buffer::new().format(u64::from(row) + 1));
    address
}

/// The column letters of a zero-based column: 0 → "A", 27 → "AB".
pub fn column_letters(col: u32) -> String {
    // Seven letters reach 26^7 columns, more than a u32 can number.
    let mut letters = [0u8; 7];
    let mut start = letters.len();
    let mut n = u64::from(col) + 1;
    while n > 0 {
        start -= 1;
        letters[start] = b'A' + ((n - 1) % 26) as u8;
        n = (n - 1) / 26;
    }
    // The row number follows in `a1`: room for it too.
    let mut out = String::with_capacity(letters.len() - start + 10);
    out.extend(letters[start..].iter().map(|&letter| char::from(letter)));
    out
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
        assert_eq!(a1(u32::MAX, u32::MAX), "MWLQKWV4294967296");
        assert_eq!(column_letters(u32::MAX), "MWLQKWV");
    }

    #[test]
    fn reading_order_is_row_then_column() {
        let mut cells = vec!["B10", "AA2", "C2", "A2"];
        cells.sort_by_key(|cell| reading_order(Some(cell)));
        assert_eq!(cells, ["A2", "C2", "AA2", "B10"]);
    }
}
