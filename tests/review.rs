//! Analyst review with the real binary, the committed fixture model and the real ONNX Runtime:
//! verdicts recorded on a real analysis (through `mitremap_review`, as the terminal UI records
//! them) and applied by `mitremap analyze --review` to every output format; a changed input, a
//! damaged review file and `mitremap review export` into training/ (the Python round trip).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken, Report};
use mitremap_engine::model::{Classifier, ModelOptions};
use mitremap_engine::text::Document;
use mitremap_review::{ReviewFile, Reviewer, Scope, Verdict, sidecar_path};
use serde_json::Value;

const THRESHOLD: &str = "0.2";
const CHUNK_SENTENCES: &str = "2";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture() -> PathBuf {
    root().join("tests/fixtures/tiny-gpt2")
}

fn mitremap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mitremap"))
        .args(args)
        .env_remove("MITREMAP_MODEL")
        .env("MITREMAP_LOG", "off")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn analyze(input: &Path, extra: &[&str]) -> Output {
    let model = fixture();
    let mut args = vec![
        "analyze",
        input.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--threads",
        "1",
        "-t",
        THRESHOLD,
        "--chunk-sentences",
        CHUNK_SENTENCES,
    ];
    args.extend_from_slice(extra);
    mitremap(&args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The same analysis `analyze` makes, in process (for recording verdicts on it).
fn report_of(text: &str) -> Report {
    let classifier = Arc::new(
        Classifier::load(
            &fixture(),
            &ModelOptions {
                intra_threads: Some(1),
                ..ModelOptions::default()
            },
        )
        .unwrap(),
    );
    let options = AnalysisOptions {
        threshold: THRESHOLD.parse().unwrap(),
        chunk_sentences: CHUNK_SENTENCES.parse().unwrap(),
        ..AnalysisOptions::for_model(classifier.manifest())
    };
    Analyzer::new(classifier)
        .analyze(
            Arc::new(Document::from_text(text)),
            None,
            &options,
            &CancelToken::new(),
        )
        .unwrap()
}

struct Reviewed {
    _dir: tempfile::TempDir,
    input: PathBuf,
    review: PathBuf,
    accepted: String,
    rejected: String,
}

/// The sample report reviewed as an analyst would in the terminal UI: the best technique
/// accepted (report level, with a note), the second rejected (report level) and also rejected in
/// its last chunk, T1071.001 (which the fixture model does not predict) added to the first chunk.
fn reviewed() -> Reviewed {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("report.txt");
    std::fs::copy(root().join("samples/report-apt.txt"), &input).unwrap();
    let report = report_of(&std::fs::read_to_string(&input).unwrap());
    let hits = report.techniques(report.options.threshold);
    assert!(hits.len() >= 3, "{hits:?}");
    let review = sidecar_path(&input);
    let mut file = ReviewFile::open(&review, &report).unwrap();
    let who = Reviewer::new("alice");
    file.record(
        &report,
        &who,
        &hits[0].id,
        Scope::Report,
        Verdict::Accepted,
        Some("matches the sandbox".into()),
    )
    .unwrap();
    file.record(
        &report,
        &who,
        &hits[1].id,
        Scope::Report,
        Verdict::Rejected,
        None,
    )
    .unwrap();
    assert!(hits.iter().all(|h| h.id != "T1071.001"));
    file.record(
        &report,
        &who,
        "T1071.001",
        Scope::Chunk(0),
        Verdict::Added,
        None,
    )
    .unwrap();
    let last_chunk = *hits[1].chunks.last().unwrap();
    assert_ne!(last_chunk, 0);
    file.record(
        &report,
        &who,
        &hits[1].id,
        Scope::Chunk(last_chunk),
        Verdict::Rejected,
        None,
    )
    .unwrap();
    file.save(&review).unwrap();
    Reviewed {
        accepted: hits[0].id.clone(),
        rejected: hits[1].id.clone(),
        _dir: dir,
        input,
        review,
    }
}

fn technique_review(v: &Value, id: &str) -> Option<String> {
    v["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .map(|t| t["review"].as_str().unwrap().to_owned())
}

#[test]
fn analyze_review_applies_verdicts_to_json_stix_table_and_markdown() {
    let r = reviewed();
    let review = r.review.to_str().unwrap();

    let o = analyze(&r.input, &["--review", review]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "same input: nothing to report");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        technique_review(&v, &r.accepted).as_deref(),
        Some("accepted")
    );
    assert_eq!(
        technique_review(&v, &r.rejected).as_deref(),
        Some("rejected")
    );
    assert_eq!(technique_review(&v, "T1071.001").as_deref(), Some("added"));
    assert_eq!(v["review"]["reviewed"], 3);
    assert_eq!(v["review"]["complete"], false);
    assert_eq!(v["chunks"][0]["added"], serde_json::json!(["T1071.001"]));

    // Without --review: unreviewed.
    let plain: Value = serde_json::from_slice(&analyze(&r.input, &[]).stdout).unwrap();
    assert_eq!(
        technique_review(&plain, &r.accepted).as_deref(),
        Some("unreviewed")
    );

    let o = analyze(&r.input, &["--review", review, "-f", "stix"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bundle: Value = serde_json::from_slice(&o.stdout).unwrap();
    let pattern = |id: &str| {
        bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| {
                o["type"] == "attack-pattern" && o["external_references"][0]["external_id"] == id
            })
            .cloned()
    };
    let accepted = pattern(&r.accepted).unwrap();
    assert_eq!(accepted["x_mitremap_review"]["status"], "accepted");
    assert_eq!(accepted["x_mitremap_review"]["note"], "matches the sandbox");
    assert!(pattern(&r.rejected).is_none());
    let o = analyze(
        &r.input,
        &["--review", review, "-f", "stix", "--include-rejected"],
    );
    let bundle: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["x_mitremap_review"]["status"] == "rejected")
    );

    let o = analyze(&r.input, &["--review", review, "-f", "table"]);
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(table.contains("REVIEW"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&r.rejected) && l.contains("rejected")),
        "{table}"
    );

    let o = analyze(&r.input, &["--review", review, "-f", "markdown"]);
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(md.contains("an analyst reviewed"), "{md}");
}

