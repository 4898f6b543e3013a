//! Imported ATT&CK catalogues in the user's data folder, and which catalogue a run uses.
//!
//! `mitremap attack import` writes `$XDG_DATA_HOME/mitremap/attack/enterprise-attack-<version>.json`
//! (default `~/.local/share/mitremap/attack/`). A run uses, first hit wins: `--attack-version`
//! (`$MITREMAP_ATTACK_VERSION`), else the newest of the embedded catalogue and the imported
//! ones. An imported file is loaded only if it and every folder above it pass
//! [`crate::locate::ensure_trusted`] (a catalogue another user could write would let them rename
//! or hide techniques in every report).

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use super::{Catalog, Origin};

/// Largest catalogue file read back (the v18.1 one is ~170 KB).
const MAX_CATALOGUE_BYTES: u64 = 16 * 1024 * 1024;

/// An imported catalogue found in the data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub version: String,
    pub path: PathBuf,
}

/// `$XDG_DATA_HOME/mitremap/attack`.
pub fn catalogue_dir() -> Option<PathBuf> {
    Some(crate::locate::user_data_dir()?.join("attack"))
}

/// The file name an imported catalogue of `version` is stored under.
pub fn file_name(version: &str) -> String {
    format!("enterprise-attack-{version}.json")
}

/// An ATT&CK release number as MITRE writes it: `19`, `18.1`, `15.1.2` (digits only, so it is
/// safe in a file name).
pub fn is_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| (1..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Compares release numbers numerically (`18.1` < `19` < `19.1`; `19` == `19.0`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parse = |s: &str| -> Vec<u32> {
        let mut v: Vec<u32> = s.split('.').map(|p| p.parse().unwrap_or(0)).collect();
        while v.last() == Some(&0) && v.len() > 1 {
            v.pop();
        }
        v
    };
    parse(a).cmp(&parse(b))
}

/// The major release (`18.1` -> 18).
pub fn major(version: &str) -> u32 {
    version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// Imported catalogues in `dir`, oldest release first.
pub fn installed_in(dir: &Path) -> Vec<Installed> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<Installed> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let version = name
                .strip_prefix("enterprise-attack-")?
                .strip_suffix(".json")?;
            is_version(version).then(|| Installed {
                version: version.to_owned(),
                path: e.path(),
            })
        })
        .collect();
    out.sort_by(|a, b| compare_versions(&a.version, &b.version));
    out
}

/// Imported catalogues in the user's data folder, oldest release first.
pub fn installed() -> Vec<Installed> {
    catalogue_dir().map_or_else(Vec::new, |d| installed_in(&d))
}

/// Reads an imported catalogue, refusing a file another user could have written. One-line error
/// naming the file.
pub fn load(path: &Path) -> Result<Catalog, String> {
    crate::locate::ensure_trusted(path)?;
    let shown = path.display();
    let len = std::fs::metadata(path)
        .map_err(|e| format!("{shown}: {e}"))?
        .len();
    if len > MAX_CATALOGUE_BYTES {
        return Err(format!(
            "{shown}: {len} bytes is too large for a catalogue (import the bundle again)"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    Catalog::from_json(&bytes, Origin::File(path.to_path_buf()))
        .map_err(|e| format!("{shown}: {e} (import the bundle again)"))
}

/// The catalogue a run should use: `pin` (a release number: the embedded one's, or an imported
/// one's), else the newest of the embedded and imported catalogues. `installed` lists the
/// imported ones (see [`installed`]).
pub fn choose(pin: Option<&str>, installed: &[Installed]) -> Result<Catalog, String> {
    let embedded = Catalog::embedded();
    let Some(pin) = pin else {
        return match installed.last() {
            Some(newest)
                if compare_versions(&newest.version, &embedded.attack_version)
                    == Ordering::Greater =>
            {
                load(&newest.path)
            }
            _ => Ok(embedded.clone()),
        };
    };
    if compare_versions(pin, &embedded.attack_version) == Ordering::Equal {
        return Ok(embedded.clone());
    }
    match installed
        .iter()
        .find(|i| compare_versions(&i.version, pin) == Ordering::Equal)
    {
        Some(found) => load(&found.path),
        None => {
            let mut available = vec![format!("{} (embedded)", embedded.attack_version)];
            available.extend(installed.iter().map(|i| i.version.clone()));
            Err(format!(
                "ATT&CK version {:?} is not installed (available: {}); `mitremap attack import enterprise-attack.json` adds one",
                crate::text::terminal_safe_line(pin),
                available.join(", ")
            ))
        }
    }
}

/// Chooses the catalogue for this process ([`choose`] over the user's data folder) and makes it
/// [`Catalog::active`]. Call once at start-up.
pub fn select(pin: Option<&str>) -> Result<&'static Catalog, String> {
    if let Some(active) = super::ACTIVE.get() {
        return Ok(active);
    }
    let chosen = choose(pin, &installed())?;
    let chosen: &'static Catalog = match chosen.origin() {
        Origin::Embedded => Catalog::embedded(),
        // One catalogue per process, alive until exit.
        Origin::File(_) => Box::leak(Box::new(chosen)),
    };
    Catalog::set_active(chosen);
    Ok(Catalog::active())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_digits_and_compare_numerically() {
        for ok in ["19", "18.1", "15.1.2", "100.0"] {
            assert!(is_version(ok), "{ok}");
        }
        for bad in ["", "v19", "19.", "../19", "19.0.0.1", "1a", "19 ", "12345"] {
            assert!(!is_version(bad), "{bad}");
        }
        assert_eq!(compare_versions("18.1", "19"), Ordering::Less);
        assert_eq!(compare_versions("19", "19.0"), Ordering::Equal);
        assert_eq!(compare_versions("19.1", "19"), Ordering::Greater);
        assert_eq!(compare_versions("9.0", "18.1"), Ordering::Less);
        assert_eq!(major("18.1"), 18);
    }

    #[test]
    fn only_catalogue_file_names_are_listed_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "enterprise-attack-19.json",
            "enterprise-attack-17.0.json",
            "enterprise-attack-x.json",
            "notes.json",
            ".mitremap-abc.tmp",
        ] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        let found: Vec<String> = installed_in(dir.path())
            .into_iter()
            .map(|i| i.version)
            .collect();
        assert_eq!(found, ["17.0", "19"]);
    }

    #[test]
    fn an_unknown_pinned_version_is_a_clear_error() {
        let err = choose(Some("42.0"), &[]).unwrap_err();
        assert!(err.contains("\"42.0\" is not installed"), "{err}");
        assert!(err.contains("18.1 (embedded)"), "{err}");
        assert_eq!(choose(Some("18.1"), &[]).unwrap().attack_version, "18.1");
        assert_eq!(choose(None, &[]).unwrap().origin(), &Origin::Embedded);
    }

    #[test]
    fn an_older_import_does_not_replace_the_embedded_catalogue_by_default() {
        let installed = [Installed {
            version: "17.0".into(),
            path: PathBuf::from("/nonexistent/enterprise-attack-17.0.json"),
        }];
        assert_eq!(
            choose(None, &installed).unwrap().attack_version,
            "18.1",
            "the newest catalogue wins"
        );
        // Pinning it loads it (and says why it cannot).
        let err = choose(Some("17"), &installed).unwrap_err();
        assert!(
            err.contains("/nonexistent/enterprise-attack-17.0.json"),
            "{err}"
        );
    }
}
