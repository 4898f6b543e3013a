//! Reads MITRE's ATT&CK Enterprise STIX bundle (`enterprise-attack.json` from `mitre/cti`, STIX
//! 2.0, or `mitre-attack/attack-stix-data`, STIX 2.1) into a compact [`Catalog`].
//!
//! The bundle (~50 MB) is streamed: each object is read into a small struct holding only the
//! fields used here (descriptions, `x_mitre_contents` and the ~20k `uses` relationships are
//! skipped as they are read), so memory stays at a few MB whatever the file holds. Read:
//! - `attack-pattern`: the `mitre-attack` external ID, name, `kill_chain_phases` (tactics),
//!   `revoked`, `x_mitre_deprecated`, `x_mitre_domains` (other domains are left out);
//! - `relationship` of type `revoked-by` (several from one technique: a split);
//! - `x-mitre-tactic` (ID, shortname, name) and `x-mitre-matrix` (`tactic_refs`: column order);
//! - `x-mitre-collection`'s `x_mitre_version`: the ATT&CK release.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Catalog, Status, Tactic, Technique};
use crate::text::terminal_safe_line;

/// Largest bundle accepted (v18.1's is ~47 MB).
pub const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;
/// Most attack-patterns / tactics kept (v18.1 has 835 / 14).
const MAX_TECHNIQUES: usize = 50_000;
const MAX_TACTICS: usize = 200;
/// Names are cut to this many characters (the longest real one is ~80).
const MAX_NAME_CHARS: usize = 200;

/// Reads a bundle from `reader` (at most [`MAX_BUNDLE_BYTES`]; pass the file's size when known for
/// an early refusal). `source` describes the file for the catalogue's `source` field. The error
/// is one line and says what is wrong with the file.
pub fn import<R: Read>(reader: R, size: Option<u64>, source: String) -> Result<Catalog, String> {
    if let Some(size) = size {
        if size == 0 {
            return Err("the file is empty, not a STIX bundle".to_owned());
        }
        if size > MAX_BUNDLE_BYTES {
            return Err(format!(
                "the file is {} MB; an ATT&CK bundle is ~50 MB and at most {} MB is read",
                size / (1024 * 1024),
                MAX_BUNDLE_BYTES / (1024 * 1024)
            ));
        }
    }
    // One byte over the limit makes the parser fail instead of reading on (a growing file, a pipe).
    let mut limited = std::io::BufReader::with_capacity(1 << 16, reader.take(MAX_BUNDLE_BYTES + 1));
    if only_whitespace_left(&mut limited).map_err(|e| format!("read failed: {e}"))? {
        return Err("the file is empty, not a STIX bundle".to_owned());
    }
    let mut de = serde_json::Deserializer::from_reader(limited);
    let mut acc = Accumulator::default();
    BundleSeed(&mut acc)
        .deserialize(&mut de)
        .map_err(|e| describe(&e))?;
    de.end().map_err(|e| describe(&e))?;
    acc.finish(source)
}

/// Skips leading whitespace; true when nothing else follows.
fn only_whitespace_left(r: &mut impl std::io::BufRead) -> std::io::Result<bool> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(true);
        }
        let blanks = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let rest = blanks < buf.len();
        r.consume(blanks);
        if rest {
            return Ok(false);
        }
    }
}

/// [`import`], with the bundle's SHA-256 added to `source` (`..., sha256 <hex>`): which file a
/// catalogue came from can be checked later.
pub fn import_hashed<R: Read>(
    reader: R,
    size: Option<u64>,
    source: String,
) -> Result<Catalog, String> {
    use sha2::Digest;
    let mut hashing = HashingReader {
        inner: reader,
        hasher: sha2::Sha256::new(),
    };
    let mut catalog = import(&mut hashing, size, String::new())?;
    let digest = hex::encode(hashing.hasher.finalize());
    let spec = std::mem::take(&mut catalog.source);
    catalog.source = format!("{source}, sha256 {digest}{spec}");
    Ok(catalog)
}

