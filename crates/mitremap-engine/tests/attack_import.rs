//! `attack::stix::import` on real STIX bundles: the hand-made 18.2 bundle and the v19 subset in
//! `tests/fixtures/attack/` (see `tools/make_attack_fixtures.py`), the whole v19 technique list
//! from `../shared/data`, and broken files. Then how v18.1 model labels land in each release.

use std::path::{Path, PathBuf};

use mitremap_engine::attack::mapping::{MappingKind, map_label};
use mitremap_engine::attack::{Catalog, Status, stix};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/attack")
        .join(name)
}

fn import_bytes(bytes: &[u8]) -> Result<Catalog, String> {
    stix::import(bytes, Some(bytes.len() as u64), "test".into())
}

fn import_file(path: &Path) -> Result<Catalog, String> {
    let file = std::fs::File::open(path).unwrap();
    let size = file.metadata().unwrap().len();
    stix::import(file, Some(size), "test".into())
}

fn mini() -> Catalog {
    import_file(&fixture("mini-enterprise-attack-18.2.json")).unwrap()
}

/// (reported ID, how) for a v18.1 label in `to`.
fn mapped(label: &str, to: &Catalog) -> (Option<String>, MappingKind, Vec<String>) {
    let m = map_label(label, Catalog::embedded(), to);
    (m.technique.map(|t| t.id.clone()), m.kind, m.alternatives)
}

#[test]
fn hand_made_bundle_gives_its_release_tactics_in_matrix_order_and_techniques() {
    let c = mini();
    assert_eq!(c.attack_version, "18.2");
    assert!(c.source.starts_with("test, STIX 2.1"), "{}", c.source);
    let tactics: Vec<&str> = c.tactics.iter().map(|t| t.shortname.as_str()).collect();
    // The bundle lists tactics in reverse; the matrix's tactic_refs give the columns.
    assert_eq!(
        tactics[4..9],
        [
            "persistence",
            "privilege-escalation",
            "stealth",
            "defense-impairment",
            "credential-access"
        ]
    );
    assert_eq!(tactics.len(), 15);
    assert_eq!(c.tactic("defense-impairment").unwrap().id, "TA0112");
    assert!(c.tactic("defense-evasion").is_none());

    let revoked = c.get("T1562.001").unwrap();
    assert_eq!(revoked.status, Status::Revoked);
    assert_eq!(revoked.replaced_by.as_deref(), Some("T1685"));
    let split = c.get("T1562").unwrap();
    assert_eq!(split.split_into, ["T1685", "T1686"]);
    assert_eq!(c.get("T1218.011").unwrap().status, Status::Deprecated);
    assert_eq!(c.get("T1003.001").unwrap().parent.as_deref(), Some("T1003"));
    // Kept from MITRE's ids for techniques that exist in 18.1.
    assert_eq!(
        c.get("T1059").unwrap().stix_id,
        Catalog::embedded().get("T1059").unwrap().stix_id
    );
    // Another domain's technique and an attack-pattern without an ATT&CK ID are left out.
    assert!(c.get("T1660").is_none());
    assert_eq!(c.techniques().len(), 24);
    assert_eq!(c.active_count(), 21);
    // A control character in a name never reaches a terminal.
    let evil = &c.get("T1687").unwrap().name;
    assert!(!evil.contains('\u{1b}'), "{evil:?}");
}

#[test]
fn v18_1_labels_in_the_hand_made_release() {
    let c = mini();
    assert_eq!(
        mapped("T1562.001", &c),
        (Some("T1685".into()), MappingKind::Revoked, vec![])
    );
    assert_eq!(
        mapped("T1562", &c),
        (
            Some("T1685".into()),
            MappingKind::Split,
            vec!["T1686".into()]
        )
    );
    assert_eq!(
        mapped("T1218.011", &c),
        (Some("T1218.011".into()), MappingKind::Deprecated, vec![])
    );
    assert_eq!(mapped("T1570", &c), (None, MappingKind::Unmapped, vec![]));
    assert_eq!(
        mapped("T1027", &c),
        (Some("T1027".into()), MappingKind::Same, vec![])
    );
    // 18.2 < 19: the 18.1 -> 19 crosswalk does not apply (T1562.004 is not in this bundle).
    assert_eq!(
        mapped("T1562.004", &c),
        (None, MappingKind::Unmapped, vec![])
    );
}

#[test]
fn v18_1_labels_in_the_v19_subset_follow_the_crosswalk() {
    let c = import_file(&fixture("v19-subset-enterprise-attack.json")).unwrap();
    assert_eq!(c.attack_version, "19");
    assert_eq!(
        c.get("T1685").unwrap().tactics,
        ["defense-impairment".to_owned()]
    );
    assert_eq!(c.get("T1027").unwrap().tactics, ["stealth".to_owned()]);
    assert_eq!(
        mapped("T1562.001", &c),
        (Some("T1685".into()), MappingKind::Moved, vec![])
    );
    assert_eq!(
        mapped("T1562.004", &c),
        (
            Some("T1686".into()),
            MappingKind::Split,
            vec!["T1686.003".into()]
        )
    );
    assert_eq!(
        mapped("T1562", &c),
        (Some("T1685".into()), MappingKind::Approximate, vec![])
    );
    assert_eq!(
        mapped("T1070.001", &c),
        (Some("T1685.005".into()), MappingKind::Moved, vec![])
    );
    assert_eq!(
        mapped("T1656", &c),
        (Some("T1684.001".into()), MappingKind::Moved, vec![])
    );
    // Not in the subset, not moved: unmapped, said so.
    assert_eq!(mapped("T1110", &c), (None, MappingKind::Unmapped, vec![]));
}

