//! `mitremap attack import` / `mitremap attack` / `--attack-version` / `--version` with the real
//! binary, the shipped model and the real ONNX Runtime, each run with its own data folder
//! (`XDG_DATA_HOME`): import a STIX bundle, analyse in the release it installs, refuse what
//! must be refused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bundle(name: &str) -> PathBuf {
    root().join("tests/fixtures/attack").join(name)
}

const MINI: &str = "mini-enterprise-attack-18.2.json";

/// Runs mitremap with `data` as the XDG data folder (and HOME beside it).
fn mitremap(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mitremap"))
        .args(args)
        .env("XDG_DATA_HOME", data)
        .env("HOME", data.join("home"))
        .env_remove("MITREMAP_ATTACK_VERSION")
        .env_remove("MITREMAP_MODEL")
        .env("MITREMAP_LOG", "off")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "failed: {}", stderr(&o));
    stdout(&o)
}

/// One line on stderr, exit status 1.
fn refused(o: &Output) -> String {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout {}, stderr {err}",
        stdout(o)
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn analyze_json(data: &Path, extra: &[&str]) -> Value {
    let model = root().join("models/default");
    let sample = root().join("samples/report-apt.txt");
    let mut args = vec![
        "analyze",
        sample.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(mitremap(data, &args))).unwrap()
}

fn technique<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("{id} not reported"))
}

/// The model labels behind a report's techniques.
fn labels(report: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in report["techniques"].as_array().unwrap() {
        match t.get("model_labels") {
            Some(list) => out.extend(
                list.as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap().to_owned()),
            ),
            None => {
                out.insert(t["id"].as_str().unwrap().to_owned());
            }
        }
    }
    out
}

#[test]
fn an_imported_release_is_used_by_default_and_every_label_is_reported_in_it() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let out = ok(mitremap(
        d,
        &["attack", "import", bundle(MINI).to_str().unwrap()],
    ));
    assert!(out.contains("imported ATT&CK 18.2"), "{out}");
    assert!(out.contains("in use from now on"), "{out}");
    let dir = d.join("mitremap/attack");
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        files,
        ["enterprise-attack-18.2.json"],
        "no temporary file left"
    );

    let show = ok(mitremap(d, &["attack"]));
    assert!(
        show.contains("in use:     ATT&CK 18.2 (imported catalogue"),
        "{show}"
    );
    assert!(show.contains("Stealth, Defense Impairment"), "{show}");
    assert!(show.contains("installed:  18.1 (embedded), 18.2"), "{show}");

    let new = analyze_json(d, &[]);
    assert_eq!(new["attack"]["version"], "18.2");
    assert_eq!(new["attack"]["source"], "imported");
    let old = analyze_json(d, &["--attack-version", "18.1"]);
    assert_eq!(old["attack"]["version"], "18.1");
    assert_eq!(old["attack"]["source"], "embedded");
    // The shipped model finds Impair Defenses and Disable or Modify Tools in the sample: in 18.2
    // both are T1685 (a revoked technique and a split), in the new Defense Impairment tactic.
    let t = technique(&new, "T1685");
    assert_eq!(t["tactics"], serde_json::json!(["defense-impairment"]));
    let kinds: BTreeSet<&str> = t["mapping"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, BTreeSet::from(["revoked", "split"]));
    // Lateral Tool Transfer is not in the 18.2 bundle: reported as such.
    assert_eq!(
        technique(&new, "T1570")["name"],
        "Lateral Tool Transfer (no v18.2 equivalent)"
    );
    assert!(technique(&old, "T1027")["tactics"] == serde_json::json!(["defense-evasion"]));
    assert!(technique(&new, "T1027")["tactics"] == serde_json::json!(["stealth"]));
    // Nothing dropped: the same model labels are behind both reports.
    assert_eq!(labels(&new), labels(&old));
    assert!(labels(&old).contains("T1562.001"));

    let table = ok(mitremap(
        d,
        &[
            "analyze",
            root().join("samples/report-apt.txt").to_str().unwrap(),
            "--model",
            root().join("models/default").to_str().unwrap(),
            "--format",
            "table",
        ],
    ));
    assert!(table.contains("techniques in ATT&CK 18.2\n"), "{table}");
    assert!(
        table.contains("Disable or Modify Tools <- T1562"),
        "{table}"
    );

    let version = ok(mitremap(d, &["--version"]));
    let lines: Vec<&str> = version.lines().collect();
    assert!(lines[0].starts_with("mitremap "), "{version}");
    assert!(lines[1].starts_with("ONNX Runtime 1."), "{version}");
    assert!(
        lines[2].starts_with("ATT&CK 18.2 (imported catalogue "),
        "{version}"
    );
}

