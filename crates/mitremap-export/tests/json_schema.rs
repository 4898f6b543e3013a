//! `schemas/report.schema.json` (JSON Schema 2020-12) describes `Report::to_json` exactly: every
//! JSON export validates against it, and the schema itself is valid.

mod common;

use std::sync::Arc;

use mitremap_engine::analysis::{Event, Report, ReportOptions};
use mitremap_engine::explain::{Explanation, TokenAttribution, WordAttribution};
use mitremap_engine::text::Document;
use mitremap_export::{ExportOptions, Format, render};
use serde_json::Value;

fn schema() -> Value {
    let path = common::repo_root().join("schemas/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn assert_valid(instance: &Value) {
    let schema = schema();
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema is valid JSON Schema 2020-12");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
}

fn json(report: &Report, options: &ExportOptions) -> Value {
    serde_json::from_slice(&render(Format::Json, report, options).unwrap()).unwrap()
}

#[test]
fn schema_is_2020_12_and_strict() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(jsonschema::meta::is_valid(&s));
    assert_eq!(s["additionalProperties"], false);
}

#[test]
fn fixture_report_validates_with_and_without_text_and_timings() {
    let report = common::report();
    for include_text in [false, true] {
        for omit_timings in [false, true] {
            let options = ExportOptions {
                include_text,
                omit_timings,
                ..common::options()
            };
            let v = json(&report, &options);
            assert_valid(&v);
            assert_eq!(v["chunks"][0].get("text").is_some(), include_text);
            assert_eq!(v["timings"].is_null(), omit_timings);
        }
    }
}

#[test]
fn model_less_report_with_explanations_validates() {
    let doc = Arc::new(Document::from_text("Beacon to 198.51.100.7. Nothing else."));
    let options = ReportOptions {
        threshold: 0.6,
        chunk_sentences: 1,
        max_tokens: None,
        explain: true,
    };
    let mut report = Report::new(doc.clone(), None, None, options);
    mitremap_engine::analysis::iocs_only(&doc, &mut |e| report.apply(&e));
    report.apply(&Event::Chunk(
        mitremap_engine::analysis::ChunkResult::from_scores(0, 0..23, 9, &[0.9, 0.1], 0.05),
    ));
    report.apply(&Event::Explained {
        chunk: 0,
        explanations: vec![Explanation {
            label_index: 0,
            label: "T1071".into(),
            output: 0.9,
            base: 0.2,
            tokens: vec![
                TokenAttribution {
                    range: Some(0..6),
                    value: 0.5,
                },
                TokenAttribution {
                    range: None,
                    value: 0.0,
                },
            ],
            words: vec![WordAttribution {
                range: 0..6,
                value: 0.5,
            }],
            evaluations: 4,
            method: "test".into(),
        }],
    });
    let v = json(&report, &common::options());
    assert!(v["model"].is_null());
    assert!(v["input"].get("name").is_none());
    assert_valid(&v);
}

#[test]
fn schema_rejects_drift() {
    let mut v = json(&common::report(), &common::options());
    v["unexpected"] = Value::Bool(true);
    let schema = schema();
    assert!(!jsonschema::is_valid(&schema, &v));
    let mut v = json(&common::report(), &common::options());
    v["techniques"][0]["confidence"] = Value::from(1.5);
    assert!(!jsonschema::is_valid(&schema, &v));
}
