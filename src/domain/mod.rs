//! The bottom layer: the domain's vocabulary and the small pure functions every stage shares.
//! Levels, forms, statuses, cell outcomes, rules with their severity, entity identity, A1
//! addresses, USCC checks, text folding, table and column names.
//!
//! Guarantee: this module imports nothing from the rest of zlbd, so every stage can use it
//! and a value means the same thing everywhere (a typo in a status or rule does not compile).

pub mod address;
pub mod columns;
pub mod dictionary;
pub mod entity;
pub mod rule;
pub mod status;
pub mod text;
pub mod units;
pub mod uscc;
pub mod vocabulary;

pub use address::a1;
pub use entity::{EntityRef, Submitter};
pub use rule::{Finding, Rule, Severity};
pub use status::{CellOutcome, RosterStatus, SubmissionStatus};
pub use vocabulary::{Aggregation, CatalogSection, Direction, Form, Kind, Level, Word};