#[test]
fn an_unknown_pinned_release_is_one_clear_line() {
    let data = tempfile::tempdir().unwrap();
    let err = refused(&mitremap(
        data.path(),
        &["analyze", "--attack-version", "42.1", "-"],
    ));
    assert!(
        err.contains("ATT&CK version \"42.1\" is not installed (available: 18.1 (embedded))"),
        "{err}"
    );
    // A malformed one is a usage error, as clap reports them (exit status 2).
    for bad in ["v19", "../19", ""] {
        let o = mitremap(data.path(), &["attack", "--attack-version", bad]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("is not an ATT&CK release number"),
            "{}",
            stderr(&o)
        );
    }
}

#[cfg(unix)]
#[test]
fn a_catalogue_others_can_write_is_refused_and_version_still_answers() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    ok(mitremap(
        d,
        &["attack", "import", bundle(MINI).to_str().unwrap()],
    ));
    let file = d.join("mitremap/attack/enterprise-attack-18.2.json");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let err = refused(&mitremap(d, &["attack"]));
    assert!(err.contains("writable by every user"), "{err}");
    assert!(
        err.contains("--attack-version 18.1 uses the embedded catalogue"),
        "{err}"
    );
    let version = ok(mitremap(d, &["--version"]));
    assert!(version.contains("ATT&CK: refusing to load"), "{version}");
    // The embedded catalogue stays usable.
    let show = ok(mitremap(d, &["attack", "--attack-version", "18.1"]));
    assert!(show.contains("ATT&CK 18.1 (embedded catalogue)"), "{show}");
}

#[test]
fn broken_bundles_are_refused_and_nothing_is_installed() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let real = std::fs::read(bundle(MINI)).unwrap();
    let files = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = files.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let cases = [
        (
            write("truncated.json", &real[..real.len() - 100]),
            "ends early",
        ),
        (write("empty.json", b""), "empty"),
        (
            write("notes.txt", b"enterprise attack v19 notes"),
            "not JSON",
        ),
        (
            write("report.json", br#"{"schema": "mitremap-report"}"#),
            "not a STIX bundle",
        ),
        (files.path().to_path_buf(), "is a folder"),
        (files.path().join("missing.json"), "No such file"),
    ];
    for (path, want) in cases {
        let err = refused(&mitremap(d, &["attack", "import", path.to_str().unwrap()]));
        assert!(err.contains(want), "{}: {err}", path.display());
    }
    assert!(!d.join("mitremap").exists(), "nothing written");
    let show = ok(mitremap(d, &["attack"]));
    assert!(show.contains("ATT&CK 18.1 (embedded catalogue)"), "{show}");
}

#[test]
fn version_says_when_no_onnx_runtime_is_found_and_still_succeeds() {
    // A copy of the binary outside any checkout or installation, with empty data folders: no
    // runtime anywhere it looks.
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("mitremap");
    std::fs::copy(env!("CARGO_BIN_EXE_mitremap"), &exe).unwrap();
    let o = Command::new(&exe)
        .arg("--version")
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("HOME", dir.path().join("home"))
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("MITREMAP_ATTACK_VERSION")
        .env_remove("MITREMAP_MODEL")
        .output()
        .unwrap();
    let out = ok(o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("mitremap {}", env!("CARGO_PKG_VERSION")));
    assert!(
        lines[1].starts_with("ONNX Runtime: ONNX Runtime library not found (looked in "),
        "{out}"
    );
    assert_eq!(lines[2], "ATT&CK 18.1 (embedded catalogue)");
}

#[test]
fn a_huge_file_is_refused_before_it_is_read() {
    let data = tempfile::tempdir().unwrap();
    let huge = data.path().join("enterprise-attack.json");
    // Sparse: 600 MB long, no disk used.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(600 * 1024 * 1024)
        .unwrap();
    let err = refused(&mitremap(
        data.path(),
        &["attack", "import", huge.to_str().unwrap()],
    ));
    assert!(err.contains("the file is 600 MB"), "{err}");
    // Refused from its size, not parsed (the parser would say "not JSON" at the first zero).
    assert!(err.contains("at most 512 MB is read"), "{err}");
}

#[cfg(unix)]
#[test]
fn import_refuses_a_data_folder_others_can_write() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let shared = d.join("mitremap");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = refused(&mitremap(
        d,
        &["attack", "import", bundle(MINI).to_str().unwrap()],
    ));
    assert!(err.contains("writable by every user"), "{err}");
    assert!(!shared.join("attack").exists(), "nothing created in it");
}