#[test]
fn a_changed_input_reattaches_what_it_can_and_says_what_it_could_not() {
    let r = reviewed();
    // The analyst's chunk verdict was on the first chunk: rewrite its first sentence and add a
    // paragraph before it; the report-level verdicts still apply.
    let text = std::fs::read_to_string(&r.input).unwrap();
    let changed = format!(
        "Preface added later.\n\n{}",
        text.replacen("Operation Paper Lantern", "Operation Paper Lamp", 1)
    );
    std::fs::write(&r.input, changed).unwrap();
    let o = analyze(&r.input, &["--review", r.review.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "different version of this input: 1 chunk verdict(s) re-attached where their text \
             still exists, 1 could not be"
        ),
        "{err}"
    );
    assert!(err.contains("not re-attached: added T1071.001"), "{err}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    // Report-level verdicts hold for the whole changed report, predicted again or not.
    assert_eq!(
        technique_review(&v, &r.accepted).as_deref(),
        Some("accepted")
    );
    assert!(technique_review(&v, "T1071.001").is_none());
}

#[test]
fn a_damaged_review_file_is_one_clear_error_before_the_analysis_and_is_kept() {
    let r = reviewed();
    let bytes = std::fs::read(&r.review).unwrap();
    std::fs::write(&r.review, &bytes[..bytes.len() - 40]).unwrap();
    let o = analyze(&r.input, &["--review", r.review.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("truncated") && err.contains(".bak"), "{err}");
    assert!(o.stdout.is_empty());
    let mut bak = r.review.clone().into_os_string();
    bak.push(".bak");
    assert_eq!(std::fs::read(bak).unwrap(), &bytes[..bytes.len() - 40]);
    assert_eq!(
        std::fs::read(&r.review).unwrap(),
        &bytes[..bytes.len() - 40]
    );

    let missing = analyze(&r.input, &["--review", "/nonexistent/review.json"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no such review file"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn review_export_writes_training_records_of_the_verdicts() {
    let r = reviewed();
    let out = r.input.with_file_name("reviews.jsonl");
    let o = mitremap(&[
        "review",
        "export",
        r.review.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!records.is_empty());
    let sha = ReviewFile::load(&r.review).unwrap().unwrap().input.sha256;
    for rec in &records {
        assert_eq!(rec["source"], "analyst_review");
        assert_eq!(rec["doc"], sha.as_str());
        let text = rec["text"].as_str().unwrap();
        assert!(std::fs::read_to_string(&r.input).unwrap().contains(text));
    }
    assert!(records.iter().any(|r| {
        r["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "T1071.001")
    }));
    assert!(records.iter().any(|rec| {
        rec["negatives"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| *t == *r.rejected)
    }));
    // An existing output is not replaced without --force.
    let again = mitremap(&[
        "review",
        "export",
        r.review.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
}

/// training/test_review_source.py: review files -> this binary's `review export` ->
/// training/dataset.py reads them as the `analyst_review` source, split by document.
#[test]
fn training_dataset_reads_review_exports() {
    let o = Command::new("python3")
        .arg(root().join("training/test_review_source.py"))
        .env("MITREMAP_BIN", env!("CARGO_BIN_EXE_mitremap"))
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// training/test_review_update.py: re-thresholding from reviews writes per-label cuts that move
/// the engine's blended decision exactly where chosen, and keeps a reviewed folder only when
/// held-out validation is not worse.
#[test]
fn training_review_update_rules_hold() {
    let o = Command::new("python3")
        .arg(root().join("training/test_review_update.py"))
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
