//! Small helpers over polars used by normalize and compare, so joins and column reads say
//! what they mean in one line.

use polars::prelude::*;

/// Joins on columns that have the same names on both sides (every join zlbd makes).
pub trait JoinOn {
    fn join_on<E: AsRef<[Expr]>>(self, other: LazyFrame, keys: E, how: JoinType) -> LazyFrame;
}

impl JoinOn for LazyFrame {
    fn join_on<E: AsRef<[Expr]>>(self, other: LazyFrame, keys: E, how: JoinType) -> LazyFrame {
        let keys = keys.as_ref();
        self.join(other, keys, keys, JoinArgs::new(how))
    }
}

/// A text column as owned values.
pub fn strings(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(frame
        .column(name)?
        .str()?
        .iter()
        .map(|value| value.map(str::to_string))
        .collect())
}

/// A numeric column as f64.
pub fn floats(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(frame
        .column(name)?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .collect())
}

/// An integer column as i64.
pub fn integers(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
    Ok(frame
        .column(name)?
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .collect())
}
