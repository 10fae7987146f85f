//! `zlbd dictionary`: prints the data dictionary (docs/tables.md) from the program's own
//! table schemas and column descriptions, so the docs can be regenerated and checked.

use crate::domain::columns::TABLES;
use crate::domain::dictionary;
use crate::exit;
use crate::warehouse::schema::schema;

/// (table, [(column, type)]) for every snapshot table and runs.parquet.
pub fn tables() -> Vec<(&'static str, Vec<(String, String)>)> {
    TABLES
        .iter()
        .copied()
        .chain(["runs"])
        .map(|table| {
            let columns = schema(table)
                .map(|schema| {
                    schema
                        .fields()
                        .iter()
                        .map(|field| (field.name().clone(), sql_type(field.data_type())))
                        .collect()
                })
                .unwrap_or_default();
            (table, columns)
        })
        .collect()
}

/// The DuckDB type a Parquet column reads as.
fn sql_type(kind: &arrow::datatypes::DataType) -> String {
    use arrow::datatypes::DataType;
    match kind {
        DataType::Utf8 => "VARCHAR",
        DataType::Int64 => "BIGINT",
        DataType::Int32 => "INTEGER",
        DataType::Float64 => "DOUBLE",
        DataType::Boolean => "BOOLEAN",
        DataType::Date32 => "DATE",
        DataType::Timestamp(..) => "TIMESTAMP WITH TIME ZONE",
        _ => "?",
    }
    .to_string()
}

pub fn run() -> i32 {
    let text = dictionary::markdown(&tables())
        + &dictionary::views_markdown(&crate::warehouse::bi::bi_view_docs());
    if crate::cli::print_out(format_args!("{text}")) {
        exit::OK
    } else {
        exit::FAILED
    }
}
