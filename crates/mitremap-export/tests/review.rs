//! A reviewed report in every format: each technique's verdict is carried (JSON, CSV, Markdown),
//! STIX marks accepted techniques and leaves rejected ones out unless asked, Navigator colours
//! verdicts, and a fully reviewed report no longer calls itself unreviewed. The report is the
//! fixture model's real analysis of the shared test text; the verdicts are laid over it.

mod common;

use mitremap_engine::analysis::{Report, ReviewOverlay, ReviewStatus};
use mitremap_export::{ExportOptions, Format, render};
use serde_json::Value;

/// The fixture report with: the best technique accepted, the second rejected, T1566 (phishing,
/// which the text describes) added to chunk 0, and the rest left unreviewed.
fn reviewed() -> (Report, String, String) {
    let mut report = common::report();
    let hits = report.techniques(report.options.threshold);
    assert!(
        hits.len() >= 3,
        "the fixture report has techniques to review"
    );
    let (accepted, rejected) = (hits[0].id.clone(), hits[1].id.clone());
    let mut overlay = ReviewOverlay::default();
    overlay
        .report
        .insert(accepted.clone(), ReviewStatus::Accepted);
    overlay
        .notes
        .insert(accepted.clone(), "seen in the sandbox run".into());
    overlay
        .report
        .insert(rejected.clone(), ReviewStatus::Rejected);
    overlay
        .chunks
        .insert((0, "T1566".into()), ReviewStatus::Added);
    report.review = Some(overlay);
    (report, accepted, rejected)
}

/// Every technique gets a verdict.
fn fully_reviewed() -> Report {
    let (mut report, _, _) = reviewed();
    let ids: Vec<String> = report
        .techniques(report.options.threshold)
        .into_iter()
        .filter(|h| h.review == ReviewStatus::Unreviewed)
        .map(|h| h.id)
        .collect();
    let overlay = report.review.as_mut().unwrap();
    for id in ids {
        overlay.report.insert(id, ReviewStatus::Accepted);
    }
    assert!(report.fully_reviewed());
    report
}

fn export(report: &Report, format: Format, options: &ExportOptions) -> String {
    String::from_utf8(render(format, report, options).unwrap()).unwrap()
}

fn schema_errors(instance: &Value) -> Vec<String> {
    let path = common::repo_root().join("schemas/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn json_carries_each_techniques_verdict_and_validates() {
    let (report, accepted, rejected) = reviewed();
    let v: Value =
        serde_json::from_str(&export(&report, Format::Json, &common::options())).unwrap();
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    let status_of = |id: &str| {
        v["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["review"].clone())
    };
    assert_eq!(status_of(&accepted), Some("accepted".into()));
    assert_eq!(status_of(&rejected), Some("rejected".into()));
    assert_eq!(status_of("T1566"), Some("added".into()));
    let total = v["techniques"].as_array().unwrap().len();
    assert_eq!(v["review"]["reviewed"], 3);
    assert_eq!(v["review"]["techniques"], total);
    assert_eq!(v["review"]["complete"], false);
    // Chunk level: chunk 0's predictions carry a verdict, and the added technique is listed.
    assert_eq!(v["chunks"][0]["added"], serde_json::json!(["T1566"]));
    assert!(
        v["chunks"][0]["top"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["review"].is_string())
    );

    // An unreviewed report says so for each technique and has no review summary.
    let plain: Value =
        serde_json::from_str(&export(&common::report(), Format::Json, &common::options())).unwrap();
    assert!(plain.get("review").is_none());
    assert!(
        plain["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["review"] == "unreviewed")
    );
    assert_eq!(schema_errors(&plain), Vec::<String>::new());
}

#[test]
fn stix_marks_accepted_techniques_and_leaves_rejected_out_unless_asked() {
    let (report, accepted, rejected) = reviewed();
    let bundle: Value =
        serde_json::from_str(&export(&report, Format::Stix, &common::options())).unwrap();
    let patterns: Vec<&Value> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == "attack-pattern")
        .collect();
    let find = |id: &str| {
        patterns
            .iter()
            .find(|p| p["external_references"][0]["external_id"] == id)
            .copied()
    };
    let ap = find(&accepted).expect("accepted technique exported");
    assert_eq!(ap["x_mitremap_review"]["status"], "accepted");
    assert_eq!(ap["x_mitremap_review"]["note"], "seen in the sandbox run");
    assert_eq!(ap["confidence"], 100);
    assert!(
        ap["extensions"]
            .as_object()
            .unwrap()
            .contains_key(&mitremap_export::stix::review_extension_id())
    );
    assert!(find(&rejected).is_none(), "rejected technique left out");
    assert_eq!(
        find("T1566").unwrap()["x_mitremap_review"]["status"],
        "added"
    );
    let rep = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == "report")
        .unwrap();
    let confirmed = 2; // accepted + added
    let share = (confirmed * 100 + patterns.len() / 2) / patterns.len();
    assert_eq!(rep["confidence"], share);
    assert!(
        rep["description"]
            .as_str()
            .unwrap()
            .contains("an analyst reviewed 3 of")
    );

    let with_rejected: Value = serde_json::from_str(&export(
        &report,
        Format::Stix,
        &ExportOptions {
            include_rejected: true,
            ..common::options()
        },
    ))
    .unwrap();
    let rejected_ap = with_rejected["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| {
            o["type"] == "attack-pattern" && o["external_references"][0]["external_id"] == rejected
        })
        .expect("rejected technique exported when asked");
    assert_eq!(rejected_ap["x_mitremap_review"]["status"], "rejected");
    assert_eq!(rejected_ap["confidence"], 0);
}