struct HashingReader<R> {
    inner: R,
    hasher: sha2::Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// serde_json's message, said in terms of the file.
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => format!("the file ends early (truncated?): {e}"),
        Category::Syntax => format!("not JSON: {e}"),
        Category::Io => format!("read failed: {e}"),
        Category::Data => format!("not a STIX bundle: {e}"),
    }
}

#[derive(Default)]
struct Accumulator {
    bundle_type: Option<String>,
    spec_version: Option<String>,
    objects: usize,
    patterns: Vec<Pattern>,
    other_domain: usize,
    /// `revoked-by`: source STIX id -> target STIX ids.
    revoked_by: HashMap<String, Vec<String>>,
    tactics: Vec<(String, Tactic)>,
    matrix_order: Option<Vec<String>>,
    version: Option<String>,
}

struct Pattern {
    stix_id: String,
    id: String,
    name: String,
    tactics: Vec<String>,
    status: Status,
}

/// The fields of a STIX object read here; everything else is skipped unread.
#[derive(Deserialize)]
struct StixObject {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    external_references: Vec<ExternalReference>,
    #[serde(default)]
    kill_chain_phases: Vec<KillChainPhase>,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    x_mitre_deprecated: bool,
    #[serde(default)]
    x_mitre_domains: Vec<String>,
    #[serde(default)]
    x_mitre_shortname: Option<String>,
    #[serde(default)]
    x_mitre_version: Option<String>,
    #[serde(default)]
    relationship_type: Option<String>,
    #[serde(default)]
    source_ref: Option<String>,
    #[serde(default)]
    target_ref: Option<String>,
    #[serde(default)]
    tactic_refs: Vec<String>,
}

#[derive(Deserialize)]
struct ExternalReference {
    #[serde(default)]
    source_name: String,
    #[serde(default)]
    external_id: Option<String>,
}

#[derive(Deserialize)]
struct KillChainPhase {
    kill_chain_name: String,
    phase_name: String,
}

impl StixObject {
    fn attack_id(&self) -> Option<&str> {
        self.external_references
            .iter()
            .find(|r| r.source_name == "mitre-attack")
            .and_then(|r| r.external_id.as_deref())
    }

    fn clean_name(&self) -> String {
        let name = self.name.as_deref().unwrap_or("");
        let safe = terminal_safe_line(name.trim());
        safe.chars().take(MAX_NAME_CHARS).collect()
    }
}

