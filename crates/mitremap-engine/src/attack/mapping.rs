//! How a model label (an ATT&CK v18.1 ID: the embedded catalogue's label space) is reported in the
//! catalogue in use.
//!
//! In order:
//! 1. the label is in the catalogue in use: an active technique is reported as it is; a revoked
//!    one follows the bundle's `revoked-by` relationships (several hops; several targets: a split,
//!    reported as the first with the others named);
//! 2. the label is missing, or deprecated there, and the catalogue is ATT&CK 19 or later: the
//!    embedded v18.1 -> v19 crosswalk (`data/attack-crosswalk-18.1-19.json`) names its v19 ID
//!    (`~`: approximate), followed as in 1;
//! 3. otherwise a deprecated technique is reported as deprecated, and a label with no technique
//!    is reported as *unmapped* ("no v19 equivalent"): never dropped.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::{Catalog, Status, Technique, store};

static CROSSWALK_JSON: &str = include_str!("../../data/attack-crosswalk-18.1-19.json");

/// The v18.1 -> v19 ID moves (see the data file's `note` for where they come from).
#[derive(Debug, Deserialize)]
pub struct Crosswalk {
    pub from: String,
    pub to: String,
    pub notice: String,
    v18_to_v19: HashMap<String, String>,
    v19_to_v18: HashMap<String, String>,
}

static CROSSWALK: LazyLock<Crosswalk> = LazyLock::new(|| {
    serde_json::from_str(CROSSWALK_JSON).expect("embedded crosswalk is valid (checked by tests)")
});

impl Crosswalk {
    /// The crosswalk compiled into the binary.
    pub fn embedded() -> &'static Crosswalk {
        &CROSSWALK
    }

    /// Where an 18.1 ID went in v19: the main target, whether it is approximate, and the other
    /// v19 IDs carved out of it (a split).
    pub fn forward(&self, id: &str) -> Option<(&str, bool, Vec<&str>)> {
        let target = self.v18_to_v19.get(id)?;
        let (target, approximate) = match target.strip_prefix('~') {
            Some(t) => (t, true),
            None => (target.as_str(), false),
        };
        let mut others: Vec<&str> = self
            .v19_to_v18
            .iter()
            .filter(|(new, old)| old.as_str() == id && new.as_str() != target)
            .map(|(new, _)| new.as_str())
            .collect();
        others.sort_unstable();
        Some((target, approximate, others))
    }
}

/// How a label got to the technique reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MappingKind {
    /// The same ID, active in the catalogue in use.
    Same,
    /// Revoked in the catalogue in use, replaced by another technique (`revoked-by`).
    Revoked,
    /// Revoked in favour of several techniques; the first is reported, the others named.
    Split,
    /// Moved to a new ID (the v18.1 -> v19 crosswalk).
    Moved,
    /// Moved to the closest new ID (the crosswalk marks it approximate).
    Approximate,
    /// Deprecated in the catalogue in use, no replacement: reported as deprecated.
    Deprecated,
    /// No technique of the catalogue in use corresponds: reported under the model's label.
    Unmapped,
}

/// Where a model label lands in a catalogue.
#[derive(Debug, Clone)]
pub struct Mapped<'c> {
    /// The technique reported (`None` when unmapped).
    pub technique: Option<&'c Technique>,
    pub kind: MappingKind,
    /// Other techniques the label was split into (besides `technique`).
    pub alternatives: Vec<String>,
}

/// Maps model label `label` (an ID of the `labels` catalogue, the model's label space) into
/// catalogue `to`.
pub fn map_label<'c>(label: &str, labels: &Catalog, to: &'c Catalog) -> Mapped<'c> {
    let crosswalk = Crosswalk::embedded();
    let use_crosswalk = store::compare_versions(&labels.attack_version, &crosswalk.from)
        == std::cmp::Ordering::Equal
        && store::major(&to.attack_version) >= store::major(&crosswalk.to)
        && labels.attack_version != to.attack_version;

    let in_catalogue = to.get(label);
    let usable = in_catalogue.is_some_and(|t| t.status != Status::Deprecated);
    if (usable || !use_crosswalk)
        && let Some(t) = in_catalogue
    {
        return follow(t, to, MappingKind::Same, Vec::new());
    }
    if use_crosswalk {
        if let Some((target, approximate, others)) = crosswalk.forward(label) {
            let kind = if approximate {
                MappingKind::Approximate
            } else if others.is_empty() {
                MappingKind::Moved
            } else {
                MappingKind::Split
            };
            let others: Vec<String> = others
                .into_iter()
                .filter(|o| to.get(o).is_some())
                .map(str::to_owned)
                .collect();
            if let Some(t) = to.get(target) {
                return follow(t, to, kind, others);
            }
        }
        if let Some(t) = in_catalogue {
            return follow(t, to, MappingKind::Same, Vec::new());
        }
    }
    Mapped {
        technique: None,
        kind: MappingKind::Unmapped,
        alternatives: Vec::new(),
    }
}

/// Follows `revoked-by` from `start` (a few hops at most) and says how the label got there.
fn follow<'c>(
    start: &'c Technique,
    to: &'c Catalog,
    mut kind: MappingKind,
    mut alternatives: Vec<String>,
) -> Mapped<'c> {
    let mut technique = start;
    for _ in 0..8 {
        if technique.status != Status::Revoked {
            break;
        }
        let Some(next) = technique.replaced_by.as_deref().and_then(|n| to.get(n)) else {
            break;
        };
        if technique.split_into.len() > 1 {
            kind = MappingKind::Split;
            alternatives.extend(
                technique
                    .split_into
                    .iter()
                    .filter(|s| s.as_str() != next.id)
                    .cloned(),
            );
        } else if kind == MappingKind::Same {
            kind = MappingKind::Revoked;
        }
        technique = next;
    }
    if technique.status == Status::Deprecated && kind == MappingKind::Same {
        kind = MappingKind::Deprecated;
    }
    alternatives.retain(|a| a != &technique.id);
    alternatives.dedup();
    Mapped {
        technique: Some(technique),
        kind,
        alternatives,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_crosswalk_loads_and_knows_the_defense_evasion_split() {
        let c = Crosswalk::embedded();
        assert_eq!((c.from.as_str(), c.to.as_str()), ("18.1", "19"));
        assert!(c.notice.contains("MITRE"));
        assert_eq!(c.forward("T1562.001"), Some(("T1685", false, vec![])));
        assert_eq!(
            c.forward("T1562.004"),
            Some(("T1686", false, vec!["T1686.003"]))
        );
        assert_eq!(c.forward("T1562"), Some(("T1685", true, vec![])));
        assert_eq!(c.forward("T1059"), None);
    }

    #[test]
    fn in_the_label_catalogue_itself_revoked_labels_follow_their_replacement() {
        let c = Catalog::embedded();
        let m = map_label("T1086", c, c);
        assert_eq!(
            (m.technique.unwrap().id.as_str(), m.kind),
            ("T1059.001", MappingKind::Revoked)
        );
        let m = map_label("T1059.001", c, c);
        assert_eq!(m.kind, MappingKind::Same);
        let m = map_label("T1562.001", c, c);
        assert_eq!(m.kind, MappingKind::Same, "no crosswalk from 18.1 to 18.1");
        let m = map_label("T9999", c, c);
        assert!(m.technique.is_none());
        assert_eq!(m.kind, MappingKind::Unmapped);
    }
}
