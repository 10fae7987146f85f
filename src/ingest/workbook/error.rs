//! How a file can fail to open, and the container formats zlbd tells apart. Every variant's
//! message is Chinese first, for the submitter, then English, for the operator.

use crate::config::Limits;
use serde::{Deserialize, Serialize};

/// The container a file's bytes hold, told from its content, never from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileFormat {
    Xlsx,
    Xlsm,
    Xls,
    Ods,
}

impl FileFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Xlsx => "xlsx",
            FileFormat::Xlsm => "xlsm",
            FileFormat::Xls => "xls",
            FileFormat::Ods => "ods",
        }
    }
}

/// Why a file could not be opened as a workbook. Each message is Chinese first, for the
/// submitter, then English, for the operator.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OpenError {
    /// The file has no bytes.
    #[error("文件为空，请重新导出后报送 (the file is empty)")]
    Empty,
    /// An OLE container with an encrypted OOXML package, or an .xls with a password.
    #[error("文件已加密，请取消密码后重新报送 (the workbook is password-protected)")]
    Encrypted,
    /// HTML (a web page export) saved under an Excel name.
    #[error(
        "文件实为网页(HTML)格式，请在Excel中另存为.xlsx后重新报送 (HTML saved under an Excel name)"
    )]
    Html,
    /// Plain text (CSV) saved under an Excel name.
    #[error("文件实为文本(CSV)格式，请在Excel中另存为.xlsx后重新报送 (CSV text saved under an Excel name)")]
    Csv,
    /// The file on disk is larger than the configured limit.
    #[error("文件过大({size}字节，上限{limit}字节)，请删除无关内容后重新报送 (file of {size} bytes exceeds the {limit}-byte limit)")]
    FileTooLarge { size: u64, limit: u64 },
    /// The zip entries would inflate beyond the configured limit (a zip bomb or a huge sheet).
    #[error("文件解压后过大({uncompressed}字节，上限{limit}字节)，请删除无关内容后重新报送 (workbook inflates to {uncompressed} bytes, over the {limit}-byte limit)")]
    Inflates { uncompressed: u64, limit: u64 },
    /// A sheet has more rows than the configured limit.
    #[error("工作表“{sheet}”超过{limit}行，请删除无关内容后重新报送 (sheet {sheet:?} has more than {limit} rows)")]
    TooManyRows { sheet: String, limit: u32 },
    /// A sheet that calamine would lay out densely over more cells than the workbook budget
    /// (a cell far from the others, or a cell repeated over millions of positions).
    #[error("工作表“{sheet}”的数据范围过大({rows}行×{cols}列)，请删除表格以外的多余内容后重新报送 (sheet {sheet:?} spans {rows} rows × {cols} columns, over the {limit}-cell limit)")]
    SheetTooLarge {
        sheet: String,
        rows: u64,
        cols: u64,
        limit: u64,
    },
    /// An Excel binary workbook (.xlsb), which zlbd does not read.
    #[error("文件为Excel二进制工作簿(.xlsb)，暂不支持，请在Excel中另存为.xlsx后重新报送 (binary workbook .xlsb: save it as .xlsx)")]
    Binary,
    /// A zip or OLE container that holds no spreadsheet.
    #[error("文件不是电子表格，请以.xlsx格式重新报送 (the container holds no spreadsheet)")]
    NotAWorkbook,
    /// Truncated or corrupt bytes; calamine's or zip's own words follow.
    #[error("文件已损坏或不完整，无法读取，请重新导出后报送 (corrupt or truncated workbook: {0})")]
    Corrupt(String),
}

/// The one file-size check, made before a file is read from disk and again on its bytes.
pub fn check_file_size(size: u64, limits: &Limits) -> Result<(), OpenError> {
    if size > limits.max_file_bytes {
        return Err(OpenError::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    Ok(())
}