/// `T1059` or `T1059.001`.
fn is_technique_id(id: &str) -> bool {
    let b = id.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

/// `TA0002`.
fn is_tactic_id(id: &str) -> bool {
    id.len() == 6 && id.starts_with("TA") && id[2..].bytes().all(|b| b.is_ascii_digit())
}

/// A tactic shortname as used in kill-chain phases: `defense-impairment`.
fn is_shortname(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Accumulator {
    fn add(&mut self, o: StixObject) -> Result<(), String> {
        self.objects += 1;
        match o.kind.as_str() {
            "attack-pattern" => {
                if !o.x_mitre_domains.is_empty()
                    && !o.x_mitre_domains.iter().any(|d| d == "enterprise-attack")
                {
                    self.other_domain += 1;
                    return Ok(());
                }
                // Attack patterns without an ATT&CK ID (CAPEC objects in other bundles) are not
                // techniques.
                let Some(id) = o.attack_id().filter(|id| is_technique_id(id)) else {
                    return Ok(());
                };
                if self.patterns.len() >= MAX_TECHNIQUES {
                    return Err(format!(
                        "more than {MAX_TECHNIQUES} techniques: not an ATT&CK bundle"
                    ));
                }
                let mut tactics: Vec<String> = o
                    .kill_chain_phases
                    .iter()
                    .filter(|p| p.kill_chain_name == "mitre-attack" && is_shortname(&p.phase_name))
                    .map(|p| p.phase_name.clone())
                    .collect();
                tactics.dedup();
                let status = if o.revoked {
                    Status::Revoked
                } else if o.x_mitre_deprecated {
                    Status::Deprecated
                } else {
                    Status::Active
                };
                self.patterns.push(Pattern {
                    stix_id: o.id.clone(),
                    id: id.to_owned(),
                    name: o.clean_name(),
                    tactics,
                    status,
                });
            }
            "relationship" if o.relationship_type.as_deref() == Some("revoked-by") => {
                if let (Some(from), Some(to)) = (o.source_ref, o.target_ref) {
                    let targets = self.revoked_by.entry(from).or_default();
                    if targets.len() < 16 && !targets.contains(&to) {
                        targets.push(to);
                    }
                }
            }
            "x-mitre-tactic" if !o.revoked && !o.x_mitre_deprecated => {
                let (Some(id), Some(short)) = (o.attack_id(), o.x_mitre_shortname.as_deref())
                else {
                    return Ok(());
                };
                if !is_tactic_id(id) || !is_shortname(short) {
                    return Ok(());
                }
                if self.tactics.len() >= MAX_TACTICS {
                    return Err(format!(
                        "more than {MAX_TACTICS} tactics: not an ATT&CK bundle"
                    ));
                }
                let tactic = Tactic {
                    id: id.to_owned(),
                    shortname: short.to_owned(),
                    name: o.clean_name(),
                };
                self.tactics.push((o.id, tactic));
            }
            // The Enterprise bundle has one matrix; the first is kept.
            "x-mitre-matrix"
                if !o.revoked
                    && !o.x_mitre_deprecated
                    && self.matrix_order.is_none()
                    && !o.tactic_refs.is_empty() =>
            {
                let mut refs = o.tactic_refs;
                refs.truncate(MAX_TACTICS);
                self.matrix_order = Some(refs);
            }
            "x-mitre-collection" if self.version.is_none() => self.version = o.x_mitre_version,
            _ => {}
        }
        Ok(())
    }

    fn finish(self, source: String) -> Result<Catalog, String> {
        match self.bundle_type.as_deref() {
            Some("bundle") => {}
            Some(other) => {
                return Err(format!(
                    "not a STIX bundle (its type is {:?}, not \"bundle\")",
                    terminal_safe_line(&other.chars().take(40).collect::<String>())
                ));
            }
            None => return Err("not a STIX bundle (no \"type\": \"bundle\")".to_owned()),
        }
        if self.patterns.is_empty() {
            return Err(if self.other_domain > 0 {
                format!(
                    "no Enterprise techniques ({} attack-patterns of other domains: a Mobile or ICS bundle?); import enterprise-attack.json",
                    self.other_domain
                )
            } else {
                format!(
                    "no ATT&CK techniques among its {} objects (attack-pattern objects with a mitre-attack ID)",
                    self.objects
                )
            });
        }
        let version = match self.version {
            Some(v) if super::store::is_version(&v) => v,
            Some(v) => {
                return Err(format!(
                    "the x-mitre-collection's x_mitre_version {:?} is not an ATT&CK release number",
                    terminal_safe_line(&v.chars().take(40).collect::<String>())
                ));
            }
            None => {
                return Err(
                    "no x-mitre-collection object with x_mitre_version: the ATT&CK release is unknown (use a bundle from mitre-attack/attack-stix-data or a recent mitre/cti)"
                        .to_owned(),
                );
            }
        };
        // Columns in the matrix's order; tactics it does not list follow in bundle order.
        let mut tactics = self.tactics;
        if let Some(order) = &self.matrix_order {
            let pos = |stix: &str| order.iter().position(|r| r == stix).unwrap_or(usize::MAX);
            tactics.sort_by_key(|(stix, _)| pos(stix));
        }
        let mut tactics: Vec<Tactic> = tactics.into_iter().map(|(_, t)| t).collect();
        let mut seen = std::collections::HashSet::new();
        tactics.retain(|t| seen.insert(t.shortname.clone()));
        if tactics.is_empty() {
            return Err("no x-mitre-tactic objects: not a complete ATT&CK bundle".to_owned());
        }

        let id_of: HashMap<&str, &str> = self
            .patterns
            .iter()
            .map(|p| (p.stix_id.as_str(), p.id.as_str()))
            .collect();
        // One technique per ATT&CK ID; when an ID appears twice, the active object wins.
        let rank = |s: Status| match s {
            Status::Active => 0,
            Status::Deprecated => 1,
            Status::Revoked => 2,
        };
        let mut by_id: HashMap<String, Technique> = HashMap::new();
        for p in &self.patterns {
            let successors: Vec<String> = if p.status == Status::Revoked {
                self.revoked_by
                    .get(&p.stix_id)
                    .map(|targets| {
                        targets
                            .iter()
                            .filter_map(|t| id_of.get(t.as_str()))
                            .filter(|&&t| t != p.id)
                            .map(|t| (*t).to_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let technique = Technique {
                id: p.id.clone(),
                name: p.name.clone(),
                parent: p.id.split_once('.').map(|(parent, _)| parent.to_owned()),
                tactics: p.tactics.clone(),
                status: p.status,
                replaced_by: successors.first().cloned(),
                split_into: if successors.len() > 1 {
                    successors
                } else {
                    Vec::new()
                },
                stix_id: p.stix_id.clone(),
            };
            match by_id.get(&p.id) {
                Some(kept) if rank(kept.status) <= rank(p.status) => {}
                _ => {
                    by_id.insert(p.id.clone(), technique);
                }
            }
        }
        let source = match self.spec_version {
            Some(spec) => format!("{source}, STIX {}", terminal_safe_line(&spec)),
            None => format!("{source}, STIX 2.1"),
        };
        Ok(Catalog::new(
            version,
            source,
            tactics,
            by_id.into_values().collect(),
        ))
    }
}

/// The top-level bundle object: `type`, `spec_version` and `objects` are read, the rest skipped.
struct BundleSeed<'a>(&'a mut Accumulator);

impl<'de> DeserializeSeed<'de> for BundleSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BundleSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a STIX bundle (a JSON object with \"type\": \"bundle\")")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => self.0.bundle_type = Some(map.next_value()?),
                "spec_version" => self.0.spec_version = Some(map.next_value()?),
                "objects" => map.next_value_seed(ObjectsSeed(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The `objects` array, folded into the accumulator one object at a time.
struct ObjectsSeed<'a>(&'a mut Accumulator);

impl<'de> DeserializeSeed<'de> for ObjectsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ObjectsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of STIX objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(object) = seq.next_element::<StixObject>()? {
            self.0.add(object).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import_str(s: &str) -> Result<Catalog, String> {
        import(s.as_bytes(), Some(s.len() as u64), "test".into())
    }

    #[test]
    fn ids_are_checked() {
        assert!(is_technique_id("T1059"));
        assert!(is_technique_id("T1059.001"));
        for bad in [
            "T105",
            "T1059.01",
            "t1059",
            "T1059/001",
            "TA0002",
            "T1059.001x",
        ] {
            assert!(!is_technique_id(bad), "{bad}");
        }
        assert!(is_tactic_id("TA0112"));
        assert!(!is_tactic_id("TA01"));
    }

    #[test]
    fn bad_input_is_one_clear_line() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("   \n", "empty"),
            ("hello", "not JSON"),
            ("{\"type\": \"bundle\", \"objects\": [", "ends early"),
            ("[1, 2]", "not a STIX bundle"),
            (
                "{\"type\": \"indicator\", \"objects\": []}",
                "its type is \"indicator\"",
            ),
            ("{\"objects\": []}", "no \"type\""),
            (
                "{\"type\": \"bundle\", \"objects\": []}",
                "no ATT&CK techniques",
            ),
            (
                "{\"type\": \"bundle\", \"objects\": {}}",
                "not a STIX bundle",
            ),
            (
                "{\"type\": \"bundle\", \"objects\": [{\"id\": \"x\"}]}",
                "missing field `type`",
            ),
            (
                "{\"type\": \"bundle\", \"objects\": []} trailing",
                "not JSON",
            ),
        ];
        for (input, want) in cases {
            let err = import_str(input).unwrap_err();
            assert!(err.contains(want), "{input:?}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
        let huge = import(&b"{}"[..], Some(MAX_BUNDLE_BYTES + 1), "x".into()).unwrap_err();
        assert!(huge.contains("at most 512 MB"), "{huge}");
    }
}
