//! The MITRE ATT&CK Enterprise catalogue: the one embedded in the binary (v18.1, the model's label
//! space) and catalogues imported from MITRE's STIX bundles (`mitremap attack import`, see
//! [`stix`] and [`store`]), and how a model label is reported in the catalogue in use
//! ([`mapping`]).
//!
//! The embedded one is reduced from MITRE's STIX data by `tools/build_attack_catalog.py`.
//! © 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of
//! The MITRE Corporation.

pub mod mapping;
pub mod stix;
pub mod store;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, OnceLock};

use serde::{Deserialize, Serialize};

/// The ATT&CK notice that must accompany ATT&CK-derived data.
pub const ATTACK_NOTICE: &str = "© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation.";

static EMBEDDED: &str = include_str!("../../data/attack-enterprise.json");

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    serde_json::from_str::<Catalog>(EMBEDDED)
        .expect("embedded ATT&CK catalogue is valid JSON (checked by tests)")
        .build_index()
});

/// The catalogue chosen for this process (`--attack-version`, else the newest installed); unset
/// means the embedded one.
static ACTIVE: OnceLock<&'static Catalog> = OnceLock::new();

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
    /// For revoked techniques: the technique that replaced it (the first one, when it was split).
    pub replaced_by: Option<String>,
    /// For a technique revoked in favour of several (a split: one `revoked-by` relationship per
    /// successor), every successor, `replaced_by` first. Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub split_into: Vec<String>,
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

/// Where a catalogue in use came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary.
    #[default]
    Embedded,
    /// Imported with `mitremap attack import`, loaded from this file.
    File(PathBuf),
}

/// An ATT&CK Enterprise catalogue: the embedded one, or one imported from a STIX bundle (same
/// JSON shape; `tools/build_attack_catalog.py` and [`stix::import`] write it).
#[derive(Clone, Serialize, Deserialize)]
pub struct Catalog {
    /// ATT&CK release, e.g. `18.1`.
    pub attack_version: String,
    #[serde(default = "enterprise_domain")]
    pub domain: String,
    /// Where the data came from (`mitre/cti commit ...`, or the imported bundle's file name,
    /// SHA-256 and import time).
    #[serde(default)]
    pub source: String,
    pub notice: String,
    /// Tactics in kill-chain order (the matrix's columns, left to right).
    pub tactics: Vec<Tactic>,
    techniques: Vec<Technique>,
    #[serde(skip)]
    index: HashMap<String, usize>,
    #[serde(skip)]
    origin: Origin,
}

fn enterprise_domain() -> String {
    "enterprise-attack".to_owned()
}

/// A catalogue holds ~800 techniques: `{:?}` says which catalogue, not all of them.
impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("attack_version", &self.attack_version)
            .field("origin", &self.origin)
            .field("tactics", &self.tactics.len())
            .field("techniques", &self.techniques.len())
            .finish()
    }
}

impl Catalog {
    /// The ATT&CK Enterprise catalogue compiled into this binary (v18.1: the label space of the
    /// shipped model).
    pub fn embedded() -> &'static Catalog {
        &CATALOG
    }

    /// The catalogue in use in this process: the one given to [`Catalog::set_active`], else the
    /// embedded one.
    pub fn active() -> &'static Catalog {
        ACTIVE.get().copied().unwrap_or_else(Catalog::embedded)
    }

    /// Chooses the catalogue reports use from now on (once per process; the front end calls it at
    /// start-up, see [`store::select`]). Returns false if one was already chosen.
    pub fn set_active(catalog: &'static Catalog) -> bool {
        ACTIVE.set(catalog).is_ok()
    }

    /// Builds a catalogue from its parts (used by the STIX importer); techniques are sorted by ID.
    /// Its origin is a file not yet named: set it with [`Catalog::with_origin`] once written.
    pub fn new(
        attack_version: String,
        source: String,
        tactics: Vec<Tactic>,
        mut techniques: Vec<Technique>,
    ) -> Self {
        techniques.sort_by(|a, b| a.id.cmp(&b.id));
        Catalog {
            attack_version,
            domain: enterprise_domain(),
            source,
            notice: ATTACK_NOTICE.to_owned(),
            tactics,
            techniques,
            index: HashMap::new(),
            origin: Origin::File(PathBuf::new()),
        }
        .build_index()
    }

    /// Reads a catalogue file written by `mitremap attack import` (checking its shape: it is read
    /// from the user's data folder, which may hold anything). The error is one line.
    pub fn from_json(bytes: &[u8], origin: Origin) -> Result<Catalog, String> {
        let mut catalog: Catalog = serde_json::from_slice(bytes)
            .map_err(|e| format!("not a mitremap ATT&CK catalogue: {e}"))?;
        if !store::is_version(&catalog.attack_version) {
            return Err(format!(
                "bad ATT&CK version {:?} in the catalogue",
                crate::text::terminal_safe_line(&catalog.attack_version)
            ));
        }
        if catalog.domain != "enterprise-attack" {
            return Err("not an Enterprise ATT&CK catalogue".to_owned());
        }
        if catalog.techniques.is_empty() || catalog.tactics.is_empty() {
            return Err("the catalogue holds no techniques or no tactics".to_owned());
        }
        catalog.techniques.sort_by(|a, b| a.id.cmp(&b.id));
        catalog.origin = origin;
        Ok(catalog.build_index())
    }

    /// Where this catalogue came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Sets where the catalogue came from (after writing or loading it).
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// `embedded` or `imported`, as the JSON report's `attack.source` says.
    pub fn origin_kind(&self) -> &'static str {
        match self.origin {
            Origin::Embedded => "embedded",
            Origin::File(_) => "imported",
        }
    }

    /// Techniques that are neither revoked nor deprecated.
    pub fn active_count(&self) -> usize {
        self.techniques
            .iter()
            .filter(|t| t.status == Status::Active)
            .count()
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
