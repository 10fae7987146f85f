//! Every table and column name of the warehouse (SPEC §8), in one place. Stages build frames
//! with these names; `warehouse::schema` gives each table's declared Parquet types.

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
pub const CONTACT_NAME: &str = "contact_name";
pub const CONTACT_PHONE: &str = "contact_phone";
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
pub const SCORE_GROUP: &str = "score_group";
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
/// `roster_status`: indicator × year cells expected of an entity (its loaded ones are
/// `cells_loaded`, as in `submissions`).
pub const CELLS_EXPECTED: &str = "cells_expected";

/// A fact's identity, (level, entity, indicator, year): the key every fact table is sorted by.
pub const FACT_KEY: [&str; 4] = [LEVEL, ENTITY_ID, INDICATOR_CODE, YEAR];

/// The snapshot tables, in the order they are written and listed in views.sql.
pub const TABLES: [&str; 10] = [
    table::SUBMISSIONS,
    table::DIM_ENTITY,
    table::DIM_INDICATOR,
    table::FACT_INDICATOR,
    table::FACT_COMPARISON,
    table::ENTITY_SCORE,
    table::ENTITY_SCORE_DETAIL,
    table::REJECTS,
    table::CORRECTIONS,
    table::ROSTER_STATUS,
];

/// Table names.
pub mod table {
    pub const SUBMISSIONS: &str = "submissions";
    pub const DIM_ENTITY: &str = "dim_entity";
    pub const DIM_INDICATOR: &str = "dim_indicator";
    pub const FACT_INDICATOR: &str = "fact_indicator";
    pub const FACT_COMPARISON: &str = "fact_comparison";
    pub const ENTITY_SCORE: &str = "entity_score";
    pub const ENTITY_SCORE_DETAIL: &str = "entity_score_detail";
    pub const REJECTS: &str = "rejects";
    pub const CORRECTIONS: &str = "corrections";
    pub const ROSTER_STATUS: &str = "roster_status";
}
