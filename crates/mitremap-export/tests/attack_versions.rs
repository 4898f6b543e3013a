//! Exports made in an imported ATT&CK catalogue (`mitremap attack import`): they name the
//! release they were made in, report each v18.1 model label in that release (revoked, split,
//! moved, deprecated, unmapped: never dropped) with that release's tactics, and stay valid (JSON
//! schema, Navigator layer shape).

mod common;

use mitremap_export::{ExportOptions, Format, render};
use serde_json::Value;

/// Model labels the fixtures change: revoked (T1562.001), split (T1562), left out of the 18.2
/// bundle (T1570), moved to Stealth (T1027), deprecated (T1218.011), unchanged (T1059).
const LABELS: [&str; 6] = ["T1562.001", "T1562", "T1570", "T1027", "T1218.011", "T1059"];

fn export(format: Format, file: &str) -> Vec<u8> {
    let report = common::labelled_report(&LABELS, common::imported_catalogue(file));
    let options = ExportOptions {
        now: Some(common::fixed_now()),
        omit_timings: true,
        ..ExportOptions::default()
    };
    render(format, &report, &options).unwrap()
}

fn json(format: Format, file: &str) -> Value {
    serde_json::from_slice(&export(format, file)).unwrap()
}

fn technique<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("{id} not reported: {:#}", report["techniques"]))
}

const MINI: &str = "mini-enterprise-attack-18.2.json";
const V19: &str = "v19-subset-enterprise-attack.json";

#[test]
fn json_report_in_a_hand_made_release_follows_its_revoked_by_relationships() {
    let r = json(Format::Json, MINI);
    assert_eq!(r["attack"]["version"], "18.2");
    assert_eq!(r["attack"]["source"], "imported");
    // T1562.001 (revoked-by T1685) and T1562 (revoked-by T1685 and T1686: a split) both land on
    // T1685, in the new Defense Impairment tactic.
    let t = technique(&r, "T1685");
    assert_eq!(t["tactics"], serde_json::json!(["defense-impairment"]));
    assert_eq!(t["model_labels"], serde_json::json!(["T1562.001", "T1562"]));
    assert_eq!(
        t["mapping"],
        serde_json::json!([
            {"label": "T1562.001", "kind": "revoked"},
            {"label": "T1562", "kind": "split", "alternatives": ["T1686"]}
        ])
    );
    // Left out of the release: reported under the model's label, said so, not dropped.
    let t = technique(&r, "T1570");
    assert_eq!(t["name"], "Lateral Tool Transfer (no v18.2 equivalent)");
    assert_eq!(t["status"], Value::Null);
    assert_eq!(t["tactics"], serde_json::json!([]));
    assert_eq!(t["mapping"][0]["kind"], "unmapped");
    // Deprecated without replacement: kept, marked.
    assert_eq!(technique(&r, "T1218.011")["status"], "deprecated");
    // Tactics are the release's: Defense Evasion is gone.
    assert_eq!(
        technique(&r, "T1027")["tactics"],
        serde_json::json!(["stealth"])
    );
    assert!(technique(&r, "T1059").get("mapping").is_none());
    assert_eq!(r["techniques"].as_array().unwrap().len(), 5);
}

#[test]
fn json_report_in_v19_uses_the_crosswalk() {
    let r = json(Format::Json, V19);
    assert_eq!(r["attack"]["version"], "19");
    let t = technique(&r, "T1685");
    assert_eq!(t["name"], "Disable or Modify Tools");
    assert_eq!(
        t["mapping"],
        serde_json::json!([
            {"label": "T1562.001", "kind": "moved"},
            {"label": "T1562", "kind": "approximate"}
        ])
    );
    // T1570 and T1218.011 are in v19 as they were.
    assert!(technique(&r, "T1570").get("mapping").is_none());
    assert_eq!(technique(&r, "T1218.011")["status"], "active");
    assert_eq!(
        technique(&r, "T1027")["tactics"],
        serde_json::json!(["stealth"])
    );
}

#[test]
fn json_reports_in_imported_releases_match_the_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo_root().join("schemas/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    for file in [MINI, V19] {
        let r = json(Format::Json, file);
        let errors: Vec<String> = validator
            .iter_errors(&r)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
}

#[test]
fn navigator_layer_names_the_release_and_lists_unmapped_labels_apart() {
    let l = json(Format::Navigator, MINI);
    assert_eq!(l["versions"]["attack"], "18");
    let entries = l["techniques"].as_array().unwrap();
    let ids: Vec<&str> = entries
        .iter()
        .map(|t| t["techniqueID"].as_str().unwrap())
        .collect();
    assert!(
        !ids.contains(&"T1570"),
        "no cell for it in the matrix: {ids:?}"
    );
    let impair = entries
        .iter()
        .find(|t| t["techniqueID"] == "T1685")
        .unwrap();
    assert_eq!(impair["tactic"], "defense-impairment");
    let meta = l["metadata"].as_array().unwrap();
    let get = |name: &str| meta.iter().find(|m| m["name"] == name).map(|m| &m["value"]);
    assert_eq!(
        get("attack").unwrap(),
        "Enterprise 18.2 (imported catalogue)"
    );
    let unmapped = get("not in ATT&CK 18.2").unwrap().as_str().unwrap();
    assert!(
        unmapped.starts_with("T1570 Lateral Tool Transfer"),
        "{unmapped}"
    );
    assert!(l["description"].as_str().unwrap().contains("(ATT&CK 18.2)"));

    let l = json(Format::Navigator, V19);
    assert_eq!(l["versions"]["attack"], "19");
    assert!(
        l["metadata"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["name"] != "not in ATT&CK 19")
    );
}

#[test]
fn markdown_and_csv_use_the_release_tactic_names() {
    let md = String::from_utf8(export(Format::Markdown, V19)).unwrap();
    assert!(
        md.contains("- **ATT&CK:** Enterprise 19 (imported catalogue; model labels carried over from 18\\.1)"),
        "{md}"
    );
    assert!(
        md.contains(
            "| Disable or Modify Tools \\<- T1562.001 (moved), T1562 (moved, approximate) | Defense Impairment |"
        ),
        "{md}"
    );
    assert!(md.contains("| Stealth |"), "{md}");
    assert!(!md.contains("Defense Evasion"), "{md}");
    let csv = String::from_utf8(export(Format::Csv, V19)).unwrap();
    assert!(csv.contains("defense-impairment"), "{csv}");
}

#[test]
fn stix_bundle_carries_the_release_and_its_tactics() {
    let b = json(Format::Stix, MINI);
    let objects = b["objects"].as_array().unwrap();
    let report = objects.iter().find(|o| o["type"] == "report").unwrap();
    assert!(
        report["description"]
            .as_str()
            .unwrap()
            .contains("(ATT&CK 18.2)"),
        "{report}"
    );
    assert!(
        report["external_references"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["source_name"] == "mitremap-attack-release"
                && r["external_id"] == "enterprise-attack-18.2"),
        "{report}"
    );
    let pattern = objects
        .iter()
        .find(|o| {
            o["type"] == "attack-pattern" && o["external_references"][0]["external_id"] == "T1685"
        })
        .unwrap();
    assert_eq!(
        pattern["kill_chain_phases"],
        serde_json::json!([{"kill_chain_name": "mitre-attack", "phase_name": "defense-impairment"}])
    );
}
