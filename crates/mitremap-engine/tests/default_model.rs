//! The shipped default model (`models/default`, a BERT-family encoder) loads, verifies and runs
//! through the same engine path as any other model folder.

use std::path::Path;
use std::sync::Arc;

use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken};
use mitremap_engine::model::{Architecture, Classifier, Integrity, ModelOptions};
use mitremap_engine::text::Document;

fn default_model() -> Classifier {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/default");
    Classifier::load(
        &dir,
        &ModelOptions {
            intra_threads: Some(2),
            ..ModelOptions::default()
        },
    )
    .expect("models/default loads")
}

#[test]
fn shipped_model_is_verified_and_consistent() {
    let model = default_model();
    assert_eq!(model.manifest().architecture, Architecture::Bert);
    assert_eq!(model.integrity(), Integrity::Verified);
    assert_eq!(model.manifest().attack_version, "18.1");
    // Every label is a current ATT&CK technique in the embedded catalogue.
    let catalog = mitremap_engine::attack::Catalog::embedded();
    for label in model.labels() {
        assert!(catalog.get(label).is_some(), "{label} not in the catalogue");
    }
    // BERT inputs carry [CLS] ... [SEP]: two special tokens around the text.
    let encoded = model.encoder().encode("APT29 used PowerShell.").unwrap();
    assert_eq!(encoded.special, 2);
}

#[test]
fn shipped_model_recognises_unambiguous_procedures() {
    // Plain procedure sentences whose technique no analyst would dispute; the model must rank
    // the technique (or one of its sub-techniques) in its top 5.
    let model = default_model();
    let cases = [
        (
            "The malware created a scheduled task with schtasks to run every hour.",
            "T1053",
        ),
        (
            "The actor dumped credentials from LSASS memory with Mimikatz.",
            "T1003",
        ),
        (
            "The ransomware deleted volume shadow copies with vssadmin.",
            "T1490",
        ),
    ];
    let texts: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let scores = model.score_texts(&texts).unwrap();
    for ((text, want), row) in cases.iter().zip(scores) {
        let mut order: Vec<usize> = (0..row.len()).collect();
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
        let top: Vec<&str> = order
            .iter()
            .take(5)
            .map(|&i| model.labels()[i].as_str())
            .collect();
        assert!(
            top.iter().any(|l| l.starts_with(want)),
            "{text}: {want} not in top 5 {top:?}"
        );
    }
}

#[test]
fn shipped_model_analyses_the_sample_report() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/report-apt.txt"),
    )
    .unwrap();
    let model = Arc::new(default_model());
    let threshold = model.manifest().threshold.unwrap();
    let report = Analyzer::new(model)
        .analyze(
            Arc::new(Document::from_text(text)),
            None,
            &AnalysisOptions {
                threshold,
                ..AnalysisOptions::default()
            },
            &CancelToken::new(),
        )
        .unwrap();
    // max_tokens 128: every chunk fits, none is truncated.
    assert!(report.chunks.iter().all(|c| c.tokens <= 128));
    assert!(report.techniques(threshold).len() >= 5);
}
