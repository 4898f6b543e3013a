//! Extraction speed per document format next to the analysis of the same text, as a ratio.
//!
//! ```text
//! cargo run --example extraction_vs_analysis                # dev profile (dependencies at -O2)
//! cargo run --release --example extraction_vs_analysis      # what a release binary does
//! cargo run --example extraction_vs_analysis -- FILE...     # other documents
//! ```
//!
//! Defaults: the Glass Harbor fixtures (tests/fixtures/documents) in every format, and the 21-page
//! PDF. For each: extraction MB/s of the file (repeated until a second has passed), the analysis
//! of the extracted text with the shipped model (models/default, 2 threads, the model's options),
//! and extraction time as a share of analysis time. docs/input-formats.md records results; the
//! aim is extraction under 10% of analysis on a ~20-page report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken};
use mitremap_engine::model::{Classifier, ModelOptions};
use mitremap_engine::text::Document;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        files = [
            "glass-harbor.md",
            "glass-harbor.html",
            "glass-harbor.docx",
            "glass-harbor.eml",
            "glass-harbor.pdf",
            "glass-harbor-long.pdf",
        ]
        .iter()
        .map(|f| root.join("tests/fixtures/documents").join(f))
        .collect();
    }
    let classifier = Arc::new(
        Classifier::load(
            &root.join("models/default"),
            &ModelOptions {
                intra_threads: Some(2),
                ..ModelOptions::default()
            },
        )
        .expect("models/default loads (and ONNX Runtime is found: tools/setup-ort.sh)"),
    );
    let options = AnalysisOptions::for_model(classifier.manifest());
    let analyzer = Analyzer::new(classifier);
    println!(
        "| file | format | file KiB | text KiB | extraction ms | extraction MB/s | analysis ms | extraction / analysis |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for file in &files {
        let bytes = std::fs::read(file).expect("read the document");
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let format = mitremap_docs::detect(&bytes, Some(&name)).expect("a known format");
        let doc_options = mitremap_docs::Options::default();
        let started = Instant::now();
        let mut runs = 0u32;
        let mut extracted = None;
        while runs < 3 || (started.elapsed() < Duration::from_secs(1) && runs < 200) {
            extracted =
                Some(mitremap_docs::extract(&bytes, format, &doc_options).expect("extracts"));
            runs += 1;
        }
        let extraction = started.elapsed().as_secs_f64() / f64::from(runs);
        let text = extracted.unwrap().text;
        let text_len = text.len();
        let document = Arc::new(Document::from_text(text));
        let started = Instant::now();
        let report = analyzer
            .analyze(document, Some(name.clone()), &options, &CancelToken::new())
            .expect("analysis");
        let analysis = started.elapsed().as_secs_f64();
        assert!(!report.chunks.is_empty());
        println!(
            "| {name} | {format} | {:.1} | {:.1} | {:.2} | {:.2} | {:.0} | {:.2}% |",
            bytes.len() as f64 / 1024.0,
            text_len as f64 / 1024.0,
            extraction * 1000.0,
            bytes.len() as f64 / 1e6 / extraction,
            analysis * 1000.0,
            100.0 * extraction / analysis
        );
    }
}
