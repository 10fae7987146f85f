//! The Parquet schema of each snapshot table: the one place where a column's declared type
//! lives, so every writer and reader agrees on it.

use crate::domain::columns::*;
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}
fn int64(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}
fn int32(name: &str) -> Field {
    Field::new(name, DataType::Int32, true)
}
fn float64(name: &str) -> Field {
    Field::new(name, DataType::Float64, true)
}
fn boolean(name: &str) -> Field {
    Field::new(name, DataType::Boolean, true)
}

/// The Parquet schema of a snapshot table, or of
/// `runs`.
pub fn schema(table: &str) -> Option<Schema> {
    let fields = match table {
        "runs" => runs(),
        _ => read_tables(table).or_else(|| computed_tables(table))?,
    };
    Some(Schema::new(fields))
}

/// Tables of what was read: submissions, dimensions, facts, rejects, corrections.
fn read_tables(table: &str) -> Option<Vec<Field>> {
    Some(match table {
        "submissions" => vec![
            utf8(SUBMISSION_ID),
            utf8(SOURCE_FILE),
            utf8(FILE_FORMAT),
            int64(SIZE_BYTES),
            utf8(FORM),
            utf8(LEVEL),
            utf8(ENTITY_ID),
            utf8(ENTITY_NAME),
            utf8(CITY_CODE),
            float64(VERSION),
            Field::new(FILLED_DATE, DataType::Date32, true),
            utf8(YEARS),
            utf8(STATUS),
            utf8(SUPERSEDED_BY),
            utf8(REASON),
            int64(CELLS_LOADED),
            int64(CELLS_SUPERSEDED),
            int64(CELLS_REJECTED),
            int64(CELLS_MISSING),
            utf8(CONTACT_NAME),
            utf8(CONTACT_PHONE),
        ],
        "dim_entity" => vec![
            utf8(LEVEL),
            utf8(ENTITY_ID),
            utf8(ENTITY_NAME),
            utf8(CITY_CODE),
            utf8(CITY_NAME),
            utf8(PARK_ID),
            utf8(INDUSTRY_CODE),
            utf8(PEER_GROUP),
            boolean(IN_ROSTER),
        ],
        "dim_indicator" => vec![
            utf8(LEVEL),
            utf8(INDICATOR_CODE),
            utf8(INDICATOR_NAME),
            utf8(UNIT),
            utf8(DIRECTION),
            utf8(KIND),
            float64(WEIGHT),
            utf8(AGG),
        ],
        "fact_indicator" => vec![
            utf8(LEVEL),
            utf8(ENTITY_ID),
            utf8(INDICATOR_CODE),
            int32(YEAR),
            float64(VALUE),
            utf8(UNIT),
            utf8(RAW_VALUE),
            utf8(SOURCE_FILE),
            utf8(SOURCE_SHEET),
            utf8(SOURCE_CELL),
            utf8(SUBMISSION_ID),
            boolean(IS_DERIVED),
        ],
        "rejects" => vec![
            utf8(SUBMISSION_ID),
            utf8(SOURCE_FILE),
            utf8(SOURCE_SHEET),
            utf8(SOURCE_CELL),
            utf8(LEVEL),
            utf8(ENTITY_ID),
            utf8(INDICATOR_CODE),
            int32(YEAR),
            utf8(RULE),
            utf8(SEVERITY),
            utf8(MESSAGE),
            utf8(RAW_VALUE),
        ],
        "corrections" => vec![
            utf8(LEVEL),
            utf8(ENTITY_ID),
            utf8(INDICATOR_CODE),
            int32(YEAR),
            float64(OLD_VALUE),
            float64(NEW_VALUE),
            utf8(OLD_SUBMISSION_ID),
            utf8(NEW_SUBMISSION_ID),
            utf8(OLD_SOURCE_FILE),
            utf8(NEW_SOURCE_FILE),
        ],
        _ => return None,
    })
}

/// Tables the comparison computes.
fn computed_tables(table: &str) -> Option<Vec<Field>> {
    Some(match table {
        "fact_comparison" => vec![
            utf8(LEVEL),
            utf8(ENTITY_ID),
            utf8(INDICATOR_CODE),
            int32(YEAR),
            float64(VALUE),
            float64(PREV_VALUE),
            float64(YOY_ABS),
            float64(YOY_PCT),
            float64(FIRST_VALUE),
            float64(CHANGE_ABS),
            float64(CHANGE_PCT),
            float64(CAGR_PCT),
            boolean(IMPROVED),
            utf8(PEER_GROUP),
            int64(PEER_N),
            int64(RANK),
            float64(PERCENTILE),
            float64(PEER_MEDIAN),
            float64(PEER_BEST),
            float64(GAP_TO_BEST),
            float64(ROBUST_Z),
            boolean(ANOMALY),
        ],
        "entity_score" => vec![
            utf8(LEVEL),
            utf8(ENTITY_ID),
            int32(YEAR),
            float64(SCORE),
            float64(COMPLETENESS),
            int64(SCORE_RANK),
            int64(PEER_N),
            float64(SCORE_CHANGE),
            boolean(TYPICAL),
            int64(TYPICAL_RANK),
            utf8(SCORE_GROUP),
        ],
        "entity_score_detail" => vec![
            utf8(LEVEL),
            utf8(ENTITY_ID),
            int32(YEAR),
            utf8(INDICATOR_CODE),
            float64(NORMALIZED),
            float64(WEIGHT),
            float64(CONTRIBUTION),
        ],
        "roster_status" => vec![
            utf8(LEVEL),
            utf8(ENTITY_ID),
            utf8(ENTITY_NAME),
            boolean(EXPECTED),
            boolean(SUBMITTED),
            utf8(STATUS),
            int64(CELLS_EXPECTED),
            int64(CELLS_LOADED),
        ],
        _ => return None,
    })
}

/// `runs.parquet`: one row per run (the only table with timestamps).
fn runs() -> Vec<Field> {
    vec![
        utf8("run_id"),
        Field::new(
            "started_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new(
            "finished_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        utf8("command"),
        utf8(STATUS),
        int32("exit_code"),
        int64("files"),
        int64("files_active"),
        int64("files_rejected"),
        int64("files_from_cache"),
        int64("facts"),
        int64("rejects_error"),
        int64("rejects_warning"),
        utf8("config_hash"),
        utf8("program_version"),
        utf8("snapshot"),
        utf8(MESSAGE),
    ]
}
