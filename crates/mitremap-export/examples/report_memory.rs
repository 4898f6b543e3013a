//! Memory probe for `tools/memory/bench-shapes.sh`: the end state of `mitremap analyze FILE -o -`
//! on a text of repeated sentences, reached in minutes instead of hours.
//!
//! ```text
//! cargo run --release -p mitremap-export --example report_memory -- MODEL_DIR FILE [ORT_LIB]
//! ```
//!
//! The shipped model scores a few hundred chunks a second on 2 vCPUs, so 100 MB of short
//! sentences (~4 million chunks) takes hours through the CLI. Here the analyzer gets a
//! [`ChunkCache`]: a window whose text was seen before is not scored again but given the
//! results scoring it would give (the cache's contract, tested in the engine), so every window
//! of a text made of a few repeated sentences goes through the same report path as in the CLI
//! (`Analyzer::analyze`, `Report::apply_owned`, then the JSON streamed by
//! `mitremap_export::json::to_writer_pretty`, here to a sink) with almost no model work.
//!
//! The one thing the CLI does not hold is the cache's key list (32 bytes a window, alive while
//! the analysis runs), so the probe prints the phases apart, each as VmHWM (reset in between
//! through `/proc/self/clear_refs`):
//! - `analysis_peak_mb`: the analysis, the key list included; `cache_keys_mb` is its size;
//! - `report_mb`: VmRSS once the analysis is done (model, text, IoCs, chunk results);
//! - `output_peak_mb`: writing the JSON report (technique aggregation, IoC summaries, the
//!   serialiser), on top of the report.
//!
//! The CLI's peak for the same input is then max(`analysis_peak_mb` - `cache_keys_mb`,
//! `output_peak_mb`), plus ONNX Runtime's working memory for batches (reached in the first
//! seconds of a CLI run; the bench's stopped run of the same shape measures it).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken, ChunkCache};
use mitremap_engine::model::{Classifier, ModelOptions};
use mitremap_engine::text::Document;

fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets VmHWM to the current RSS (Linux 4.0+), so the next phase's peak is its own.
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("writing /proc/self/clear_refs");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: report_memory MODEL_DIR FILE [ORT_LIB]");
        std::process::exit(2);
    }
    let started = Instant::now();
    let classifier = Arc::new(
        Classifier::load(
            Path::new(&args[0]),
            &ModelOptions {
                ort_lib: args.get(2).map(PathBuf::from),
                intra_threads: None,
            },
        )
        .expect("model loads"),
    );
    let model_mb = status_mb("VmRSS:");
    let document = Arc::new(Document::from_vec(
        std::fs::read(&args[1]).expect("input readable"),
    ));
    let options = AnalysisOptions::for_model(classifier.manifest());
    let analyzer = Analyzer::new(classifier).with_cache(Arc::new(ChunkCache::default()));

    reset_peak();
    let report = analyzer
        .analyze(
            document,
            Some(args[1].clone()),
            &options,
            &CancelToken::new(),
        )
        .expect("analysis");
    let analysis_peak_mb = status_mb("VmHWM:");
    let report_mb = status_mb("VmRSS:");
    let windows = report.progress.windows_total;
    let stats = analyzer.cache().map(|c| c.stats());

    reset_peak();
    let mut out = std::io::BufWriter::new(std::io::sink());
    mitremap_export::json::to_writer_pretty(&mut out, &report.json_view(true)).expect("JSON");
    let output_peak_mb = status_mb("VmHWM:");

    let cache_keys_mb = (windows * 32) as f64 / (1024.0 * 1024.0);
    println!(
        "{}",
        serde_json::json!({
            "chunks": report.chunks.len(),
            "windows": windows,
            "iocs": report.iocs.len(),
            "model_mb": model_mb,
            "analysis_peak_mb": analysis_peak_mb,
            "cache_keys_mb": cache_keys_mb,
            "report_mb": report_mb,
            "output_peak_mb": output_peak_mb,
            "cli_estimate_mb": (analysis_peak_mb - cache_keys_mb).max(output_peak_mb),
            "cache_misses": stats.map(|s| s.misses),
            "seconds": started.elapsed().as_secs_f64(),
        })
    );
}
