//! The outcomes the warehouse records: what became of a file (`submissions.status`), of an
//! indicator cell (fact, missing or reject; SPEC §5), and of a roster entity
//! (`roster_status.status`). Each has one spelling, its `as_str()`.

use serde::{Deserialize, Serialize};

/// What became of one file of the inbox (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Read, and at least one of its years wins.
    Active,
    /// Read, but a later correction wins every year it covers.
    Superseded,
    /// The same bytes as another path's submission.
    Duplicate,
    /// Refused whole: unreadable, unrecognised, no identity, too large.
    Rejected,
    /// Passed over: lock files, hidden files, files that are no spreadsheet.
    Ignored,
}

impl SubmissionStatus {
    pub const ALL: [SubmissionStatus; 5] = [
        SubmissionStatus::Active,
        SubmissionStatus::Superseded,
        SubmissionStatus::Duplicate,
        SubmissionStatus::Rejected,
        SubmissionStatus::Ignored,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Active => "active",
            SubmissionStatus::Superseded => "superseded",
            SubmissionStatus::Duplicate => "duplicate",
            SubmissionStatus::Rejected => "rejected",
            SubmissionStatus::Ignored => "ignored",
        }
    }

    pub fn parse(text: &str) -> Option<SubmissionStatus> {
        SubmissionStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    /// The status as a submitter reads it in the feedback.
    pub fn label_zh(self) -> &'static str {
        match self {
            SubmissionStatus::Active => "已载入",
            SubmissionStatus::Superseded => "已被更正取代",
            SubmissionStatus::Duplicate => "重复文件",
            SubmissionStatus::Rejected => "未通过",
            SubmissionStatus::Ignored => "已忽略",
        }
    }
}

/// What became of one non-empty indicator cell (SPEC §5): exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellOutcome {
    /// A value, loaded (or superseded later by a correction).
    Fact,
    /// A missing marker (`—`, `无`, `N/A` …): neither fact nor reject.
    Missing,
    /// Kept out by an error rule.
    Reject,
}

impl CellOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            CellOutcome::Fact => "fact",
            CellOutcome::Missing => "missing",
            CellOutcome::Reject => "reject",
        }
    }
}

/// How far a roster entity's expected cells arrived (`roster_status.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RosterStatus {
    /// Every expected indicator × year cell loaded.
    Complete,
    /// Some loaded.
    Partial,
    /// In the roster, nothing loaded.
    Missing,
    /// Reported but not in the roster.
    Unexpected,
}

impl RosterStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            RosterStatus::Complete => "complete",
            RosterStatus::Partial => "partial",
            RosterStatus::Missing => "missing",
            RosterStatus::Unexpected => "unexpected",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for status in SubmissionStatus::ALL {
            assert_eq!(SubmissionStatus::parse(status.as_str()), Some(status));
        }
    }
}
