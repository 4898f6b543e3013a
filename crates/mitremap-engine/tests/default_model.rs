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

/// The lexical scorer in the shipped folder scores exactly as `training/lexical.py` did when it
/// wrote the file: same analyzers (word 1-2 grams, char_wb 3-5 grams), same tf-idf, same weights.
/// The reference holds 200 held-out sentences plus edge cases with their top-5 lexical logits.
#[test]
fn shipped_lexical_scorer_matches_the_training_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/default");
    let model = default_model();
    let blend = model
        .manifest()
        .lexical
        .clone()
        .expect("the default model blends a lexical scorer");
    let bytes = std::fs::read(dir.join(&blend.file)).unwrap();
    let scorer =
        mitremap_engine::model::LexicalScorer::parse(&bytes, model.labels().len()).unwrap();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lexical_reference.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let texts = reference["texts"].as_array().unwrap();
    assert!(texts.len() >= 200);
    let mut worst = 0.0f32;
    for (i, text) in texts.iter().enumerate() {
        let text = text.as_str().unwrap();
        let logits = scorer.logits(text);
        let top = reference["top5"][i].as_array().unwrap();
        let want = reference["logits_top5"][i].as_array().unwrap();
        for (label, value) in top.iter().zip(want) {
            let got = logits[label.as_u64().unwrap() as usize];
            let diff = (got - value.as_f64().unwrap() as f32).abs();
            worst = worst.max(diff);
            assert!(diff < 1e-3, "{text:?}: label {label}: {got} vs {value}");
        }
    }
    eprintln!("largest difference from the training code: {worst:e}");
}

/// A blended model needs the text: scoring token ids alone is refused rather than silently
/// leaving the lexical part out, and the analysis, `score_texts` and the explanation agree.
#[test]
fn blended_model_scores_text_and_explains_the_blend() {
    let model = Arc::new(default_model());
    assert!(model.is_blended());
    let text = "The actor dumped credentials from LSASS memory with Mimikatz.";
    let encoded = model.encoder().encode(text).unwrap();
    assert!(model.scores(&[&encoded.ids]).is_err());
    let blended = model.score_texts(&[text]).unwrap().remove(0);
    let graph_only = model.logits(&[&encoded.ids]).unwrap().remove(0);
    let best = (0..blended.len())
        .max_by(|&a, &b| blended[a].total_cmp(&blended[b]))
        .unwrap();
    assert!(
        model.labels()[best].starts_with("T1003"),
        "{}",
        model.labels()[best]
    );
    // the lexical part moved the score (the blend is not the graph alone)
    let sig = |x: f32| 1.0 / (1.0 + (-x).exp());
    assert!((blended[best] - sig(graph_only[best])).abs() > 1e-4);

    let analyzer = Analyzer::new(model.clone());
    let options = AnalysisOptions {
        chunk_sentences: 1,
        ..AnalysisOptions::default()
    };
    let report = analyzer
        .analyze(
            Arc::new(Document::from_text(format!("  {text}  "))),
            None,
            &options,
            &CancelToken::new(),
        )
        .unwrap();
    let chunk = report.chunks.first().unwrap();
    let top = chunk
        .scores
        .iter()
        .find(|s| s.label == best)
        .expect("top label kept");
    assert!(
        (top.score - blended[best]).abs() < 1e-5,
        "{} vs {}",
        top.score,
        blended[best]
    );

    let out = mitremap_engine::explain::explain_chunk(
        &model,
        text,
        &encoded,
        &[best],
        &mitremap_engine::explain::ExplainOptions::default(),
    )
    .unwrap();
    let e = &out[0];
    assert!(
        (e.output - blended[best]).abs() < 1e-5,
        "{} vs {}",
        e.output,
        blended[best]
    );
    let total: f32 = e.tokens.iter().map(|t| t.value).sum();
    assert!((e.base + total - e.output).abs() < 1e-3, "additive");
    // "Mimikatz" / "LSASS" carry the call
    let word = |w: &str| {
        let at = text.find(w).unwrap();
        e.words
            .iter()
            .find(|x| x.range.start == at)
            .map(|x| x.value)
            .unwrap()
    };
    assert!(word("Mimikatz") > 0.0 || word("LSASS") > 0.0);
}
