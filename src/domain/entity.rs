//! Who a form comes from and whom its rows describe. Identity is (level, entity_id): the same
//! id (I01, PI01) exists at several levels, so neither part alone is a key.

use super::vocabulary::{Form, Level};
use serde::{Deserialize, Serialize};

/// Who sent a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submitter {
    /// The form it sent; `submissions.level` is `form.submitter_level()`.
    pub form: Form,
    pub entity_id: String,
    pub entity_name: String,
    pub city_code: Option<String>,
    pub in_roster: bool,
    /// The GB/T 4754 code an enterprise form declares (所属行业 / 行业代码): the peer group of
    /// an enterprise the roster does not list. The roster's code wins for one it lists.
    pub industry_code: Option<String>,
}

/// An entity a form reports on; for a city form, each of its industries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntityRef {
    pub level: Level,
    pub entity_id: String,
    pub entity_name: String,
    pub city_code: Option<String>,
    pub in_roster: bool,
    /// As [`Submitter::industry_code`]; none but an enterprise's.
    pub industry_code: Option<String>,
}

impl EntityRef {
    /// The single-column key `<level>:<entity_id>` that BI tools join on.
    pub fn key(&self) -> String {
        entity_key(self.level, &self.entity_id)
    }
}

/// `<level>:<entity_id>`, e.g. `city_industry:CI05`.
pub fn entity_key(level: Level, entity_id: &str) -> String {
    format!("{}:{entity_id}", level.as_str())
}
