//! Fuzzes the file-to-cells entry point: any bytes → a rejected, ignored or accepted file with
//! classified cells. No panic, hang or runaway allocation is acceptable (panics inside calamine
//! excepted: zlbd contains them, see `common::contain_reader_panics`).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| common::file_to_cells(data));
