//! Inference throughput: tokens/s and chunks/s for a multi-page report, batch size 1 vs 8,
//! 2 intra-op threads.
//!
//! ```text
//! cargo bench -p mitremap-engine --bench inference            # every model found
//! cargo bench -p mitremap-engine --bench inference -- int8    # criterion filter
//! ```
//!
//! Models, each benchmarked when its folder exists: the committed fixture
//! (`tests/fixtures/tiny-gpt2`), the DistilGPT2-size int8 and fp32 graphs
//! (`target/bench-models/distilgpt2-size{-int8,}`, made by
//! `python3 training/make_test_models.py distilgpt2-size target/bench-models/distilgpt2-size`),
//! and the shipped `models/default`.
//!
//! The report is `samples/report-apt.txt` repeated to a word count (fixture 5,000 words; the
//! shipped model 1,500; DistilGPT2-size 600, to keep the run short; `MITREMAP_BENCH_WORDS`
//! overrides all). Two groups per model: `<model>/tokens` (criterion `Throughput::Elements` =
//! tokens fed to the model, padding excluded) and `<model>/chunks` (elements = chunks), each with
//! `Analyzer::run` (chunking, tokenising, IoCs, inference, events) and `Classifier::scores` on the
//! pre-tokenised chunks, at batch size 1 and 8. See docs/performance.md for results.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken};
use mitremap_engine::model::{Classifier, ModelOptions};
use mitremap_engine::text::Document;
use mitremap_engine::text::chunk::{ChunkPlan, fit_window};

const THREADS: usize = 2;
const BATCHES: [usize; 2] = [1, 8];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn report(words: usize) -> String {
    let words = std::env::var("MITREMAP_BENCH_WORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(words);
    let sample = std::fs::read_to_string(root().join("samples/report-apt.txt"))
        .expect("samples/report-apt.txt");
    let per = sample.split_whitespace().count().max(1);
    let mut text = String::new();
    for _ in 0..words.div_ceil(per) {
        text.push_str(&sample);
        text.push_str("\n\n");
    }
    text
}

fn bench_model(c: &mut Criterion, name: &str, dir: &Path, words: usize) {
    if !dir.join("model.json").is_file() {
        eprintln!(
            "inference bench: skipping {name} ({} not found)",
            dir.display()
        );
        return;
    }
    let classifier = Arc::new(
        Classifier::load(
            dir,
            &ModelOptions {
                intra_threads: Some(THREADS),
                ..ModelOptions::default()
            },
        )
        .expect("model loads"),
    );
    let doc = Document::from_text(report(words));
    let text = doc.text();
    let plan = ChunkPlan::new(text, 3);
    let mut encoded = Vec::new();
    for window in &plan.windows {
        for (_, e) in fit_window(text, window, classifier.encoder()).expect("chunks fit") {
            encoded.push(e.ids);
        }
    }
    let chunks = encoded.len() as u64;
    let tokens: u64 = encoded.iter().map(|e| e.len() as u64).sum();
    eprintln!(
        "inference bench: {name}: {} words, {chunks} chunks, {tokens} tokens ({:.1} per chunk)",
        text.split_whitespace().count(),
        tokens as f64 / chunks as f64
    );
    let analyzer = Analyzer::new(classifier.clone());
    let cancel = CancelToken::new();

    for (unit, throughput) in [
        ("tokens", Throughput::Elements(tokens)),
        ("chunks", Throughput::Elements(chunks)),
    ] {
        let mut group = c.benchmark_group(format!("{name}/{unit}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .throughput(throughput);
        for batch in BATCHES {
            let options = AnalysisOptions {
                batch_size: batch,
                ..AnalysisOptions::default()
            };
            group.bench_with_input(BenchmarkId::new("Analyzer::run", batch), &batch, |b, _| {
                b.iter(|| {
                    analyzer
                        .run(&doc, &options, &cancel, &mut |_| {})
                        .expect("analysis")
                })
            });
            group.bench_with_input(
                BenchmarkId::new("Classifier::logits", batch),
                &batch,
                |b, &batch| {
                    b.iter(|| {
                        for group in encoded.chunks(batch) {
                            let ids: Vec<&[u32]> = group.iter().map(Vec::as_slice).collect();
                            std::hint::black_box(classifier.logits(&ids).expect("logits"));
                        }
                    })
                },
            );
        }
        group.finish();
    }
}

fn inference(c: &mut Criterion) {
    let r = root();
    bench_model(c, "fixture", &r.join("tests/fixtures/tiny-gpt2"), 5_000);
    bench_model(
        c,
        "distilgpt2-int8",
        &r.join("target/bench-models/distilgpt2-size-int8"),
        600,
    );
    bench_model(
        c,
        "distilgpt2-fp32",
        &r.join("target/bench-models/distilgpt2-size"),
        600,
    );
    bench_model(c, "default", &r.join("models/default"), 1_500);
}

criterion_group!(benches, inference);
criterion_main!(benches);
