//! The ATT&CK Navigator layer against the layer format 4.5 specification
//! (attack-navigator `layers/spec/v4.5/layerformat.md`): required fields, types and values.

mod common;

use mitremap_engine::attack::Catalog;
use mitremap_export::{Format, render};
use serde_json::Value;

fn layer() -> Value {
    let bytes = render(Format::Navigator, &common::report(), &common::options()).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn is_color(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
    })
}

fn check_metadata(list: &Value) {
    for m in list.as_array().expect("metadata is an array") {
        if m.get("divider").is_some() {
            assert!(m["divider"].is_boolean());
        } else {
            assert!(m["name"].is_string() && m["value"].is_string(), "{m}");
        }
    }
}

#[test]
fn layer_has_the_required_fields_and_types_of_format_4_5() {
    let l = layer();
    // Layer: name and domain required; versions.navigator and versions.layer required.
    assert!(l["name"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(l["domain"], "enterprise-attack");
    assert_eq!(l["versions"]["layer"], "4.5");
    let nav = l["versions"]["navigator"].as_str().unwrap();
    let parts: Vec<u32> = nav.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(
        parts >= vec![4, 9, 0],
        "navigator version must be at least 4.9.0"
    );
    // The model's ATT&CK release, major version only.
    assert_eq!(l["versions"]["attack"], "18");
    assert!(l["description"].is_string());
    let sorting = l["sorting"].as_u64().unwrap();
    assert!(sorting <= 3);
    assert_eq!(sorting, 3, "sorted by score, descending");
    assert!(l["hideDisabled"].is_boolean());
    for k in [
        "showTacticRowBackground",
        "selectTechniquesAcrossTactics",
        "selectSubtechniquesWithParent",
        "selectVisibleTechniques",
    ] {
        assert!(l[k].is_boolean(), "{k}");
    }
    assert!(is_color(&l["tacticRowBackground"]));
    // Layout.
    let layout = &l["layout"];
    assert!(["side", "flat", "mini"].contains(&layout["layout"].as_str().unwrap()));
    assert!(
        ["average", "min", "max", "sum"].contains(&layout["aggregateFunction"].as_str().unwrap())
    );
    assert!(
        ["none", "all", "annotated"].contains(&layout["expandedSubtechniques"].as_str().unwrap())
    );
    for k in ["showID", "showName", "showAggregateScores", "countUnscored"] {
        assert!(layout[k].is_boolean(), "layout.{k}");
    }
    // Gradient: at least two colours, maxValue > minValue.
    let g = &l["gradient"];
    let colors = g["colors"].as_array().unwrap();
    assert!(colors.len() >= 2 && colors.iter().all(is_color));
    assert!(g["maxValue"].as_f64().unwrap() > g["minValue"].as_f64().unwrap());
    assert_eq!(
        g["minValue"], 20,
        "gradient starts at the report's threshold"
    );
    for item in l["legendItems"].as_array().unwrap() {
        assert!(item["label"].is_string() && is_color(&item["color"]));
    }
    check_metadata(&l["metadata"]);
    if let Some(f) = l.get("filters") {
        assert!(
            f["platforms"]
                .as_array()
                .unwrap()
                .iter()
                .all(Value::is_string)
        );
    }
}

#[test]
fn one_entry_per_technique_and_tactic_sorted_by_score() {
    let l = layer();
    let report = common::report();
    let hits = report.techniques(report.options.threshold);
    let catalog = Catalog::embedded();
    let entries = l["techniques"].as_array().unwrap();
    let expected: usize = hits.iter().map(|h| h.tactics.len().max(1)).sum();
    assert_eq!(entries.len(), expected);
    let mut last = u64::MAX;
    for e in entries {
        let id = e["techniqueID"].as_str().unwrap();
        let t = catalog.get(id).expect("a catalogue technique");
        let tactic = e["tactic"].as_str().unwrap();
        assert!(
            t.tactics.iter().any(|x| x == tactic),
            "{id} is not in {tactic}"
        );
        let score = e["score"].as_u64().unwrap();
        assert!(score <= 100);
        assert!(score <= last, "not sorted by score");
        last = score;
        let hit = hits.iter().find(|h| h.id == id).unwrap();
        assert_eq!(score, (f64::from(hit.confidence) * 100.0).round() as u64);
        let comment = e["comment"].as_str().unwrap();
        assert!(comment.contains("Best evidence"), "{comment}");
        assert!(!comment.contains('\n'));
        assert!(comment.chars().count() <= 520);
        assert_eq!(e["enabled"], true);
        assert!(e["showSubtechniques"].is_boolean());
        check_metadata(&e["metadata"]);
        for link in e["links"].as_array().unwrap() {
            assert!(link["label"].is_string());
            assert!(link["url"].as_str().unwrap().starts_with("https://"));
        }
    }
    // T1547.001 is in two tactics: two entries, kill-chain order.
    let tactics: Vec<&str> = entries
        .iter()
        .filter(|e| e["techniqueID"] == "T1547.001")
        .map(|e| e["tactic"].as_str().unwrap())
        .collect();
    assert_eq!(tactics, ["persistence", "privilege-escalation"]);
}