/// A STIX bundle of every v19 technique in `../shared/data` (IDs, names, tactics as listed).
fn full_v19_bundle(data: &Path) -> Vec<u8> {
    let crosswalk: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("attack_v18.1_to_v19_crosswalk.json")).unwrap(),
    )
    .unwrap();
    let mut objects = vec![json!({
        "type": "x-mitre-collection", "id": "x-mitre-collection--1", "x_mitre_version": "19.0"
    })];
    for (short, t) in crosswalk["v19_tactics"].as_object().unwrap() {
        objects.push(json!({
            "type": "x-mitre-tactic", "id": format!("x-mitre-tactic--{short}"),
            "name": t["name"], "x_mitre_shortname": short,
            "external_references": [{"source_name": "mitre-attack", "external_id": t["id"]}]
        }));
    }
    let list =
        std::fs::read_to_string(data.join("attack_enterprise_v19_techniques.jsonl")).unwrap();
    for line in list.lines() {
        let t: Value = serde_json::from_str(line).unwrap();
        let phases: Vec<Value> = t["tactics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| json!({"kill_chain_name": "mitre-attack", "phase_name": p}))
            .collect();
        objects.push(json!({
            "type": "attack-pattern", "id": format!("attack-pattern--{}", t["id"].as_str().unwrap()),
            "name": t["name"], "kill_chain_phases": phases,
            "x_mitre_is_subtechnique": t["is_subtechnique"],
            "external_references": [{"source_name": "mitre-attack", "external_id": t["id"]}]
        }));
    }
    serde_json::to_vec(&json!({"type": "bundle", "id": "bundle--1", "objects": objects})).unwrap()
}

#[test]
#[ignore = "needs ../shared/data (the v19 technique list); .ci/run runs it with --ignored"]
fn every_v18_1_label_has_a_v19_technique() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let c = import_bytes(&full_v19_bundle(&data)).unwrap();
    assert_eq!(c.attack_version, "19.0");
    assert_eq!(c.active_count(), 697);
    assert_eq!(c.tactics.len(), 15);
    let mut moved = Vec::new();
    for label in Catalog::embedded()
        .techniques()
        .iter()
        .filter(|t| t.status == Status::Active)
    {
        let (id, kind, _) = mapped(&label.id, &c);
        assert!(id.is_some(), "{} has no v19 technique", label.id);
        let t = c.get(id.as_deref().unwrap()).unwrap();
        assert!(!t.tactics.iter().any(|t| t == "defense-evasion"));
        if kind != MappingKind::Same {
            moved.push(label.id.clone());
        }
    }
    // Exactly the 17 IDs the crosswalk moves (Defense Evasion's Impair Defenses family,
    // Clear Windows/Linux logs, T1656, T1672).
    assert_eq!(moved.len(), 17, "{moved:?}");
}

#[test]
fn broken_bundles_are_refused_with_one_line() {
    let real = std::fs::read(fixture("mini-enterprise-attack-18.2.json")).unwrap();
    let mut mobile: Value = serde_json::from_slice(&real).unwrap();
    for o in mobile["objects"].as_array_mut().unwrap() {
        if o["type"] == "attack-pattern" {
            o["x_mitre_domains"] = json!(["mobile-attack"]);
        }
    }
    let mobile = serde_json::to_string(&mobile).unwrap();
    let no_collection = String::from_utf8(real.clone()).unwrap().replace(
        "\"x_mitre_version\": \"18.2\"",
        "\"x_mitre_version_\": \"18.2\"",
    );
    let bad_version = String::from_utf8(real.clone()).unwrap().replace(
        "\"x_mitre_version\": \"18.2\"",
        "\"x_mitre_version\": \"../../x\"",
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            real[..real.len() / 2].to_vec(),
            "ends early (truncated?)",
        ),
        ("empty", Vec::new(), "empty"),
        ("not JSON", b"PK\x03\x04 a zip file".to_vec(), "not JSON"),
        (
            "wrong type",
            br#"{"type": "report", "objects": []}"#.to_vec(),
            "not a STIX bundle",
        ),
        ("a list", b"[]".to_vec(), "not a STIX bundle"),
        ("mobile only", mobile.into_bytes(), "Mobile or ICS bundle"),
        (
            "no release",
            no_collection.into_bytes(),
            "ATT&CK release is unknown",
        ),
        (
            "bad release",
            bad_version.into_bytes(),
            "not an ATT&CK release number",
        ),
    ];
    for (what, bytes, want) in cases {
        let err = import_bytes(&bytes).unwrap_err();
        assert!(err.contains(want), "{what}: {err}");
        assert!(!err.contains('\n') && err.len() < 300, "{what}: {err}");
    }
}
