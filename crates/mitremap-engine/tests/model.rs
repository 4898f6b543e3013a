//! The real fixture ONNX graph run by the real ONNX Runtime, checked against PyTorch's logits.

mod common;

use mitremap_engine::model::manifest::sha256_file;
use mitremap_engine::model::{Classifier, ModelOptions};
use serde_json::Value;

fn expected_cases() -> Vec<(String, Vec<u32>, Vec<f32>)> {
    let raw = std::fs::read_to_string(common::fixture_dir().join("expected.json")).unwrap();
    let v: Value = serde_json::from_str(&raw).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let ids = c["input_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as u32)
                .collect();
            let logits = c["logits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect();
            (c["text"].as_str().unwrap().to_owned(), ids, logits)
        })
        .collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn tokenizer_matches_the_python_gpt2_tokenizer() {
    let model = common::fixture();
    for (text, ids, _) in expected_cases() {
        assert_eq!(model.encoder().encode(&text).unwrap().ids, ids, "{text}");
    }
}

#[test]
fn ort_logits_match_pytorch_one_at_a_time() {
    let model = common::fixture();
    for (text, ids, logits) in expected_cases() {
        let got = model.logits(&[&ids]).unwrap();
        let diff = max_abs_diff(&got[0], &logits);
        assert!(diff < 1e-4, "{text}: max abs diff {diff}");
    }
}

#[test]
fn ort_logits_match_pytorch_in_a_right_padded_batch_of_different_lengths() {
    let model = common::fixture();
    let cases = expected_cases();
    let lengths: Vec<usize> = cases.iter().map(|c| c.1.len()).collect();
    assert!(
        lengths.iter().min() < lengths.iter().max(),
        "cases must differ in length"
    );
    let batch: Vec<&[u32]> = cases.iter().map(|c| c.1.as_slice()).collect();
    let got = model.logits(&batch).unwrap();
    for ((text, _, logits), row) in cases.iter().zip(&got) {
        let diff = max_abs_diff(row, logits);
        assert!(diff < 1e-4, "{text}: max abs diff {diff} in batch");
    }
}

#[test]
fn softmax_scores_sum_to_one() {
    let model = common::fixture();
    let scores = model
        .score_texts(&["APT29 used PowerShell.", "ok"])
        .unwrap();
    for row in scores {
        assert_eq!(row.len(), 8);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}

#[test]
fn sequences_over_max_tokens_are_rejected_not_truncated() {
    let model = common::fixture();
    let long = vec![464u32; 513];
    let err = model.logits(&[&long]).unwrap_err().to_string();
    assert!(err.contains("exceeds max_tokens 512"), "{err}");
}

fn load_err(dir: &std::path::Path) -> String {
    let options = ModelOptions {
        intra_threads: Some(1),
        ..ModelOptions::default()
    };
    Classifier::load(dir, &options).unwrap_err().to_string()
}

#[test]
fn missing_model_folder_is_a_clear_error() {
    let err = load_err(std::path::Path::new("/nonexistent/model"));
    assert!(
        err.contains("/nonexistent/model") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn tampered_graph_fails_the_checksum() {
    let dir = common::fixture_copy();
    let onnx = dir.path().join("model.onnx");
    let mut bytes = std::fs::read(&onnx).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&onnx, bytes).unwrap();
    let err = load_err(dir.path());
    assert!(
        err.contains("model.onnx") && err.contains("sha256 mismatch"),
        "{err}"
    );
}

/// Rewrites one manifest field and refreshes the checksums, to test checks past the hashes.
fn edit(dir: &std::path::Path, f: impl FnOnce(&mut Value)) {
    let path = dir.join("model.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut m);
    for name in ["model.onnx", "tokenizer.json", "labels.json"] {
        m["files"][name] = Value::String(sha256_file(&dir.join(name)).unwrap());
    }
    std::fs::write(path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
}

#[test]
fn truncated_graph_is_a_clear_error() {
    let dir = common::fixture_copy();
    let onnx = dir.path().join("model.onnx");
    let bytes = std::fs::read(&onnx).unwrap();
    std::fs::write(&onnx, &bytes[..bytes.len() / 3]).unwrap();
    edit(dir.path(), |_| {});
    let err = load_err(dir.path());
    assert!(
        err.contains("model.onnx") && err.contains("cannot load ONNX graph"),
        "{err}"
    );
}

#[test]
fn label_count_not_matching_the_graph_is_a_clear_error() {
    let dir = common::fixture_copy();
    std::fs::write(
        dir.path().join("labels.json"),
        r#"["T1059", "T1003", "T1071"]"#,
    )
    .unwrap();
    edit(dir.path(), |_| {});
    let err = load_err(dir.path());
    assert!(
        err.contains("outputs 8 scores but the manifest lists 3 labels"),
        "{err}"
    );
}

#[test]
fn left_padding_is_refused() {
    let dir = common::fixture_copy();
    edit(dir.path(), |m| m["padding_side"] = "left".into());
    let err = load_err(dir.path());
    assert!(err.contains("padding_side must be \"right\""), "{err}");
}

#[test]
fn corrupt_manifest_and_bad_labels_are_clear_errors() {
    let dir = common::fixture_copy();
    std::fs::write(dir.path().join("model.json"), "{ not json").unwrap();
    assert!(load_err(dir.path()).contains("invalid manifest"));
    let dir = common::fixture_copy();
    std::fs::write(
        dir.path().join("labels.json"),
        r#"["T1059","T1003","T1566.001","T1071","T1105","T1486","T1086","powershell"]"#,
    )
    .unwrap();
    edit(dir.path(), |_| {});
    assert!(load_err(dir.path()).contains("\"powershell\" is not an ATT&CK technique ID"));
}

#[test]
fn a_tokenizer_larger_than_the_embedding_is_caught() {
    let dir = common::fixture_copy();
    // Add tokens beyond the graph's 50257-row embedding.
    let path = dir.path().join("tokenizer.json");
    let mut tok: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let added = tok["added_tokens"].as_array_mut().unwrap();
    for (i, word) in ["ip_token", "number_token"].iter().enumerate() {
        added.push(serde_json::json!({"id": 50257 + i, "content": word, "single_word": false, "lstrip": false,
            "rstrip": false, "normalized": true, "special": false}));
    }
    std::fs::write(&path, serde_json::to_string(&tok).unwrap()).unwrap();
    edit(dir.path(), |_| {});
    let err = load_err(dir.path());
    assert!(
        err.contains("does tokenizer.json belong to this graph"),
        "{err}"
    );
}

#[test]
fn bad_label_thresholds_are_clear_errors() {
    // The fixture is a softmax model: per-label cuts only make sense for independent sigmoids.
    let dir = common::fixture_copy();
    edit(dir.path(), |m| {
        m["threshold"] = 0.4.into();
        m["label_thresholds"] = serde_json::json!({"T1059": 0.6});
    });
    assert!(load_err(dir.path()).contains("label_thresholds need the sigmoid activation"));

    let dir = common::fixture_copy();
    edit(dir.path(), |m| {
        m["activation"] = "sigmoid".into();
        m["threshold"] = 0.4.into();
        m["label_thresholds"] = serde_json::json!({"T1059": 1.0});
    });
    assert!(load_err(dir.path()).contains("not strictly within 0..1"));

    let dir = common::fixture_copy();
    edit(dir.path(), |m| {
        m["activation"] = "sigmoid".into();
        m["threshold"] = 0.4.into();
        m["label_thresholds"] = serde_json::json!({"T1218": 0.5});
    });
    let err = load_err(dir.path());
    assert!(
        err.contains("\"T1218\", which is not one of the model's labels"),
        "{err}"
    );

    let dir = common::fixture_copy();
    edit(dir.path(), |m| {
        m["activation"] = "sigmoid".into();
        m.as_object_mut().unwrap().remove("threshold");
        m["label_thresholds"] = serde_json::json!({"T1059": 0.5});
    });
    assert!(load_err(dir.path()).contains("need a global threshold"));
}

#[test]
fn label_thresholds_shift_exactly_their_labels_scores() {
    let dir = common::fixture_copy();
    let (global, own) = (0.3f32, 0.7f32);
    edit(dir.path(), |m| {
        m["activation"] = "sigmoid".into();
        m["threshold"] = global.into();
        m["label_thresholds"] = serde_json::json!({"T1003": own});
    });
    let options = ModelOptions {
        intra_threads: Some(1),
        ..ModelOptions::default()
    };
    let model = Classifier::load(dir.path(), &options).unwrap();
    let shifted_label = model.labels().iter().position(|l| l == "T1003").unwrap();
    let (_, ids, _) = &expected_cases()[0];
    let logits = model.logits(&[ids.as_slice()]).unwrap().remove(0);
    let scores = model.scores(&[ids.as_slice()]).unwrap().remove(0);
    let sigmoid = |x: f32| 1.0 / (1.0 + (-x).exp());
    let logit = |p: f32| (p / (1.0 - p)).ln();
    for (i, (&z, &s)) in logits.iter().zip(&scores).enumerate() {
        let want = if i == shifted_label {
            sigmoid(z + logit(global) - logit(own))
        } else {
            sigmoid(z)
        };
        assert!((s - want).abs() < 1e-5, "label {i}: {s} vs {want}");
    }
    // The label's own cut reads as the global threshold.
    let at_own_cut = sigmoid(logit(own) + logit(global) - logit(own));
    assert!((at_own_cut - global).abs() < 1e-6);
}

/// A max_tokens beyond the graph's position embeddings, or a pad id outside the vocabulary, is
/// refused at load with one line, not mid-analysis with a raw runtime error.
#[test]
fn max_tokens_beyond_the_graph_and_a_pad_id_outside_the_vocabulary_are_refused_at_load() {
    let dir = common::fixture_copy();
    edit(dir.path(), |m| m["max_tokens"] = 16_000.into());
    let err = load_err(dir.path());
    assert!(
        err.contains("max_tokens 16000 is more than the graph accepts"),
        "{err}"
    );

    let dir = common::fixture_copy();
    edit(dir.path(), |m| m["pad_token_id"] = 900_000.into());
    let err = load_err(dir.path());
    assert!(
        err.contains("pad_token_id 900000 is outside the tokenizer's vocabulary"),
        "{err}"
    );
}
