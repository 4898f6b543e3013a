//! Training records from reviews: one per reviewed span of text, with the techniques the analyst
//! holds present (accepted or added) and those they rejected (negatives). `training/dataset.py`
//! reads them as the `analyst_review` source, split by document (`doc`, the input's sha256).

use std::collections::BTreeMap;

use mitremap_engine::attack::Catalog;
use serde::Serialize;

use crate::{ReviewFile, Verdict};

/// The `source` of every record (`training/dataset.py` knows it by this name).
pub const TRAINING_SOURCE: &str = "analyst_review";

/// One line of the training JSONL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainingRecord {
    pub text: String,
    /// Current ATT&CK IDs present in the text, sorted.
    pub techniques: Vec<String>,
    /// Current ATT&CK IDs the analyst rejected for the text, sorted.
    pub negatives: Vec<String>,
    pub source: &'static str,
    /// The document the text comes from (its sha256): datasets split by it.
    pub doc: String,
}

/// Technique -> (verdict, given on the chunk itself rather than the whole report).
type VerdictsOnSpan = BTreeMap<String, (Verdict, bool)>;

/// The records of many reviews, in file order, spans in document order. A chunk's own verdict
/// overrides a report-level verdict on the same technique for that text; revoked IDs are mapped
/// to their replacement and unknown IDs left out; spans with no verdict left are skipped.
pub fn training_records(files: &[ReviewFile]) -> Vec<TrainingRecord> {
    let catalog = Catalog::embedded();
    let mut out = Vec::new();
    for file in files {
        let mut spans: BTreeMap<(usize, usize, &str), VerdictsOnSpan> = BTreeMap::new();
        for record in &file.verdicts {
            let Some(id) = catalog.resolve(&record.technique).map(|t| t.id.clone()) else {
                continue;
            };
            let chunk_level = record.chunk.is_some();
            for span in record.chunk.iter().chain(&record.evidence) {
                let entry = spans
                    .entry((span.start, span.end, span.text.as_str()))
                    .or_default()
                    .entry(id.clone())
                    .or_insert((record.verdict, chunk_level));
                if chunk_level || !entry.1 {
                    *entry = (record.verdict, chunk_level || entry.1);
                }
            }
        }
        for ((_, _, text), verdicts) in spans {
            let pick = |want: &[Verdict]| -> Vec<String> {
                verdicts
                    .iter()
                    .filter(|(_, (v, _))| want.contains(v))
                    .map(|(id, _)| id.clone())
                    .collect()
            };
            let techniques = pick(&[Verdict::Accepted, Verdict::Added]);
            let negatives = pick(&[Verdict::Rejected]);
            if techniques.is_empty() && negatives.is_empty() {
                continue;
            }
            out.push(TrainingRecord {
                text: text.to_owned(),
                techniques,
                negatives,
                source: TRAINING_SOURCE,
                doc: file.input.sha256.clone(),
            });
        }
    }
    out
}
