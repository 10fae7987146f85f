//! The one adapter around calamine. Everything calamine returns becomes our [`CellValue`] in
//! `read::cell_value`, and every way a file can fail to open becomes an [`OpenError`] whose
//! message tells the submitter what to do.
//!
//! Size is checked before anything large is allocated: zip entries from the central directory
//! (zip bombs), xlsx sheets streamed row by row and refused at the row limit, .xls and .ods
//! sheets measured from their own records before calamine lays them out densely
//! ([`layout`]), and an .xls container checked for sound sector chains ([`ole`]).
//! Sheets are held sparsely so a stray cell at XFD1048576 costs one entry, not a billion.
//!
//! Nothing outside this module touches calamine: callers get a [`Workbook`] of sparse
//! [`Sheet`]s or an [`OpenError`].

mod cells;
mod error;
mod layout;
mod merges;
mod ole;
mod read;
mod sniff;

pub use cells::{cell_at, excel_date, CellValue, Sheet};
pub use error::{check_file_size, FileFormat, OpenError};
pub use read::{open, Workbook};
