//! Speed probe for `tools/speed/compare.py`: one report through the engine, in process, with the
//! moments that matter timed separately.
//!
//! ```text
//! cargo run --release -p mitremap-engine --example first_result -- MODEL_DIR FILE \
//!     [--threads N] [--batch-size N] [--explain-top1] [--budget N]
//! ```
//!
//! Prints one JSON line:
//! - `load_ms`: opening the model folder (manifest, sha256 of every file, tokenizer, session,
//!   trial inference) — done once before "run" is pressed in the TUI;
//! - `first_chunk_ms`: from the start of [`Analyzer::run`] (pressing run) to the first
//!   `Event::Chunk` (the engine scores a batch of one first);
//! - `run_ms`, `chunks`, `tokens`, `inference_ms`, `tokenize_ms`: the whole analysis;
//! - with `--explain-top1`: the top-1 label of *every* chunk is explained with the engine's
//!   Partition estimator (`explain_ms`, `explained`). The benchmark models have random weights, so
//!   almost no score reaches the 0.6 threshold; explaining the top label of every chunk is the
//!   same work SHAP does in the reference (`shap.Explainer` on every chunk), i.e. the worst case
//!   of a trained model where every chunk has a prediction;
//! - `peak_rss_mb`: the process's VmHWM at the end.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken, Event};
use mitremap_engine::explain::{self, ExplainOptions};
use mitremap_engine::model::{Classifier, ModelOptions};
use mitremap_engine::text::Document;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) this process has used so far, from /proc/self/stat.
fn cpu_s() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let process = Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!(
            "usage: first_result MODEL_DIR FILE [--threads N] [--batch-size N] [--explain-top1] [--budget N]"
        );
        std::process::exit(2);
    }
    let threads = arg(&args, "--threads", 2);
    let batch_size = arg(&args, "--batch-size", 8);
    let budget = arg(&args, "--budget", ExplainOptions::default().budget);
    let explain_top1 = args.iter().any(|a| a == "--explain-top1");

    let t = Instant::now();
    let classifier = Arc::new(
        Classifier::load(
            Path::new(&args[0]),
            &ModelOptions {
                intra_threads: Some(threads),
                ..ModelOptions::default()
            },
        )
        .expect("model loads"),
    );
    let load_ms = ms(t);
    let bytes = std::fs::read(&args[1]).expect("input readable");
    let doc = Document::from_bytes(&bytes);
    let analyzer = Analyzer::new(classifier.clone());
    let options = AnalysisOptions {
        batch_size,
        ..AnalysisOptions::default()
    };

    let run_start = Instant::now();
    let run_cpu = cpu_s();
    let mut first_chunk_ms: Option<f64> = None;
    let mut chunks = Vec::new();
    let timings = analyzer
        .run(&doc, &options, &CancelToken::new(), &mut |event| {
            if let Event::Chunk(c) = event {
                first_chunk_ms.get_or_insert_with(|| ms(run_start));
                let top = c.scores.first().map_or(0, |p| p.label);
                chunks.push((c.range, top));
            }
        })
        .expect("analysis runs");
    let run_ms = ms(run_start);
    let run_cpu_s = cpu_s() - run_cpu;

    let mut explain_ms = 0.0;
    let mut explain_cpu_s = 0.0;
    let mut explained = 0usize;
    let mut first_explained_ms: Option<f64> = None;
    if explain_top1 {
        let opts = ExplainOptions { budget };
        let t = Instant::now();
        let c = cpu_s();
        for (range, top) in &chunks {
            let mut encoded = classifier
                .encoder()
                .encode(&doc.text()[range.clone()])
                .expect("chunk encodes");
            encoded.shift(range.start);
            let e = explain::explain_chunk(&classifier, doc.text(), &encoded, &[*top], &opts)
                .expect("explanation");
            explained += e.len();
            first_explained_ms.get_or_insert_with(|| ms(t));
        }
        explain_ms = ms(t);
        explain_cpu_s = cpu_s() - c;
    }

    println!(
        "{}",
        serde_json::json!({
            "model": classifier.manifest().name,
            "threads": threads,
            "batch_size": batch_size,
            "load_ms": load_ms,
            "first_chunk_ms": first_chunk_ms,
            "run_ms": run_ms,
            "run_cpu_s": run_cpu_s,
            "chunks": timings.chunks,
            "tokens": timings.tokens,
            "tokenize_ms": timings.tokenize_ms,
            "inference_ms": timings.inference_ms,
            "explain_ms": explain_ms,
            "explain_cpu_s": explain_cpu_s,
            "explain_budget": budget,
            "explained": explained,
            "first_explained_ms": first_explained_ms,
            "process_ms": ms(process),
            "peak_rss_mb": peak_rss_mb(),
        })
    );
}
