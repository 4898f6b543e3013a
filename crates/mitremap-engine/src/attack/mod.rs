//! The MITRE ATT&CK Enterprise catalogue, embedded in the binary.
//!
//! Reduced from MITRE's STIX data by `tools/build_attack_catalog.py`.
//! © 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of
//! The MITRE Corporation.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The ATT&CK notice that must accompany ATT&CK-derived data.
pub const ATTACK_NOTICE: &str = "© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation.";

static EMBEDDED: &str = include_str!("../../data/attack-enterprise.json");

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    serde_json::from_str::<Catalog>(EMBEDDED)
        .expect("embedded ATT&CK catalogue is valid JSON (checked by tests)")
        .build_index()
});

/// Whether a technique is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Revoked,
    Deprecated,
}

/// A tactic (a column of the matrix).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tactic {
    /// `TA0002`
    pub id: String,
    /// `execution`, as used in STIX kill-chain phases and Navigator layers.
    pub shortname: String,
    /// `Execution`
    pub name: String,
}

/// One technique or sub-technique.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Technique {
    /// `T1059` or `T1059.001`
    pub id: String,
    pub name: String,
    /// Parent technique of a sub-technique.
    pub parent: Option<String>,
    /// Tactic shortnames, e.g. `["execution"]`.
    pub tactics: Vec<String>,
    pub status: Status,
    /// For revoked techniques: the technique that replaced it.
    pub replaced_by: Option<String>,
    /// MITRE's STIX id (`attack-pattern--...`), reused in STIX exports so platforms deduplicate.
    pub stix_id: String,
}

impl Technique {
    /// The technique's page on attack.mitre.org.
    pub fn url(&self) -> String {
        technique_url(&self.id)
    }

    /// True for sub-techniques (`T1059.001`).
    pub fn is_subtechnique(&self) -> bool {
        self.parent.is_some()
    }
}

/// `https://attack.mitre.org/techniques/T1059/001/` for `T1059.001`.
pub fn technique_url(id: &str) -> String {
    format!(
        "https://attack.mitre.org/techniques/{}/",
        id.replace('.', "/")
    )
}

/// The embedded catalogue.
#[derive(Debug, Deserialize)]
pub struct Catalog {
    /// ATT&CK release, e.g. `18.1`.
    pub attack_version: String,
    pub notice: String,
    /// Tactics in kill-chain order (the matrix's columns, left to right).
    pub tactics: Vec<Tactic>,
    techniques: Vec<Technique>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl Catalog {
    /// The ATT&CK Enterprise catalogue compiled into this binary.
    pub fn embedded() -> &'static Catalog {
        &CATALOG
    }

    /// Looks a technique up by ID (any status).
    pub fn get(&self, id: &str) -> Option<&Technique> {
        self.index.get(id).map(|&i| &self.techniques[i])
    }

    /// Resolves an ID to the technique to report: active techniques as they are, revoked ones
    /// followed to their replacement (possibly over several hops). Deprecated techniques without
    /// replacement resolve to themselves.
    pub fn resolve(&self, id: &str) -> Option<&Technique> {
        let mut technique = self.get(id)?;
        for _ in 0..8 {
            match (&technique.status, &technique.replaced_by) {
                (Status::Revoked, Some(next)) => match self.get(next) {
                    Some(t) => technique = t,
                    None => break,
                },
                _ => break,
            }
        }
        Some(technique)
    }

    /// All techniques, sorted by ID.
    pub fn techniques(&self) -> &[Technique] {
        &self.techniques
    }

    /// A tactic by shortname.
    pub fn tactic(&self, shortname: &str) -> Option<&Tactic> {
        self.tactics.iter().find(|t| t.shortname == shortname)
    }

    fn build_index(mut self) -> Self {
        self.index = self
            .techniques
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_loads_with_all_techniques_and_tactics() {
        let c = Catalog::embedded();
        assert_eq!(c.attack_version, "18.1");
        assert_eq!(c.tactics.len(), 14);
        assert_eq!(
            c.techniques()
                .iter()
                .filter(|t| t.status == Status::Active)
                .count(),
            691
        );
        let t = c.get("T1059.001").unwrap();
        assert_eq!(t.name, "PowerShell");
        assert_eq!(t.parent.as_deref(), Some("T1059"));
        assert_eq!(t.url(), "https://attack.mitre.org/techniques/T1059/001/");
        assert!(t.stix_id.starts_with("attack-pattern--"));
    }

    #[test]
    fn revoked_techniques_resolve_to_their_replacement() {
        let c = Catalog::embedded();
        assert_eq!(c.get("T1086").unwrap().status, Status::Revoked);
        assert_eq!(c.resolve("T1086").unwrap().id, "T1059.001");
        assert_eq!(c.resolve("T1059").unwrap().id, "T1059");
        assert!(c.resolve("T9999").is_none());
    }
}
