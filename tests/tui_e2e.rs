//! Runs `tests/e2e/tmux_e2e.sh` against the real binary (tools/setup-tests.sh installs tmux).

use std::path::Path;
use std::process::Command;

#[test]
fn tmux_end_to_end() {
    assert!(
        Command::new("tmux").arg("-V").output().is_ok(),
        "tmux is not installed: run tools/setup-tests.sh (or apt-get install tmux)"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("tests/e2e/tmux_e2e.sh"))
        .arg(env!("CARGO_BIN_EXE_mitremap"))
        .arg(root.join("tests/fixtures/tiny-gpt2"))
        .output()
        .expect("running the e2e script");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "tmux e2e failed:\n{log}");
    assert!(log.contains("PASS"), "{log}");
}
