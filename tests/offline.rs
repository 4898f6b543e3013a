//! Analysis is offline for real: no socket is opened and nothing is written outside the chosen
//! output (ONNX Runtime 1.31's telemetry used to resolve Microsoft's endpoint and keep a device id
//! under `~/.cache/Microsoft/DeveloperTools/`). Runs the real binary under
//! `strace -f -e trace=network` with `HOME` and the XDG folders pointing at an empty folder.

use std::path::{Path, PathBuf};
use std::process::Command;

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            out.push(p.clone());
            if p.is_dir() {
                out.extend(files_under(&p));
            }
        }
    }
    out
}

#[test]
fn analysis_opens_no_socket_and_writes_nothing_else() {
    let strace = Command::new("strace").arg("-V").output();
    assert!(
        strace.is_ok_and(|o| o.status.success()),
        "strace is not installed: run tools/setup-tests.sh (or apt-get install strace)"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let trace = out.path().join("trace.txt");
    let report = out.path().join("report.json");
    for model in [
        root.join("models/default"),
        root.join("tests/fixtures/tiny-gpt2"),
    ] {
        let status = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=network", "-o"])
            .arg(&trace)
            .arg(env!("CARGO_BIN_EXE_mitremap"))
            .args(["analyze", "--force", "--explain", "--model"])
            .arg(&model)
            .arg(root.join("samples/report-apt.txt"))
            .arg("-o")
            .arg(&report)
            .env("HOME", home.path())
            .env("XDG_CACHE_HOME", home.path().join(".cache"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_STATE_HOME", home.path().join(".local/state"))
            .env("MITREMAP_LOG", "off")
            .status()
            .unwrap();
        assert!(status.success(), "analysis with {} failed", model.display());
        let calls = std::fs::read_to_string(&trace).unwrap();
        let network: Vec<&str> = calls
            .lines()
            .filter(|l| {
                ["socket(", "connect(", "sendto(", "sendmsg("]
                    .iter()
                    .any(|c| l.contains(c))
            })
            .collect();
        assert!(
            network.is_empty(),
            "network calls during an analysis with {}:\n{}",
            model.display(),
            network.join("\n")
        );
        assert!(report.is_file());
        let stray = files_under(home.path());
        assert!(
            stray.is_empty(),
            "an analysis wrote outside its output: {stray:?}"
        );
    }
}
