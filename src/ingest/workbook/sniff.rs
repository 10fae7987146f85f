//! Tells a file's container from its bytes, never from its name, and refuses what is not a
//! workbook (HTML, CSV, encrypted, empty, too large, a zip bomb) before any reader runs.

use super::error::{check_file_size, FileFormat, OpenError};
use crate::config::Limits;
use std::collections::HashSet;
use std::io::Cursor;

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Tells the container from the first bytes and, for zips, the entry names.
pub(super) fn sniff(bytes: &[u8], limits: &Limits) -> Result<FileFormat, OpenError> {
    if bytes.is_empty() {
        return Err(OpenError::Empty);
    }
    check_file_size(bytes.len() as u64, limits)?;
    if bytes.starts_with(&OLE_MAGIC) {
        let marker: Vec<u8> = "EncryptedPackage"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        if bytes
            .windows(marker.len())
            .any(|window| window == marker.as_slice())
        {
            return Err(OpenError::Encrypted);
        }
        return Ok(FileFormat::Xls);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return sniff_zip(bytes, limits);
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    if trimmed.starts_with('<') {
        return Err(OpenError::Html);
    }
    let printable = head
        .iter()
        .filter(|&&b| b == b'\n' || b == b'\r' || b == b'\t' || b >= 0x20)
        .count();
    if std::str::from_utf8(head).is_ok()
        && printable * 100 >= head.len() * 95
        && (text.contains(',') || text.contains('\t'))
    {
        return Err(OpenError::Csv);
    }
    Err(OpenError::Corrupt("unknown file signature".to_string()))
}

/// Checks the zip's central directory against the inflate limit before any entry is read.
fn sniff_zip(bytes: &[u8], limits: &Limits) -> Result<FileFormat, OpenError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| OpenError::Corrupt(error.to_string()))?;
    let mut total: u64 = 0;
    let mut names = HashSet::new();
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|error| OpenError::Corrupt(error.to_string()))?;
        total = total.saturating_add(entry.size());
        names.insert(
            entry
                .name()
                .map(|name| name.to_string())
                .unwrap_or_default(),
        );
    }
    if total > limits.max_uncompressed_bytes {
        return Err(OpenError::Inflates {
            uncompressed: total,
            limit: limits.max_uncompressed_bytes,
        });
    }
    if names.contains("EncryptedPackage") {
        return Err(OpenError::Encrypted);
    }
    if names.contains("xl/workbook.xml")
        || names
            .iter()
            .any(|name| name.starts_with("xl/") && name.ends_with("workbook.xml"))
    {
        if names.contains("xl/vbaProject.bin") {
            return Ok(FileFormat::Xlsm);
        }
        return Ok(FileFormat::Xlsx);
    }
    if names.contains("content.xml") {
        return Ok(FileFormat::Ods);
    }
    if names.contains("xl/workbook.bin") {
        return Err(OpenError::Binary);
    }
    Err(OpenError::NotAWorkbook)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::small()
    }

    #[test]
    fn sniffs_bad_files_by_content() {
        assert_eq!(sniff(b"", &limits()), Err(OpenError::Empty));
        assert_eq!(
            sniff(b"<html><table></table></html>", &limits()),
            Err(OpenError::Html)
        );
        assert_eq!(
            sniff("\u{feff}  <!DOCTYPE html>".as_bytes(), &limits()),
            Err(OpenError::Html)
        );
        assert_eq!(
            sniff("企业名称,营业收入\n甲,1\n".as_bytes(), &limits()),
            Err(OpenError::Csv)
        );
        assert!(matches!(
            sniff(&[0x00, 0xFF, 0x13, 0x37, 0x99], &limits()),
            Err(OpenError::Corrupt(_))
        ));
        assert!(matches!(
            sniff(b"PK\x03\x04truncated", &limits()),
            Err(OpenError::Corrupt(_))
        ));
    }
}
