//! A model folder written by `training/convert_mitremap.py` (the original MitreMap notebook's
//! artefacts, here synthetic and reduced) runs end to end, and the model sees text cleaned the way
//! the original was trained: the `mitremap-notebook-v1` profile.

use std::path::Path;
use std::sync::Arc;

use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken};
use mitremap_engine::model::{Architecture, Classifier, ModelOptions, PreprocessProfile};
use mitremap_engine::text::Document;

fn converted() -> Classifier {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/converted-mitremap-tiny");
    Classifier::load(
        &dir,
        &ModelOptions {
            intra_threads: Some(1),
            ..ModelOptions::default()
        },
    )
    .unwrap()
}

const TEXT: &str = "The actor used 2 tools in 2019 to reach 203.0.113.7 and hxxp://evil[.]example/a.php. \
                    It dumped LSASS with Mimikatz and set HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run.";

#[test]
fn converted_folder_declares_the_original_setup() {
    let model = converted();
    let m = model.manifest();
    assert_eq!(m.architecture, Architecture::Gpt2);
    assert_eq!(m.pad_token_id, 50256);
    assert_eq!(m.preprocess, Some(PreprocessProfile::MitremapNotebookV1));
    assert_eq!(model.labels().len(), 191);
}

#[test]
fn the_model_sees_preprocessed_text_with_placeholders_as_single_tokens() {
    let model = converted();
    let seen = model.encoder().model_text(TEXT);
    assert_eq!(
        seen,
        "actor used number_token tools number_token reach ip_token url_token dumped lsass mimikatz set registry_token"
    );
    let tokenizer = model.encoder().tokenizer();
    let encoded = model.encoder().encode(TEXT).unwrap();
    for placeholder in ["ip_token", "url_token", "number_token", "registry_token"] {
        let id = tokenizer
            .token_to_id(placeholder)
            .unwrap_or_else(|| panic!("{placeholder} is an added token"));
        assert!(
            encoded.ids.contains(&id),
            "{placeholder} reaches the model as one token"
        );
    }
    // Token ranges map back to the analyst's original spelling, not the cleaned text.
    let ip = tokenizer.token_to_id("ip_token").unwrap();
    let at = encoded.ids.iter().position(|&i| i == ip).unwrap();
    assert_eq!(&TEXT[encoded.ranges[at].clone().unwrap()], "203.0.113.7");
}

#[test]
fn a_converted_model_analyses_a_report() {
    let analyzer = Analyzer::new(Arc::new(converted()));
    let report = analyzer
        .analyze(
            Arc::new(Document::from_text(TEXT.repeat(3))),
            None,
            &AnalysisOptions {
                threshold: 0.0,
                ..AnalysisOptions::default()
            },
            &CancelToken::new(),
        )
        .unwrap();
    assert!(!report.chunks.is_empty());
    // Softmax over 191 labels: every chunk's scores (top ones kept) are probabilities.
    for c in &report.chunks {
        assert!(c.scores.iter().all(|p| (0.0..=1.0).contains(&p.score)));
    }
    assert!(!report.techniques(0.0).is_empty());
}
