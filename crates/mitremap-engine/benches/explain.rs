//! Time to explain one chunk at the default budget, 2 intra-op threads.
//!
//! ```text
//! cargo bench -p mitremap-engine --bench explain
//! ```
//!
//! Models: the committed fixture always; `models/default` and the benchmark-only graphs under
//! `target/bench-models/` (`distilgpt2-size-int8`, from
//! `python3 training/make_test_models.py distilgpt2-size target/bench-models/distilgpt2-size`)
//! when present; more folders via `MITREMAP_BENCH_MODELS=dir1:dir2`. Chunks: a 3-sentence chunk of
//! report prose (~80 tokens) and a chunk filled to the model's token limit (512 for most); the long
//! chunk on the large graphs takes tens of seconds per explanation on 2 cores, so it runs only
//! with `MITREMAP_BENCH_LONG=1`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mitremap_engine::explain::{ExplainOptions, explain_chunk};
use mitremap_engine::model::{Classifier, Encoded, ModelOptions};

const THREE_SENTENCES: &str = "Spearphishing emails carried a malicious Word attachment that \
    dropped a loader into the user's AppData folder. The loader used PowerShell to download a \
    second-stage payload from a compromised WordPress site and created a Run key for persistence. \
    The implant beaconed over HTTPS to a command-and-control server and exfiltrated archived \
    documents.";

fn models() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut dirs = vec![root.join("tests/fixtures/tiny-gpt2")];
    for d in ["models/default", "target/bench-models/distilgpt2-size-int8"] {
        dirs.push(root.join(d));
    }
    if let Ok(extra) = std::env::var("MITREMAP_BENCH_MODELS") {
        dirs.extend(
            extra
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        );
    }
    dirs.into_iter()
        .filter(|d| d.join("model.json").is_file())
        .collect()
}

/// A chunk of `THREE_SENTENCES` repeated up to the model's token limit.
fn long_chunk(model: &Classifier) -> (String, Encoded) {
    let limit = model.manifest().max_tokens.min(512);
    let mut text = String::from(THREE_SENTENCES);
    let mut best = model.encoder().encode(&text).unwrap();
    loop {
        let next = format!("{text} {THREE_SENTENCES}");
        let encoded = model.encoder().encode(&next).unwrap();
        if encoded.ids.len() > limit {
            break;
        }
        (text, best) = (next, encoded);
    }
    // Fill the rest word by word.
    for word in THREE_SENTENCES.split(' ') {
        let next = format!("{text} {word}");
        let encoded = model.encoder().encode(&next).unwrap();
        if encoded.ids.len() > limit {
            break;
        }
        (text, best) = (next, encoded);
    }
    (text, best)
}

fn top_labels(model: &Classifier, text: &str) -> Vec<usize> {
    let scores = model.score_texts(&[text]).unwrap().remove(0);
    let threshold = model.manifest().threshold.unwrap_or(0.6);
    let mut labels: Vec<usize> = (0..scores.len())
        .filter(|&l| scores[l] >= threshold)
        .collect();
    if labels.is_empty() {
        labels.push(
            (0..scores.len())
                .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
                .unwrap(),
        );
    }
    labels
}

fn bench(c: &mut Criterion) {
    let long = std::env::var("MITREMAP_BENCH_LONG").is_ok_and(|v| v == "1");
    let options = ExplainOptions::default();
    for dir in models() {
        let model = Classifier::load(
            &dir,
            &ModelOptions {
                intra_threads: Some(2),
                ..ModelOptions::default()
            },
        )
        .expect("model loads (ORT_DYLIB_PATH or tools/setup-ort.sh)");
        let name = model.manifest().name.clone();
        let fixture = name.starts_with("test-fixture");
        let short = model.encoder().encode(THREE_SENTENCES).unwrap();
        let mut group = c.benchmark_group(format!("explain/{name}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(if fixture { 3 } else { 20 }));
        let labels = top_labels(&model, THREE_SENTENCES);
        group.bench_function(
            format!("3-sentence chunk ({} tokens)", short.ids.len()),
            |b| {
                b.iter(|| {
                    explain_chunk(&model, THREE_SENTENCES, &short, &labels, &options).unwrap()
                })
            },
        );
        if fixture || long {
            let (text, chunk) = long_chunk(&model);
            let labels = top_labels(&model, &text);
            group.bench_function(format!("long chunk ({} tokens)", chunk.ids.len()), |b| {
                b.iter(|| explain_chunk(&model, &text, &chunk, &labels, &options).unwrap())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