#[test]
fn navigator_colours_verdicts_and_leaves_rejected_out() {
    let (report, accepted, rejected) = reviewed();
    let layer: Value =
        serde_json::from_str(&export(&report, Format::Navigator, &common::options())).unwrap();
    let techniques = layer["techniques"].as_array().unwrap();
    let colour_of = |id: &str| {
        techniques
            .iter()
            .find(|t| t["techniqueID"] == id)
            .map(|t| t.get("color").cloned())
    };
    assert_eq!(colour_of(&accepted), Some(Some("#8ec843".into())));
    assert_eq!(colour_of("T1566"), Some(Some("#66b3ff".into())));
    assert_eq!(colour_of(&rejected), None);
    let unreviewed = report
        .techniques(report.options.threshold)
        .into_iter()
        .find(|h| h.review == ReviewStatus::Unreviewed)
        .unwrap();
    assert_eq!(colour_of(&unreviewed.id), Some(None), "gradient colour");
    assert!(
        layer["legendItems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["label"] == "accepted by an analyst")
    );
}

#[test]
fn markdown_and_csv_show_each_status() {
    let (report, accepted, rejected) = reviewed();
    let md = export(&report, Format::Markdown, &common::options());
    assert!(md.contains("| Review |"), "{md}");
    let row = |id: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| [{id}](")))
            .unwrap_or_else(|| panic!("no row for {id} in {md}"))
            .to_owned()
    };
    assert!(row(&accepted).ends_with("| accepted |"));
    assert!(row(&rejected).ends_with("| rejected |"));
    assert!(row("T1566").ends_with("| added |"));

    let csv = export(&report, Format::Csv, &common::options());
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let review_col = header.iter().position(|h| h == "review").unwrap();
    let statuses: Vec<(String, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[0] == "technique")
        .map(|r| (r[1].to_owned(), r[review_col].to_owned()))
        .collect();
    assert!(statuses.contains(&(accepted, "accepted".into())));
    assert!(statuses.contains(&(rejected, "rejected".into())));
    assert!(statuses.contains(&("T1566".into(), "added".into())));
    assert!(statuses.iter().any(|(_, s)| s == "unreviewed"));
}

#[test]
fn a_fully_reviewed_report_no_longer_says_unreviewed() {
    let report = fully_reviewed();
    for format in [Format::Stix, Format::Navigator, Format::Markdown] {
        let text = export(&report, format, &common::options());
        assert!(
            !text.to_lowercase().contains("unreviewed"),
            "{format:?} still says unreviewed"
        );
        assert!(
            text.contains("Every technique was reviewed by an analyst"),
            "{format:?}"
        );
    }
    let v: Value =
        serde_json::from_str(&export(&report, Format::Json, &common::options())).unwrap();
    assert_eq!(v["review"]["complete"], true);
    // The same report unreviewed does say it.
    let plain = export(&common::report(), Format::Markdown, &common::options());
    assert!(plain.contains("machine-generated and unreviewed"));
}
