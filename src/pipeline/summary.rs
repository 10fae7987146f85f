//! The counts a run reports: on stdout, in the runs log, and remembered for a rerun that
//! finds nothing changed.

use crate::domain::SubmissionStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Counts for the run summary and the runs log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub files_by_status: BTreeMap<String, i64>,
    pub facts_loaded: i64,
    pub facts_derived: i64,
    pub errors: i64,
    pub warnings: i64,
    pub rejects_by_rule: BTreeMap<String, i64>,
}

impl Summary {
    pub fn files(&self, status: SubmissionStatus) -> i64 {
        self.files_by_status
            .get(status.as_str())
            .copied()
            .unwrap_or(0)
    }

    /// SPEC §9: 3 when anything was rejected, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.errors > 0 || self.files(SubmissionStatus::Rejected) > 0 {
            3
        } else {
            0
        }
    }

    pub fn render(&self) -> String {
        let files: i64 = self.files_by_status.values().sum();
        let by_status = self
            .files_by_status
            .iter()
            .map(|(status, n)| format!("{status} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        // An empty inbox says so, not `files: 0 ()`.
        let by_status = if by_status.is_empty() {
            String::new()
        } else {
            format!(" ({by_status})")
        };
        let by_rule = self
            .rejects_by_rule
            .iter()
            .map(|(rule, n)| format!("{rule} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "files: {files}{by_status}\nfacts: {} loaded, {} derived\nrejects: {} errors, {} warnings{}\n",
            self.facts_loaded,
            self.facts_derived,
            self.errors,
            self.warnings,
            if by_rule.is_empty() { String::new() } else { format!("\nby rule: {by_rule}") }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_counts_files_by_status_and_an_empty_inbox_only_by_number() {
        let mut summary = Summary::default();
        assert!(summary.render().starts_with("files: 0\nfacts: 0 loaded"));
        summary.files_by_status.insert("active".to_string(), 2);
        summary.files_by_status.insert("rejected".to_string(), 1);
        assert!(summary
            .render()
            .starts_with("files: 3 (active 2, rejected 1)\n"));
    }
}
