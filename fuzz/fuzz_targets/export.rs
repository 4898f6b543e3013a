//! Fuzz the export path: a report over arbitrary text (its IoCs, chunks with arbitrary scores)
//! renders in every format without panicking; JSON, STIX and Navigator output parse as JSON.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use mitremap_engine::analysis::{ChunkResult, Event, ModelInfo, Report, ReportOptions};
use mitremap_engine::model::{Activation, Architecture, Integrity};
use mitremap_engine::text::Document;
use mitremap_export::{ExportOptions, Format, render};

const LABELS: [&str; 4] = ["T1059.001", "T1086", "T1003", "T1566"];

fuzz_target!(|data: &[u8]| {
    let (scores, text) = data.split_at(data.len().min(8));
    let doc = Arc::new(Document::from_bytes(text));
    let model = ModelInfo {
        name: "fuzz".into(),
        version: "0".into(),
        architecture: Architecture::Gpt2,
        activation: Activation::Sigmoid,
        attack_version: "18.1".into(),
        integrity: Integrity::Verified,
        labels: LABELS.iter().map(|s| s.to_string()).collect(),
    };
    let options = ReportOptions { threshold: 0.5, chunk_sentences: 3, max_tokens: Some(512), explain: false };
    let mut report = Report::new(doc.clone(), Some(String::from_utf8_lossy(text).chars().take(20).collect()), Some(model), options);
    report.apply(&Event::Iocs(mitremap_engine::ioc::extract(doc.text())));
    let plan = mitremap_engine::text::ChunkPlan::new(doc.text(), 3);
    for (i, w) in plan.windows.iter().enumerate() {
        let row: Vec<f32> = (0..LABELS.len()).map(|l| f32::from(*scores.get((i + l) % scores.len().max(1)).unwrap_or(&0)) / 255.0).collect();
        report.apply(&Event::Chunk(ChunkResult::from_scores(i, w.range.clone(), 8, &row, 0.05)));
    }
    for format in Format::ALL {
        let out = render(format, &report, &ExportOptions::default()).expect("rendering never fails");
        if matches!(format, Format::Json | Format::Stix | Format::Navigator) {
            serde_json::from_slice::<serde_json::Value>(&out).expect("valid JSON");
        }
    }
});
