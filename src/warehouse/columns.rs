//! Every table and column name of the warehouse (SPEC §8), in one place, with each table's
//! Parquet schema. Stages build frames with these names; the writer casts to these types.

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

pub const SUBMISSION_ID: &str = "submission_id";
pub const SOURCE_FILE: &str = "source_file";
pub const FILE_FORMAT: &str = "file_format";
pub const SIZE_BYTES: &str = "size_bytes";
pub const FORM: &str = "form";
pub const LEVEL: &str = "level";
pub const ENTITY_ID: &str = "entity_id";
pub const ENTITY_NAME: &str = "entity_name";
pub const CITY_CODE: &str = "city_code";
pub const CITY_NAME: &str = "city_name";
pub const PARK_ID: &str = "park_id";
pub const INDUSTRY_CODE: &str = "industry_code";
pub const PEER_GROUP: &str = "peer_group";
pub const IN_ROSTER: &str = "in_roster";
pub const VERSION: &str = "version";
pub const FILLED_DATE: &str = "filled_date";
pub const YEARS: &str = "years";
pub const STATUS: &str = "status";
pub const SUPERSEDED_BY: &str = "superseded_by";
pub const REASON: &str = "reason";
pub const CELLS_LOADED: &str = "cells_loaded";
pub const CELLS_SUPERSEDED: &str = "cells_superseded";
pub const CELLS_REJECTED: &str = "cells_rejected";
pub const CELLS_MISSING: &str = "cells_missing";
pub const INDICATOR_CODE: &str = "indicator_code";
pub const INDICATOR_NAME: &str = "indicator_name";
pub const UNIT: &str = "unit";
pub const DIRECTION: &str = "direction";
pub const KIND: &str = "kind";
pub const WEIGHT: &str = "weight";
pub const AGG: &str = "agg";
pub const YEAR: &str = "year";
pub const VALUE: &str = "value";
pub const RAW_VALUE: &str = "raw_value";
pub const SOURCE_SHEET: &str = "source_sheet";
pub const SOURCE_CELL: &str = "source_cell";
pub const IS_DERIVED: &str = "is_derived";
pub const PREV_VALUE: &str = "prev_value";
pub const YOY_ABS: &str = "yoy_abs";
pub const YOY_PCT: &str = "yoy_pct";
pub const FIRST_VALUE: &str = "first_value";
pub const CHANGE_ABS: &str = "change_abs";
pub const CHANGE_PCT: &str = "change_pct";
pub const CAGR_PCT: &str = "cagr_pct";
pub const IMPROVED: &str = "improved";
pub const PEER_N: &str = "peer_n";
pub const RANK: &str = "rank";
pub const PERCENTILE: &str = "percentile";
pub const PEER_MEDIAN: &str = "peer_median";
pub const PEER_BEST: &str = "peer_best";
pub const GAP_TO_BEST: &str = "gap_to_best";
pub const ROBUST_Z: &str = "robust_z";
pub const ANOMALY: &str = "anomaly";
pub const SCORE: &str = "score";
pub const COMPLETENESS: &str = "completeness";
pub const SCORE_RANK: &str = "score_rank";
pub const SCORE_CHANGE: &str = "score_change";
pub const TYPICAL: &str = "typical";
pub const TYPICAL_RANK: &str = "typical_rank";
pub const NORMALIZED: &str = "normalized";
pub const CONTRIBUTION: &str = "contribution";
pub const RULE: &str = "rule";
pub const SEVERITY: &str = "severity";
pub const MESSAGE: &str = "message";
pub const OLD_VALUE: &str = "old_value";
pub const NEW_VALUE: &str = "new_value";
pub const OLD_SUBMISSION_ID: &str = "old_submission_id";
pub const NEW_SUBMISSION_ID: &str = "new_submission_id";
pub const OLD_SOURCE_FILE: &str = "old_source_file";
pub const NEW_SOURCE_FILE: &str = "new_source_file";
pub const EXPECTED: &str = "expected";
pub const SUBMITTED: &str = "submitted";
pub const INDICATORS_EXPECTED: &str = "indicators_expected";
pub const INDICATORS_LOADED: &str = "indicators_loaded";

/// The snapshot tables, in the order they are written and listed in views.sql.
pub const TABLES: [&str; 10] = [
    "submissions",
    "dim_entity",
    "dim_indicator",
    "fact_indicator",
    "fact_comparison",
    "entity_score",
    "entity_score_detail",
    "rejects",
    "corrections",
    "roster_status",
];

/// The table partitioned by year (hive style, `year=2021/`); its files hold no year column.
pub const PARTITIONED_TABLE: &str = "fact_indicator";

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

/// The Parquet schema of a snapshot table (for fact_indicator: of each partition file).
pub fn schema(table: &str) -> Option<Schema> {
    let fields = match table {
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
            int64(VERSION),
            Field::new(FILLED_DATE, DataType::Date32, true),
            utf8(YEARS),
            utf8(STATUS),
            utf8(SUPERSEDED_BY),
            utf8(REASON),
            int64(CELLS_LOADED),
            int64(CELLS_SUPERSEDED),
            int64(CELLS_REJECTED),
            int64(CELLS_MISSING),
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
            float64(VALUE),
            utf8(UNIT),
            utf8(RAW_VALUE),
            utf8(SOURCE_FILE),
            utf8(SOURCE_SHEET),
            utf8(SOURCE_CELL),
            utf8(SUBMISSION_ID),
            boolean(IS_DERIVED),
        ],
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
        "roster_status" => vec![
            utf8(LEVEL),
            utf8(ENTITY_ID),
            utf8(ENTITY_NAME),
            boolean(EXPECTED),
            boolean(SUBMITTED),
            utf8(STATUS),
            int64(INDICATORS_EXPECTED),
            int64(INDICATORS_LOADED),
        ],
        "runs" => vec![
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
        ],
        _ => return None,
    };
    Some(Schema::new(fields))
}
