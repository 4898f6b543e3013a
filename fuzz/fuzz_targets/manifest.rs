//! Fuzz the model manifest and label parsers: arbitrary bytes give a clean error or a valid
//! manifest, never a panic; accepted file names never escape the model folder.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mitremap_engine::model::Manifest;
use mitremap_engine::model::manifest::{LabelsSpec, is_technique_id, parse_labels};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz/model.json");
    if let Ok(m) = Manifest::parse(data, path) {
        for name in [&m.onnx, &m.tokenizer] {
            assert!(!name.contains('/') && !name.contains('\\') && name != "..");
        }
        if let LabelsSpec::File(f) = &m.labels {
            assert!(!f.contains('/') && f != "..");
        }
        assert!(m.max_tokens >= 2);
    }
    if let Ok(labels) = parse_labels(data, path) {
        assert!(!labels.is_empty() && labels.iter().all(|l| is_technique_id(l)));
    }
});
