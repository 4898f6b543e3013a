//! An analyst's verdicts laid over a report: which techniques were accepted, rejected or added,
//! for the whole report or for one chunk. The review file that stores them (who, when, which
//! model, re-attachment to a changed input) lives in the `mitremap-review` crate; the engine only
//! needs the resolved verdicts to tell every front end and exporter each technique's status.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What an analyst said about a technique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ReviewStatus {
    /// No verdict yet: the model's prediction stands as a suggestion.
    Unreviewed,
    /// The analyst confirmed the model's prediction.
    Accepted,
    /// The analyst said the prediction is wrong.
    Rejected,
    /// The analyst added a technique the model did not predict (above the threshold).
    Added,
}

impl ReviewStatus {
    /// `accepted`, as in the JSON and on the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Unreviewed => "unreviewed",
            ReviewStatus::Accepted => "accepted",
            ReviewStatus::Rejected => "rejected",
            ReviewStatus::Added => "added",
        }
    }

    /// True for a verdict an analyst gave (anything but unreviewed).
    pub fn is_reviewed(self) -> bool {
        self != ReviewStatus::Unreviewed
    }

    /// True when the analyst holds the technique to be present (accepted or added).
    pub fn is_confirmed(self) -> bool {
        matches!(self, ReviewStatus::Accepted | ReviewStatus::Added)
    }
}

impl std::fmt::Display for ReviewStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Verdicts resolved against one report: technique IDs are current ATT&CK IDs (revoked ones
/// already followed to their replacement) and chunk verdicts point at this report's chunks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewOverlay {
    /// Verdicts on a technique for the whole report, by technique ID.
    pub report: BTreeMap<String, ReviewStatus>,
    /// Verdicts on a technique in one chunk, by (chunk index, technique ID).
    pub chunks: BTreeMap<(usize, String), ReviewStatus>,
    /// The analyst's notes, by technique ID (report level).
    pub notes: BTreeMap<String, String>,
}

impl ReviewOverlay {
    /// True when no verdict is recorded.
    pub fn is_empty(&self) -> bool {
        self.report.is_empty() && self.chunks.is_empty()
    }

    /// The verdict on `technique` in chunk `chunk`: the chunk's own verdict, else the report-level
    /// one, else unreviewed.
    pub fn chunk_status(&self, chunk: usize, technique: &str) -> ReviewStatus {
        self.chunks
            .get(&(chunk, technique.to_owned()))
            .or_else(|| self.report.get(technique))
            .copied()
            .unwrap_or(ReviewStatus::Unreviewed)
    }

    /// The report-level status of a technique the model predicted in `chunks` (empty for one it
    /// did not predict): an explicit report verdict wins; otherwise any chunk accepted or added
    /// makes it accepted (added when the model did not predict it), and it is rejected only when
    /// every chunk that predicted it was rejected.
    pub fn technique_status(&self, technique: &str, chunks: &[usize]) -> ReviewStatus {
        if let Some(&status) = self.report.get(technique) {
            return status;
        }
        let chunk_verdicts: Vec<(usize, ReviewStatus)> = self
            .chunks
            .iter()
            .filter(|((_, id), _)| id == technique)
            .map(|(&(chunk, _), &status)| (chunk, status))
            .collect();
        if chunk_verdicts.iter().any(|&(_, s)| s.is_confirmed()) {
            return if chunks.is_empty() {
                ReviewStatus::Added
            } else {
                ReviewStatus::Accepted
            };
        }
        let all_rejected = !chunks.is_empty()
            && chunks.iter().all(|c| {
                chunk_verdicts
                    .iter()
                    .any(|&(v, s)| v == *c && s == ReviewStatus::Rejected)
            });
        if all_rejected {
            ReviewStatus::Rejected
        } else {
            ReviewStatus::Unreviewed
        }
    }

    /// Techniques the analyst holds present whatever the model says: added ones (with the chunks
    /// they were added to; none for report level) and report-level acceptances (which stay in the
    /// report when the model no longer predicts them, e.g. after an edit or a higher threshold).
    pub fn added(&self) -> BTreeMap<&str, Vec<usize>> {
        let mut out: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (id, status) in &self.report {
            if status.is_confirmed() {
                out.entry(id.as_str()).or_default();
            }
        }
        for ((chunk, id), status) in &self.chunks {
            if *status == ReviewStatus::Added {
                out.entry(id.as_str()).or_default().push(*chunk);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlay(
        report: &[(&str, ReviewStatus)],
        chunks: &[(usize, &str, ReviewStatus)],
    ) -> ReviewOverlay {
        ReviewOverlay {
            report: report.iter().map(|&(id, s)| (id.to_owned(), s)).collect(),
            chunks: chunks
                .iter()
                .map(|&(c, id, s)| ((c, id.to_owned()), s))
                .collect(),
            notes: BTreeMap::new(),
        }
    }

    #[test]
    fn report_verdict_wins_over_chunk_verdicts() {
        let o = overlay(
            &[("T1003", ReviewStatus::Rejected)],
            &[(0, "T1003", ReviewStatus::Accepted)],
        );
        assert_eq!(o.technique_status("T1003", &[0, 1]), ReviewStatus::Rejected);
        assert_eq!(o.chunk_status(0, "T1003"), ReviewStatus::Accepted);
        assert_eq!(o.chunk_status(1, "T1003"), ReviewStatus::Rejected);
    }

    #[test]
    fn chunk_verdicts_roll_up_to_the_technique() {
        let o = overlay(
            &[],
            &[
                (0, "T1003", ReviewStatus::Rejected),
                (1, "T1059", ReviewStatus::Rejected),
                (2, "T1059", ReviewStatus::Rejected),
                (3, "T1486", ReviewStatus::Accepted),
                (4, "T1566", ReviewStatus::Added),
            ],
        );
        // One of two chunks rejected: still open.
        assert_eq!(
            o.technique_status("T1003", &[0, 5]),
            ReviewStatus::Unreviewed
        );
        assert_eq!(o.technique_status("T1059", &[1, 2]), ReviewStatus::Rejected);
        assert_eq!(o.technique_status("T1486", &[3, 6]), ReviewStatus::Accepted);
        assert_eq!(o.technique_status("T1566", &[]), ReviewStatus::Added);
        assert_eq!(o.technique_status("T1082", &[7]), ReviewStatus::Unreviewed);
        assert_eq!(o.added().get("T1566"), Some(&vec![4]));
    }
}
